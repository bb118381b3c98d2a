using MoCo.Models.Tests.Tokenization.Fixtures;
using MoCo.Models.Tokenization.Json;
using MoCo.Models.Tokenization.PreTokenizers;

namespace MoCo.Models.Tests.Tokenization;

public sealed class PreTokenizerTests
{
    // The examples of HF's Split documentation: "The-final--countdown" split on "-".
    [Theory]
    [InlineData("Removed", new[] { "The", "final", "countdown" })]
    [InlineData("Isolated", new[] { "The", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", new[] { "The-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", new[] { "The", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", new[] { "The", "-", "final", "--", "countdown" })]
    public void Split_behaviours_place_the_delimiter_as_HF_does(string behavior, string[] expected)
    {
        Assert.Equal(expected, Run($$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": false}""", "The-final--countdown"));
    }

    [Fact]
    public void Split_invert_treats_the_matches_as_the_pieces()
    {
        Assert.Equal(["Hello", "world"], Run("""{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Removed", "invert": true}""", "Hello, world!"));
    }

    [Fact]
    public void Split_with_a_regex_isolates_every_match_and_gap()
    {
        Assert.Equal(["Hello", ",", " world", "!!", "  ", " 123"], Run("""{"type": "Split", "pattern": {"Regex": " ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false}""", "Hello, world!!   123"));
    }

    // Expected pieces from the same regex run by code point (JavaScript's /u flag, as HF's Oniguruma does).
    [Theory]
    [InlineData("word𝑥's here", new[] { "word𝑥", "'s", " here" })]
    [InlineData("😀Great 👍🏽ok", new[] { "😀Great", " 👍🏽", "ok" })]
    [InlineData("1𝟏2𝟑4 digits", new[] { "1𝟏2", "𝟑4", " digits" })]
    [InlineData("CJK𠀀字 and 字𠀀!", new[] { "CJK𠀀字", " and", " 字𠀀", "!" })]
    [InlineData("a\uD800b", new[] { "a", "\uD800", "b" })]
    public void Split_regexes_see_characters_outside_the_BMP_as_one_code_point(string text, string[] expected)
    {
        string split = $$"""{"type": "Split", "pattern": {"Regex": {{System.Text.Json.JsonSerializer.Serialize(TiktokenFixture.Cl100kPattern)}}}, "behavior": "Isolated", "invert": false}""";

        Assert.Equal(expected, Run(split, text));
    }

    [Fact]
    public void Metaspace_replaces_spaces_prepends_and_splits()
    {
        const string always = """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""";
        Assert.Equal(["▁Hey", "▁friend!"], Run(always, "Hey friend!"));
        Assert.Equal(["▁Hey", "▁", "▁", "▁friend!"], Run(always, "Hey   friend!"));
    }

    [Fact]
    public void Metaspace_first_prepends_only_at_the_start_of_the_input()
    {
        const string first = """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""";
        Assert.Equal(["▁Hey▁you"], Run(first, "Hey you", atInputStart: true));
        Assert.Equal(["Hey▁you"], Run(first, "Hey you", atInputStart: false));
        Assert.Equal(["▁Hey"], Run(first, " Hey", atInputStart: true));
    }

    [Fact]
    public void Metaspace_reads_the_pre_0_19_add_prefix_space_flag()
    {
        Assert.Equal(["Hey", "▁you"], Run("""{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}""", "Hey you"));
    }

    [Fact]
    public void ByteLevel_maps_bytes_and_optionally_adds_a_prefix_space()
    {
        Assert.Equal(["ĠHello", "ĠwÃ©rld", "ĊĊ"], Run("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""", "Hello wérld\n\n"));
        Assert.Equal(["HelloĠworld"], Run("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}""", "Hello world"));
    }

    [Fact]
    public void A_step_after_ByteLevel_sees_the_mapped_text()
    {
        const string sequence = """
            {"type": "Sequence", "pretokenizers": [
              {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
              {"type": "Split", "pattern": {"String": "Ġ"}, "behavior": "MergedWithNext", "invert": false}]}
            """;
        Assert.Equal(["a", "Ġb", "Ġc"], Run(sequence, "a b c"));
    }

    private static string[] Run(string json, string text, bool atInputStart = true)
    {
        var pieces = new Collector();
        PreTokenizerFactory.Create(JsonNode.Parse(json, "test.json")).PreTokenize(new Piece(text.AsMemory(), atInputStart), pieces);
        return pieces.Texts.ToArray();
    }

    private sealed class Collector : PieceSink
    {
        public List<string> Texts { get; } = [];

        public override void Accept(Piece piece) => Texts.Add(piece.WithBytesMapped().Text.ToString());
    }
}
