using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Inference.Registry;
using MoCo.Inference.Requests;
using MoCo.Inference.Scheduling;
using MoCo.Inference.Text;
using MoCo.Native;
using MoCo.Native.Kernels;
using NativeAlignment = MoCo.Native.Kernels.VocabAlignment;

namespace MoCo.Inference.Serving;

/// <summary>
/// GenerateEnsemble (contracts.md §4, methods-logit-weight.md L2–L6): the members must be resident here; the prompt
/// is encoded with template_member's text; V* comes from the members' vocabularies; then one
/// <see cref="EnsembleMemberJob"/> per member runs on its model's loop in lock-step under an <see cref="EnsembleRun"/>,
/// and the header, deltas and finals stream as Generate's.
/// </summary>
public sealed class EnsembleCall(ModelRegistry registry, RequestLimits limits)
{
    /// <summary>Runs one call.</summary>
    /// <exception cref="RpcException">NOT_FOUND; FAILED_PRECONDITION NOT_COLOCATED; INVALID_ARGUMENT naming the field or
    /// the models that cannot be combined; RESOURCE_EXHAUSTED; CANCELLED or DEADLINE_EXCEEDED.</exception>
    public async Task RunAsync(GenerateEnsembleRequest request, IServerStreamWriter<GenerateEnsembleResponse> stream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(context);
        var received = Stopwatch.GetTimestamp();
        var members = Members(request);
        var combiner = Combiner(request, members);
        var template = members[request.TemplateMember];

        var problems = new FieldProblems();
        if (request.Prompt is null || request.Prompt.FormCase == Prompt.FormOneofCase.None)
        {
            problems.Missing("prompt", "the prompt is empty: set chat, text or tokens");
        }
        if (request.N < 0 || request.N > limits.MaxSamples)
        {
            problems.Invalid("n", $"n must be in [0, {limits.MaxSamples}] (0 = 1), got {request.N}");
        }
        StopConditions.Check(request.InputSettings, template.Text, limits, "input_settings", problems);
        LogprobSettings.Check(request.Logprobs, limits, "logprobs", problems);
        problems.ThrowIfAny();
        var prompt = PromptEncoder.Encode(template.Text, template.Id, request.Prompt!, new PromptSettings(request.InputSettings?.Bos ?? BosMode.Single), "prompt");
        for (var j = 0; j < prompt.TokenIds.Count; j++)
        {
            if (prompt.TokenIds[j] >= combiner.AlignedVocab)
            {
                throw MocoErrors.InvalidArgument(new Problem($"prompt.tokens.ids[{j}]", "BAD_TOKEN_ID",
                    $"token id {prompt.TokenIds[j]} is not below the aligned vocabulary V* = {combiner.AlignedVocab} of the members"));
            }
        }
        if (prompt.TokenIds.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("prompt", "MISSING_FIELD", "the prompt encodes to no tokens; a generation needs at least one"));
        }
        // L5: only temperature and max_new_tokens; no processor runs, whatever generation_config.json says.
        var overrides = new Models.Generation.SamplingOverrides
        {
            Temperature = request.Sampling?.Temperature ?? 1f,
            MaxNewTokens = request.Sampling?.MaxNewTokens,
            DoSample = true,
            TopK = 0,
            TopP = 1f,
            MinP = 0f,
            RepetitionPenalty = 1f,
        };
        var tightest = members.MinBy(m => m.Text.ContextLength)!;
        var sampling = ContextFit.Sampling(overrides, tightest.Text, prompt.TokenIds.Count, tightest.Id, "prompt");
        var effective = new EffectiveGenerate(prompt, sampling, StopConditions.Resolve(request.InputSettings, template.Text), Math.Max(request.N, 1),
            request.Seed ?? BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)), LogprobSettings.Resolve(request.Logprobs), request.CallKey);
        var settings = new GenerateSettings(effective, template.Text.Tokenizer, tightest.Text.ContextLength, received);

        var header = effective.Header(members[0].Id);
        header.MemberModelIds.Add(members.Select(m => m.Id));
        header.AlignedVocabSize = combiner.AlignedVocab;
        var run = new EnsembleRun(settings, combiner);
        if (sampling.MaxNewTokens == 0)
        {
            await stream.WriteAsync(new GenerateEnsembleResponse { Header = header }).ConfigureAwait(false);
            for (var i = 0; i < effective.Samples; i++)
            {
                await stream.WriteAsync(new GenerateEnsembleResponse { Final = new GenerationSample(settings, i).EndEmpty(FinishReason.Context).Final }).ConfigureAwait(false);
            }
            return;
        }
        int[] ids = [.. prompt.TokenIds];
        var jobs = members.Select((m, i) => new EnsembleMemberJob(run, i, m, ids, sampling.MaxNewTokens, context.CancellationToken)).ToArray();
        run.Attach(jobs);
        for (var i = 0; i < jobs.Length; i++)
        {
            try
            {
                members[i].Base.Scheduler.Enqueue(jobs[i]);
            }
            catch (RpcException e)
            {
                // The members queued so far stop at their first step.
                run.Fail(e);
                throw;
            }
        }
        try
        {
            await stream.WriteAsync(new GenerateEnsembleResponse { Header = header }).ConfigureAwait(false);
            await DeltaStream.CopyAsync(run.Output, stream, m => m.Delta).ConfigureAwait(false);
        }
        // As in GenerateCall: a write after the client left fails with InvalidOperationException, still the caller's cancel.
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException && context.CancellationToken.IsCancellationRequested)
        {
            throw ServingErrors.Cancelled(context, "the ensemble was stopped and its KV blocks freed");
        }
    }

    private List<ServedModel> Members(GenerateEnsembleRequest request)
    {
        var problems = new FieldProblems();
        if (request.Members.Count == 0)
        {
            problems.Missing("members", "an ensemble needs at least one member");
        }
        if (request.TemplateMember < 0 || request.TemplateMember >= Math.Max(request.Members.Count, 1))
        {
            problems.Invalid("template_member", $"template_member must index members (0..{request.Members.Count - 1}), got {request.TemplateMember}");
        }
        SamplingValidation.CheckEnsemble(request.Sampling, "sampling", problems);
        problems.ThrowIfAny();
        // Every name first, so an unknown member is NOT_FOUND even when another is not resident.
        var resolutions = request.Members.Select((m, i) => registry.Resolve(m.Model, $"members[{i}].model")).ToList();
        var members = new List<ServedModel>();
        for (var i = 0; i < request.Members.Count; i++)
        {
            var field = $"members[{i}].model";
            var resolution = resolutions[i];
            if (!registry.Summary(resolution).Resident)
            {
                throw MocoErrors.Create(StatusCode.FailedPrecondition, $"model '{resolution.Name}' is not resident on this replica",
                    new Problem(field, "NOT_COLOCATED", $"ensemble members must be resident on one replica; '{resolution.Name}' is not loaded here",
                        new Dictionary<string, string> { ["model"] = resolution.Name, ["fix"] = "LoadModel every member on this replica, or fuse Decode outputs of each model with the same L5 stream" }));
            }
            var served = registry.Acquire(request.Members[i].Model, field);
            if (served.Info.IsClassifier)
            {
                throw ServingErrors.WrongKind(StatusCode.FailedPrecondition, served.Id, served.KindName, field, "it scores conversations and cannot generate");
            }
            members.Add(served);
        }
        return members;
    }

    private static EnsembleCombiner Combiner(GenerateEnsembleRequest request, List<ServedModel> members)
    {
        var aligned = AlignedVocab(request, members);
        var problems = new FieldProblems();
        if (request.Mode == EnsembleMode.Contrastive)
        {
            if (request.Top.Count == 0 || request.Top.Count != request.Bottom.Count)
            {
                problems.Invalid("top", $"CONTRASTIVE needs top and bottom of one length k >= 1; got {request.Top.Count} and {request.Bottom.Count}");
            }
            foreach (var (name, indices) in new[] { ("top", request.Top), ("bottom", request.Bottom) })
            {
                for (var j = 0; j < indices.Count; j++)
                {
                    if (indices[j] < 0 || indices[j] >= members.Count)
                    {
                        problems.Invalid($"{name}[{j}]", $"{name}[{j}] = {indices[j]} is not a member index (0..{members.Count - 1})");
                    }
                }
            }
            if (request.Lambda is { } l && !float.IsFinite(l))
            {
                problems.Invalid("lambda", $"lambda must be finite, got {l}");
            }
            if (request.PlausibilityAlpha is { } a && !(a >= 0 && a <= 1))
            {
                problems.Invalid("plausibility_alpha", $"plausibility_alpha must be in [0, 1], got {a}");
            }
            problems.ThrowIfAny();
            return new EnsembleCombiner(aligned, null, [.. request.Top], [.. request.Bottom], request.Lambda ?? 0.2f, request.PlausibilityAlpha ?? 0f);
        }
        float[] weights = [];
        if (request.Members.Any(m => m.Weight is not null))
        {
            // A member left unset among weighted ones counts fully.
            weights = [.. request.Members.Select(m => m.Weight ?? 1f)];
            for (var i = 0; i < weights.Length; i++)
            {
                if (!float.IsFinite(weights[i]))
                {
                    problems.Invalid($"members[{i}].weight", $"members[{i}].weight must be finite, got {weights[i]}");
                }
            }
            if (weights.All(w => w == 0))
            {
                problems.Invalid("members", "every member's weight is 0; at least one must contribute");
            }
        }
        problems.ThrowIfAny();
        return new EnsembleCombiner(aligned, weights, [], [], 0, 0);
    }

    // L6 over the members' tokenizers; the native message names the models and the first differing id.
    private static int AlignedVocab(GenerateEnsembleRequest request, List<ServedModel> members)
    {
        var eos = members.Select(m => StopConditions.Resolve(request.InputSettings, m.Text).EosIds.Cast<int?>().FirstOrDefault()).ToList();
        if (eos.Any(e => e is null) && eos.Any(e => e is not null))
        {
            throw MocoErrors.InvalidArgument(new Problem("members", "VOCAB_MISMATCH",
                $"the members do not share a stopping EOS: {string.Join(", ", members.Select((m, i) => $"'{m.Id}' {eos[i]?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}"))}"));
        }
        var vocabs = members.Select((m, i) => Vocab(m, eos[i] ?? 0)).ToList();
        try
        {
            return VocabAlign.CommonVocab(vocabs, request.VocabAlignment == Contracts.V1.VocabAlignment.Exact ? NativeAlignment.Exact : NativeAlignment.MinCommon);
        }
        catch (MocoException e) when (e.Status == MocoStatus.InvalidArgument)
        {
            throw MocoErrors.InvalidArgument(new Problem("members", "VOCAB_MISMATCH", $"the members cannot be combined ({request.VocabAlignment}): {e.Message}",
                new Dictionary<string, string> { ["models"] = string.Join(",", members.Select(m => m.Id)) }));
        }
    }

    private static ModelVocab Vocab(ServedModel model, int eos)
    {
        var tokenizer = model.Text.Tokenizer;
        var bytes = new List<byte>();
        var offsets = new long[tokenizer.VocabularySize + 1];
        for (var id = 0; id < tokenizer.VocabularySize; id++)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(tokenizer.IdToToken(id) ?? ""));
            offsets[id + 1] = bytes.Count;
        }
        return new ModelVocab(model.Id, model.Info.OutputSize, bytes.ToArray(), offsets, eos);
    }
}
