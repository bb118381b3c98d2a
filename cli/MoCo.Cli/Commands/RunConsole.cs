using Google.Protobuf;
using MoCo.Contracts.V1;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>How `moco run` shows a run's events (config-and-cli.md §4.2): `--json` prints each event as one JSON line on
/// stdout (proto field names; the oneof case is the event type); otherwise a line per phase start and end on stderr,
/// with a heartbeat line at most every 10 s per phase (plain mode). Without <paramref name="progress"/> (`--progress
/// none`, `-q`) only warnings and errors are shown, without <paramref name="warnings"/> (`-q`) only errors.</summary>
public sealed class RunConsole(TextWriter output, TextWriter error, bool json, bool progress = true, bool warnings = true)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, DateTimeOffset> _lastLine = [];
    private readonly Dictionary<string, string> _units = [];
    private readonly Lock _lock = new();

    /// <summary>Shows one event.</summary>
    public void Show(RunEvent e)
    {
        lock (_lock)
        {
            if (json)
            {
                output.WriteLine(JsonLine(e));
                return;
            }
            if (!progress && e.TypeCase != RunEvent.TypeOneofCase.Error && (!warnings || e.TypeCase != RunEvent.TypeOneofCase.Warning))
            {
                return;
            }
            switch (e.TypeCase)
            {
                case RunEvent.TypeOneofCase.RunStarted:
                    error.WriteLine(StartedLine(e));
                    break;
                case RunEvent.TypeOneofCase.PhaseStarted:
                    _units[e.PhaseStarted.Name] = e.PhaseStarted.Unit;
                    error.WriteLine(e.PhaseStarted.Total > 0 ? $"▸ {e.PhaseStarted.Name}  {e.PhaseStarted.Total} {e.PhaseStarted.Unit}" : $"▸ {e.PhaseStarted.Name}");
                    break;
                case RunEvent.TypeOneofCase.Progress:
                    var p = e.Progress;
                    var now = DateTimeOffset.UtcNow;
                    // Plain mode: a heartbeat line per phase, not every event; the phase's end line gives the totals.
                    if (p.Done >= p.Total || (_lastLine.TryGetValue(p.Phase, out var last) && now - last < Heartbeat))
                    {
                        break;
                    }
                    _lastLine[p.Phase] = now;
                    error.WriteLine($"  {p.Phase}  {p.Done}/{p.Total}  {p.ItemsPerS:0.0} it/s  {p.TokensPerS:#,0} tok/s{(p.EtaS is { } eta ? $"  eta {eta:0}s" : "")}");
                    break;
                case RunEvent.TypeOneofCase.PhaseFinished:
                    error.WriteLine(FinishedLine(e.PhaseFinished, _units.GetValueOrDefault(e.PhaseFinished.Name, "items")));
                    break;
                case RunEvent.TypeOneofCase.Warning:
                    error.WriteLine($"warning: {e.Warning.Message}");
                    break;
                case RunEvent.TypeOneofCase.Error:
                    error.WriteLine($"error: {e.Error.Message} [{e.Error.Code}]\n  fix: {e.Error.Fix}");
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>A run's first line: `run 20261208-…: text_slm_mux on zoo_world (multiple_choice), 2 model(s), seed 42, on
    /// cuda:0 (zoo/north), cuda:1 (zoo/south)` - the devices as the device map gives them (none on a server).</summary>
    public static string StartedLine(RunEvent e)
    {
        var s = e.RunStarted;
        var placed = s.DeviceMap.Where(d => d.Device.Length > 0).ToList();
        var devices = placed.Select(d => d.Device).Distinct(StringComparer.Ordinal).ToList();
        var on = devices.Count switch
        {
            0 => "",
            1 => $", on {devices[0]}",
            _ => ", on " + string.Join(", ", devices.Select(device =>
                $"{device} ({string.Join(", ", placed.Where(d => d.Device == device).Select(d => d.Name).Distinct(StringComparer.Ordinal))})")),
        };
        return $"run {e.RunId}{(s.Resumed ? " (resumed)" : "")}: {s.Config.Method} on {s.Config.Task} ({s.Config.TaskType}), " +
            $"{s.Config.ModelNames.Count} model(s), seed {s.Seed}{(s.Config.Limit is { } l ? $", limit {l}" : "")}{on}";
    }

    /// <summary>A finished phase's one line (`✓ dev · generate  160 items  41.2 s  3.9 it/s  2,410 tok/s`), and how many
    /// stored results of earlier runs (one per generated sequence, score or embedding) it reused.</summary>
    public static string FinishedLine(PhaseFinished f, string unit) =>
        $"✓ {f.Name}  {f.Items} {unit}  {f.WallS:0.0} s  {f.ItemsPerS:0.0} it/s" + (f.CompletionTokens > 0 ? $"  {f.TokensPerS:#,0} tok/s" : "") +
        (f.ReusedCalls > 0 ? $"  ({f.ReusedCalls} result{(f.ReusedCalls == 1 ? "" : "s")} reused from earlier runs)" : "");

    /// <summary>One `--json` line (config-and-cli.md §4.2): v, ts, run_id, `type` = the event's oneof case, then that
    /// event's fields at top level, as the spec's examples show them.</summary>
    public static string JsonLine(RunEvent e)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Formatter.Format(e))!.AsObject();
        var line = new System.Text.Json.Nodes.JsonObject { ["v"] = node["v"]?.DeepClone(), ["ts"] = node["ts"]?.DeepClone(), ["run_id"] = node["run_id"]?.DeepClone() };
        foreach (var (key, value) in node.Where(p => p.Key is not ("v" or "ts" or "run_id")).ToList())
        {
            line["type"] = key;
            if (value is System.Text.Json.Nodes.JsonObject fields)
            {
                foreach (var (field, fieldValue) in fields)
                {
                    line[field] = fieldValue?.DeepClone();
                }
            }
        }
        return line.ToJsonString();
    }

    /// <summary>The results table of config-and-cli.md §4.3: the method, then each distinct model alone, with the
    /// difference to the best baseline.</summary>
    public static void Table(IAnsiConsole console, Orchestrator.Engine.RunResult result, string logDirectory)
    {
        // Redirected output has no width; the table's rows stay on one line each.
        if (!console.Profile.Capabilities.Interactive)
        {
            console.Profile.Width = 200;
        }
        var config = result.Config;
        var best = result.Baselines.Count > 0 ? result.Baselines.Max(b => b.Test) : (double?)null;
        var tokensPerS = result.Wall.TotalSeconds > 0 ? result.CompletionTokens / result.Wall.TotalSeconds : 0;
        console.WriteLine($" {config.Method} · {config.Task} ({config.TaskType}) · test n={result.TestItems} · compat {config.Compat.ToString().ToLowerInvariant()} · run {result.RunId} · {result.Wall:m\\mss\\s}");
        var table = new Table().Border(TableBorder.None).AddColumns("system", "test", "Δ best", "tok/s");
        table.AddRow(Markup.Escape($"{config.Method} ({config.ModelNames.Count} model{(config.ModelNames.Count == 1 ? "" : "s")})"), $"{result.Score:0.000}",
            best is { } b0 ? Delta(result.Score!.Value - b0) : "—", $"{tokensPerS:#,0}");
        foreach (var baseline in result.Baselines.OrderByDescending(b => b.Test))
        {
            table.AddRow(Markup.Escape(baseline.Model), $"{baseline.Test:0.000}", baseline.Test == best ? "best" : Delta(baseline.Test - best!.Value), "");
        }
        console.Write(table);
        var log = result.ReferenceLog is { } reference ? Path.Combine(logDirectory, reference)
            : "(top level not written: a partial run, or another log of that name was kept; the run folder has it)";
        console.WriteLine($" log: {log}   run: {Path.Combine(logDirectory, "moco", result.RunId)}{Path.DirectorySeparatorChar}");
    }

    private static string Delta(double d) => (d >= 0 ? "+" : "−") + Math.Abs(d).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}
