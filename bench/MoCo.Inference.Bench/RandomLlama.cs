using System.Text;
using System.Text.Json;
using MoCo.Models.TokenizerFixtures;

namespace MoCo.Inference.Bench;

/// <summary>A random-initialised LlamaForCausalLM written as a Hugging Face directory (config.json, F32 safetensors,
/// a byte-level tokenizer of the first 256 ids): big enough that the forward, not the plumbing, dominates a step.</summary>
internal static class RandomLlama
{
    public static void Write(string dir, int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate, int context)
    {
        Directory.CreateDirectory(dir);
        var headDim = hidden / heads;
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            architectures = new[] { "LlamaForCausalLM" },
            model_type = "llama",
            hidden_size = hidden,
            intermediate_size = intermediate,
            num_hidden_layers = layers,
            num_attention_heads = heads,
            num_key_value_heads = kvHeads,
            head_dim = headDim,
            max_position_embeddings = context,
            rms_norm_eps = 1e-5,
            rope_theta = 10000.0,
            tie_word_embeddings = false,
            torch_dtype = "float32",
            vocab_size = vocab,
        }));
        var bytes = Enumerable.Range(0, 256).Select(b => (new[] { (byte)b }, b)).ToList();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TiktokenConverter.ToTokenizerJson(bytes, new Dictionary<string, int>(),
            new Dictionary<string, object> { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ignoreMerges: false, mergesAsPairs: false, normalizedSpecialTokens: false));

        var tensors = new List<(string Name, int[] Shape)> { ("model.embed_tokens.weight", [vocab, hidden]), ("model.norm.weight", [hidden]), ("lm_head.weight", [vocab, hidden]) };
        for (var i = 0; i < layers; i++)
        {
            var p = $"model.layers.{i}.";
            tensors.AddRange([
                (p + "self_attn.q_proj.weight", [heads * headDim, hidden]), (p + "self_attn.k_proj.weight", [kvHeads * headDim, hidden]),
                (p + "self_attn.v_proj.weight", [kvHeads * headDim, hidden]), (p + "self_attn.o_proj.weight", [hidden, heads * headDim]),
                (p + "mlp.gate_proj.weight", [intermediate, hidden]), (p + "mlp.up_proj.weight", [intermediate, hidden]),
                (p + "mlp.down_proj.weight", [hidden, intermediate]),
                (p + "input_layernorm.weight", [hidden]), (p + "post_attention_layernorm.weight", [hidden])]);
        }
        long offset = 0;
        var header = new Dictionary<string, object>();
        foreach (var (name, shape) in tensors)
        {
            var size = shape.Aggregate(4L, (a, b) => a * b);
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + size } };
            offset += size;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(Path.Combine(dir, "model.safetensors"));
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        var random = new Random(1);
        foreach (var (name, shape) in tensors)
        {
            var count = shape.Aggregate(1, (a, b) => a * b);
            var norm = name.EndsWith("norm.weight", StringComparison.Ordinal);
            var scale = (float)(1 / Math.Sqrt(shape[^1]));
            var data = new float[count];
            for (var j = 0; j < count; j++)
            {
                data[j] = norm ? 1f : (float)(random.NextDouble() * 2 - 1) * scale;
            }
            var raw = new byte[count * 4];
            Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
            file.Write(raw);
        }
    }
}
