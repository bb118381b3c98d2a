using System.Text;
using System.Text.Json;

namespace MoCo.Models.Tests.Catalog;

/// <summary>A temporary models folder (the same layout MoCo.Inference.Tests serves) holding small, generated Hugging Face directories: a Llama with a
/// safetensors file whose header declares known shapes, a LoRA adapter, a catalogue with a path and an alias.</summary>
public sealed class CatalogFixture : IDisposable
{
    public CatalogFixture()
    {
        Root = Directory.CreateTempSubdirectory("moco-models-").FullName;
        Llama = Path.Combine(Root, "acme--tiny-llama");
        Directory.CreateDirectory(Llama);
        Write(Llama, "config.json", new { architectures = new[] { "LlamaForCausalLM" }, torch_dtype = "bfloat16", max_position_embeddings = 2048, vocab_size = 320 });
        WriteSafetensors(Path.Combine(Llama, "model.safetensors"), new() { ["embed.weight"] = [320, 16], ["norm.weight"] = [16] });
        Write(Llama, "generation_config.json", new { eos_token_id = new[] { 2, 7 }, temperature = 0.6, top_p = 0.9, do_sample = true });
        Write(Llama, "tokenizer_config.json", new { bos_token = "<s>", eos_token = new { content = "</s>" }, chat_template = "{{ messages }}" });
        Write(Llama, "tokenizer.json", new
        {
            added_tokens = new object[]
            {
                new { id = 1, content = "<s>", special = true },
                new { id = 2, content = "</s>", special = true },
                new { id = 9, content = "<tool>", special = false },
            },
            model = new { vocab = new Dictionary<string, int> { ["a"] = 3 } },
        });

        Adapter = Path.Combine(Root, "adapters", "math-lora");
        Directory.CreateDirectory(Adapter);
        Write(Adapter, "adapter_config.json", new { peft_type = "LORA", base_model_name_or_path = "acme/tiny-llama" });
        WriteSafetensors(Path.Combine(Adapter, "adapter_model.safetensors"), new() { ["a"] = [4, 16], ["b"] = [16, 4] });

        Write(Root, "catalogue.json", new
        {
            version = 1,
            models = new Dictionary<string, object>
            {
                ["Acme/Tiny-Chat"] = new { path = "acme--tiny-llama" },
                ["judge"] = new { alias = "Acme/Tiny-Chat" },
            },
        });
    }

    public string Root { get; }
    public string Llama { get; }
    public string Adapter { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static void Write(string dir, string file, object content) =>
        File.WriteAllText(Path.Combine(dir, file), JsonSerializer.Serialize(content));

    public static void WriteSafetensors(string path, Dictionary<string, long[]> tensors)
    {
        long offset = 0;
        var header = new Dictionary<string, object>();
        foreach (var (name, shape) in tensors)
        {
            var bytes = shape.Aggregate(4L, (a, b) => a * b);
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        file.Write(new byte[offset]);
    }
}
