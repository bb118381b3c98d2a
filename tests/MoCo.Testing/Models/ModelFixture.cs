namespace MoCo.Testing.Models;

/// <summary>A temporary models folder holding small, generated Hugging Face directories: a Llama with a
/// safetensors file whose header declares known shapes, a LoRA adapter, a catalogue with a path and an alias. The
/// catalogue, inference and CLI tests resolve names against this one layout.</summary>
public sealed class ModelFixture : IDisposable
{
    /// <summary>Writes the folder.</summary>
    public ModelFixture()
    {
        Root = Directory.CreateTempSubdirectory("moco-models-").FullName;
        Llama = Path.Combine(Root, "acme--tiny-llama");
        Directory.CreateDirectory(Llama);
        HfModelFiles.Write(Llama, "config.json", new { architectures = new[] { "LlamaForCausalLM" }, torch_dtype = "bfloat16", max_position_embeddings = 2048, vocab_size = 320 });
        HfModelFiles.WriteSafetensors(Path.Combine(Llama, "model.safetensors"), new() { ["embed.weight"] = [320, 16], ["norm.weight"] = [16] });
        HfModelFiles.Write(Llama, "generation_config.json", new { eos_token_id = new[] { 2, 7 }, temperature = 0.6, top_p = 0.9, do_sample = true });
        HfModelFiles.Write(Llama, "tokenizer_config.json", new { bos_token = "<s>", eos_token = new { content = "</s>" }, chat_template = "{{ messages }}" });
        HfModelFiles.Write(Llama, "tokenizer.json", new
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
        HfModelFiles.Write(Adapter, "adapter_config.json", new { peft_type = "LORA", base_model_name_or_path = "acme/tiny-llama" });
        HfModelFiles.WriteSafetensors(Path.Combine(Adapter, "adapter_model.safetensors"), new() { ["a"] = [4, 16], ["b"] = [16, 4] });

        HfModelFiles.Write(Root, "catalogue.json", new
        {
            version = 1,
            models = new Dictionary<string, object>
            {
                ["Acme/Tiny-Chat"] = new { path = "acme--tiny-llama" },
                ["judge"] = new { alias = "Acme/Tiny-Chat" },
            },
        });
    }

    /// <summary>The models folder.</summary>
    public string Root { get; }

    /// <summary>acme--tiny-llama: config, header-only weights, generation config, tokenizer files.</summary>
    public string Llama { get; }

    /// <summary>adapters/math-lora on acme/tiny-llama.</summary>
    public string Adapter { get; }

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(Root, recursive: true);
}
