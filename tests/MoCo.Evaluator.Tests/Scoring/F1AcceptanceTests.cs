using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Scoring;

/// <summary>evaluation.md §6 "F1": prediction after extraction ⇒ score [gold].</summary>
public sealed class F1AcceptanceTests
{
    private static double F1(string prediction, string goldJson, CompatMode mode = CompatMode.Moco, string task = "test")
    {
        var item = TestData.Inline($$"""{"input": "q", "output": {{goldJson}}}""");
        return Scorers.Score(new F1MatchScorer(Scorers.Settings(mode, task, extracted: true)), item, prediction, mode).Score!.Value;
    }

    [Theory]
    [InlineData("William Shakespeare", "\"Shakespeare\"", 0.666667)]
    [InlineData("the Shakespeare", "\"Shakespeare\"", 1)]
    [InlineData("paris paris", "\"paris\"", 0.666667)]
    [InlineData("New York City", "\"new york\"", 0.8)]
    [InlineData("Bobel", "\"Ingo Böbel\"", 0)]
    [InlineData("Maggie O'Farrell", "\"[\\\"Maggie O'Farrell\\\"]\"", 1)]
    [InlineData("1", "\"[1, 0, 1]\"", 0.5)]
    public void Scores(string prediction, string gold, double expected) => Assert.Equal(expected, F1(prediction, gold), 5);

    [Fact]
    public void An_article_gold_matches_an_article_only_in_reference() =>
        Assert.Equal((1.0, 0.0), (F1("a", "\"the\"", CompatMode.Reference), F1("a", "\"the\"")));

    [Theory]
    [InlineData("Utah", 1.0, 0.4)]
    [InlineData("Salt Lake City, Utah", 0.857143, 1.0)]
    public void Popqa_aliases_split_at_commas_only_in_reference(string prediction, double reference, double moco)
    {
        const string gold = "\"[\\\"Salt Lake City\\\", \\\"Salt Lake\\\", \\\"SLC\\\", \\\"Salt Lake City, Utah\\\"]\"";
        Assert.Equal(reference, F1(prediction, gold, CompatMode.Reference, "popqa"), 5);
        Assert.Equal(moco, F1(prediction, gold, CompatMode.Moco, "popqa"), 5);
    }

    [Fact]
    public void Raw_outputs_are_extracted_first()
    {
        var item = TestData.Inline("""{"input": "q", "output": "new york"}""");
        var outcome = Scorers.Score(new F1MatchScorer(Scorers.Settings()), item, @"I think it is \boxed{New York City}.");
        Assert.Equal(("New York City", 0.8), (outcome.Parsed!, Math.Round(outcome.Score!.Value, 5)));
    }
}
