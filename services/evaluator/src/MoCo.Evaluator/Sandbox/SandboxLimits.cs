using System.Globalization;
using Grpc.Core;
using MoCo.Evaluator.Errors;
using MoCo.Hosting.Errors;
using WireLimits = MoCo.Contracts.V1.SandboxLimits;

namespace MoCo.Evaluator.Sandbox;

/// <summary>The sandbox limits of one Evaluate call (config `evaluation.sandbox.*`, evaluation.md §4.2, §5.4);
/// unset fields take the spec's defaults.</summary>
public sealed record SandboxLimits
{
    /// <summary>Interpreter from the request (`evaluation.sandbox.python`); MOCO_SANDBOX_PYTHON wins over it.</summary>
    public string? Python { get; init; }
    /// <summary>Items sandboxed at once.</summary>
    public int MaxParallel { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>Run without namespace isolation when it is not available (flag sandbox_weak).</summary>
    public bool AllowWeakIsolation { get; init; }
    /// <summary>Wall-clock limit per item, seconds.</summary>
    public double TimeoutSeconds { get; init; } = 10;
    /// <summary>Soft CPU limit per item, seconds; the hard limit is one more.</summary>
    public double CpuSeconds { get; init; } = 10;
    /// <summary>Address-space limit, MiB.</summary>
    public int MemoryMb { get; init; } = 512;
    /// <summary>Largest file a program may write, MiB.</summary>
    public int FileMb { get; init; } = 5;
    /// <summary>Open-file limit.</summary>
    public int MaxFiles { get; init; } = 64;
    /// <summary>Process limit.</summary>
    public int MaxProcesses { get; init; } = 4;
    /// <summary>Bytes of stdout and of stderr kept per program; the rest is read and discarded.</summary>
    public int OutputCapBytes { get; init; } = 1 << 20;

    /// <summary>The limits of a request; INVALID_ARGUMENT naming every field out of range.</summary>
    public static SandboxLimits From(WireLimits? wire, string field = "header.sandbox")
    {
        var limits = new SandboxLimits();
        if (wire is null)
        {
            return limits;
        }
        var problems = new List<Problem>();
        double Positive(double? value, double fallback, string name)
        {
            if (value is { } v && !(v > 0 && double.IsFinite(v)))
            {
                problems.Add(Bad(name, v.ToString(CultureInfo.InvariantCulture), "a number > 0"));
            }
            return value ?? fallback;
        }
        int AtLeastOne(int? value, int fallback, string name)
        {
            if (value is < 1)
            {
                problems.Add(Bad(name, value.Value.ToString(CultureInfo.InvariantCulture), "an integer ≥ 1"));
            }
            return value ?? fallback;
        }
        limits = limits with
        {
            Python = string.IsNullOrWhiteSpace(wire.Python) ? null : wire.Python,
            MaxParallel = AtLeastOne(wire.MaxParallel, limits.MaxParallel, "max_parallel"),
            AllowWeakIsolation = wire.AllowWeakIsolation,
            TimeoutSeconds = Positive(wire.TimeoutS, limits.TimeoutSeconds, "timeout_s"),
            CpuSeconds = Positive(wire.CpuS, limits.CpuSeconds, "cpu_s"),
            MemoryMb = AtLeastOne(wire.MemoryMb, limits.MemoryMb, "memory_mb"),
            FileMb = AtLeastOne(wire.FileMb, limits.FileMb, "file_mb"),
            MaxFiles = AtLeastOne(wire.MaxFiles, limits.MaxFiles, "max_files"),
            MaxProcesses = AtLeastOne(wire.MaxProcs, limits.MaxProcesses, "max_procs"),
        };
        return problems.Count == 0 ? limits : throw new EvaluatorException(StatusCode.InvalidArgument, "invalid sandbox limits", problems);

        Problem Bad(string name, string value, string expected) => new($"{field}.{name}", Reasons.InvalidValue,
            $"{field}.{name}: expected {expected}, got {value}",
            new Dictionary<string, string> { ["fix"] = $"set evaluation.sandbox.{name} to {expected}, or leave it unset for the default", ["key"] = $"evaluation.sandbox.{name}" });
    }

    /// <summary>The effective limits as the summary records them.</summary>
    public WireLimits ToWire(string? python) => new()
    {
        Python = python,
        MaxParallel = MaxParallel,
        AllowWeakIsolation = AllowWeakIsolation,
        TimeoutS = TimeoutSeconds,
        CpuS = CpuSeconds,
        MemoryMb = MemoryMb,
        FileMb = FileMb,
        MaxFiles = MaxFiles,
        MaxProcs = MaxProcesses,
    };
}
