using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Zoo.Suite;
using MoCo.Zoo.Tokenizer;

namespace MoCo.Zoo.Checkpoints;

/// <summary>
/// Writes a Hugging Face model directory that transformers' LlamaForCausalLM loads: config.json, a seeded random
/// initialisation in model.safetensors (normal(0, 0.02) as HF's initializer_range, norms at 1), the trained
/// tokenizer.json, tokenizer_config.json with the zoo's chat template, and generation_config.json.
/// </summary>
public static class CheckpointWriter
{
    /// <summary>The end-of-turn token: the EOS of every zoo model.</summary>
    public const string EndToken = "<|end|>";

    /// <summary>The padding token.</summary>
    public const string PadToken = "<|pad|>";

    /// <summary>The zoo's special tokens, in id order after the BPE vocabulary.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = [EndToken, PadToken, "<|system|>", "<|user|>", "<|assistant|>"];

    /// <summary>The chat template: one role marker line per message, content, the end token.</summary>
    public const string ChatTemplate =
        "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n{% endfor %}" +
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

    private static readonly JsonSerializerOptions FileOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes a freshly initialised model of <paramref name="shape"/> into <paramref name="directory"/>.</summary>
    public static void WriteInitial(string directory, ModelShape shape, BpeVocabulary vocabulary, ulong seed)
    {
        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, "config.json"), Config(shape, vocabulary));
        WriteTokenizerFiles(directory, vocabulary);
        SafetensorsWriter.WriteBf16(Path.Combine(directory, "model.safetensors"), InitialTensors(shape, vocabulary.Size, seed));
    }

    /// <summary>Writes tokenizer.json, tokenizer_config.json and generation_config.json.</summary>
    public static void WriteTokenizerFiles(string directory, BpeVocabulary vocabulary)
    {
        WriteJson(Path.Combine(directory, "tokenizer.json"), vocabulary.ToTokenizerJson());
        WriteJson(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["add_bos_token"] = false,
            ["add_eos_token"] = false,
            ["bos_token"] = null,
            ["eos_token"] = EndToken,
            ["pad_token"] = PadToken,
            ["unk_token"] = null,
            ["model_max_length"] = 1024,
            ["clean_up_tokenization_spaces"] = false,
            ["chat_template"] = ChatTemplate,
        });
        WriteJson(Path.Combine(directory, "generation_config.json"), new JsonObject
        {
            ["eos_token_id"] = vocabulary.SpecialId(EndToken),
            ["pad_token_id"] = vocabulary.SpecialId(PadToken),
            ["do_sample"] = false,
        });
    }

    /// <summary>config.json of a LlamaForCausalLM of <paramref name="shape"/>.</summary>
    public static JsonObject Config(ModelShape shape, BpeVocabulary vocabulary) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = shape.Hidden,
        ["intermediate_size"] = shape.Intermediate,
        ["num_hidden_layers"] = shape.Layers,
        ["num_attention_heads"] = shape.Heads,
        ["num_key_value_heads"] = shape.KvHeads,
        ["head_dim"] = shape.HeadDim,
        ["hidden_act"] = "silu",
        ["max_position_embeddings"] = shape.MaxPositions,
        ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0,
        ["rope_scaling"] = null,
        ["attention_bias"] = false,
        ["mlp_bias"] = false,
        ["tie_word_embeddings"] = true,
        ["initializer_range"] = 0.02,
        ["vocab_size"] = vocabulary.Size,
        ["bos_token_id"] = null,
        ["eos_token_id"] = vocabulary.SpecialId(EndToken),
        ["pad_token_id"] = vocabulary.SpecialId(PadToken),
        ["torch_dtype"] = "bfloat16",
    };

    /// <summary>The seeded initialisation of <see cref="WriteInitial"/>: every tensor of a model of <paramref name="s"/> with
    /// <paramref name="vocabulary"/> entries, in file order (`moco bench --model random:1b` writes one of these too).</summary>
    public static List<(string Name, long[] Shape, float[] Values)> InitialTensors(ModelShape s, int vocabulary, ulong seed)
    {
        var random = SeededRandom.For(seed, "init");
        float[] Normal(long count)
        {
            var values = new float[count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(0.02 * random.NextGaussian());
            }
            return values;
        }
        float[] Ones(int count) => Enumerable.Repeat(1f, count).ToArray();
        var q = s.Heads * s.HeadDim;
        var kv = s.KvHeads * s.HeadDim;
        var tensors = new List<(string, long[], float[])> { ("model.embed_tokens.weight", [vocabulary, s.Hidden], Normal((long)vocabulary * s.Hidden)) };
        for (var l = 0; l < s.Layers; l++)
        {
            var p = "model.layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            tensors.Add((p + "input_layernorm.weight", [s.Hidden], Ones(s.Hidden)));
            tensors.Add((p + "self_attn.q_proj.weight", [q, s.Hidden], Normal((long)q * s.Hidden)));
            tensors.Add((p + "self_attn.k_proj.weight", [kv, s.Hidden], Normal((long)kv * s.Hidden)));
            tensors.Add((p + "self_attn.v_proj.weight", [kv, s.Hidden], Normal((long)kv * s.Hidden)));
            tensors.Add((p + "self_attn.o_proj.weight", [s.Hidden, q], Normal((long)q * s.Hidden)));
            tensors.Add((p + "post_attention_layernorm.weight", [s.Hidden], Ones(s.Hidden)));
            tensors.Add((p + "mlp.gate_proj.weight", [s.Intermediate, s.Hidden], Normal((long)s.Intermediate * s.Hidden)));
            tensors.Add((p + "mlp.up_proj.weight", [s.Intermediate, s.Hidden], Normal((long)s.Intermediate * s.Hidden)));
            tensors.Add((p + "mlp.down_proj.weight", [s.Hidden, s.Intermediate], Normal((long)s.Intermediate * s.Hidden)));
        }
        tensors.Add(("model.norm.weight", [s.Hidden], Ones(s.Hidden)));
        return tensors;
    }

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(FileOptions).ReplaceLineEndings("\n") + "\n");
}
