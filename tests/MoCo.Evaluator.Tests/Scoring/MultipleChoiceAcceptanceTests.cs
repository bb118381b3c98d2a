using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Scoring;

/// <summary>evaluation.md §6 "Multiple choice": parsed letter, then score against the gold.</summary>
public sealed class MultipleChoiceAcceptanceTests
{
    private const string OptionsO = """{"A": "Mitochondria", "B": "Ribosome", "C": "Nucleus", "D": "Golgi apparatus"}""";

    private static (string? Letter, double Score) Mc(string output, string answer = "B", string choices = OptionsO, CompatMode mode = CompatMode.Moco)
    {
        var item = TestData.Inline($$"""{"question": "Which organelle?", "choices": {{choices}}, "answer": "{{answer}}"}""");
        var outcome = Scorers.Score(new MultipleChoiceScorer(Scorers.Settings(mode)), item, output, mode);
        return (outcome.Parsed, outcome.Score!.Value);
    }

    [Theory]
    [InlineData("B", "B", "B", 1)]
    [InlineData("  c  ", "C", "C", 1)]
    [InlineData("C) Nucleus", "C", "C", 1)]
    [InlineData("Nucleus", "C", "C", 1)]
    [InlineData("Answer: (D)", "D", "D", 1)]
    [InlineData("Both B and C are plausible, but B.", "B", "B", 1)]
    [InlineData("**B**", null, "B", 0)]
    [InlineData("Option D", null, "D", 0)]
    [InlineData("My answer: C", null, "C", 0)]
    [InlineData("The answer is not A, it's C", null, "C", 0)]
    [InlineData(@"\boxed{B}", null, "B", 0)]
    [InlineData("", null, "B", 0)]
    [InlineData("A or B", "A", "A", 1)]
    [InlineData("Data.", "A", "B", 0)]
    public void Option_set_O(string output, string? letter, string gold, double score)
    {
        foreach (var mode in new[] { CompatMode.Moco, CompatMode.Reference })
        {
            Assert.Equal((letter, score), Mc(output, gold, mode: mode));
        }
    }

    [Theory]
    [InlineData("A good choice is Paris")]
    [InlineData("The capital is Paris, not London.")]
    public void Crude_heuristics_are_kept(string output) =>
        Assert.Equal(("A", 0.0), Mc(output, "B", """{"A": "London", "B": "Paris", "C": "Rome", "D": "Berlin"}"""));

    [Fact]
    public void With_nine_options_a_leading_I_is_option_I()
    {
        const string nine = """{"A": "a1", "B": "b1", "C": "c1", "D": "d1", "E": "e1", "F": "f1", "G": "g1", "H": "h1", "I": "i1"}""";
        Assert.Equal(("I", 0.0), Mc("I think the answer is B", "B", nine));
        const string four = """{"A": "the first long option", "B": "the second long option", "C": "the third long option", "D": "the fourth long option"}""";
        Assert.Equal(("B", 1.0), Mc("I think the answer is B", "B", four));
    }

    [Fact]
    public void Non_letter_keys_score_only_in_moco()
    {
        const string digits = """{"1": "Mitochondria", "2": "Ribosome", "3": "Nucleus", "4": "Golgi apparatus"}""";
        Assert.Equal(("B", 0.0), Mc("B", "2", digits, CompatMode.Reference));
        Assert.Equal(("B", 1.0), Mc("B", "2", digits, CompatMode.Moco));
        const string id = """{"A": "x", "B": "y", "C": "z", "id": "w"}""";
        Assert.Equal(("D", 0.0), Mc("D", "id", id, CompatMode.Reference));
        Assert.Equal(("D", 1.0), Mc("D", "id", id, CompatMode.Moco));
    }

    [Fact]
    public void An_empty_option_matches_everything_only_in_reference()
    {
        const string options = """{"A": "", "B": "Yes"}""";
        Assert.Equal(("A", 1.0), Mc("hmm", "A", options, CompatMode.Reference));
        Assert.Equal((null, 0.0), Mc("hmm", "A", options, CompatMode.Moco));
    }

    [Fact]
    public void A_null_option_is_never_matched_and_does_not_crash() =>
        Assert.Equal((null, 0.0), Mc("Golgi", "A", """{"A": "Mitochondria", "B": "Ribosome", "C": "Nucleus", "D": null}"""));

    [Fact]
    public void The_prompt_lists_positional_letters_and_ends_every_line_with_a_newline()
    {
        var builder = new PromptBuilder(PromptTexts.Default);
        var prompt = builder.MultipleChoice("Q?", ["x", "y"]);
        var lines = prompt.Split('\n');
        Assert.Equal(["Q?", "A) x", "B) y", PromptTexts.Default.MultipleChoiceInstruction, ""], lines);
        Assert.Equal("Q?\nA) x\nB) None\n" + PromptTexts.Default.MultipleChoiceInstruction + "\n", builder.MultipleChoice("Q?", ["x", null]));
    }

    [Fact]
    public void Extract_only_and_extracted_letters()
    {
        var item = TestData.Inline($$"""{"question": "q", "choices": {{OptionsO}}, "answer": "B"}""");
        var only = Scorers.Score(new MultipleChoiceScorer(Scorers.Settings(extractOnly: true)), item, "C) Nucleus");
        Assert.Equal(("C", (double?)null), (only.Parsed, only.Score));
        Assert.Equal(1.0, Scorers.Score(new MultipleChoiceScorer(Scorers.Settings(extracted: true)), item, "B").Score);
        Assert.Equal(0.0, Scorers.Score(new MultipleChoiceScorer(Scorers.Settings(extracted: true)), item, "Ribosome").Score);
    }
}
