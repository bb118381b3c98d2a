using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>One judge's verdict in one round on both responses of a pair (methods-text.md §12 step 4): the two
/// integers, or [5.0, 5.0] flagged `default_scores_used` when either reply does not parse.</summary>
public sealed record SpartaJudgeRound(double Score0, double Score1, string Response0, string Response1, string? Error0, string? Error1)
{
    /// <summary>Either reply failed to parse: both scores are 5.0.</summary>
    public bool DefaultScoresUsed => Error0 is not null || Error1 is not null;

    /// <summary>The round of two replies: parsed scores, or the defaults when either fails.</summary>
    public static SpartaJudgeRound Of(string reply0, string reply1)
    {
        var s0 = SpartaJudging.ParseScore(reply0);
        var s1 = SpartaJudging.ParseScore(reply1);
        string? Error(int? s) => s is null ? SpartaJudging.ParseError : null;
        return s0 is { } a && s1 is { } b
            ? new SpartaJudgeRound(a, b, reply0, reply1, null, null)
            : new SpartaJudgeRound(5.0, 5.0, reply0, reply1, Error(s0), Error(s1));
    }

    /// <summary>The round as the reference's judged_pairs.json holds it.</summary>
    public JsonObject ToJson() => new()
    {
        ["scores"] = new JsonArray(Score0, Score1),
        ["responses"] = new JsonObject
        {
            ["response_0"] = Response0,
            ["response_1"] = Response1,
            ["error_0"] = Error0,
            ["error_1"] = Error1,
            ["default_scores_used"] = DefaultScoresUsed,
        },
    };
}

/// <summary>SPARTA's judging (methods-text.md §12 step 4): the reference's judge prompt, its score parser and the
/// per-judge average over rounds.</summary>
public static class SpartaJudging
{
    /// <summary>The error a reply without a score records.</summary>
    public const string ParseError = "Failed to extract score";

    private static readonly Regex[] Patterns =
    [
        .. new[] { @"\{\s*""score""\s*:\s*(\d+)\s*\}", @"""score""\s*:\s*(\d+)", @"score\s*[:=]\s*(\d+)", @"Score:\s*(\d+)", @"(\d+)\s*/\s*10" }
            .Select(p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))),
    ];

    /// <summary>The judge prompt for one response (the reference's text, leading and trailing line break included).</summary>
    public static string Prompt(string question, string response) =>
        "\nPlease judge the following response based on the question and the response to be evaluated.\n"
        + $"Question: {question}\nResponse to be evaluated: {response}\n\n"
        + "Operation: Output ONLY a JSON object with one score in this exact format. Score must be in the range of 1 to 10.\n"
        + "Your output should be like this:\n{\"score\": score}\n";

    /// <summary>The score of a judge reply, or null: the trimmed reply as a JSON object whose (last) numeric `score` is
    /// in [1, 10], truncated; else the first digit run in [1, 10] among the matches of the first pattern that has one:
    /// `{"score": n}`, `"score": n`, `score` + `:`/`=` + n, `Score: n`, `n / 10` (case-insensitive).</summary>
    public static int? ParseScore(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var text = reply.Trim();
        if (JsonScore(text) is { } fromJson)
        {
            return fromJson;
        }
        foreach (var pattern in Patterns)
        {
            foreach (Match match in pattern.Matches(text))
            {
                if (Digits(match.Groups[1].Value) is { } value and >= 1 and <= 10)
                {
                    return value;
                }
            }
        }
        return null;
    }

    /// <summary>`ave_scores` of one judge: [5.0, 5.0] when every round defaulted, else the per-response means over the
    /// rounds (defaulted rounds count 5.0), rounded to 2 decimals.</summary>
    public static (double A, double B) Average(IReadOnlyList<SpartaJudgeRound> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        if (rounds.All(r => r.DefaultScoresUsed))
        {
            return (5.0, 5.0);
        }
        return (Math.Round(rounds.Average(r => r.Score0), 2, MidpointRounding.ToEven), Math.Round(rounds.Average(r => r.Score1), 2, MidpointRounding.ToEven));
    }

    private static int? JsonScore(string text)
    {
        if (!text.StartsWith('{'))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            JsonElement? score = null;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "score")
                {
                    score = property.Value;
                }
            }
            double? value = score?.ValueKind switch
            {
                JsonValueKind.Number => score.Value.GetDouble(),
                JsonValueKind.True => 1.0,
                _ => null,
            };
            return value is >= 1 and <= 10 ? (int)Math.Truncate(value.Value) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A digit run's value as Python's int() reads it (any Unicode decimal digits); anything above 10 is out of range.
    private static int? Digits(string run)
    {
        var value = 0;
        foreach (var c in run)
        {
            value = value * 10 + (int)char.GetNumericValue(c);
            if (value > 10)
            {
                return 11;
            }
        }
        return run.Length == 0 ? null : value;
    }
}
