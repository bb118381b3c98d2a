using MoCo.Models.Tokenization;
using static MoCo.Models.Tests.Tokenization.Fixtures.TokenizerJson;

namespace MoCo.Models.Tests.Tokenization;

public sealed class BpeModelTests
{
    [Fact]
    public void Long_words_merge_exactly_as_a_naive_BPE_does()
    {
        // A vocabulary of every merge over a 4-letter alphabet up to length 4, ranked randomly, exercises
        // both the linear path (short words) and the heap path (words over 48 symbols).
        var random = new Random(1234);
        var tokens = new List<string> { "a", "b", "c", "d" };
        var merges = new List<(string Left, string Right)>();
        var known = new HashSet<string>(tokens);
        for (int round = 0; round < 400; round++)
        {
            string left = tokens[random.Next(tokens.Count)];
            string right = tokens[random.Next(tokens.Count)];
            if (left.Length + right.Length <= 6 && known.Add(left + right))
            {
                tokens.Add(left + right);
                merges.Add((left, right));
            }
        }
        HfTokenizer tokenizer = HfTokenizer.FromJson(Build(extraTokens: tokens.Skip(4).ToArray(), merges: merges.Select(m => $"{m.Left} {m.Right}").ToArray()));

        for (int sample = 0; sample < 300; sample++)
        {
            string word = new(Enumerable.Range(0, random.Next(1, 200)).Select(_ => "abcd"[random.Next(4)]).ToArray());
            int[] expected = NaiveBpe(word, merges).Select(t => tokenizer.TokenToId(t)!.Value).ToArray();
            Assert.Equal(expected, tokenizer.Encode(word));
        }
    }

    [Fact]
    public void Byte_fallback_spells_unknown_characters_as_bytes()
    {
        string[] bytes = Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>").ToArray();
        HfTokenizer tokenizer = HfTokenizer.FromJson(Build(extraTokens: bytes, modelOptions: "\"byte_fallback\": true, \"unk_token\": \"?\""));

        int[] ids = tokenizer.Encode("aé😀", addSpecialTokens: false);

        Assert.Equal([Ascii('a'), tokenizer.TokenToId("<0xC3>")!.Value, tokenizer.TokenToId("<0xA9>")!.Value, .. "F09F9880"u8.ToArray().Chunk(2).Select(h => tokenizer.TokenToId($"<0x{(char)h[0]}{(char)h[1]}>")!.Value)], ids);
    }

    [Fact]
    public void Unknown_characters_become_unk_fused_or_not_or_vanish_without_unk()
    {
        HfTokenizer fused = HfTokenizer.FromJson(Build(modelOptions: "\"unk_token\": \"?\", \"fuse_unk\": true"));
        HfTokenizer separate = HfTokenizer.FromJson(Build(modelOptions: "\"unk_token\": \"?\""));
        HfTokenizer none = HfTokenizer.FromJson(Build());

        Assert.Equal([Ascii('a'), Ascii('?'), Ascii('b')], fused.Encode("aéèb"));
        Assert.Equal([Ascii('a'), Ascii('?'), Ascii('?'), Ascii('b')], separate.Encode("aéèb"));
        Assert.Equal([Ascii('a'), Ascii('b')], none.Encode("aéèb"));
    }

    [Fact]
    public void Ignore_merges_takes_a_word_in_the_vocabulary_whole()
    {
        // "abc" is in the vocabulary but the merges can only reach "a" + "bc".
        string[] merges = ["b c"];
        HfTokenizer merging = HfTokenizer.FromJson(Build(extraTokens: ["bc", "abc"], merges: merges));
        HfTokenizer ignoring = HfTokenizer.FromJson(Build(extraTokens: ["bc", "abc"], merges: merges, modelOptions: "\"ignore_merges\": true"));

        Assert.Equal([Ascii('a'), merging.TokenToId("bc")!.Value], merging.Encode("abc"));
        Assert.Equal([ignoring.TokenToId("abc")!.Value], ignoring.Encode("abc"));
    }

    [Fact]
    public void Merges_written_as_pairs_may_hold_tokens_with_spaces()
    {
        string json = Build(extraTokens: [" b", "a b"]).Replace("\"merges\":[]", "\"merges\":[[\" \",\"b\"],[\"a\",\" b\"]]", StringComparison.Ordinal);
        HfTokenizer tokenizer = HfTokenizer.FromJson(json);

        Assert.Equal([tokenizer.TokenToId("a b")!.Value], tokenizer.Encode("a b"));
    }

    // Repeatedly merge the leftmost occurrence of the best-ranked pair: BPE by definition.
    private static List<string> NaiveBpe(string word, List<(string Left, string Right)> merges)
    {
        var rank = merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var symbols = word.Select(c => c.ToString()).ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank)
                {
                    best = i;
                    bestRank = r;
                }
            }
            if (best < 0)
            {
                return symbols;
            }
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
    }
}
