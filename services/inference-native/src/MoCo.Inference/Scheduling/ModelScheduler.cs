using MoCo.Inference.Serving;
using MoCo.Native.Inference;

namespace MoCo.Inference.Scheduling;

/// <summary>
/// Continuous batching for one resident model: a dedicated thread owns the model's KV cache (libmoco caches are
/// single-threaded) and runs steps. Each step drops cancelled jobs (their blocks are free for that very step),
/// admits waiting jobs in FIFO order while their reserved blocks fit, then feeds one token per decoding sample
/// and fills the rest of the step's token budget with prefill chunks, so a long prompt never stalls decodes.
/// </summary>
/// <remarks>
/// Admission reserves a job's worst case (prompt plus max_new_tokens for every sample), so a running job never
/// runs out of blocks and nothing is ever preempted; the price is that capacity is held for tokens a job may not
/// generate. FIFO is strict: a head that does not fit yet waits, and nothing behind it overtakes it. A forward is
/// all-or-nothing in libmoco, so when a batched forward fails each job is re-run alone and only the failing ones end.
/// </remarks>
internal sealed class ModelScheduler : IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<SchedulerJob> _queue = new();
    private readonly List<SchedulerJob> _running = [];
    private readonly ForwardBatch _batch = new(64);
    // The last run's first entry per job (plus the end), and its drawn tokens when it had draws.
    private readonly List<int> _firstEntries = [];
    private int[] _drawn = new int[64];
    private bool _sampled;
    private readonly MocoKvCache _cache;
    private readonly SchedulerOptions _options;
    private readonly string _model;
    private readonly Thread _thread;
    private readonly int _maxSequences;
    private readonly List<(Action Action, TaskCompletionSource Done)> _posted = [];
    private bool _stopping;
    private bool _woken;
    private SchedulerHold? _hold;
    private int _reservedBlocks;
    private int _reservedSequences;
    private KvCacheStats _stats;

    public ModelScheduler(string model, MocoKvCache cache, int maxSequences, SchedulerOptions options)
    {
        _model = model;
        _cache = cache;
        _maxSequences = maxSequences;
        _options = options;
        // Read before the loop starts, the only moment another thread may touch the cache.
        _stats = cache.GetStats();
        TotalBlocks = _stats.TotalBlocks;
        BlockTokens = _stats.BlockTokens;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"moco-scheduler {model}" };
        _thread.Start();
    }

    /// <summary>Blocks of the cache.</summary>
    public int TotalBlocks { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockTokens { get; }

    /// <summary>The cache's usage after the loop's last step or cancellation.</summary>
    public KvCacheStats Stats => Volatile.Read(ref _stats);

    /// <summary>Requests waiting for admission and sequences running, for the load gauges; null when the loop holds its
    /// lock for longer than a scrape should wait.</summary>
    public (int Queued, int Running)? Load() =>
        TryRead(TimeSpan.FromMilliseconds(100), () => (_queue.Count, _running.Count), out var load) ? load : null;

    /// <summary>What admission sees now: jobs waiting, blocks and sequences reserved (running jobs and kept Decode
    /// sequences). For diagnostics: a request that never starts shows here as a queue that does not move.</summary>
    public string Describe() =>
        TryRead(TimeSpan.FromSeconds(1), () => $"{_queue.Count} queued, {_running.Count} running, {_reservedBlocks}/{TotalBlocks} blocks and " +
            $"{_reservedSequences}/{_maxSequences} sequences reserved, {_posted.Count} posted", out var state)
            ? state
            : "the loop has held its lock for over a second (stuck inside a step, an admission or a clean-up)";

    // Reads under the loop's lock for an observer, never blocking longer than wait: a loop stuck with its lock held
    // must not hang a scrape or a diagnostic, which report that instead.
    private bool TryRead<T>(TimeSpan wait, Func<T> read, out T value)
    {
        if (!Monitor.TryEnter(_gate, wait))
        {
            value = default!;
            return false;
        }
        try
        {
            value = read();
            return true;
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    /// <summary>Queues <paramref name="job"/>.</summary>
    /// <exception cref="Grpc.Core.RpcException">RESOURCE_EXHAUSTED when the queue is full or the job can never fit
    /// the cache; UNAVAILABLE when the model is being unloaded.</exception>
    public void Enqueue(SchedulerJob job)
    {
        var blocks = job.BlocksNeeded(BlockTokens);
        if (blocks > TotalBlocks || job.SequencesNeeded > _maxSequences)
        {
            throw ServingErrors.TooLargeForCache(_model, blocks, TotalBlocks, BlockTokens, job.SequencesNeeded, _maxSequences);
        }
        // Registered before the job is queued: once queued, the loop may finish it and dispose the registration at any
        // moment, so the field must already hold it.
        var wake = job.Cancellation.Register(Wake);
        lock (_gate)
        {
            if (_stopping || _queue.Count >= _options.MaxQueued)
            {
                // Not Dispose: a cancellation racing this call runs Wake, which waits for the lock held here.
                wake.Unregister();
                throw _stopping ? ServingErrors.Unloaded(_model) : ServingErrors.QueueFull(_model, _options.MaxQueued);
            }
            job.WakeOnCancel = wake;
            _queue.AddLast(job);
            _woken = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Wakes the loop (a job was cancelled, a hold changed, a waiting job has work again).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _woken = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread before its next step, even while held and whatever waits in
    /// the queue: work on the cache that must not queue behind requests (a closed Decode stream frees its sequences
    /// at once). The task completes when it ran; it throws what the action threw. Once the loop has stopped the
    /// action runs on the caller's thread during shutdown or not at all (the cache goes with the model).
    /// </summary>
    public Task Post(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stopping)
            {
                done.SetResult();
                return done.Task;
            }
            _posted.Add((action, done));
            _woken = true;
            Monitor.Pulse(_gate);
        }
        return done.Task;
    }

    /// <summary>
    /// Keeps reserved KV blocks and sequences past the end of the job that reserved them (loop thread): a Decode
    /// sequence outlives the op that opened or grew it, so what it holds stays out of admission until
    /// <see cref="Return"/>.
    /// </summary>
    internal void Keep(int blocks, int sequences)
    {
        lock (_gate)
        {
            _reservedBlocks += blocks;
            _reservedSequences += sequences;
        }
    }

    /// <summary>Gives back what <see cref="Keep"/> kept (loop thread).</summary>
    internal void Return(int blocks, int sequences)
    {
        lock (_gate)
        {
            _reservedBlocks -= blocks;
            _reservedSequences -= sequences;
            _woken = true;
        }
    }

    /// <summary>Holds the loop (see <see cref="SchedulerHold"/>).</summary>
    internal SchedulerHold Hold()
    {
        var hold = new SchedulerHold(this);
        lock (_gate)
        {
            _hold = hold;
        }
        return hold;
    }

    internal void Release(SchedulerHold hold)
    {
        lock (_gate)
        {
            if (_hold == hold)
            {
                _hold = null;
            }
            _woken = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Stops the loop: waiting and running jobs fail with UNAVAILABLE, their sequences are freed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        _thread.Join();
    }

    private void Loop()
    {
        // True when the last step planned nothing: every running job waits on something outside this loop (an
        // ensemble member on the other members' logits), so the loop sleeps until woken instead of spinning.
        var idle = false;
        while (true)
        {
            RunPosted();
            List<SchedulerJob> admitted;
            lock (_gate)
            {
                DropCancelledQueued();
                if (_stopping)
                {
                    break;
                }
                if (_posted.Count > 0)
                {
                    continue;
                }
                if (idle && !_woken)
                {
                    DropCancelledRunning();
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(1000));
                    continue;
                }
                _woken = false;
                var mayStep = _hold is null || _hold.TryTake();
                admitted = mayStep ? Admit() : [];
                if (!mayStep || (_running.Count == 0 && admitted.Count == 0))
                {
                    // Cancellations of running jobs still free their blocks while held.
                    DropCancelledRunning();
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(_running.Count > 0 ? 50 : 1000));
                    continue;
                }
            }
            foreach (var job in admitted)
            {
                Guard(job, () => job.Start(_cache));
                _running.Add(job);
            }
            idle = !Step();
        }
        Shutdown();
    }

    private void RunPosted()
    {
        List<(Action Action, TaskCompletionSource Done)> posted;
        lock (_gate)
        {
            if (_posted.Count == 0)
            {
                return;
            }
            posted = [.. _posted];
            _posted.Clear();
        }
        foreach (var (action, done) in posted)
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
        Volatile.Write(ref _stats, _cache.GetStats());
    }

    // Under _gate. FIFO: stops at the first job that does not fit.
    private List<SchedulerJob> Admit()
    {
        var admitted = new List<SchedulerJob>();
        while (_queue.First is { } node)
        {
            var job = node.Value;
            var blocks = job.BlocksNeeded(BlockTokens);
            if (_reservedBlocks + blocks > TotalBlocks || _reservedSequences + job.SequencesNeeded > _maxSequences)
            {
                break;
            }
            _queue.RemoveFirst();
            _reservedBlocks += blocks;
            _reservedSequences += job.SequencesNeeded;
            admitted.Add(job);
        }
        return admitted;
    }

    // Under _gate.
    private void DropCancelledQueued()
    {
        for (var node = _queue.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Cancellation.IsCancellationRequested)
            {
                _queue.Remove(node);
                node.Value.Cancel();
                node.Value.StopWaking();
            }
            node = next;
        }
    }

    private void DropCancelledRunning()
    {
        var dropped = false;
        foreach (var job in _running.Where(j => !j.Done && j.Cancellation.IsCancellationRequested).ToList())
        {
            job.Cancel();
            dropped = true;
        }
        if (dropped)
        {
            Retire();
        }
    }

    // Returns whether anything was forwarded or admitted work changed state.
    private bool Step()
    {
        DropCancelledRunning();
        var live = _running.Where(j => !j.Done).ToList();
        var decodes = 0;
        foreach (var job in live)
        {
            decodes += Guard(job, job.PlanDecode);
        }
        var budget = Math.Max(_options.StepTokens - decodes, _options.MinPrefillTokens);
        foreach (var job in live)
        {
            if (budget > 0)
            {
                budget -= Guard(job, () => job.PlanPrefill(budget));
            }
        }
        var planned = live.Where(j => !j.Done && j.HasPlanned).ToList();
        if (planned.Count > 0)
        {
            Forward(planned);
        }
        var retired = Retire();
        return planned.Count > 0 || retired;
    }

    private void Forward(List<SchedulerJob> planned)
    {
        if (TryRun(planned) is not { } error)
        {
            for (var i = 0; i < planned.Count; i++)
            {
                Advance(planned[i], i);
            }
            return;
        }
        if (planned.Count == 1)
        {
            FailAlone(planned[0], error);
            return;
        }
        // All or nothing: no sequence changed, so each job re-runs alone and only the failing ones end.
        foreach (var job in planned)
        {
            if (TryRun([job]) is { } own)
            {
                FailAlone(job, own);
            }
            else
            {
                Advance(job, 0);
            }
        }
    }

    // A failing draw (NUMERIC logits, an option out of range) fails the whole native call; the job re-runs with its
    // draws on the host, as before device draws: a failing draw then ends only its own sample or step while the
    // forward's tokens stay in, and an error of the forward itself fails the job as it did.
    private void FailAlone(SchedulerJob job, Exception error)
    {
        if (!_sampled)
        {
            job.Fail(error);
            return;
        }
        job.DrawOnHost = true;
        try
        {
            if (TryRun([job]) is { } again)
            {
                job.Fail(again);
            }
            else
            {
                Advance(job, 0);
            }
        }
        finally
        {
            job.DrawOnHost = false;
        }
    }

    private Exception? TryRun(List<SchedulerJob> jobs)
    {
        _batch.Clear();
        _firstEntries.Clear();
        _sampled = false;
        try
        {
            foreach (var job in jobs)
            {
                _firstEntries.Add(_batch.Count);
                job.AddTo(_batch);
            }
            _firstEntries.Add(_batch.Count);
            _sampled = _batch.HasDraws;
            if (_sampled)
            {
                if (_drawn.Length < _batch.Count)
                {
                    _drawn = new int[_batch.Count];
                }
                _cache.ForwardSample(_batch, _drawn);
            }
            else
            {
                _cache.Forward(_batch);
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
        finally
        {
            _batch.Clear();
        }
    }

    // index: the job's place in the last TryRun.
    private void Advance(SchedulerJob job, int index)
    {
        var first = _firstEntries[index];
        var count = _sampled ? _firstEntries[index + 1] - first : 0;
        Guard(job, () => job.Advance(_cache, _drawn.AsSpan(first, count)));
    }

    // Returns whether a job was let go.
    private bool Retire()
    {
        var retired = false;
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var job = _running[i];
            if (!job.Done)
            {
                continue;
            }
            job.Release(_cache);
            job.StopWaking();
            _running.RemoveAt(i);
            retired = true;
            lock (_gate)
            {
                _reservedBlocks -= job.BlocksNeeded(BlockTokens);
                _reservedSequences -= job.SequencesNeeded;
            }
        }
        Volatile.Write(ref _stats, _cache.GetStats());
        return retired;
    }

    private void Shutdown()
    {
        RunPosted();
        lock (_gate)
        {
            foreach (var job in _queue)
            {
                job.Fail(ServingErrors.Unloaded(_model));
            }
            _queue.Clear();
        }
        foreach (var job in _running.Where(j => !j.Done))
        {
            job.Fail(ServingErrors.Unloaded(_model));
        }
        Retire();
    }

    // A job's own failure (a sampling NUMERIC, a decoder error) ends that job only.
    private static T Guard<T>(SchedulerJob job, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            job.Fail(e);
            return default!;
        }
    }

    private static void Guard(SchedulerJob job, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            job.Fail(e);
        }
    }
}
