using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Hosting.Concurrency;
using MoCo.Orchestrator.Config;

namespace MoCo.Orchestrator.Methods.Primitives;

/// <summary>
/// GenerateBatch (methods-text.md §0.4) with exact replay (config-and-cli.md §5.2): each request's sampling seed is
/// derived from the run seed and its call-key fields (so outputs do not depend on batching or concurrency), each
/// generated sequence is committed under its call key as it completes, and a request whose samples are all stored is
/// answered from the store without calling the model — a resumed run redoes no finished call. Requests run
/// concurrently up to the config's `batch_size` (a throughput hint only).
/// </summary>
/// <param name="backend">Generate on the inference service.</param>
/// <param name="ledger">The run's completed calls.</param>
/// <param name="meter">Progress and token accounting.</param>
/// <param name="config">General keys (defaults of every request) and model_names (model index of stored calls).</param>
/// <param name="seed">The seed calls derive theirs from: the run seed, or the config seed (else 0) for sites shared
/// across runs such as baselines.</param>
public sealed class CachedGenerationService(IGenerationBackend backend, ICallLedger ledger, IRunMeter meter, RunConfig config, ulong seed)
    : IGenerationService, IEnsembleGenerationService
{
    /// <inheritdoc/>
    public async Task<IReadOnlyList<GenerationResult>> GenerateBatchAsync(string model, IReadOnlyList<GenerationRequest> requests,
        CancellationToken cancellationToken)
    {
        if (requests.Count == 0)
        {
            return [];
        }
        var fingerprint = await backend.FingerprintAsync(model, cancellationToken).ConfigureAwait(false);
        return await BatchAsync(new Target(model, fingerprint, config.ModelNames.ToList().IndexOf(model), backend.GenerateAsync), requests, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The backend cannot decode ensembles.</exception>
    public async Task<IReadOnlyList<GenerationResult>> GenerateEnsembleBatchAsync(EnsembleSpec ensemble, IReadOnlyList<GenerationRequest> requests,
        CancellationToken cancellationToken)
    {
        if (requests.Count == 0)
        {
            return [];
        }
        var ensembles = backend as IEnsembleBackend ?? throw new NotSupportedException("this generation backend cannot decode ensembles");
        var fingerprints = await Task.WhenAll(ensemble.Members.Select(m => backend.FingerprintAsync(m, cancellationToken))).ConfigureAwait(false);
        // The ensemble's identity in call keys and seeds: its members' files and its combination.
        var fingerprint = "ensemble:" + CallKeys.Hex(ensemble.Describe(fingerprints));
        return await BatchAsync(new Target($"ensemble of {string.Join(", ", ensemble.Members)}", fingerprint, -1, (call, ct) =>
            ensembles.GenerateEnsembleAsync(new EnsembleCall(ensemble, call.Prompt, call.Prefill, call.Samples, call.MaxNewTokens, call.Temperature, call.Seed,
                call.CallKey), ct)), requests, cancellationToken).ConfigureAwait(false);
    }

    // What requests generate with: a model, or an ensemble; its label (calls per model), fingerprint (keys and seeds),
    // model index in stored calls (-1 = an ensemble) and the backend call.
    private sealed record Target(string Label, string Fingerprint, int ModelIndex,
        Func<GenerationCall, CancellationToken, Task<IReadOnlyList<GeneratedSample>>> Generate);

    private async Task<IReadOnlyList<GenerationResult>> BatchAsync(Target target, IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken) =>
        await Bounded.SelectAsync(requests, (int)config.Hyperparameters.Int("batch_size"), (request, _) => OneAsync(target, request, cancellationToken),
            cancellationToken).ConfigureAwait(false);

    private async Task<GenerationResult> OneAsync(Target target, GenerationRequest request, CancellationToken cancellationToken)
    {
        var (model, fingerprint) = (target.Label, target.Fingerprint);
        var settings = request.Settings ?? new GenerationSettings();
        var maxNewTokens = settings.MaxNewTokens ?? (int)config.Hyperparameters.Int("max_response_length");
        var temperature = settings.Temperature ?? config.Hyperparameters.Number("temperature");
        var topP = settings.TopP ?? config.Hyperparameters.Number("top_p");
        var samples = Math.Max(1, request.Samples);
        var callSeed = CallKeys.Seed(seed, request.Site, fingerprint, request.ItemKey, request.Index);
        var body = new JsonObject
        {
            ["prompt"] = request.Prompt,
            ["prefill"] = request.Prefill,
            ["n"] = samples,
            ["max_new_tokens"] = maxNewTokens,
            ["temperature"] = temperature,
            ["top_p"] = topP,
            ["seed"] = callSeed.ToString(CultureInfo.InvariantCulture),
        };
        if (settings.ConfidenceTopK > 0)
        {
            body["confidence_top_k"] = settings.ConfidenceTopK;
        }
        var keys = Enumerable.Range(0, samples).Select(s =>
        {
            var sampleBody = (JsonObject)body.DeepClone();
            sampleBody["sample"] = s;
            return CallKeys.Key(request.Site, fingerprint, request.ItemKey, request.Index, sampleBody);
        }).ToList();

        var stored = new List<StoredCall>();
        foreach (var key in keys)
        {
            if (await ledger.GetAsync(key, cancellationToken).ConfigureAwait(false) is not { } call)
            {
                break;
            }
            stored.Add(call);
        }
        if (stored.Count == samples)
        {
            var parsed = stored.Select(c => JsonNode.Parse(c.ResultJson)!.AsObject()).ToList();
            var usage = Sum(stored.Select(c => c.Usage));
            meter.CallFinished(request.Site.Phase, model, usage, fromStore: true);
            return new GenerationResult([.. parsed.Select(p => Visible((string)p["text"]!, settings))], [.. parsed.Select(p => (string)p["finish_reason"]!)], usage)
            {
                Confidences = settings.ConfidenceTopK > 0 ? [.. parsed.Select(p => (double)p["confidence"]!)] : null,
            };
        }

        IReadOnlyList<GeneratedSample> generated;
        try
        {
            generated = await target.Generate(new GenerationCall(model, request.Prompt, request.Prefill, samples, maxNewTokens, temperature, topP,
                callSeed, keys[0], settings.ConfidenceTopK), cancellationToken).ConfigureAwait(false);
        }
        catch (PromptTooLongException e)
        {
            // The item fails (output "", score 0, error recorded) and the run goes on (methods-text.md §0.3).
            var empty = new CallUsage(0, 0, TimeSpan.Zero);
            meter.CallFinished(request.Site.Phase, model, empty, fromStore: false);
            return new GenerationResult([.. Enumerable.Repeat("", samples)], [.. Enumerable.Repeat("error", samples)], empty, e.Message);
        }
        for (var s = 0; s < samples; s++)
        {
            var result = new JsonObject { ["text"] = generated[s].Text, ["finish_reason"] = generated[s].FinishReason };
            if (settings.ConfidenceTopK > 0)
            {
                result["confidence"] = generated[s].Confidence ?? throw new InvalidOperationException($"the backend returned no confidence for {model}");
            }
            await ledger.PutAsync(new LedgerEntry(keys[s], request.Site.Phase, "generate", target.ModelIndex, request.ItemKey, s, result.ToJsonString(),
                generated[s].Usage, model), cancellationToken).ConfigureAwait(false);
        }
        var total = Sum(generated.Select(g => g.Usage));
        meter.CallFinished(request.Site.Phase, model, total, fromStore: false);
        return new GenerationResult([.. generated.Select(g => Visible(g.Text, settings))], [.. generated.Select(g => g.FinishReason)], total)
        {
            Confidences = settings.ConfidenceTopK > 0 ? [.. generated.Select(g => g.Confidence!.Value)] : null,
        };
    }

    private static string Visible(string raw, GenerationSettings settings) => settings.KeepThink ? raw : ThinkText.AfterLast(raw);

    private static CallUsage Sum(IEnumerable<CallUsage> usages)
    {
        int prompt = 0, completion = 0;
        var latency = TimeSpan.Zero;
        foreach (var usage in usages)
        {
            // Samples share one prompt: count it once.
            prompt = Math.Max(prompt, usage.PromptTokens);
            completion += usage.CompletionTokens;
            latency = latency > usage.Latency ? latency : usage.Latency;
        }
        return new CallUsage(prompt, completion, latency);
    }
}
