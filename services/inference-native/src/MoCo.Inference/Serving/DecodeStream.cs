using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;
using MoCo.Inference.Text;
using MoCo.Models.Generation;
using MoCo.Native.Kernels;

namespace MoCo.Inference.Serving;

/// <summary>
/// One Decode stream (contracts.md §4, methods-api.md §0.6). A single pump owns the stream's state: it takes the
/// client's ops and the loops' results from one channel, runs at most one op per sequence at a time (the others wait
/// in that sequence's queue, so ops of a sequence apply in order while different sequences run concurrently), and
/// writes whatever results are ready in as few messages as the size limit allows. Open, append, truncate and fork
/// are jobs of the model's scheduling loop, so they batch with Generate traffic; close and the stream's final clean-up
/// are posted to the loop, so they free KV at once instead of queueing behind requests.
/// </summary>
internal sealed class DecodeStream : IDisposable
{
    private readonly ModelRegistry _registry;
    private readonly RequestLimits _limits;
    private readonly CancellationTokenSource _life;
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    // Every sequence the stream made, closed ones too: the stream's end frees whatever still holds KV.
    private readonly List<DecodeSequence> _made = [];
    private readonly List<SeqResult> _results = [];
    private bool _inputEnded;

    public DecodeStream(ModelRegistry registry, RequestLimits limits, CancellationToken call)
    {
        _registry = registry;
        _limits = limits;
        _life = CancellationTokenSource.CreateLinkedTokenSource(call);
    }

