using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MoCo.Testing.Inference;

/// <summary>
/// A temporary models folder holding copies of libmoco's golden checkpoints (real weights whose logits and greedy
/// paths a float64 oracle recorded) with a byte-level tokenizer.json of exactly their 256 ids (id b = byte b), so
/// every id decodes and random ids exercise broken UTF-8; plus two LoRA adapters on the causal model, one random and
/// one all-zero. The models have no chat template, so a chat prompt renders as its contents joined by "\n", and no
/// added special tokens: a text's ids are its UTF-8 bytes. Serve the folder with <see cref="InferenceHost"/>.
/// </summary>
public sealed class GoldenModels : IDisposable
{
    /// <summary>The causal model (llama_gqa_rope_llama3: 2 layers, hidden 32, GQA, llama3 RoPE).</summary>
    public const string Llama = "tiny-llama";
    /// <summary>The one-label sequence classifier (llama_reward_classifier), a reward model's shape.</summary>
    public const string Reward = "tiny-reward";
    /// <summary>A random LoRA adapter on <see cref="Llama"/>.</summary>
    public const string Lora = "tiny-lora";
    /// <summary>An all-zero LoRA adapter on <see cref="Llama"/>: it generates exactly what the base does.</summary>
    public const string ZeroLora = "zero-lora";

    /// <summary>libmoco's golden checkpoints in the repository.</summary>
    public static readonly string GoldenRoot = Path.Combine(
        Checkout.Root,
        "services", "inference-native", "native", "tests", "golden", "models");

    /// <summary>The smoke models (examples/smoke/models): random-weight checkpoints of three architectures sharing one byte
    /// tokenizer, a LoRA pair and a reward model.</summary>
    public static readonly string SmokeModels = Path.GetFullPath(Path.Combine(GoldenRoot, "..", "..", "..", "..", "..", "..", "examples", "smoke", "models"));

    /// <summary>Writes the folder.</summary>
    /// <param name="contextTokens">When set, the copies declare this context (max_position_embeddings) instead of
    /// the goldens' 128 tokens, for callers whose prompts are real text (a judge prompt is a few hundred bytes).
    /// Positions past 128 are outside what the oracle recorded, so compare such runs with <see cref="NativeReference"/>.</param>
    public GoldenModels(int? contextTokens = null)
    {
        Root = Directory.CreateTempSubdirectory("moco-golden-models-").FullName;
        Copy("llama_gqa_rope_llama3", Llama, contextTokens);
        Copy("llama_reward_classifier", Reward, contextTokens);
        WriteAdapter(Lora, seed: 7, zero: false);
        WriteAdapter(ZeroLora, seed: 7, zero: true);
    }

    /// <summary>The folder: one sub-folder per model, named as the model id.</summary>
    public string Root { get; }

    /// <summary>The folder of <paramref name="model"/>.</summary>
    public string Dir(string model) => Path.Combine(Root, model);

    /// <summary>The golden case of a model: prompt ids and, for the causal model, the oracle's greedy continuation.</summary>
    public static (int[] Prompt, int[] Greedy, JsonElement Case) GoldenCase(string golden, int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenRoot, golden, "golden.json")));
        var c = doc.RootElement.GetProperty("cases")[index].Clone();
        var tokens = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        var promptLength = c.GetProperty("prompt_len").GetInt32();
        return (tokens[..promptLength], tokens[promptLength..], c);
    }

    /// <summary>The ids the models' tokenizer gives <paramref name="text"/>: its UTF-8 bytes.</summary>
    public static int[] Ids(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void Copy(string golden, string name, int? contextTokens)
    {
        var dir = Dir(name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(GoldenRoot, golden)).Where(f => !f.EndsWith("logits.bin", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        if (contextTokens is { } context)
        {
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
            config["max_position_embeddings"] = context;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        }
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), ByteTokenizerJson());
    }

    // A byte-level BPE of the 256 single bytes (GPT-2's byte alphabet, id = byte, so no merges), written as
    // tools/tokenizer-fixtures/TiktokenConverter writes it. That file is not compiled in here: test projects that
    // link it themselves would then see its public type twice.
    private static string ByteTokenizerJson()
    {
        var byteLevel = new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false };
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            vocab[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
        }
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = Array.Empty<object>(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel,
            ["post_processor"] = byteLevel,
            ["decoder"] = byteLevel,
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = Array.Empty<object>(),
            },
        });
    }

    // PEFT LoRA on q_proj and v_proj of the 2-layer GQA model (hidden 32, 4 heads / 2 KV heads of 8).
    private void WriteAdapter(string name, int seed, bool zero)
    {
        var dir = Dir(name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), JsonSerializer.Serialize(new
        {
            peft_type = "LORA",
            task_type = "CAUSAL_LM",
            base_model_name_or_path = Llama,
            r = 4,
            lora_alpha = 8.0,
            lora_dropout = 0.0,
            target_modules = new[] { "q_proj", "v_proj" },
            bias = "none",
        }));
        var random = new Random(seed);
        var tensors = new List<(string Name, int[] Shape, float[] Data)>();
        for (var layer = 0; layer < 2; layer++)
        {
            foreach (var (module, outputs) in new[] { ("q_proj", 32), ("v_proj", 16) })
            {
                var prefix = $"base_model.model.model.layers.{layer}.self_attn.{module}";
                tensors.Add(($"{prefix}.lora_A.weight", [4, 32], Values(4 * 32, random, zero: false)));
                tensors.Add(($"{prefix}.lora_B.weight", [outputs, 4], Values(outputs * 4, random, zero)));
            }
        }
        WriteSafetensors(Path.Combine(dir, "adapter_model.safetensors"), tensors);
    }

    private static float[] Values(int count, Random random, bool zero) =>
        [.. Enumerable.Range(0, count).Select(_ => zero ? 0f : (float)(random.NextDouble() - 0.5))];

    private static void WriteSafetensors(string path, List<(string Name, int[] Shape, float[] Data)> tensors)
    {
        long offset = 0;
        var header = new Dictionary<string, object>();
        foreach (var (name, shape, data) in tensors)
        {
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + data.Length * 4L } };
            offset += data.Length * 4L;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        foreach (var (_, _, data) in tensors)
        {
            var bytes = new byte[data.Length * 4];
            Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
            file.Write(bytes);
        }
    }
}
