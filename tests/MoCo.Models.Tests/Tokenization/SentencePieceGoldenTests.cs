using System.Text.Json;
using MoCo.Models.Tests.Tokenization.Fixtures;
using MoCo.Models.Tokenization;

namespace MoCo.Models.Tests.Tokenization;

/// <summary>
/// A byte-fallback / Metaspace tokenizer against golden output recorded with transformers.js
/// (tools/tokenizer-fixtures/make-goldens.js): ids with and without BOS, and decoding with and without
/// special tokens.
/// </summary>
public sealed class SentencePieceGoldenTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in new[] { "goldens.json", "goldens-metaspace-first.json" })
        {
            for (int i = 0; i < Load(file).Length; i++)
            {
                data.Add(file, i);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_golden_encoding_and_decoding(string file, int index)
    {
        Golden golden = Load(file)[index];
        HfTokenizer tokenizer = file == "goldens.json" ? SentencePieceFixture.Tokenizer : SentencePieceFixture.MetaspaceFirstTokenizer;

        Assert.Equal(golden.Ids, tokenizer.Encode(golden.Text));
        Assert.Equal(golden.IdsWithoutSpecialTokens, tokenizer.Encode(golden.Text, addSpecialTokens: false));
        Assert.Equal(golden.Decoded, tokenizer.Decode(golden.Ids));
        Assert.Equal(golden.DecodedSkippingSpecialTokens, tokenizer.Decode(golden.Ids, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_gives_the_full_decode(string file, int index)
    {
        Golden golden = Load(file)[index];
        HfTokenizer tokenizer = file == "goldens.json" ? SentencePieceFixture.Tokenizer : SentencePieceFixture.MetaspaceFirstTokenizer;
        IncrementalDecoder decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: true);

        var chunks = golden.Ids.Select(decoder.Add).ToList();
        chunks.Add(decoder.Flush());

        Assert.Equal(golden.DecodedSkippingSpecialTokens, string.Concat(chunks));
        Assert.DoesNotContain(chunks, chunk => chunk.Contains('\uFFFD'));
    }

    [Fact]
    public void Special_tokens_come_from_the_config()
    {
        SpecialTokens special = SentencePieceFixture.Tokenizer.SpecialTokens;

        Assert.Equal(new SpecialToken("<s>", 1), special.Bos);
        Assert.Equal(new SpecialToken("</s>", 2), special.Eos);
        Assert.Equal(new SpecialToken("<unk>", 0), special.Unk);
        Assert.Null(special.Pad);
        Assert.Equal(32000, SentencePieceFixture.Tokenizer.VocabularySize);
    }

    private static readonly Dictionary<string, Golden[]> Cache = [];

    private static Golden[] Load(string file)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(file, out Golden[]? cases))
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllText(SentencePieceFixture.GoldensPath(file)));
                cases = document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Golden(
                    c.GetProperty("text").GetString()!,
                    c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    c.GetProperty("idsWithoutSpecialTokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                    c.GetProperty("decoded").GetString()!,
                    c.GetProperty("decodedSkippingSpecialTokens").GetString()!)).ToArray();
                Cache[file] = cases;
            }
            return cases;
        }
    }

    private sealed record Golden(string Text, int[] Ids, int[] IdsWithoutSpecialTokens, string Decoded, string DecodedSkippingSpecialTokens);
}
