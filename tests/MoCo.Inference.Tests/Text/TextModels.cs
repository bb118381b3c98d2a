using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using MoCo.Models.TokenizerFixtures;

namespace MoCo.Inference.Tests.Text;

/// <summary>
/// A temporary models folder of small model directories (config.json and tokenizer files, no weights) built from
/// real vocabularies: r50k_base converted to tokenizer.json with chat special tokens, dressed as a Qwen2.5-style
/// model (no BOS) and a Llama 3-style one (BOS added by the post-processor), each with its real chat template; the
/// Mistral SentencePiece tokenizer; and broken directories for the errors.
/// </summary>
public sealed class TextModels : IDisposable
{
    public const int Context = 64;

    public static readonly Dictionary<string, int> Specials = new()
    {
        ["<|endoftext|>"] = 50256,
        ["<|im_start|>"] = 50257,
        ["<|im_end|>"] = 50258,
        ["<|begin_of_text|>"] = 50259,
        ["<|eot_id|>"] = 50260,
        ["<|start_header_id|>"] = 50261,
        ["<|end_header_id|>"] = 50262,
    };

    public const int LlamaBos = 50259;

    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public TextModels()
    {
        Root = Directory.CreateTempSubdirectory("moco-text-models-").FullName;
        var r50k = TiktokenConverter.ToTokenizerJson(TiktokenConverter.ReadRanks("Microsoft.ML.Tokenizers.Data.R50kBase", "r50k_base.tiktoken.deflate"),
            Specials, SplitThenByteLevel(), ignoreMerges: false, mergesAsPairs: false, normalizedSpecialTokens: false);
        Reference = TiktokenTokenizer.CreateForEncoding("r50k_base", Specials.Where(s => s.Key != "<|endoftext|>").ToDictionary());

        Model("qwen", r50k, new { eos_token = "<|im_end|>", pad_token = "<|endoftext|>", chat_template = Template("Qwen--Qwen2.5-7B-Instruct.jinja") },
            new { eos_token_id = new[] { 50258, 50256 }, temperature = 0.7, top_p = 0.8, max_new_tokens = 10 });
        Model("llama", WithBosTemplate(r50k), new { bos_token = "<|begin_of_text|>", eos_token = "<|eot_id|>", chat_template = Template("meta-llama--Llama-3.3-70B-Instruct.jinja") },
            new { eos_token_id = 50260, bos_token_id = 50259 });
        Model("plain", r50k, new { eos_token = "<|endoftext|>" }, null);
        Model("rejecting", r50k, new { chat_template = "{{ raise_exception('System role not supported') }}" }, null);
        Model("exotic-template", r50k, new { chat_template = "{{ messages | frobnicate }}" }, null);

        var mistral = Path.Combine(Root, "mistral");
        Directory.CreateDirectory(mistral);
        WriteJson(mistral, "config.json", new { architectures = new[] { "MistralForCausalLM" }, max_position_embeddings = 4096, vocab_size = 32000 });
        using (var gzip = new GZipStream(File.OpenRead(Path.Combine(SentencePieceData, "tokenizer.json.gz")), CompressionMode.Decompress))
        using (var output = File.Create(Path.Combine(mistral, "tokenizer.json")))
        {
            gzip.CopyTo(output);
        }
        File.Copy(Path.Combine(SentencePieceData, "tokenizer_config.json"), Path.Combine(mistral, "tokenizer_config.json"));

        var bare = Path.Combine(Root, "no-tokenizer");
        Directory.CreateDirectory(bare);
        WriteJson(bare, "config.json", new { architectures = new[] { "LlamaForCausalLM" }, max_position_embeddings = 128 });

        var unigram = Path.Combine(Root, "unigram");
        Directory.CreateDirectory(unigram);
        WriteJson(unigram, "config.json", new { architectures = new[] { "T5ForConditionalGeneration" }, max_position_embeddings = 128 });
        WriteJson(unigram, "tokenizer.json", new { model = new { type = "Unigram", vocab = new[] { new object[] { "a", -1.0 } } } });
    }

    public string Root { get; }

    /// <summary>Microsoft.ML.Tokenizers' r50k_base with the same special tokens: the reference for every r50k id.</summary>
    public TiktokenTokenizer Reference { get; }

    public static string SentencePieceData { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "sentencepiece-bpe");

    public static string ChatTemplates { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat-templates");

    public string Dir(string model) => Path.Combine(Root, model);

    /// <summary>The jinja2 golden of a fixture template for a conversation case.</summary>
    public static string Golden(string template, string @case, bool addGenerationPrompt)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChatTemplates, "goldens", Path.GetFileNameWithoutExtension(template) + ".json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("case").GetString() == @case && c.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt)
            .GetProperty("output").GetString()!;
    }

    /// <summary>The messages of a fixture conversation case.</summary>
    public static IEnumerable<Contracts.V1.ChatMessage> Conversation(string @case)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChatTemplates, "conversations.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == @case)
            .GetProperty("messages").EnumerateArray()
            .Select(m => new Contracts.V1.ChatMessage { Role = m.GetProperty("role").GetString(), Content = m.GetProperty("content").GetString() })
            .ToList();
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void Model(string name, string tokenizerJson, object tokenizerConfig, object? generationConfig)
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        WriteJson(dir, "config.json", new { architectures = new[] { "LlamaForCausalLM" }, max_position_embeddings = Context, vocab_size = 50264 });
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizerJson);
        WriteJson(dir, "tokenizer_config.json", tokenizerConfig);
        if (generationConfig is not null)
        {
            WriteJson(dir, "generation_config.json", generationConfig);
        }
    }

    private static string Template(string file) => File.ReadAllText(Path.Combine(ChatTemplates, "templates", file));

    // Llama 3's tokenizer.json: ByteLevel, then a template putting <|begin_of_text|> first.
    private static string WithBosTemplate(string tokenizerJson)
    {
        var root = JsonNode.Parse(tokenizerJson)!;
        var bos = new JsonObject { ["id"] = "<|begin_of_text|>", ["ids"] = new JsonArray(LlamaBos), ["tokens"] = new JsonArray("<|begin_of_text|>") };
        root["post_processor"] = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = JsonNode.Parse("""[{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]"""),
            ["pair"] = new JsonArray(),
            ["special_tokens"] = new JsonObject { ["<|begin_of_text|>"] = bos },
        };
        return root.ToJsonString();
    }

    private static Dictionary<string, object> SplitThenByteLevel() => new()
    {
        ["type"] = "Sequence",
        ["pretokenizers"] = new object[]
        {
            new Dictionary<string, object> { ["type"] = "Split", ["pattern"] = new Dictionary<string, string> { ["Regex"] = Gpt2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
            new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
        },
    };

    private static void WriteJson(string dir, string file, object content) =>
        File.WriteAllText(Path.Combine(dir, file), JsonSerializer.Serialize(content));
}

[CollectionDefinition(Name)]
public sealed class TextModelsCollection : ICollectionFixture<TextModels>
{
    public const string Name = "text models";
}
