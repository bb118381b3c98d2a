using System.Threading.Channels;
using MoCo.Contracts.V1;

namespace MoCo.Orchestrator.Engine;

/// <summary>
/// The live events of one run executing in this process, for WatchRun (contracts.md §1): a watcher that attaches late
/// first gets a replay — run_started, then per phase in start order its phase_started and its latest progress or
/// phase_finished, and the error and run_finished of a run that has ended — and then every later event, until
/// run_finished. Per-item events are not replayed (the store has the items: GetRun with items).
/// </summary>
public sealed class RunBroadcast
{
    private readonly Lock _gate = new();
    private readonly List<Channel<RunEvent>> _watchers = [];
    private readonly List<PhaseEvents> _phases = [];
    private readonly List<RunEvent> _ending = [];
    private RunEvent? _started;
    private bool _finished;

    /// <summary>Records <paramref name="e"/> for later replays and hands it to every watcher.</summary>
    public void Publish(RunEvent e)
    {
        lock (_gate)
        {
            switch (e.TypeCase)
            {
                case RunEvent.TypeOneofCase.RunStarted:
                    _started = e;
                    break;
                case RunEvent.TypeOneofCase.PhaseStarted:
                    // A name started again replaces its earlier state: watchers need only the phase's current state.
                    _phases.RemoveAll(p => p.Name == e.PhaseStarted.Name);
                    _phases.Add(new PhaseEvents(e.PhaseStarted.Name, e));
                    break;
                case RunEvent.TypeOneofCase.Progress when _phases.FindLast(p => p.Name == e.Progress.Phase) is { } phase:
                    phase.Latest = e;
                    break;
                case RunEvent.TypeOneofCase.PhaseFinished when _phases.FindLast(p => p.Name == e.PhaseFinished.Name) is { } phase:
                    phase.Latest = e;
                    break;
                case RunEvent.TypeOneofCase.Error or RunEvent.TypeOneofCase.RunFinished:
                    _ending.Add(e);
                    break;
            }
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(e);
            }
            if (e.TypeCase == RunEvent.TypeOneofCase.RunFinished)
            {
                CompleteLocked();
            }
        }
    }

    /// <summary>Ends every watcher's stream (the run's execution is over, whichever way it ended).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            CompleteLocked();
        }
    }

    /// <summary>A new watcher: the replay, then the live events; the reader completes when the run ends. Dispose the
    /// subscription when the watcher goes away.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            if (_started is not null)
            {
                channel.Writer.TryWrite(_started);
            }
            foreach (var phase in _phases)
            {
                channel.Writer.TryWrite(phase.Started);
                if (phase.Latest is not null)
                {
                    channel.Writer.TryWrite(phase.Latest);
                }
            }
            foreach (var e in _ending)
            {
                channel.Writer.TryWrite(e);
            }
            if (_finished)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _watchers.Add(channel);
            }
        }
        return new Subscription(channel.Reader, () =>
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        });
    }

    private void CompleteLocked()
    {
        _finished = true;
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryComplete();
        }
        _watchers.Clear();
    }

    /// <summary>A watcher's events; disposing it detaches the watcher.</summary>
    public sealed class Subscription(ChannelReader<RunEvent> events, Action detach) : IDisposable
    {
        /// <summary>The replay, then the live events.</summary>
        public ChannelReader<RunEvent> Events { get; } = events;

        /// <inheritdoc/>
        public void Dispose() => detach();
    }

    private sealed class PhaseEvents(string name, RunEvent started)
    {
        public string Name { get; } = name;
        public RunEvent Started { get; } = started;
        public RunEvent? Latest { get; set; }
    }
}
