using System.Runtime.InteropServices;
using System.Text.Json;

namespace MoCo.Native.Tests.Support;

/// <summary>One fixture of tests/golden/models (format moco-golden/1, tools/golden/README.md).</summary>
internal sealed class GoldenFixture
{
    private GoldenFixture(string name, JsonElement root, float[] rows)
    {
        Name = name;
        Root = root;
        Rows = rows;
        Directory = RepoPaths.GoldenModel(name);
        var tolerance = root.GetProperty("tolerance");
        Atol = tolerance.GetProperty("logits_atol").GetDouble();
        MarginThreshold = tolerance.GetProperty("margin_threshold").GetDouble();
        OutputSize = root.GetProperty("output_size").GetInt32();
        IsClassifier = root.GetProperty("kind").GetString() == "classifier";
        Cases = root.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(
            c.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray(),
            c.GetProperty("prompt_len").GetInt32(),
            c.GetProperty("row_offset").GetInt32(),
            c.TryGetProperty("margins", out var m) ? m.EnumerateArray().Select(x => x.GetDouble()).ToArray() : [])).ToArray();
    }

    /// <summary>Every fixture directory (the C++ test checks this list against its own).</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var dir in System.IO.Directory.GetDirectories(RepoPaths.GoldenModels).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(dir));
            }

            return data;
        }
    }

    public string Name { get; }

    public string Directory { get; }

    public JsonElement Root { get; }

    public JsonElement Info => Root.GetProperty("info");

    public double Atol { get; }

    public double MarginThreshold { get; }

    public int OutputSize { get; }

    public bool IsClassifier { get; }

    public GoldenCase[] Cases { get; }

    /// <summary>The recorded rows, [total_rows, output_size].</summary>
    public float[] Rows { get; }

    public ReadOnlySpan<float> Row(int row) => Rows.AsSpan(row * OutputSize, OutputSize);

    public static GoldenFixture Load(string name)
    {
        var dir = RepoPaths.GoldenModel(name);
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "golden.json"))).RootElement;
        var bytes = File.ReadAllBytes(Path.Combine(dir, root.GetProperty("logits_file").GetString()!));
        return new GoldenFixture(name, root, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }
}

/// <summary>One case: prompt + greedy path (or a classifier prompt), its first row and HF's top-2 margins.</summary>
internal sealed record GoldenCase(int[] Tokens, int PromptLength, int RowOffset, double[] Margins);
