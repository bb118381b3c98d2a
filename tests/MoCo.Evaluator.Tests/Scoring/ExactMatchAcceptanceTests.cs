using MoCo.Evaluator.Scoring;
using MoCo.Evaluator.Tests.Support;

namespace MoCo.Evaluator.Tests.Scoring;

/// <summary>evaluation.md §6 "Exact match": output ⇒ extracted ⇒ score [gold], in both modes where they agree.</summary>
public sealed class ExactMatchAcceptanceTests
{
    private static (string Parsed, double Score) Em(string? output, string? gold, CompatMode mode = CompatMode.Moco)
    {
        var goldJson = gold is null ? "null" : System.Text.Json.JsonSerializer.Serialize(gold);
        var item = TestData.Inline($$"""{"input": "q", "output": {{goldJson}}}""");
        var outcome = Scorers.Score(new ExactMatchScorer(Scorers.Settings(mode)), item, output, mode);
        return (outcome.Parsed!, outcome.Score!.Value);
    }

    [Theory]
    [InlineData(@"The result is \boxed{42}.", "42", "42", 1)]
    [InlineData(@"\boxed{\dfrac{1}{4}}", @"\frac{1}{4}", null, 0)]
    [InlineData(@"\box{1,600}", "1600", "1,600", 1)]
    [InlineData(@"\boxed{$1,600}", "1,600", "$1,600", 1)]
    [InlineData(@"\boxed{3.5}", "35", "3.5", 1)]
    [InlineData(@"\boxed{1600.00}", "1600", "1600.00", 0)]
    [InlineData(@"\boxed{1600 dollars}", "1600", "1600 dollars", 0)]
    [InlineData(@"First \boxed{3} then \boxed{5}", "5", "5", 1)]
    [InlineData(@"\boxed{}", "42", "", 0)]
    [InlineData(@"\boxed 42", "42", "42", 1)]
    [InlineData(@"The total is \boxed{42", "42", @"The total is \boxed{42", 0)]
    [InlineData(@"\BOXED{Yes}", "yes", "Yes", 1)]
    [InlineData(@"\boxed{The Beatles}", "Beatles", "The Beatles", 1)]
    [InlineData(@"\boxed{50}", @"50\%", "50", 1)]
    [InlineData(@"\boxed{60}", @"60^\circ", "60", 0)]
    [InlineData(@"\boxed{0.5}", "1/2", "0.5", 0)]
    [InlineData("Final Answer: 12", "12", "12", 1)]
    [InlineData("Final Answer: 12\n", "12", "12", 1)]
    [InlineData("Answer:\n\n 42 \nmore", "42", "42", 1)]
    [InlineData("Final Answer: a << b\nAnswer: 9\n", "9", "9", 1)]
    [InlineData("answer - 5", "5", "5", 1)]
    [InlineData("To find the answer, we add 5 and 7 to get 12.", "12", ", we add 5 and 7 to get 12", 0)]
    [InlineData("My answers are 3 and 4", "3", "s are 3 and 4", 0)]
    [InlineData("Please give the final answer wrapped exactly as \\box{ANSWER}.\nAnswer: 7", "7", "ANSWER", 0)]
    [InlineData("(A)", "A", "(A)", 1)]
    [InlineData("Final Answer: ) ) }\n", ") ) }", ") ) }", 1)]
    [InlineData(@"\boxed{a}", "(a)", "a", 1)]
    [InlineData(@"<think>\boxed{3}</think> \boxed{4}", "4", "4", 1)]
    public void Both_modes_agree(string output, string gold, string? extracted, double score)
    {
        foreach (var mode in new[] { CompatMode.Moco, CompatMode.Reference })
        {
            var (parsed, actual) = Em(output, gold, mode);
            if (extracted is not null)
            {
                Assert.Equal(extracted, parsed);
            }
            Assert.Equal(score, actual);
        }
    }

