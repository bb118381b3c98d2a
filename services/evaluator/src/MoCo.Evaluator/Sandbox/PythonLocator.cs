using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using MoCo.Evaluator.Errors;

namespace MoCo.Evaluator.Sandbox;

/// <summary>
/// Finds the sandbox's interpreter (evaluation.md §4.2): MOCO_SANDBOX_PYTHON, else the request's
/// `evaluation.sandbox.python`, else python3 then python on PATH. Each candidate is run once to learn the real
/// executable and prefix — a PATH entry may be a version-manager shim (pyenv) that the sandbox cannot run — and
/// its version (3.8+). Results are cached per candidate.
/// </summary>
public sealed class PythonLocator(Func<string, string?> environment)
{
    private const string Probe = "import json, sys; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix, list(sys.version_info[:3])]))";
    private readonly ConcurrentDictionary<string, Lazy<Task<(PythonInterpreter? Found, string Why)>>> _probes = new(StringComparer.Ordinal);

    /// <summary>Reads MOCO_SANDBOX_PYTHON from the process environment.</summary>
    public PythonLocator() : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>The interpreter to use; FAILED_PRECONDITION naming every candidate tried and why it failed.</summary>
    public async Task<PythonInterpreter> FindAsync(string? configured, CancellationToken cancellationToken)
    {
        var fromEnvironment = environment("MOCO_SANDBOX_PYTHON") is { Length: > 0 } e ? e : null;
        string[] candidates = fromEnvironment is not null ? [fromEnvironment] : configured is not null ? [configured] : ["python3", "python"];
        var tried = new List<string>();
        foreach (var candidate in candidates)
        {
            var (found, why) = await _probes.GetOrAdd(candidate, c => new Lazy<Task<(PythonInterpreter?, string)>>(() => ProbeAsync(c))).Value
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            if (found is not null)
            {
                return found;
            }
            tried.Add($"{candidate}: {why}");
        }
        var source = fromEnvironment is not null ? "MOCO_SANDBOX_PYTHON" : configured is not null ? "evaluation.sandbox.python" : "PATH";
        throw EvaluatorException.Single(StatusCode.FailedPrecondition, "header.sandbox.python", Reasons.SandboxUnavailable,
            $"task type 'coding' needs a Python {PythonInterpreter.Minimum}+ interpreter for the code sandbox; none found via {source} (tried: {string.Join("; ", tried)})",
            "install python3 or set evaluation.sandbox.python (or MOCO_SANDBOX_PYTHON) to a Python 3.8+ executable",
            new Dictionary<string, string> { ["key"] = "evaluation.sandbox.python" });
    }

    private static async Task<(PythonInterpreter?, string)> ProbeAsync(string candidate)
    {
        var path = ExecutableSearch.Find(candidate, includeSystemFolders: false);
        if (path is null)
        {
            return (null, "not found");
        }
        var start = new ProcessStartInfo(path, ["-I", "-c", Probe])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                return (null, $"exits with {process.ExitCode}: {Tail(await error.ConfigureAwait(false))}");
            }
            using var doc = JsonDocument.Parse(await output.ConfigureAwait(false));
            var a = doc.RootElement;
            var v = a[3];
            var version = new Version(v[0].GetInt32(), v[1].GetInt32(), v[2].GetInt32());
            if (version < PythonInterpreter.Minimum)
            {
                return (null, $"Python {version} is older than {PythonInterpreter.Minimum}");
            }
            var executable = a[0].GetString();
            return string.IsNullOrEmpty(executable)
                ? (null, "does not report sys.executable")
                : (new PythonInterpreter(executable, a[1].GetString()!, a[2].GetString()!, version), "");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or OperationCanceledException or JsonException or IOException
                                      or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return (null, e is OperationCanceledException ? "did not answer within 30 s" : e.Message);
        }
    }

    private static string Tail(string text) => text.Length > 200 ? "…" + text[^200..].Trim() : text.Trim();
}
