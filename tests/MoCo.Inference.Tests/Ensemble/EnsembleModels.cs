using System.Text;
using System.Text.Json.Nodes;
using MoCo.Testing.Inference;

namespace MoCo.Inference.Tests.Ensemble;

/// <summary>Models the ensemble tests add to a <see cref="GoldenModels"/> folder: <see cref="Narrow"/>, the causal
/// golden with its head cut to <see cref="NarrowRows"/> rows (an aligned-width mismatch, as 151936 vs 152064), and
/// <see cref="Swapped"/>, the same weights behind a tokenizer that swaps two ids (a vocabulary mismatch).</summary>
public static class EnsembleModels
{
    public const string Narrow = "narrow-llama";
    public const string Swapped = "swapped-llama";
    /// <summary>A copy of the causal golden that no test loads: a member that is not resident.</summary>
    public const string Idle = "idle-llama";
    public const int NarrowRows = 200;
    /// <summary>The first id whose token <see cref="Swapped"/> maps differently ('A').</summary>
    public const int SwappedId = 65;

    public static void Write(GoldenModels models)
    {
        var source = models.Dir(GoldenModels.Llama);
        var narrow = Copy(source, models.Dir(Narrow));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(narrow, "config.json")))!;
        config["vocab_size"] = NarrowRows;
        File.WriteAllText(Path.Combine(narrow, "config.json"), config.ToJsonString());
        CutRows(Path.Combine(narrow, "model.safetensors"), ["model.embed_tokens.weight", "lm_head.weight"], NarrowRows);

        Copy(source, models.Dir(Idle));
        var swapped = Copy(source, models.Dir(Swapped));
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(swapped, "tokenizer.json")))!;
        var vocab = tokenizer["model"]!["vocab"]!.AsObject();
        var a = vocab.First(p => p.Value!.GetValue<int>() == SwappedId).Key;
        var b = vocab.First(p => p.Value!.GetValue<int>() == SwappedId + 1).Key;
        vocab[a] = SwappedId + 1;
        vocab[b] = SwappedId;
        File.WriteAllText(Path.Combine(swapped, "tokenizer.json"), tokenizer.ToJsonString());
    }

    private static string Copy(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return target;
    }

    // Keeps the first `rows` rows of the named f32 tensors; the others are copied as they are.
    private static void CutRows(string path, string[] names, int rows)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        var data = bytes.AsSpan(8 + headerLength);
        var output = new MemoryStream();
        var newHeader = new JsonObject();
        long offset = 0;
        foreach (var (name, node) in header.OrderBy(p => p.Value is JsonObject o && o["data_offsets"] is JsonArray a ? a[0]!.GetValue<long>() : -1))
        {
            if (node is not JsonObject tensor || tensor["data_offsets"] is not JsonArray offsets)
            {
                newHeader[name] = node?.DeepClone();
                continue;
            }
            var start = offsets[0]!.GetValue<long>();
            var end = offsets[1]!.GetValue<long>();
            var shape = tensor["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (names.Contains(name))
            {
                end = start + rows * shape[1] * 4;
                shape[0] = rows;
            }
            output.Write(data[(int)start..(int)end]);
            newHeader[name] = new JsonObject
            {
                ["dtype"] = tensor["dtype"]!.GetValue<string>(),
                ["shape"] = new JsonArray([.. shape.Select(d => JsonValue.Create(d))]),
                ["data_offsets"] = new JsonArray(offset, offset + (end - start)),
            };
            offset += end - start;
        }
        var json = Encoding.UTF8.GetBytes(newHeader.ToJsonString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        output.Position = 0;
        output.CopyTo(file);
    }
}
