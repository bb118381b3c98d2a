using System.Runtime.InteropServices;
using System.Text;

namespace MoCo.Native.Tests.Support;

/// <summary>Writes a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) for a golden model.</summary>
internal static class PeftAdapterWriter
{
    /// <summary>A q_proj + v_proj adapter of rank 4 with deterministic random F32 weights, for a model shaped like qwen2_bias_tied.</summary>
    public static string Write(string directory, int seed, int layers = 2, int hidden = 32, int qOut = 32, int kvOut = 16, int rank = 4)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": {{rank}}, "lora_alpha": 8, "lora_dropout": 0.0, "use_rslora": false, "target_modules": ["q_proj", "v_proj"], "bias": "none", "fan_in_fan_out": false}""");
        var random = new Random(seed);
        var tensors = new List<(string Name, long[] Shape, float[] Data)>();
        for (var layer = 0; layer < layers; layer++)
        {
            foreach (var (module, output) in new[] { ("q_proj", qOut), ("v_proj", kvOut) })
            {
                var prefix = $"base_model.model.model.layers.{layer}.self_attn.{module}";
                tensors.Add(($"{prefix}.lora_A.weight", [rank, hidden], Values(random, rank * hidden)));
                tensors.Add(($"{prefix}.lora_B.weight", [output, rank], Values(random, output * rank)));
            }
        }

        SafetensorsWriter.Write(Path.Combine(directory, "adapter_model.safetensors"), tensors);
        return directory;
    }

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * 0.5f;
        }

        return values;
    }
}

/// <summary>The safetensors format: u64 little-endian header length, JSON header, raw little-endian data.</summary>
internal static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            var end = offset + (data.Length * sizeof(float));
            header.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(',', shape)}],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }

        header.Append('}');
        while (header.Length % 8 != 0)
        {
            header.Append(' ');
        }

        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)header.Length));
        file.Write(Encoding.ASCII.GetBytes(header.ToString()));
        foreach (var (_, _, data) in tensors)
        {
            file.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        }
    }
}