    [Theory]
    [InlineData(@"\boxed{\frac{1}{5}}", @"\frac{1}{5}", @"\frac{1", 0, @"\frac{1}{5}", 1)]
    [InlineData("", "A", "", 1, "", 0)]
    [InlineData(@"\boxed{The}", "A", "The", 1, "The", 0)]
    [InlineData("Final Answer: ] ]\n", ") ) }", "] ]", 1, "] ]", 0)]
    public void Modes_differ(string output, string gold, string referenceParsed, double referenceScore, string mocoParsed, double mocoScore)
    {
        Assert.Equal((referenceParsed, referenceScore), Em(output, gold, CompatMode.Reference));
        Assert.Equal((mocoParsed, mocoScore), Em(output, gold, CompatMode.Moco));
    }

    [Fact]
    public void A_null_gold_is_invalid_in_moco_and_empty_in_reference()
    {
        var item = TestData.Inline("""{"input": "q", "output": null}""");
        var moco = Scorers.Score(new ExactMatchScorer(Scorers.Settings()), item, @"\boxed{5}");
        Assert.Equal(0.0, moco.Score);
        Assert.Contains(ItemFlags.InvalidGold, moco.Flags);
        Assert.Equal(0.0, Scorers.Score(new ExactMatchScorer(Scorers.Settings()), item, @"\boxed{}").Score);
        var reference = Scorers.Score(new ExactMatchScorer(Scorers.Settings(CompatMode.Reference)), item, @"\boxed{}", CompatMode.Reference);
        Assert.Equal(1.0, reference.Score);
        Assert.DoesNotContain(ItemFlags.InvalidGold, reference.Flags);
    }

    [Fact]
    public void Number_and_list_golds_use_json_text_and_alternatives()
    {
        var number = TestData.Inline("""{"input": "q", "output": 1600}""");
        Assert.Equal(1.0, Scorers.Score(new ExactMatchScorer(Scorers.Settings()), number, @"\boxed{1,600}").Score);
        var list = TestData.Inline("""{"input": "q", "output": ["Paris", "City of Light"]}""");
        Assert.Equal(1.0, Scorers.Score(new ExactMatchScorer(Scorers.Settings()), list, @"\boxed{city of light}").Score);
        Assert.Equal(0.0, Scorers.Score(new ExactMatchScorer(Scorers.Settings()), list, @"\boxed{Lyon}").Score);
    }

    [Fact]
    public void Extracted_inputs_are_compared_directly()
    {
        var item = TestData.Inline("""{"input": "q", "output": "1600"}""");
        var outcome = Scorers.Score(new ExactMatchScorer(Scorers.Settings(extracted: true)), item, "1,600");
        Assert.Equal((1.0, "1,600"), (outcome.Score!.Value, outcome.Parsed));
        // Not extracted again: a label stays part of the answer.
        Assert.Equal(0.0, Scorers.Score(new ExactMatchScorer(Scorers.Settings(extracted: true)), item, "Answer: 1600\n").Score);
    }

    [Fact]
    public void Python_whitespace_includes_the_separators_dotnet_does_not_trim()
    {
        Assert.Equal("42", AnswerExtractor.Extract("\u001F\\boxed{ 42\u001E}", CompatMode.Moco));
        Assert.Equal("x y", AnswerNormalizer.Normalize("X\u001Cy"));
    }

    [Theory]
    [InlineData("1,600", "1600")]
    [InlineData("$1,600", "1600")]
    [InlineData("3.5", "35")]
    [InlineData(@"\frac{1}{5}", "frac15")]
    [InlineData(@"50\%", "50")]
    [InlineData("The  Beatles ", "beatles")]
    [InlineData("an apple a day", "apple day")]
    [InlineData("theatre", "theatre")]
    [InlineData("Ärger", "ärger")]
    public void Normalize_keeps_the_reference_consequences(string input, string expected) =>
        Assert.Equal(expected, AnswerNormalizer.Normalize(input));
}
