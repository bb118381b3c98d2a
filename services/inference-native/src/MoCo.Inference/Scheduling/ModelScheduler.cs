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
    private readonly MocoKvCache _cache;
    private readonly SchedulerOptions _options;
    private readonly string _model;
    private readonly Thread _thread;
    private readonly int _maxSequences;
    private bool _stopping;
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
        lock (_gate)
        {
            if (_stopping)
            {
                throw ServingErrors.Unloaded(_model);
            }
            if (_queue.Count >= _options.MaxQueued)
            {
                throw ServingErrors.QueueFull(_model, _options.MaxQueued);
            }
            _queue.AddLast(job);
            Monitor.Pulse(_gate);
        }
        job.WakeOnCancel = job.Cancellation.Register(Wake);
    }

    /// <summary>Wakes the loop (a job was cancelled, a hold changed).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            Monitor.Pulse(_gate);
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
        while (true)
        {
            List<SchedulerJob> admitted;
            lock (_gate)
            {
                DropCancelledQueued();
                if (_stopping)
                {
                    break;
                }
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
            Step();
        }
        Shutdown();
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
                node.Value.WakeOnCancel.Dispose();
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

    private void Step()
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
        Retire();
    }

    private void Forward(List<SchedulerJob> planned)
    {
        if (TryRun(planned) is not { } error)
        {
            planned.ForEach(Advance);
            return;
        }
        if (planned.Count == 1)
        {
            planned[0].Fail(error);
            return;
        }
        // All or nothing: no sequence changed, so each job re-runs alone and only the failing ones end.
        foreach (var job in planned)
        {
            if (TryRun([job]) is { } own)
            {
                job.Fail(own);
            }
            else
            {
                Advance(job);
            }
        }
    }

    private Exception? TryRun(List<SchedulerJob> jobs)
    {
        _batch.Clear();
        try
        {
            foreach (var job in jobs)
            {
                job.AddTo(_batch);
            }
            _cache.Forward(_batch);
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

    private void Advance(SchedulerJob job) => Guard(job, () => job.Advance(_cache));

    private void Retire()
    {
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var job = _running[i];
            if (!job.Done)
            {
                continue;
            }
            job.Release(_cache);
            job.WakeOnCancel.Dispose();
            _running.RemoveAt(i);
            lock (_gate)
            {
                _reservedBlocks -= job.BlocksNeeded(BlockTokens);
                _reservedSequences -= job.SequencesNeeded;
            }
        }
        Volatile.Write(ref _stats, _cache.GetStats());
    }

    private void Shutdown()
    {
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
