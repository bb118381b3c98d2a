using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace MoCo.Router.Decoding;

/// <summary>
/// The train-mode judges of api_mentor_collab (methods-api.md §7), one F32 safetensors file per (generator, task
/// variant) at `{directory}/{key}/{task}/branch_mlp.safetensors` — the layout of the published HF repo
/// SeanWang0027/MentorCollab-MLP, whose pickled `.pth` files are converted once (the fix of a missing judge says how).
/// The key is the published one for the six published generators, else the generator name with '/' as '_' (tests and
/// users register their own judges with <see cref="Save"/>).
/// </summary>
public sealed class MentorMlpRegistry
{
    /// <summary>File name of a judge.</summary>
    public const string FileName = "branch_mlp.safetensors";

    /// <summary>The published judges' keys by generator, in the spec's order.</summary>
    public static IReadOnlyDictionary<string, string> PublishedKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Qwen/Qwen3-1.7B"] = "Qwen3_1.7B",
        ["Qwen/Qwen3-8B-Base"] = "qwen3_8B_base",
        ["meta-llama/Llama-3.1-8B"] = "llama3_1_8B",
        ["meta-llama/Llama-3.2-3B-Instruct"] = "llama3_2_3B",
        ["google/gemma-3-4b-it"] = "gemma3_4b_it",
        ["google/gemma-3-4b-pt"] = "gemma3_4b_pt",
    };

    /// <summary>A registry in <paramref name="directory"/>.</summary>
    public MentorMlpRegistry(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
    }

    /// <summary>The registry of an artifacts folder: its `mentor_mlp` subfolder.</summary>
    public static MentorMlpRegistry InArtifacts(string artifactsDirectory) => new(Path.Combine(artifactsDirectory, "mentor_mlp"));

    /// <summary>The folder the judges live in.</summary>
    public string Directory { get; }

    /// <summary>The registry key of <paramref name="generator"/>.</summary>
    public static string KeyOf(string generator) => PublishedKeys.TryGetValue(generator, out var key) ? key : generator.Replace('/', '_');

    /// <summary>Where the judge of (<paramref name="generator"/>, <paramref name="task"/>) lives.</summary>
    public string PathOf(string generator, string task) => Path.Combine(Directory, KeyOf(generator), task, FileName);

    /// <summary>The judge of <paramref name="generator"/> for the task variant <paramref name="task"/> ("General", "Math").</summary>
    /// <exception cref="FileNotFoundException">No judge is registered; the message names the generator, the file and the fix.</exception>
    /// <exception cref="InvalidDataException">The file is not an F32 judge; the message names the file and the tensor.</exception>
    public MentorMlp Load(string generator, string task)
    {
        var file = PathOf(generator, task);
        if (!File.Exists(file))
        {
            var source = PublishedKeys.TryGetValue(generator, out var key)
                ? $"convert the published judge once: download {key}/{task}/branch_mlp.pth from the HF repo SeanWang0027/MentorCollab-MLP and run "
                  + $"python -c \"import torch, safetensors.torch as s; s.save_file({{k: v.float().contiguous() for k, v in torch.load('branch_mlp.pth', map_location='cpu').items()}}, '{file}')\""
                : $"no judge is published for {generator} (published: {string.Join(", ", PublishedKeys.Keys)}): train one and save its state dict as F32 safetensors there, or use mode \"free\"";
            throw new FileNotFoundException($"api_mentor_collab mode \"train\" has no MLP judge for generator \"{generator}\" (task \"{task}\"): {file} does not exist; {source}", file);
        }
        try
        {
            return MentorMlp.FromTensors(Read(file));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    /// <summary>Stores <paramref name="mlp"/> as the judge of (<paramref name="generator"/>, <paramref name="task"/>).</summary>
    public void Save(string generator, string task, MentorMlp mlp)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        var file = PathOf(generator, task);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var header = new JsonObject();
        var offset = 0L;
        foreach (var (name, shapeOf) in MentorMlp.Layout)
        {
            var bytes = 4L * mlp.Tensors[name].Length;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray([.. shapeOf(mlp.HiddenSize).Select(d => (JsonNode?)JsonValue.Create(d))]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var stream = File.Create(file);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        stream.Write(json);
        Span<byte> four = stackalloc byte[4];
        foreach (var (name, _) in MentorMlp.Layout)
        {
            foreach (var value in mlp.Tensors[name])
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, value);
                stream.Write(four);
            }
        }
    }

    // The F32 tensors of a safetensors file (8-byte little-endian header length, JSON header, data).
    private static Dictionary<string, (int[] Shape, float[] Values)> Read(string file)
    {
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length < 8 || BinaryPrimitives.ReadUInt64LittleEndian(bytes) is var length && length > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException("not a safetensors file (truncated header)");
        }
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)length))!.AsObject();
        var data = 8 + (int)length;
        var tensors = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || node is not JsonObject tensor)
            {
                continue;
            }
            if ((string?)tensor["dtype"] != "F32")
            {
                // BatchNorm's num_batches_tracked is I64 and unused in eval mode.
                if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                {
                    continue;
                }
                throw new InvalidDataException($"{name} is {(string?)tensor["dtype"]}, expected F32 (convert with .float())");
            }
            var shape = tensor["shape"]!.AsArray().Select(d => (int)d!).ToArray();
            var offsets = tensor["data_offsets"]!.AsArray().Select(o => (long)o!).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || data + offsets[1] > bytes.Length)
            {
                throw new InvalidDataException($"{name}'s data_offsets lie outside the file");
            }
            var values = new float[(offsets[1] - offsets[0]) / 4];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + (int)offsets[0] + 4 * i, 4));
            }
            tensors[name] = (shape, values);
        }
        return tensors;
    }
}
