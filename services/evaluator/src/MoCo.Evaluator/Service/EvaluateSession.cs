using System.Collections;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Aggregation;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Judges;
using MoCo.Evaluator.Sandbox;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;
using SandboxLimits = MoCo.Evaluator.Sandbox.SandboxLimits;

namespace MoCo.Evaluator.Service;

/// <summary>
/// One Evaluate call (evaluation.md §5.1). The header resolves the view and the scorer, whose preflight runs before
/// any item. Outputs stream in and are scored by a pool of workers as they arrive; results stream out as items (or
/// groups) finish, in any order; the summary follows the client's half-close. Only outputs waiting in the bounded
/// work queue are held, so 10k-item evaluations never keep all outputs in memory.
/// </summary>
public sealed class EvaluateSession(EvaluatorRuntime runtime, ILogger logger)
{
    /// <summary>Serves the call.</summary>
    public async Task RunAsync(IAsyncStreamReader<EvaluateRequest> requests, IServerStreamWriter<EvaluateResponse> responses,
        CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false) || requests.Current.PayloadCase != EvaluateRequest.PayloadOneofCase.Header)
        {
            throw Invalid("header", Reasons.MissingField, "the first Evaluate message must be the header", "send EvaluateRequest.header first, then outputs");
        }
        var header = requests.Current.Header;
        var view = header.ViewCase switch
        {
            EvaluateHeader.ViewOneofCase.ViewId => runtime.Views.Resolve(header.ViewId),
            EvaluateHeader.ViewOneofCase.Dataset => runtime.Views.Open(ViewRequest.From(header.Dataset, "header.dataset.")),
            _ => throw Invalid("header.view", Reasons.MissingField, "the header names no view", "set header.view_id (from LoadDataset) or header.dataset"),
        };
        var mode = CompatModes.From(header.Compat);
        var extractOnly = header.ExtractOnly;
        var settings = new ScoringSettings(mode, header.InputKind == InputKind.Extracted, extractOnly, view.File.Task, view.Split, view.File.Sha256);
        var limits = SandboxLimits.From(header.Sandbox);
        if (header.GroupBy is { Length: 0 })
        {
            throw Invalid("header.group_by", Reasons.InvalidValue, "group_by is empty", "unset group_by, or name an item field");
        }
        var scorer = runtime.CreateScorer(view, settings, limits, JudgeModels.From(header.Models));
        await scorer.PrepareAsync(cancellationToken).ConfigureAwait(false);

        var collector = new ResultCollector(view, extractOnly ? null : header.GroupBy ?? view.GroupField);
        await new Pipeline(view, scorer, mode, collector, responses, logger).RunAsync(requests, cancellationToken).ConfigureAwait(false);

        var summary = collector.Summary(mode);
        if (view.Type == TaskType.Coding && scorer is CodingScorer { Session: { } session })
        {
            summary.Sandbox = limits.ToWire(session.Python);
        }
        logger.LogInformation("Evaluate {Task}/{Split} as {Type} ({Compat}, run {RunId}): {N} outputs, {Scored} scored, {Errors} errors, mean {Mean}",
            view.File.Task, view.Split.Name(), view.Type.Name(), mode, header.RunId, summary.N, summary.NScored, summary.NErrors, summary.Mean);
        await responses.WriteAsync(new EvaluateResponse { Summary = summary }, cancellationToken).ConfigureAwait(false);
    }

    private static EvaluatorException Invalid(string field, string reason, string description, string fix) =>
        EvaluatorException.Single(StatusCode.InvalidArgument, field, reason, description, fix);

    // Reader → bounded work queue → scoring workers → result queue → the one writer of the response stream.
    private sealed class Pipeline(DatasetView view, IItemScorer scorer, CompatMode mode, ResultCollector collector,
        IServerStreamWriter<EvaluateResponse> responses, ILogger logger)
    {
        private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(Math.Max(4, 2 * scorer.Parallelism))
        {
            SingleWriter = true,
        });
        private readonly Channel<ItemResult> _results = Channel.CreateBounded<ItemResult>(new BoundedChannelOptions(1024) { SingleReader = true });
        private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);
        private readonly Lock _collectorGate = new();
        private Exception? _failure;

        public async Task RunAsync(IAsyncStreamReader<EvaluateRequest> requests, CancellationToken cancellationToken)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workers = Enumerable.Range(0, scorer.Parallelism).Select(_ => Guard(() => ScoreAsync(stop.Token), stop)).ToList();
            var writer = Guard(() => WriteAsync(stop.Token), stop);
            try
            {
                await Guard(() => ReadAsync(requests, stop.Token), stop).ConfigureAwait(false);
                _work.Writer.Complete();
                await Task.WhenAll(workers).ConfigureAwait(false);
                foreach (var result in Finish())
                {
                    await _results.Writer.WriteAsync(result, stop.Token).ConfigureAwait(false);
                }
                _results.Writer.Complete();
                await writer.ConfigureAwait(false);
            }
            catch (Exception) when (_failure is not null || stop.IsCancellationRequested)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                _work.Writer.TryComplete();
                _results.Writer.TryComplete();
                await Task.WhenAll([.. workers, writer]).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (_failure is not null)
                {
                    ExceptionDispatchInfo.Capture(_failure).Throw();
                }
                throw;
            }
        }

        // The first failure of any stage stops every stage; the call ends with that failure.
        private async Task Guard(Func<Task> stage, CancellationTokenSource stop)
        {
            try
            {
                await stage().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        private async Task ReadAsync(IAsyncStreamReader<EvaluateRequest> requests, CancellationToken cancellationToken)
        {
            var seen = new BitArray(view.Indices.Length);
            var k = 0;
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (requests.Current.PayloadCase != EvaluateRequest.PayloadOneofCase.Outputs)
                    {
                        throw Invalid("header", Reasons.InvalidValue, "a second header arrived after outputs began", "send one header per Evaluate call");
                    }
                    foreach (var output in requests.Current.Outputs.Outputs)
                    {
                        var position = Position(output, k, seen);
                        seen[position] = true;
                        k++;
                        await _work.Writer.WriteAsync(new Work(position, output.Text), cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (EvaluatorException)
                {
                    await DrainAsync(requests, cancellationToken).ConfigureAwait(false);
                    throw;
                }
            }
            if (k == 0)
            {
                throw Invalid("outputs", Reasons.MissingField, "the request has no outputs", "send at least one output before half-closing");
            }
        }

        // A call rejected while the client is still sending would end with trailers and a reset of the half-open
        // request, and a client that loses that race sees CANCELLED instead of the error; reading what the client
        // still sends (bounded) first lets the status arrive. Nothing read here is scored.
        private static async Task DrainAsync(IAsyncStreamReader<EvaluateRequest> requests, CancellationToken cancellationToken)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(DrainLimit);
            try
            {
                while (await requests.MoveNext(bounded.Token).ConfigureAwait(false))
                {
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The client kept its stream open past the limit: the error goes out regardless.
            }
        }

        // An explicit index must be inside the view; without one the k-th output is the view's k-th item (the
        // reference's convention). Either way an item is scored at most once.
        private int Position(EvaluateOutput output, int k, BitArray seen)
        {
            int position;
            if (output.Index is { } index)
            {
                position = view.PositionOf(index);
                if (position < 0)
                {
                    throw Invalid($"outputs[{k}].index", Reasons.InvalidValue,
                        $"index {index} is not in the view ({view.File.Task} {view.Split.Name()}, {view.Indices.Length} items of {view.Items.Count})",
                        "send indices of the view's items (DatasetItem.index)");
                }
            }
            else
            {
                position = k;
                if (position >= view.Indices.Length)
                {
                    throw Invalid($"outputs[{k}]", Reasons.InvalidValue,
                        $"output {k + 1} has no index and the view has only {view.Indices.Length} items", "send at most one output per item of the view");
                }
            }
            if (seen[position])
            {
                throw Invalid($"outputs[{k}].index", Reasons.InvalidValue,
                    $"item index {view.Indices[position]} was already scored in this call", "send each item's output once");
            }
            return position;
        }

        private async Task ScoreAsync(CancellationToken cancellationToken)
        {
            await foreach (var work in _work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var (text, wasNull) = ModelOutput.Prepare(work.Text, mode);
                var item = view.At(work.Position);
                var outcome = await scorer.ScoreAsync(item, text, cancellationToken).ConfigureAwait(false);
                if (wasNull)
                {
                    outcome.Flags.Insert(0, ItemFlags.EmptyOutput);
                }
                logger.LogDebug("Item {Id} (index {Index}): score {Score}, flags {Flags}", item.Id, item.Index, outcome.Score, outcome.Flags);
                IReadOnlyList<ItemResult> ready;
                lock (_collectorGate)
                {
                    ready = collector.Add(work.Position, outcome);
                }
                foreach (var result in ready)
                {
                    await _results.Writer.WriteAsync(result, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private IReadOnlyList<ItemResult> Finish()
        {
            lock (_collectorGate)
            {
                return collector.Finish();
            }
        }

        private async Task WriteAsync(CancellationToken cancellationToken)
        {
            await foreach (var result in _results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await responses.WriteAsync(new EvaluateResponse { Result = result }, cancellationToken).ConfigureAwait(false);
            }
        }

        private sealed record Work(int Position, string? Text);
    }
}
