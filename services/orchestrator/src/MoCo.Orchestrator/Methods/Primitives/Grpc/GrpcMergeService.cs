using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts;
using MoCo.Contracts.Affinity;
using MoCo.Contracts.V1;
using MoCo.Hosting.Errors;
using MoCo.Orchestrator.Engine;
using ProtoMergeInput = MoCo.Contracts.V1.MergeInput;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>
/// Merge, ReadWeights and WriteModel on moco.v1.InferenceService (contracts.md §4). A merge's call key is
/// <see cref="CallKeys.Key"/> over the site, the index and the call with every model replaced by its fingerprint, so the
/// id the service derives from it names the same content on every repeat. Models named by the config go to their
/// addresses (<see cref="ModelAddresses"/>); run-time ids pass as they are. Every kernel but M10 (and a PSO step over
/// adapters) needs full weights, so a LoRA adapter among the inputs or as the base is first merged into its base (M9,
/// LORA_APPLY, once per adapter and run; methods-logit-weight.md §2.2) and the merge takes that model; the call key
/// still names the adapter. The output id is derived from the call key, so a repeated merge takes the model it made;
/// every merge is registered in <paramref name="rebuilds"/> as that repeat, so a call that finds its output gone (its
/// replica left the gateway's rotation, contracts.md §9) has it merged again and is repeated.
/// </summary>
/// <param name="client">The inference service.</param>
/// <param name="models">Fingerprints of names and ids (the run's addressed backend).</param>
/// <param name="addresses">Where each configured model name is served.</param>
/// <param name="seed">The run seed: keys the DARE masks (M5) and the call keys.</param>
/// <param name="rebuilds">The run's rebuild registrations; null = none.</param>
public sealed class GrpcMergeService(InferenceService.InferenceServiceClient client, IGenerationBackend models, ModelAddresses addresses, ulong seed,
    RebuildScope? rebuilds = null) : IMergeService
{
    private readonly ConcurrentDictionary<string, Task<string>> _fullWeights = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public async Task<MergedModel> MergeAsync(CallSite site, int index, MergeCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(call);
        var fingerprints = await Task.WhenAll(call.Inputs.Select(i => models.FingerprintAsync(i.Model, cancellationToken))).ConfigureAwait(false);
        var baseFingerprint = call.BaseModel is { } b ? await models.FingerprintAsync(b, cancellationToken).ConfigureAwait(false) : null;
        // M10 composes adapters as adapters; every other kernel needs full weights.
        var adapters = call.Kind == MergeKind.LoraLinear;
        var callKey = CallKeys.Key(site, "merge", "", index, call.Describe(fingerprints, baseFingerprint, seed));
        var request = new MergeRequest
        {
            Method = Method(call.Kind),
            BaseModel = call.BaseModel is { } source ? await InputAsync(source, baseFingerprint!, adapters, cancellationToken).ConfigureAwait(false) : null,
            Params = Params(call),
            Seed = seed,
            WeightsSoftmax = call.WeightsSoftmax,
            CallKey = callKey,
            OutputId = OutputId(callKey),
        };
        var inputs = await Task.WhenAll(call.Inputs.Select((i, k) => InputAsync(i.Model, fingerprints[k], adapters, cancellationToken))).ConfigureAwait(false);
        request.Inputs.AddRange(call.Inputs.Select((i, k) => new ProtoMergeInput { Model = inputs[k], Weight = i.Weight, Density = i.Density }));
        return await RunAsync(request, request.Inputs[0].Model, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<PsoStepResult> PsoStepAsync(CallSite site, int index, PsoStepCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(call);
        var fingerprints = await Task.WhenAll(call.Models.Select(m => models.FingerprintAsync(m, cancellationToken))).ConfigureAwait(false);
        var resolved = await Task.WhenAll(call.Models.Select((m, k) => InputAsync(m, fingerprints[k], call.Adapters, cancellationToken))).ConfigureAwait(false);
        var callKey = CallKeys.Key(site, "merge", "", index, call.Describe(fingerprints));
        var request = new MergeRequest
        {
            Method = MergeMethod.PsoStep,
            CallKey = callKey,
            OutputId = OutputId(callKey),
            Params = new MergeParams
            {
                PsoStep = new PsoStepParams
                {
                    X = resolved[0],
                    V = resolved[1],
                    P = resolved[2],
                    G = resolved[3],
                    W = resolved[4],
                    A = call.A,
                    B = call.B,
                    C = call.C,
                    D = call.D,
                    Step = call.Step,
                    VelocityOutputId = OutputId(callKey) + "-v",
                },
            },
        };
        var position = await RunAsync(request, resolved[0], cancellationToken).ConfigureAwait(false);
        var velocityId = request.Params.PsoStep.VelocityOutputId;
        return new PsoStepResult(position, new MergedModel(velocityId, await FingerprintOfAsync(velocityId, cancellationToken).ConfigureAwait(false)));
    }

    /// <inheritdoc/>
    public async Task ReleaseAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            await client.UnloadModelAsync(new UnloadModelRequest { Model = model }, RoutingHeaders.For(model), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone (a replica restarted, or a replayed merge was released before).
        }
    }

    // Sends one Merge. Its output id comes from the call key, so a repeated call (a resumed run replaying its merges)
    // finds the model already there (MODEL_EXISTS) and takes it: equal keys name equal inputs and parameters, and the
    // kernels are deterministic.
    private async Task<MergedModel> RunAsync(MergeRequest request, string routeBy, CancellationToken cancellationToken)
    {
        foreach (var output in new[] { request.OutputId, request.Params?.PsoStep?.VelocityOutputId }.Where(id => !string.IsNullOrEmpty(id)))
        {
            rebuilds?.Register(output!, token => RunAsync(request, routeBy, token));
        }
        try
        {
            var response = await client.MergeAsync(request, RoutingHeaders.For(routeBy), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new MergedModel(response.ModelId, response.Fingerprint);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && MocoErrors.ErrorInfos(e).Any(i => i.Reason == "MODEL_EXISTS"))
        {
            return new MergedModel(request.OutputId, await FingerprintOfAsync(request.OutputId, cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task<string> FingerprintOfAsync(string id, CancellationToken cancellationToken)
    {
        var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = id }, RoutingHeaders.For(id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return info.Summary?.Fingerprint is { Length: > 0 } fingerprint ? fingerprint : id;
    }

    // The id of a merge's output: the service's own derivation from the call key ("merge-" + 16 hex of its SHA-256),
    // named explicitly so that the caller knows it before the call.
    private static string OutputId(string callKey) =>
        "merge-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(callKey)))[..16];

    private Task<string> InputAsync(string model, string fingerprint, bool adapters, CancellationToken cancellationToken) =>
        adapters ? Task.FromResult(addresses.Of(model)) : FullWeightsAsync(model, fingerprint, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>The model's files stream back into WriteModel under its own id (identical content is accepted as it
    /// stands) with persist_as, so the service writes the folder where its artifacts live.</remarks>
    public async Task PersistAsync(string model, string artifact, CancellationToken cancellationToken)
    {
        var address = addresses.Of(model);
        using var read = client.ReadWeights(new ReadWeightsRequest { Model = address }, RoutingHeaders.For(address), cancellationToken: cancellationToken);
        using var write = client.WriteModel(RoutingHeaders.For(address), cancellationToken: cancellationToken);
        var first = true;
        await foreach (var message in read.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (message.PayloadCase)
            {
                case ReadWeightsResponse.PayloadOneofCase.Manifest when first:
                    var summary = message.Manifest.Summary;
                    await write.RequestStream.WriteAsync(new WriteModelRequest
                    {
                        Header = new WriteModelHeader
                        {
                            ModelId = summary?.Id is { Length: > 0 } id ? id : address,
                            Kind = summary?.Kind ?? ModelKind.Unspecified,
                            BaseModel = summary?.BaseModel ?? "",
                            PersistAs = artifact,
                            Overwrite = true,
                        },
                    }, cancellationToken).ConfigureAwait(false);
                    break;
                case ReadWeightsResponse.PayloadOneofCase.File when !first:
                    await write.RequestStream.WriteAsync(new WriteModelRequest { File = message.File }, cancellationToken).ConfigureAwait(false);
                    break;
                case ReadWeightsResponse.PayloadOneofCase.Tensor when !first:
                    await write.RequestStream.WriteAsync(new WriteModelRequest { Tensor = message.Tensor }, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.Internal, $"ReadWeights of {model} sent {message.PayloadCase} out of order (manifest first, once)"));
            }
            first = false;
        }
        await write.RequestStream.CompleteAsync().ConfigureAwait(false);
        await write.ResponseAsync.ConfigureAwait(false);
    }

    // The model's address, or for an adapter the id of the adapter merged into its base; the LORA_APPLY call key is the
    // adapter's fingerprint alone, so every site shares one materialised model.
    private Task<string> FullWeightsAsync(string model, string fingerprint, CancellationToken cancellationToken) =>
        _fullWeights.GetOrAdd(addresses.Of(model), async address =>
        {
            var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = address }, RoutingHeaders.For(address), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (info.Summary?.Kind != ModelKind.Adapter)
            {
                return address;
            }
            var callKey = CallKeys.Hex(new JsonObject { ["lora_apply"] = fingerprint });
            var request = new MergeRequest { Method = MergeMethod.LoraApply, CallKey = callKey, OutputId = OutputId(callKey) };
            request.Inputs.Add(new ProtoMergeInput { Model = address });
            return (await RunAsync(request, address, cancellationToken).ConfigureAwait(false)).Id;
        });

    private static MergeMethod Method(MergeKind kind) => kind switch
    {
        MergeKind.Linear => MergeMethod.Linear,
        MergeKind.TaskArithmetic => MergeMethod.TaskArithmetic,
        MergeKind.Ties => MergeMethod.Ties,
        MergeKind.DareTies => MergeMethod.DareTies,
        MergeKind.Extrapolate => MergeMethod.Extrapolate,
        MergeKind.LoraLinear => MergeMethod.LoraLinear,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown merge kind"),
    };

    private static MergeParams Params(MergeCall call) => new()
    {
        Normalize = call.Normalize,
        Lambda = call.Lambda,
        Alpha = call.Alpha,
        Rescale = call.Rescale switch
        {
            null => DareRescale.Unspecified,
            "l1" => DareRescale.L1,
            "inverse_density" => DareRescale.InverseDensity,
            "none" => DareRescale.None,
            var other => throw new ArgumentException($"rescale '{other}' is not one of l1, inverse_density, none", nameof(call)),
        },
    };

    // The gateway routes by model (contracts.md §9 affinity).
}
