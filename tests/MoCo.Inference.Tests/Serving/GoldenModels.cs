using System.Reflection;
using System.Text;
using System.Text.Json;
using MoCo.Models.TokenizerFixtures;

namespace MoCo.Inference.Tests.Serving;

/// <summary>
/// A temporary models folder holding copies of libmoco's golden checkpoints (real weights whose logits and greedy
/// paths a float64 oracle recorded) with a byte-level tokenizer.json of exactly their 256 ids (id b = byte b), so
/// every id decodes and random ids exercise broken UTF-8; plus two LoRA adapters on the causal model, one random and
/// one all-zero.
/// </summary>
public sealed class GoldenModels : IDisposable
{
    public const string Llama = "tiny-llama";
    public const string Reward = "tiny-reward";
    public const string Lora = "tiny-lora";
    public const string ZeroLora = "zero-lora";

    public static readonly string GoldenRoot = Path.Combine(
        typeof(GoldenModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!,
        "services", "inference-native", "native", "tests", "golden", "models");

    public GoldenModels()
    {
        Root = Directory.CreateTempSubdirectory("moco-golden-models-").FullName;
        Copy("llama_gqa_rope_llama3", Llama);
        Copy("llama_reward_classifier", Reward);
        WriteAdapter(Lora, seed: 7, zero: false);
        WriteAdapter(ZeroLora, seed: 7, zero: true);
    }

    public string Root { get; }

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

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void Copy(string golden, string name)
    {
        var dir = Dir(name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(GoldenRoot, golden)).Where(f => !f.EndsWith("logits.bin", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        var bytes = Enumerable.Range(0, 256).Select(b => (new[] { (byte)b }, b)).ToList();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TiktokenConverter.ToTokenizerJson(bytes, new Dictionary<string, int>(),
            new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ignoreMerges: false, mergesAsPairs: false, normalizedSpecialTokens: false));
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
