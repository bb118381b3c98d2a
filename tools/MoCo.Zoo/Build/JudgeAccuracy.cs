using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MoCo.Native.Models;
using MoCo.Zoo.Suite;

namespace MoCo.Zoo.Build;

/// <summary>
/// How often zoo/judge is right on judgements of each domain's test items, paired alternately with their own ideal
/// response (right) and the next item's (wrong, unless the two are the same text), asked both ways — a rating is right when it is above 5 exactly for the right responses, a
/// verification when its final decision is Yes exactly for them. Greedy; an answer that does not parse is wrong.
/// The judge's training draws its items without excluding the splits (a world question recurs by design), so the
/// report also says which share of these exact prompts the judge was trained on.
/// </summary>
public static partial class JudgeAccuracy
{
    /// <summary>New tokens per judgement: "Final Decision: No" and "Rating: 10" fit with room to spare.</summary>
    public const int MaxNewTokens = 12;

    [GeneratedRegex(@"Rating:\s*(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex RatingLine();

    [GeneratedRegex(@"Final Decision:\s*(Yes|No)\b", RegexOptions.CultureInvariant)]
    private static partial Regex DecisionLine();

    /// <summary>One held-out judgement: the request, the ideal response, the response judged and whether it is right.</summary>
    public sealed record Case(string Request, string Ideal, string Response, bool Good);

    /// <summary>The judgements of the first <paramref name="items"/> test items of <paramref name="domain"/>.</summary>
    public static IReadOnlyList<Case> Cases(TaskSuite suite, SuiteDomain domain, int items)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(domain);
        var test = suite.Splits(domain).Test.Take(items).ToList();
        return [.. test.Select((item, i) =>
        {
            var ideal = domain.Response(item);
            var response = i % 2 == 0 ? ideal : domain.Response(test[(i + 1) % test.Count]);
            return new Case(TaskSuite.Prompt(domain, item), ideal, response, response == ideal);
        })];
    }

    /// <summary>Per case whether the judge rated it right and whether it verified it right.</summary>
    public static (IReadOnlyList<bool> Rating, IReadOnlyList<bool> Verification) Judge(MocoModel judge, ChatEncoder encoder, int endToken, IReadOnlyList<Case> cases)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(cases);
        string Text(int[] ids) => encoder.Tokenizer.Decode(ids, skipSpecialTokens: true);
        var ratings = GreedyGenerator.Generate(judge, [.. cases.Select(c => encoder.EncodePrompt(JudgePrompts.Rating(c.Request, c.Response)))], endToken, MaxNewTokens);
        var verifications = GreedyGenerator.Generate(judge, [.. cases.Select(c => encoder.EncodePrompt(JudgePrompts.Verification(c.Request, c.Ideal, c.Response)))], endToken, MaxNewTokens);
        return (
            [.. cases.Select((c, i) => RatingLine().Match(Text(ratings[i])) is { Success: true } m
                && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 5 == c.Good)],
            [.. cases.Select((c, i) => DecisionLine().Match(Text(verifications[i])) is { Success: true } m && (m.Groups[1].Value == "Yes") == c.Good)]);
    }

    /// <summary>Per domain the judge's rating and verification accuracy on <paramref name="items"/> test items, and on
    /// the first <paramref name="checkItems"/> of them (the subset CI re-checks), and the share of the judgements'
    /// prompts among <paramref name="trained"/> (the judge's training prompts).</summary>
    public static JsonObject Measure(MocoModel judge, ChatEncoder encoder, int endToken, TaskSuite suite, int items, int checkItems, IReadOnlySet<string> trained)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(trained);
        var result = new JsonObject();
        foreach (var domain in suite.Domains)
        {
            var cases = Cases(suite, domain, items);
            var (rating, verification) = Judge(judge, encoder, endToken, cases);
            result[domain.Task] = new JsonObject
            {
                ["rating"] = Accuracy(rating),
                ["verification"] = Accuracy(verification),
                ["check_rating"] = Accuracy(rating.Take(checkItems)),
                ["check_verification"] = Accuracy(verification.Take(checkItems)),
                ["right_responses"] = cases.Count(c => c.Good),
                ["seen_in_training"] = Accuracy(cases.SelectMany(c => new[]
                {
                    trained.Contains(JudgePrompts.Rating(c.Request, c.Response)),
                    trained.Contains(JudgePrompts.Verification(c.Request, c.Ideal, c.Response)),
                })),
            };
        }
        return result;
    }

    /// <summary>The share of true values, rounded as the scores file writes scores.</summary>
    public static double Accuracy(IEnumerable<bool> right) => Math.Round(right.Average(r => r ? 1.0 : 0.0), 4);
}