    /// <summary>Runs the stream until the client has ended it and every op is answered; then frees every sequence.
    /// On cancellation or a transport failure, stops the running ops and frees every sequence before returning.</summary>
    public async Task RunAsync(IAsyncStreamReader<DecodeRequest> requests, IServerStreamWriter<DecodeResponse> responses)
    {
        var reader = ReadAsync(requests);
        try
        {
            while (!_inputEnded || _slots.Values.Any(s => s.Busy))
            {
                Handle(await _events.Reader.ReadAsync(_life.Token).ConfigureAwait(false));
                while (_events.Reader.TryRead(out var more))
                {
                    Handle(more);
                }
                await FlushAsync(responses).ConfigureAwait(false);
            }
        }
        finally
        {
            // Cancelled first, so no op of this stream starts after the frees below.
            await _life.CancelAsync().ConfigureAwait(false);
            await FreeAllAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _life.Dispose();

    private async Task ReadAsync(IAsyncStreamReader<DecodeRequest> requests)
    {
        try
        {
            await foreach (var request in requests.ReadAllAsync(_life.Token).ConfigureAwait(false))
            {
                foreach (var op in request.Ops)
                {
                    _events.Writer.TryWrite(op);
                }
            }
            _events.Writer.TryWrite(InputEnded.Instance);
        }
        catch (Exception e)
        {
            // The pump rethrows it; once the pump has stopped, nobody reads it.
            _events.Writer.TryWrite(new ReadFailed(e));
        }
    }

    private void Handle(object message)
    {
        switch (message)
        {
            case SeqOp op:
                Receive(op);
                break;
            case Answered answered:
                Complete(answered);
                break;
            case InputEnded:
                _inputEnded = true;
                break;
            case ReadFailed failed:
                ExceptionDispatchInfo.Throw(failed.Error);
                break;
        }
    }

    private void Receive(SeqOp op)
    {
        var id = op.SeqId;
        switch (op.OpCase)
        {
            case SeqOp.OpOneofCase.None:
                Answer(DecodeErrors.Result(id, op.Tag, DecodeErrors.NoOp("op")));
                return;
            case SeqOp.OpOneofCase.Open:
                if (_slots.ContainsKey(id))
                {
                    Answer(DecodeErrors.Result(id, op.Tag, DecodeErrors.InUse(id, "seq_id")));
                    return;
                }
                var slot = new Slot(id);
                _slots[id] = slot;
                slot.Pending.Enqueue(op);
                RunNext(slot);
                return;
            case SeqOp.OpOneofCase.Fork:
                if (!_slots.TryGetValue(id, out var parent))
                {
                    Answer(DecodeErrors.Result(id, op.Tag, DecodeErrors.UnknownSequence(id, "seq_id")));
                    return;
                }
                var child = op.Fork.NewSeqId;
                if (child.Length == 0 || _slots.ContainsKey(child))
                {
                    Answer(DecodeErrors.Result(id, op.Tag, child.Length == 0
                        ? MocoErrors.InvalidArgument(new Problem("fork.new_seq_id", "MISSING_FIELD", "a fork needs the id of the new sequence"))
                        : DecodeErrors.InUse(child, "fork.new_seq_id")));
                    return;
                }
                // Taken now, so ops naming the child wait in its queue until the fork is done.
                _slots[child] = new Slot(child) { Busy = true };
                parent.Pending.Enqueue(op);
                RunNext(parent);
                return;
            default:
                if (!_slots.TryGetValue(id, out var target))
                {
                    Answer(DecodeErrors.Result(id, op.Tag, DecodeErrors.UnknownSequence(id, "seq_id")));
                    return;
                }
                target.Pending.Enqueue(op);
                RunNext(target);
                return;
        }
    }

    private void RunNext(Slot slot)
    {
        while (!slot.Busy && _slots.GetValueOrDefault(slot.Id) == slot && slot.Pending.TryDequeue(out var op))
        {
            try
            {
                Run(slot, op);
                slot.Busy = true;
            }
            catch (Exception e)
            {
                Answer(DecodeErrors.Result(slot.Id, op.Tag, e));
                if (op.OpCase == SeqOp.OpOneofCase.Open)
                {
                    Remove(slot);
                }
                else if (op.OpCase == SeqOp.OpOneofCase.Fork)
                {
                    Remove(_slots[op.Fork.NewSeqId]);
                }
            }
        }
    }

    // Starts op on the loop; throws the op's error when it cannot start.
    private void Run(Slot slot, SeqOp op)
    {
        if (op.OpCase == SeqOp.OpOneofCase.Open)
        {
            var opened = Open(slot.Id, op.Open);
            slot.Sequence = opened;
            _made.Add(opened);
            Submit(opened, new DecodeStepJob(opened, op.Tag, open: true, [], 0, r => Report(slot, r, Kind.Open), _life.Token));
            return;
        }
        var sequence = slot.Sequence!;
        var model = sequence.Model;
        switch (op.OpCase)
        {
            case SeqOp.OpOneofCase.Append:
                var append = op.Append;
                var problems = new FieldProblems();
                if (append.TokenIds.Count == 0)
                {
                    problems.Missing("append.token_ids", "an append needs at least one token id");
                }
                for (var j = 0; j < append.TokenIds.Count; j++)
                {
                    if (append.TokenIds[j] < 0 || append.TokenIds[j] >= model.Info.VocabSize)
                    {
                        throw TextErrors.BadTokenId(model.Id, $"append.token_ids[{j}]", append.TokenIds[j], model.Text);
                    }
                }
                if (append.Outputs is { } outputs)
                {
                    DecodeOutputs.Check(outputs, model.Info.OutputSize, "append.outputs", problems);
                }
                problems.ThrowIfAny();
                var length = sequence.Tokens.Count + append.TokenIds.Count;
                if (length > model.Text.ContextLength)
                {
                    throw DecodeErrors.ContextFull(model.Id, "append.token_ids", length, model.Text.ContextLength);
                }
                sequence.Outputs = append.Outputs ?? sequence.Outputs;
                Submit(sequence, new DecodeStepJob(sequence, op.Tag, open: false, append.TokenIds, 0, r => Report(slot, r, Kind.Step), _life.Token));
                return;
            case SeqOp.OpOneofCase.Truncate:
                var keep = op.Truncate.Length;
                if (keep < 1 || keep > sequence.Tokens.Count)
                {
                    throw MocoErrors.InvalidArgument(new Problem("truncate.length", "INVALID_VALUE",
                        $"truncate.length must be in [1, {sequence.Tokens.Count}] (the sequence's length; a step needs one token), got {keep}"));
                }
                Submit(sequence, new DecodeStepJob(sequence, op.Tag, open: false, [], keep, r => Report(slot, r, Kind.Step), _life.Token));
                return;
            case SeqOp.OpOneofCase.Fork:
                var child = sequence.Fork(op.Fork.NewSeqId, op.Fork.Seed);
                _made.Add(child);
                Submit(sequence, new DecodeForkJob(sequence, child, op.Tag, (r, made) => Report(slot, r, Kind.Fork, child.Id, made), _life.Token));
                return;
            default:
                var closed = new SeqResult { SeqId = slot.Id, Tag = op.Tag, Ack = new SeqAck { Length = sequence.Tokens.Count } };
                var resident = model.Base;
                resident.Scheduler.Post(() => sequence.Free(resident.Cache, resident.Scheduler))
                    .ContinueWith(t => Report(slot, t.IsCompletedSuccessfully ? closed : DecodeErrors.Result(slot.Id, op.Tag, t.Exception!.InnerException!), Kind.Close),
                        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return;
        }
    }

    private DecodeSequence Open(string id, OpenOp open)
    {
        var served = _registry.Acquire(open.Model, "open.model");
        if (served.Info.IsClassifier)
        {
            throw ServingErrors.WrongKind(StatusCode.FailedPrecondition, served.Id, served.KindName, "open.model",
                "it scores conversations (Score with SCORE_MODE_CLASSIFICATION) and cannot decode");
        }
        var problems = new FieldProblems();
        if (open.Prompt is null || open.Prompt.FormCase is Prompt.FormOneofCase.None or Prompt.FormOneofCase.Text)
        {
            problems.Invalid("open.prompt", "a Decode prompt is chat messages or token ids (tokenise a text prompt first)");
        }
        SamplingValidation.Check(open.Sampling, "open.sampling", problems);
        var outputs = open.Outputs ?? new StepOutputs();
        DecodeOutputs.Check(outputs, served.Info.OutputSize, "open.outputs", problems);
        problems.ThrowIfAny();
        var prompt = PromptEncoder.Encode(served.Text, served.Id, open.Prompt!, new PromptSettings(open.InputSettings?.Bos ?? BosMode.Single), "open.prompt");
        if (prompt.TokenIds.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("open.prompt", "MISSING_FIELD", "the prompt encodes to no tokens; a step needs at least one"));
        }
        var room = ContextFit.Room(served.Text, prompt.TokenIds.Count, served.Id, "open.prompt");
        // As Generate resolves its sampling, so a seeded draw here equals Generate's token for token.
        var s = SamplingSettings.Resolve(SamplingValidation.Overrides(open.Sampling), served.Text.Generation, Math.Max(room, 1));
        var draw = !s.DoSample || s.Temperature == 0
            ? new SamplingOptions(Temperature: 0f, RepetitionPenalty: s.RepetitionPenalty)
            : new SamplingOptions(s.Temperature, s.TopK, s.TopP, s.MinP, s.RepetitionPenalty);
        return new DecodeSequence(id, served, prompt.TokenIds, prompt.TokenIds.Count, outputs, draw, open.Seed ?? 0);
    }

    private static void Submit(DecodeSequence sequence, SchedulerJob job) => sequence.Model.Base.Scheduler.Enqueue(job);

    // Loop threads: hand the result to the pump.
    private void Report(Slot slot, SeqResult result, Kind kind, string? childId = null, DecodeSequence? child = null) =>
        _events.Writer.TryWrite(new Answered(slot, result, kind, childId, child));

    private void Complete(Answered answered)
    {
        var slot = answered.Slot;
        Answer(answered.Result);
        slot.Busy = false;
        var failed = answered.Result.ResultCase == SeqResult.ResultOneofCase.Error;
        switch (answered.Kind)
        {
            case Kind.Open when failed:
            case Kind.Close when !failed:
                Remove(slot);
                break;
            case Kind.Fork:
                var pending = _slots[answered.ChildId!];
                if (answered.Child is { } child)
                {
                    pending.Sequence = child;
                    pending.Busy = false;
                    RunNext(pending);
                }
                else
                {
                    Remove(pending);
                }
                break;
        }
        RunNext(slot);
    }

    // Drops a sequence id; ops still waiting for it are answered as for an unknown sequence.
    private void Remove(Slot slot)
    {
        if (_slots.GetValueOrDefault(slot.Id) != slot)
        {
            return;
        }
        _slots.Remove(slot.Id);
        while (slot.Pending.TryDequeue(out var op))
        {
            Answer(DecodeErrors.Result(slot.Id, op.Tag, DecodeErrors.UnknownSequence(slot.Id, "seq_id")));
            if (op.OpCase == SeqOp.OpOneofCase.Fork && _slots.TryGetValue(op.Fork.NewSeqId, out var child))
            {
                Remove(child);
            }
        }
    }

    private void Answer(SeqResult result) => _results.Add(result);

    // A step is never split; results are grouped up to the message limit.
    private async Task FlushAsync(IServerStreamWriter<DecodeResponse> responses)
    {
        if (_results.Count == 0)
        {
            return;
        }
        var message = new DecodeResponse();
        var size = 0;
        foreach (var result in _results)
        {
            var bytes = result.CalculateSize() + 8;
            if (message.Results.Count > 0 && size + bytes > _limits.MaxMessageBytes)
            {
                await responses.WriteAsync(message).ConfigureAwait(false);
                message = new DecodeResponse();
                size = 0;
            }
            message.Results.Add(result);
            size += bytes;
        }
        _results.Clear();
        await responses.WriteAsync(message).ConfigureAwait(false);
    }

    private Task FreeAllAsync() => Task.WhenAll(_made.GroupBy(s => s.Model.Base).Select(group =>
    {
        var resident = group.Key;
        var sequences = group.ToList();
        return resident.Scheduler.Post(() => sequences.ForEach(s => s.Free(resident.Cache, resident.Scheduler)));
    }));

    private enum Kind
    {
        Open,
        Step,
        Fork,
        Close,
    }

    private sealed class Slot(string id)
    {
        public string Id { get; } = id;

        public DecodeSequence? Sequence { get; set; }

        public Queue<SeqOp> Pending { get; } = new();

        // An op of this sequence is on a loop, or (a fork's child) the fork has not made it yet.
        public bool Busy { get; set; }
    }

    private sealed record Answered(Slot Slot, SeqResult Result, Kind Kind, string? ChildId, DecodeSequence? Child);

    private sealed record ReadFailed(Exception Error);

    private sealed class InputEnded
    {
        public static InputEnded Instance { get; } = new();
    }
}
