using MoCo.Models.Tests.Tokenization.Fixtures;
using MoCo.Models.Tokenization;

namespace MoCo.Models.Tests.Tokenization;

/// <summary>
/// HF tokenizer.json files built from the tiktoken rank files must encode exactly as
/// Microsoft.ML.Tokenizers' TiktokenTokenizer does on the same vocabulary, and decode back.
/// </summary>
public sealed class TiktokenParityTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        int count = Corpus.Extended().Count();
        foreach (string name in TiktokenFixture.Names)
        {
            for (int i = 0; i < count; i++)
            {
                data.Add(name, i);
            }
        }
        return data;
    }

    // One deliberate difference: a lone surrogate is encoded as U+FFFD, where Microsoft.ML.Tokenizers writes
    // surrogate bytes that no UTF-8 decoder accepts (HF cannot be given one at all).
    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_matches_Microsoft_ML_Tokenizers(string fixture, int index)
    {
        TiktokenFixture f = TiktokenFixture.Get(fixture);
        string text = Corpus.Extended().ElementAt(index);

        int[] ids = f.Tokenizer.Encode(text);

        Assert.Equal(f.Reference.EncodeToIds(ReplaceLoneSurrogates(text)), ids);
        Assert.Equal(ids.Length, f.Tokenizer.CountTokens(text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_matches_Microsoft_ML_Tokenizers_and_round_trips(string fixture, int index)
    {
        TiktokenFixture f = TiktokenFixture.Get(fixture);
        string text = Corpus.Extended().ElementAt(index);
        int[] ids = f.Reference.EncodeToIds(text).ToArray();

        string decoded = f.Tokenizer.Decode(ids);

        Assert.Equal(f.Reference.Decode(ids), decoded);
        if (!HasLoneSurrogate(text))
        {
            Assert.Equal(text, decoded);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_gives_the_full_decode_in_whole_characters(string fixture, int index)
    {
        TiktokenFixture f = TiktokenFixture.Get(fixture);
        string text = Corpus.Extended().ElementAt(index);
        int[] ids = f.Tokenizer.Encode(text);
        IncrementalDecoder decoder = f.Tokenizer.CreateIncrementalDecoder();

        var chunks = ids.Select(decoder.Add).ToList();
        chunks.Add(decoder.Flush());

        Assert.Equal(f.Tokenizer.Decode(ids), string.Concat(chunks));
        if (!HasLoneSurrogate(text))
        {
            Assert.All(chunks, chunk => Assert.False(chunk.Contains('\uFFFD') || HasLoneSurrogate(chunk), $"chunk {chunk} is not whole characters"));
        }
    }

    [Fact]
    public void Encode_into_a_reused_list_appends_the_same_ids()
    {
        TiktokenFixture f = TiktokenFixture.Get("cl100k_base");
        var ids = new List<int> { 42 };

        f.Tokenizer.Encode("Hello <|endoftext|> world".AsSpan(), ids);

        Assert.Equal(new[] { 42 }.Concat(f.Tokenizer.Encode("Hello <|endoftext|> world")), ids);
    }

    [Fact]
    public void Concurrent_encodes_give_the_same_ids()
    {
        TiktokenFixture f = TiktokenFixture.Get("o200k_base");
        string[] texts = Corpus.Extended().ToArray();
        int[][] expected = texts.Select(t => f.Reference.EncodeToIds(ReplaceLoneSurrogates(t)).ToArray()).ToArray();

        Parallel.For(0, texts.Length * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            Assert.Equal(expected[i % texts.Length], f.Tokenizer.Encode(texts[i % texts.Length])));
    }

    [Fact]
    public void Vocabulary_and_special_tokens_are_exposed()
    {
        TiktokenFixture f = TiktokenFixture.Get("cl100k_base");

        Assert.Equal(100_256 + f.Reference.SpecialTokens!.Count, f.Tokenizer.VocabularySize);
        Assert.Equal(100257, f.Tokenizer.TokenToId("<|endoftext|>"));
        Assert.Equal("<|endoftext|>", f.Tokenizer.IdToToken(100257));
        Assert.True(f.Tokenizer.IsSpecialToken(100257));
        Assert.False(f.Tokenizer.IsSpecialToken(15339));
        Assert.Equal("hello", f.Tokenizer.IdToToken(15339));
        Assert.Null(f.Tokenizer.IdToToken(100256));
        Assert.Equal(" world", f.Tokenizer.Decode([100257, 1917], skipSpecialTokens: true));
    }

    private static string ReplaceLoneSurrogates(string text) =>
        string.Concat(text.EnumerateRunes().Select(rune => rune.ToString()));

    private static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }
        return false;
    }
}
