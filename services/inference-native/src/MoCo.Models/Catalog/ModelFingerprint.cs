using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace MoCo.Models.Catalog;

/// <summary>
/// A model directory's fingerprint (config-and-cli.md §5.2): SHA-256 over config.json (or adapter_config.json),
/// the tokenizer files, and for each weight file its name, size, safetensors header and first and last MiB —
/// enough to notice changed weights without reading gigabytes. Cached by path, size and modification time.
/// </summary>
public static class ModelFingerprint
{
    private const int Edge = 1024 * 1024;

    private static readonly string[] MetadataFiles =
    [
        "config.json", "adapter_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "tokenizer.model", "vocab.json", "merges.txt", "chat_template.jinja", "generation_config.json",
    ];

    private static readonly ConcurrentDictionary<string, (string Stamp, string Hash)> Cache = new(StringComparer.Ordinal);

    /// <summary>The lower-case hex SHA-256 fingerprint of <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A safetensors header is malformed.</exception>
    public static string Compute(string directory)
    {
        var full = Path.GetFullPath(directory);
        var files = MetadataFiles.Select(f => Path.Combine(full, f)).Where(File.Exists)
            .Concat(Directory.EnumerateFiles(full, "*.safetensors").Order(StringComparer.Ordinal)).ToList();
        var stamp = string.Join("|", files.Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}"));
        if (Cache.TryGetValue(full, out var cached) && cached.Stamp == stamp)
        {
            return cached.Hash;
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
        {
            Add(hash, Path.GetFileName(file));
            hash.AppendData(File.ReadAllBytes(file));
        }
        var headers = SafetensorsHeaders.Read(full).Headers.ToDictionary(h => h.File, h => h.Header, StringComparer.Ordinal);
        foreach (var file in files.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)))
        {
            using var stream = File.OpenRead(file);
            Add(hash, $"{Path.GetFileName(file)}:{stream.Length}");
            hash.AppendData(headers[file]);
            hash.AppendData(ReadAt(stream, 0, (int)Math.Min(Edge, stream.Length)));
            hash.AppendData(ReadAt(stream, Math.Max(0, stream.Length - Edge), (int)Math.Min(Edge, stream.Length)));
        }
        var result = Convert.ToHexStringLower(hash.GetHashAndReset());
        Cache[full] = (stamp, result);
        return result;
    }

    private static void Add(IncrementalHash hash, string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));

    private static byte[] ReadAt(FileStream stream, long offset, int count)
    {
        var buffer = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }
}
