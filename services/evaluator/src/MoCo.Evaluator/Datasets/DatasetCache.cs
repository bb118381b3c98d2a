using System.Collections.Concurrent;

namespace MoCo.Evaluator.Datasets;

/// <summary>
/// Parsed dataset files by path, reused while the file's size and modification time are unchanged (evaluation.md
/// §5.1); a changed file is read again, so its new SHA-256 makes views of the old content fail with VIEW_CHANGED.
/// Each file is parsed once however many calls ask for it at the same time.
/// </summary>
public sealed class DatasetCache
{
    private const int MaxFiles = 256;
    private readonly ConcurrentDictionary<string, Entry> _files = new(StringComparer.Ordinal);

    /// <summary>The parsed file at <paramref name="path"/> as task <paramref name="task"/>.</summary>
    public DatasetFile Load(string path, string task)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        var stamp = (info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc : default);
        while (true)
        {
            if (_files.TryGetValue(full, out var cached) && cached.Stamp == stamp && cached.Task == task)
            {
                return cached.File.Value;
            }
            if (_files.Count >= MaxFiles)
            {
                _files.Clear();
            }
            var fresh = new Entry(stamp, task, new Lazy<DatasetFile>(() => DatasetReader.Read(full, task)));
            var stored = cached is null ? _files.TryAdd(full, fresh) : _files.TryUpdate(full, fresh, cached);
            if (stored)
            {
                try
                {
                    return fresh.File.Value;
                }
                catch
                {
                    // A malformed file is not cached: the next call reads it again (perhaps fixed by then).
                    _files.TryRemove(new KeyValuePair<string, Entry>(full, fresh));
                    throw;
                }
            }
        }
    }

    private sealed record Entry((long, DateTime) Stamp, string Task, Lazy<DatasetFile> File);
}
