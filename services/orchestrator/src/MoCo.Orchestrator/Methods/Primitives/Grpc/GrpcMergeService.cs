using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Engine;
using ProtoMergeInput = MoCo.Contracts.V1.MergeInput;

namespace MoCo.Orchestrator.Methods.Primitives.Grpc;

/// <summary>
/// Merge, ReadWeights and WriteModel on moco.v1.InferenceService (contracts.md §4). A merge's call key is
/// <see cref="CallKeys.Key"/> over the site, the index and the call with every model replaced by its fingerprint, so the
/// id the service derives from it names the same content on every repeat. Models named by the config go to their
/// addresses (<see cref="ModelAddresses"/>); run-time ids pass as they are. Every kernel here needs full weights, so a
/// LoRA adapter among the inputs or as the base is first merged into its base (M9, LORA_APPLY, once per adapter and
/// run; methods-logit-weight.md §2.2) and the merge takes that model; the call key still names the adapter.
/// </summary>
/// <param name="client">The inference service.</param>
/// <param name="models">Fingerprints of names and ids (the run's addressed backend).</param>
/// <param name="addresses">Where each configured model name is served.</param>
/// <param name="seed">The run seed: keys the DARE masks (M5) and the call keys.</param>
public sealed class GrpcMergeService(InferenceService.InferenceServiceClient client, IGenerationBackend models, ModelAddresses addresses, ulong seed)
    : IMergeService
{
    private readonly ConcurrentDictionary<string, Task<string>> _fullWeights = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public async Task<MergedModel> MergeAsync(CallSite site, int index, MergeCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(call);
        var fingerprints = await Task.WhenAll(call.Inputs.Select(i => models.FingerprintAsync(i.Model, cancellationToken))).ConfigureAwait(false);
        var baseFingerprint = call.BaseModel is { } b ? await models.FingerprintAsync(b, cancellationToken).ConfigureAwait(false) : null;
        var request = new MergeRequest
        {
            Method = Method(call.Kind),
            BaseModel = call.BaseModel is { } source ? await FullWeightsAsync(source, baseFingerprint!, cancellationToken).ConfigureAwait(false) : null,
            Params = Params(call),
            Seed = seed,
            WeightsSoftmax = call.WeightsSoftmax,
            CallKey = CallKeys.Key(site, "merge", "", index, call.Describe(fingerprints, baseFingerprint, seed)),
        };
        var inputs = await Task.WhenAll(call.Inputs.Select((i, k) => FullWeightsAsync(i.Model, fingerprints[k], cancellationToken))).ConfigureAwait(false);
        request.Inputs.AddRange(call.Inputs.Select((i, k) => new ProtoMergeInput { Model = inputs[k], Weight = i.Weight, Density = i.Density }));
        var response = await client.MergeAsync(request, Headers(request.Inputs[0].Model), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new MergedModel(response.ModelId, response.Fingerprint);
    }

    /// <inheritdoc/>
    /// <remarks>The model's files stream back into WriteModel under its own id (identical content is accepted as it
    /// stands) with persist_as, so the service writes the folder where its artifacts live.</remarks>
    public async Task PersistAsync(string model, string artifact, CancellationToken cancellationToken)
    {
        var address = addresses.Of(model);
        using var read = client.ReadWeights(new ReadWeightsRequest { Model = address }, Headers(address), cancellationToken: cancellationToken);
        using var write = client.WriteModel(Headers(address), cancellationToken: cancellationToken);
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
            var info = await client.ModelInfoAsync(new ModelInfoRequest { Model = address }, Headers(address), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (info.Summary?.Kind != ModelKind.Adapter)
            {
                return address;
            }
            var request = new MergeRequest { Method = MergeMethod.LoraApply, CallKey = CallKeys.Hex(new JsonObject { ["lora_apply"] = fingerprint }) };
            request.Inputs.Add(new ProtoMergeInput { Model = address });
            var merged = await client.MergeAsync(request, Headers(address), cancellationToken: cancellationToken).ConfigureAwait(false);
            return merged.ModelId;
        });

    private static MergeMethod Method(MergeKind kind) => kind switch
    {
        MergeKind.Linear => MergeMethod.Linear,
        MergeKind.TaskArithmetic => MergeMethod.TaskArithmetic,
        MergeKind.Ties => MergeMethod.Ties,
        MergeKind.DareTies => MergeMethod.DareTies,
        MergeKind.Extrapolate => MergeMethod.Extrapolate,
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
    private static Metadata Headers(string model) => new() { { "moco-model", model } };
}
