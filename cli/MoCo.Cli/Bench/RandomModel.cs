using System.Text.Json.Nodes;
using MoCo.Zoo.Checkpoints;

namespace MoCo.Cli.Bench;

/// <summary>
/// `--model random:125m` and `random:1b`: a seeded random Llama of that size (BF16, grouped-query attention, the
/// zoo's initialisation), with the zoo's tokenizer, written into a folder the command removes afterwards. The bundled
/// models fit in a CPU's caches; these do not, so their decode meets the memory-bandwidth bound the engine suite
/// reports against. 1b is Llama-3.2-1B's decoder (2048 wide, 16 layers, 32 heads, 8 KV heads, MLP 8192) over the
/// zoo's 1,024-entry vocabulary: 0.97 G parameters, 1.9 GB.
/// </summary>
public static class RandomModel
{
    private const string Prefix = "random:";

    /// <summary>The sizes, by the name after "random:".</summary>
    public static readonly IReadOnlyDictionary<string, ModelShape> Sizes = new Dictionary<string, ModelShape>(StringComparer.Ordinal)
    {
        ["125m"] = new(Hidden: 768, Layers: 12, Heads: 12, KvHeads: 4, Intermediate: 3072, MaxPositions: 2048),
        ["1b"] = new(Hidden: 2048, Layers: 16, Heads: 32, KvHeads: 8, Intermediate: 8192, MaxPositions: 2048),
    };

    /// <summary>True for a name of the form random:SIZE (a size that does not exist included, so it is refused by name).</summary>
    public static bool Names(string model) => model.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Writes <paramref name="model"/> into a new folder under <paramref name="parent"/>, taking the tokenizer
    /// and special tokens from the zoo model in <paramref name="zooModel"/>; returns the folder.</summary>
    /// <exception cref="ArgumentException">An unknown size; the message lists the known ones.</exception>
    public static string Write(string model, string zooModel, string parent)
    {
        var size = model[Prefix.Length..];
        if (!Sizes.TryGetValue(size, out var shape))
        {
            throw new ArgumentException($"unknown random model \"{model}\": use {string.Join(" or ", Sizes.Keys.Select(k => Prefix + k))}");
        }
        var directory = Directory.CreateDirectory(Path.Combine(parent, "random-" + size)).FullName;
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
        {
            File.Copy(Path.Combine(zooModel, file), Path.Combine(directory, file));
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(zooModel, "config.json")))!.AsObject();
        config["hidden_size"] = shape.Hidden;
        config["intermediate_size"] = shape.Intermediate;
        config["num_hidden_layers"] = shape.Layers;
        config["num_attention_heads"] = shape.Heads;
        config["num_key_value_heads"] = shape.KvHeads;
        config["head_dim"] = shape.HeadDim;
        config["max_position_embeddings"] = shape.MaxPositions;
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        var vocabulary = config["vocab_size"]!.GetValue<int>();
        SafetensorsWriter.WriteBf16(Path.Combine(directory, "model.safetensors"), CheckpointWriter.InitialTensors(shape, vocabulary, seed: 1));
        return directory;
    }
}
