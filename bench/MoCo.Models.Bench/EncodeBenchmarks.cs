using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;
using MoCo.Models.Tokenization;
using MoCo.Models.TokenizerFixtures;

namespace MoCo.Models.Bench;

/// <summary>
/// Encodes the same ~1 MB text with HfTokenizer (cl100k_base as an HF tokenizer.json, Llama 3 layout) and with
/// Microsoft.ML.Tokenizers' TiktokenTokenizer for cl100k_base, the baseline. Both keep their word caches
/// warm between iterations, as a long-running service would. HfTokenizer caches up to 65,536 words; the
/// baseline runs with its default cache and, for a like-for-like comparison, with a 65,536-word cache.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class EncodeBenchmarks
{
    private HfTokenizer _hf = null!;
    private TiktokenTokenizer _tiktoken = null!;
    private TiktokenTokenizer _tiktokenLargeCache = null!;
    private string _text = null!;
    private readonly List<int> _ids = new(400_000);

    [GlobalSetup]
    public void Setup()
    {
        _text = BenchmarkText.Create();
        _tiktoken = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        object preTokenizer = new Dictionary<string, object>
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["type"] = "Split",
                    ["pattern"] = new Dictionary<string, string> { ["Regex"] = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                    ["behavior"] = "Isolated",
                    ["invert"] = false,
                },
                new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            },
        };
        List<(byte[] Token, int Rank)> ranks = TiktokenConverter.ReadRanks("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate");
        string json = TiktokenConverter.ToTokenizerJson(ranks, _tiktoken.SpecialTokens!, preTokenizer, ignoreMerges: true, mergesAsPairs: false, normalizedSpecialTokens: false);
        using var rankFile = new MemoryStream(System.Text.Encoding.ASCII.GetBytes(string.Concat(ranks.Select(r => $"{Convert.ToBase64String(r.Token)} {r.Rank}\n"))));
        _tiktokenLargeCache = TiktokenTokenizer.CreateForModel("gpt-4", rankFile, extraSpecialTokens: null, cacheSize: 65_536, normalizer: null);
        _hf = HfTokenizer.FromJson(json);

        int[] ours = _hf.Encode(_text, addSpecialTokens: false);
        IReadOnlyList<int> theirs = _tiktoken.EncodeToIds(_text);
        if (!ours.SequenceEqual(theirs))
        {
            throw new InvalidOperationException("HfTokenizer and TiktokenTokenizer disagree on the benchmark text.");
        }
        TokensPerSecondColumn.Tokens = ours.Length;
        Console.WriteLine($"// benchmark text: {_text.Length:N0} chars, {ours.Length:N0} tokens");
    }

    [Benchmark(Baseline = true, Description = "ML.Tokenizers Tiktoken EncodeToIds")]
    public int Tiktoken() => _tiktoken.EncodeToIds(_text).Count;

    [Benchmark(Description = "ML.Tokenizers Tiktoken EncodeToIds, 65k cache")]
    public int TiktokenLargeCache() => _tiktokenLargeCache.EncodeToIds(_text).Count;

    [Benchmark(Description = "HfTokenizer Encode")]
    public int HfEncode() => _hf.Encode(_text, addSpecialTokens: false).Length;

    [Benchmark(Description = "HfTokenizer Encode into reused list")]
    public int HfEncodeIntoList()
    {
        _ids.Clear();
        _hf.Encode(_text.AsSpan(), _ids, addSpecialTokens: false);
        return _ids.Count;
    }

    [Benchmark(Description = "ML.Tokenizers Tiktoken CountTokens")]
    public int TiktokenCount() => _tiktoken.CountTokens(_text);

    [Benchmark(Description = "HfTokenizer CountTokens")]
    public int HfCount() => _hf.CountTokens(_text, addSpecialTokens: false);
}
