using MoCo.Models.Tests.Tokenization.Fixtures;
using MoCo.Models.Tokenization;
using static MoCo.Models.Tests.Tokenization.Fixtures.TokenizerJson;

namespace MoCo.Models.Tests.Tokenization;

/// <summary>Added tokens are matched before anything else, with HF's lstrip/rstrip/single_word/normalized rules.</summary>
public sealed class AddedTokenTests
{
    private const int Mask = 200, Cat = 201, Hello = 202, Upper = 203, Short = 204, Long = 205;

    private static readonly HfTokenizer Tokenizer = HfTokenizer.FromJson(Build(
        normalizer: """{"type": "Lowercase"}""",
        addedTokens: $"[{Added(Mask, "<mask>", lstrip: true, rstrip: true)}, {Added(Cat, "cat", special: false, singleWord: true)}, "
            + $"{Added(Hello, "Hello", special: false, normalized: true)}, {Added(Upper, "<S>")}, {Added(Short, "<a>")}, {Added(Long, "<a><b>")}]"));

    [Fact]
    public void Lstrip_and_rstrip_swallow_the_surrounding_whitespace()
    {
        Assert.Equal([Ascii('a'), Mask, Ascii('b')], Tokenizer.Encode("a  <mask>\t b"));
    }

    [Fact]
    public void Single_word_tokens_do_not_match_inside_words()
    {
        Assert.Equal([Cat, Ascii(' '), Ascii('c'), Ascii('o'), Ascii('n'), Ascii('c'), Ascii('a'), Ascii('t'), Ascii(' '), Cat, Ascii('.')], Tokenizer.Encode("cat concat cat."));
    }

    [Fact]
    public void Normalized_tokens_match_the_normalized_text_and_others_the_raw_text()
    {
        Assert.Equal([Hello, Ascii('!')], Tokenizer.Encode("HELLO!"));
        Assert.Equal([Upper, Ascii('s')], Tokenizer.Encode("<S>S"));
    }

    [Fact]
    public void The_longest_token_wins_at_the_leftmost_position()
    {
        Assert.Equal([Long, Short], Tokenizer.Encode("<a><b><a>"));
    }

    [Fact]
    public void Decoding_can_skip_special_tokens_but_keeps_the_others()
    {
        int[] ids = Tokenizer.Encode("<S>cat<mask>");
        Assert.Equal("<S> cat <mask>", Tokenizer.Decode(ids));
        Assert.Equal("cat", Tokenizer.Decode(ids, skipSpecialTokens: true));
    }
}
