using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Logit;

/// <summary>
/// logit_logit_contrastive (methods-logit-weight.md §4): every model answers the dev split once (best-on-dev, stored
/// and replayed on resume), the models are ranked by dev mean (H5: stable, ties in config order), and the test items
/// are decoded with `z_top1 + λ·(Σ top-k − Σ bottom-k)` (L3), cut to the tokens plausible under top[0] when
/// `plausibility_alpha` &gt; 0 (L4), sampled at the config's temperature (L5). The ensemble is the k best then the
/// k worst in ranking order; prompts use model_names[0]'s chat template, so model 0 joins the ensemble as its template
/// member when it is in neither set (it decodes along without entering the combination).
/// </summary>
public sealed class LogitContrastiveMethod : ICollaborationMethod
{
    /// <inheritdoc/>
    public string Id => "logit_logit_contrastive";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var k = (int)config.Hyperparameters.Int("k");
        var selection = await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false);
        var ranking = selection.Ranking;
        var top = ranking.Take(k).ToList();
        var bottom = ranking.Skip(ranking.Count - k).ToList();
        var members = top.Concat(bottom).ToList();
        var template = members.IndexOf(0);
        if (template < 0)
        {
            members.Add(0);
            template = members.Count - 1;
        }
        var ensemble = new EnsembleSpec([.. members.Select(i => config.ModelNames[i])], EnsembleKind.Contrastive)
        {
            Top = [.. Enumerable.Range(0, k)],
            Bottom = [.. Enumerable.Range(k, k)],
            Lambda = config.Hyperparameters.Number("lambda_"),
            PlausibilityAlpha = config.Hyperparameters.Number("plausibility_alpha"),
            TemplateMember = template,
        };
        var details = selection.Details();
        details["ranking"] = Indices(ranking);
        details["top"] = Indices(top);
        details["bottom"] = Indices(bottom);
        return await EnsembleDecoding.RunTestAsync(context, ensemble, details, cancellationToken).ConfigureAwait(false);
    }

    private static JsonArray Indices(IEnumerable<int> indices) => new([.. indices.Select(i => (JsonNode)JsonValue.Create(i))]);
}
