using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace MoCo.Models.TokenizerFixtures;

/// <summary>
/// Builds HF tokenizer.json files from the tiktoken rank files inside the Microsoft.ML.Tokenizers.Data.*
/// NuGet packages, the standard tiktoken-to-HF conversion: the vocabulary is each token's bytes written in
/// GPT-2's byte alphabet with its rank as id, and a token's merge is the last step of running BPE on its
/// own bytes with only lower-ranked tokens allowed. Deterministic, so every run tests the same files.
/// </summary>
public static class TiktokenConverter
{
    /// <summary>Reads "name.tiktoken.deflate" from the data assembly: a "Capacity: N" header, then one base64 token per line (rank = line number) or "base64 rank".</summary>
    public static List<(byte[] Token, int Rank)> ReadRanks(string dataAssemblyName, string resourceName)
    {
        Assembly assembly = Assembly.Load(dataAssemblyName);
        using Stream resource = assembly.GetManifestResourceStream(resourceName) ?? throw new InvalidOperationException($"{dataAssemblyName} has no {resourceName}");
        using var reader = new StreamReader(new DeflateStream(resource, CompressionMode.Decompress));
        var ranks = new List<(byte[], int)>();
        int next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }
            int space = line.IndexOf(' ');
            int rank = space < 0 ? next : int.Parse(line.AsSpan(space + 1));
            ranks.Add((Convert.FromBase64String(space < 0 ? line : line[..space]), rank));
            next = rank + 1;
        }
        return ranks;
    }

    /// <summary>Writes tokenizer.json.</summary>
    /// <param name="ranks">Token bytes and ranks.</param>
    /// <param name="specialTokens">Added special tokens and their ids.</param>
    /// <param name="preTokenizer">The "pre_tokenizer" object, written as given.</param>
    /// <param name="ignoreMerges">model.ignore_merges.</param>
    /// <param name="mergesAsPairs">Write merges as ["a", "b"] (tokenizers ≥ 0.20) rather than "a b".</param>
    /// <param name="normalizedSpecialTokens">The added tokens' "normalized" flag (GPT-2's file sets it).</param>
    public static string ToTokenizerJson(
        List<(byte[] Token, int Rank)> ranks,
        IReadOnlyDictionary<string, int> specialTokens,
        object preTokenizer,
        bool ignoreMerges,
        bool mergesAsPairs,
        bool normalizedSpecialTokens)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((byte[] token, int rank) in ranks)
        {
            vocab[ToAlphabet(token)] = rank;
        }
        var merges = new List<(int Rank, string Left, string Right)>();
        foreach ((byte[] token, int rank) in ranks)
        {
            if (token.Length >= 2)
            {
                (string left, string right) = LastMerge(token, rank, vocab);
                merges.Add((rank, left, right));
            }
        }
        merges.Sort((a, b) => a.Rank.CompareTo(b.Rank));

        var document = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = specialTokens.OrderBy(kv => kv.Value).Select(kv => new Dictionary<string, object>
            {
                ["id"] = kv.Value,
                ["content"] = kv.Key,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = normalizedSpecialTokens,
                ["special"] = true,
            }).ToArray(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer,
            ["post_processor"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ["decoder"] = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab,
                ["merges"] = mergesAsPairs
                    ? merges.Select(m => (object)new[] { m.Left, m.Right }).ToArray()
                    : merges.Select(m => (object)$"{m.Left} {m.Right}").ToArray(),
            },
        };
        return JsonSerializer.Serialize(document);
    }

    // BPE on the token's own bytes, merging only into tokens ranked below it; what remains are the two
    // halves the final merge joins (transformers' tiktoken converter does the same).
    private static (string Left, string Right) LastMerge(byte[] token, int rank, Dictionary<string, int> vocab)
    {
        var parts = token.Select(b => ToAlphabet([b])).ToList();
        while (true)
        {
            int best = -1;
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < parts.Count; i++)
            {
                if (vocab.TryGetValue(parts[i] + parts[i + 1], out int r) && r < rank && r < bestRank)
                {
                    best = i;
                    bestRank = r;
                }
            }
            if (best < 0)
            {
                break;
            }
            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
        return parts.Count == 2 ? (parts[0], parts[1]) : throw new InvalidOperationException($"token of rank {rank} does not reduce to one merge");
    }

    private static string ToAlphabet(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            builder.Append(ByteToChar[b]);
        }
        return builder.ToString();
    }

    // GPT-2's bytes_to_unicode, written out independently of the library's table so the fixture checks it.
    private static readonly char[] ByteToChar = BuildAlphabet();

    private static char[] BuildAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var table = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            table[b] = printable.Contains(b) ? (char)b : (char)(256 + extra++);
        }
        return table;
    }
}
