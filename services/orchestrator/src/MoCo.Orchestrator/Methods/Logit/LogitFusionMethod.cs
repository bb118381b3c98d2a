using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Logit;

/// <summary>
/// logit_logit_fusion (methods-logit-weight.md §3): the models decode one shared sequence in lock-step; at each step
/// their next-token logits are summed with `weights` (L2; default uniform, one division by n) and the token is
/// sampled at the config's temperature (L5; 0 = greedy). Unlike the reference, which recomputes the whole padded
/// batch at every step without a cache or mask, each model keeps a KV cache and each sequence its own length
/// (GenerateEnsemble); finished rows stop computing; sampling is seeded per item.
/// </summary>
public sealed class LogitFusionMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "logit_logit_fusion";

    /// <inheritdoc/>
    public Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var weights = config.Hyperparameters.Numbers("weights");
        var ensemble = new EnsembleSpec(config.ModelNames, EnsembleKind.Fuse) { Weights = weights };
        var details = new JsonObject
        {
            ["weights"] = weights is null ? "uniform" : new JsonArray([.. weights.Select(w => (JsonNode)JsonValue.Create(w))]),
        };
        return EnsembleDecoding.RunTestAsync(context, ensemble, details, cancellationToken);
    }
}
