using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Weight;

/// <summary>The (source, target) pair weight_expo's `pairs` mode extrapolates along, with what its log's `moco` details
/// record.</summary>
public sealed record ExpoPair(string Source, string Target, JsonObject Details);

/// <summary>
/// weight_expo `pairs` mode (methods-logit-weight.md §9): the pairs are zip(`sft_models`, `dpo_models`) when both are
/// given, else consecutive pairs of model_names (sft, then dpo). With several pairs every model of every pair is
/// dev-scored and the pair with the first maximum of `pair_selection` wins: the dpo (target) model's score
/// (`dpo_score`), dpo − sft (`improvement`) or the sft (source) model's (`sft_score`). One pair is taken without dev work.
/// </summary>
public static class ExpoPairs
{
    /// <summary>The dev evaluation label of pair <paramref name="pair"/>'s sft or dpo model.</summary>
    public static string EvaluationLabel(int pair, string role) => $"pair {pair} {role}";

    /// <summary>Chooses the pair.</summary>
    public static async Task<ExpoPair> ChooseAsync(MethodContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keys = context.Config.Hyperparameters;
        var pairs = Pairs(context);
        var details = new JsonObject
        {
            ["pairs"] = new JsonArray([.. pairs.Select(p => (JsonNode)new JsonArray(p.Sft, p.Dpo))]),
        };
        if (pairs.Count == 1)
        {
            details["chosen_pair"] = 0;
            return new ExpoPair(pairs[0].Sft, pairs[0].Dpo, details);
        }
        var scores = await Task.WhenAll(pairs.Select(async (p, i) =>
        {
            var sft = BestOnDev.ScoreModelAsync(context, p.Sft, EvaluationLabel(i, "sft"), cancellationToken);
            var dpo = BestOnDev.ScoreModelAsync(context, p.Dpo, EvaluationLabel(i, "dpo"), cancellationToken);
            return (Sft: await sft.ConfigureAwait(false), Dpo: await dpo.ConfigureAwait(false));
        })).ConfigureAwait(false);
        var selection = keys.String("pair_selection");
        var values = scores.Select(s => selection switch
        {
            "improvement" => s.Dpo - s.Sft,
            "sft_score" => s.Sft,
            _ => s.Dpo,
        }).ToList();
        var chosen = values.IndexOf(values.Max());
        details["pair_scores"] = new JsonArray([.. scores.Select((s, i) => (JsonNode)new JsonObject
        {
            ["sft_dev_score"] = s.Sft,
            ["dpo_dev_score"] = s.Dpo,
            [selection!] = values[i],
        })]);
        details["chosen_pair"] = chosen;
        return new ExpoPair(pairs[chosen].Sft, pairs[chosen].Dpo, details);
    }

    private static IReadOnlyList<(string Sft, string Dpo)> Pairs(MethodContext context)
    {
        var keys = context.Config.Hyperparameters;
        if (keys.Strings("sft_models") is { } sft && keys.Strings("dpo_models") is { } dpo)
        {
            return [.. sft.Zip(dpo)];
        }
        var names = context.Config.ModelNames;
        if (names.Count % 2 != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"weight_expo pairs mode pairs consecutive model_names, but there are {names.Count}; give an even number of models, or sft_models and dpo_models"));
        }
        return [.. Enumerable.Range(0, names.Count / 2).Select(p => (names[2 * p], names[2 * p + 1]))];
    }
}
