using System.Collections.Concurrent;

namespace MoCo.Models.Tokenization.Models;

/// <summary>
/// Words already merged, shared by all threads. Like HF's BPE cache it stops taking entries once full rather
/// than evicting: natural text repeats its common words early, and a fixed set needs no locking on reads.
/// </summary>
internal sealed class WordCache
{
    /// <summary>HF caches words shorter than 256 characters; longer ones are rare and would bloat the cache.</summary>
    public const int MaxWordLength = 256;

    private const int Capacity = 65_536;

    private readonly ConcurrentDictionary<string, int[]> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _count;

    public WordCache() => _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => _lookup.TryGetValue(word, out ids!);

    public void Add(ReadOnlySpan<char> word, int[] ids)
    {
        if (word.Length >= MaxWordLength || Volatile.Read(ref _count) >= Capacity)
        {
            return;
        }
        if (_lookup.TryAdd(word, ids))
        {
            Interlocked.Increment(ref _count);
        }
    }
}
