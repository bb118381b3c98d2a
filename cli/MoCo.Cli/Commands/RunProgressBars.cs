using MoCo.Contracts.V1;
using Spectre.Console;

namespace MoCo.Cli.Commands;

/// <summary>Rich progress (config-and-cli.md §4.2) on an interactive terminal: a live bar per running phase with
/// done/total, %, items/s and tokens/s, elapsed and ETA; a finished phase collapses to its one-line summary.</summary>
internal sealed class RunProgressBars
{
    private readonly Dictionary<string, (ProgressTask Task, string Unit)> _phases = [];
    private readonly Lock _lock = new();
    private ProgressContext? _context;

    /// <summary>Runs <paramref name="body"/> under a live display fed by the events it emits.</summary>
    public static Task<T> RunAsync<T>(IAnsiConsole console, Func<Action<RunEvent>, Task<T>> body)
    {
        var bars = new RunProgressBars();
        return console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .StartAsync(context =>
            {
                bars._context = context;
                return body(bars.Show);
            });
    }

    private void Show(RunEvent e)
    {
        lock (_lock)
        {
            switch (e.TypeCase)
            {
                case RunEvent.TypeOneofCase.RunStarted:
                    AnsiConsole.MarkupLine(Markup.Escape(RunConsole.StartedLine(e)));
                    break;
                case RunEvent.TypeOneofCase.PhaseStarted:
                    var started = e.PhaseStarted;
                    var task = _context!.AddTask(Markup.Escape(started.Name), maxValue: Math.Max(1, started.Total));
                    _phases[started.Name] = (task, started.Unit);
                    break;
                case RunEvent.TypeOneofCase.Progress when _phases.TryGetValue(e.Progress.Phase, out var phase):
                    var p = e.Progress;
                    phase.Task.Value = p.Done;
                    phase.Task.Description = Markup.Escape($"{p.Phase}  {p.Done}/{p.Total} {phase.Unit}  {p.ItemsPerS:0.0} it/s  {p.TokensPerS:#,0} tok/s");
                    break;
                case RunEvent.TypeOneofCase.PhaseFinished when _phases.TryGetValue(e.PhaseFinished.Name, out var done):
                    done.Task.Value = done.Task.MaxValue;
                    done.Task.Description = Markup.Escape(RunConsole.FinishedLine(e.PhaseFinished, done.Unit));
                    done.Task.StopTask();
                    break;
                case RunEvent.TypeOneofCase.Warning:
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(e.Warning.Message)}");
                    break;
                case RunEvent.TypeOneofCase.Error:
                    AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Error.Message)} [[{Markup.Escape(e.Error.Code)}]]");
                    break;
                default:
                    break;
            }
        }
    }
}
