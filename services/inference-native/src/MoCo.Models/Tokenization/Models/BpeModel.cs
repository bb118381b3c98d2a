using System.Buffers;
using System.Text;
using MoCo.Models.Tokenization.Json;

namespace MoCo.Models.Tokenization.Models;

/// <summary>
/// HF's BPE model with its exact semantics: a word starts as one symbol per character (unknown characters
/// become &lt;0xNN&gt; byte tokens with <c>byte_fallback</c>, else the unk token, fused with <c>fuse_unk</c>, else
/// they are dropped), then the adjacent pair with the lowest merge rank is merged, leftmost first, until no
/// pair has a merge. With <c>ignore_merges</c> (Llama 3) a word that is itself in the vocabulary is taken whole.
/// </summary>
internal sealed class BpeModel
{
    // Up to this many symbols a linear scan for the best pair beats a heap; beyond it the heap keeps long
    // words (a Metaspace model without a pre-tokenizer sees whole paragraphs) from going quadratic.
    private const int LinearMergeLimit = 48;
    private const int StackLimit = 512;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabLookup;
    private readonly Dictionary<long, long> _merges;
    private readonly int[] _charIds;
    private readonly int[]? _byteFallbackIds;
    private readonly int _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _ignoreMerges;
    private readonly WordCache _cache = new();

    private BpeModel(Dictionary<string, int> vocab, Dictionary<long, long> merges, int unkId, bool fuseUnk, bool byteFallback, bool ignoreMerges)
    {
        _vocab = vocab;
        _vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
        _charIds = new int[0x10000];
        Array.Fill(_charIds, -1);
        foreach ((string token, int id) in vocab)
        {
            if (token.Length == 1)
            {
                _charIds[token[0]] = id;
            }
        }
        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
            }
        }
    }

    /// <summary>The model vocabulary, token to id.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    /// <summary>The unk token's id, or -1 when the model has none.</summary>
    public int UnknownTokenId => _unkId;

    public static BpeModel FromJson(JsonNode model)
    {
        if (model.Optional("dropout") is { } dropout && dropout.Element.GetDouble() != 0)
        {
            throw dropout.Error("BPE dropout is not supported: it makes encoding random");
        }
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (model.OptionalString(affix) is { Length: > 0 })
            {
                throw model.Required(affix).Error($"a non-empty {affix} is not supported");
            }
        }

        JsonNode vocabNode = model.Required("vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string token, JsonNode id) in vocabNode.Properties())
        {
            vocab[token] = id.GetInt32();
        }

        var merges = new Dictionary<long, long>();
        int rank = 0;
        foreach (JsonNode merge in model.Required("merges").Items())
        {
            (string left, string right) = ParseMerge(merge);
            int leftId = IdOf(vocab, left, merge);
            int rightId = IdOf(vocab, right, merge);
            int mergedId = IdOf(vocab, left + right, merge);
            merges[Pair(leftId, rightId)] = ((long)rank << 32) | (uint)mergedId;
            rank++;
        }

        int unkId = -1;
        if (model.OptionalString("unk_token") is { } unk)
        {
            unkId = vocab.TryGetValue(unk, out int id) ? id : throw model.Required("unk_token").Error($"unk token \"{unk}\" is not in model.vocab");
        }
        return new BpeModel(vocab, merges, unkId, model.Boolean("fuse_unk", false), model.Boolean("byte_fallback", false), model.Boolean("ignore_merges", false));
    }

    /// <summary>Appends the ids of one pre-tokenized word; <paramref name="mapBytes"/> applies the pending ByteLevel mapping first.</summary>
    public void Encode(ReadOnlySpan<char> word, bool mapBytes, List<int> output)
    {
        if (word.IsEmpty)
        {
            return;
        }
        if (!mapBytes)
        {
            EncodeMapped(word, output);
            return;
        }
        char[] alphabet = ByteLevelAlphabet.ByteToChar;
        if (word.Length <= StackLimit && System.Text.Ascii.IsValid(word))
        {
            // Most words are ASCII: one byte per character, no UTF-8 encoder needed.
            Span<char> ascii = stackalloc char[word.Length];
            for (int i = 0; i < word.Length; i++)
            {
                ascii[i] = alphabet[word[i]];
            }
            EncodeMapped(ascii, output);
            return;
        }
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        Span<byte> bytes = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        // A lone surrogate becomes U+FFFD's bytes. HF never sees one (Python refuses to hand it to Rust);
        // Microsoft.ML.Tokenizers writes it as a 3-byte surrogate encoding no UTF-8 decoder accepts, while
        // U+FFFD keeps every encoding decodable.
        int count = Encoding.UTF8.GetBytes(word, bytes);
        Span<char> mapped = count <= StackLimit ? stackalloc char[StackLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(count));
        for (int i = 0; i < count; i++)
        {
            mapped[i] = alphabet[bytes[i]];
        }
        EncodeMapped(mapped[..count], output);
        if (rentedBytes is not null)
        {
            ArrayPool<byte>.Shared.Return(rentedBytes);
        }
        if (rentedChars is not null)
        {
            ArrayPool<char>.Shared.Return(rentedChars);
        }
    }

    private void EncodeMapped(ReadOnlySpan<char> word, List<int> output)
    {
        if (_ignoreMerges && _vocabLookup.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }
        if (_cache.TryGet(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int[] ids = Merge(word);
        _cache.Add(word, ids);
        output.AddRange(ids);
    }

    private int[] Merge(ReadOnlySpan<char> word)
    {
        int[]? rented = null;
        // Byte fallback can turn one character into four symbols.
        int capacity = word.Length * 4;
        Span<int> symbols = capacity <= StackLimit ? stackalloc int[StackLimit] : (rented = ArrayPool<int>.Shared.Rent(capacity));
        int count = InitialSymbols(word, symbols);
        count = count <= LinearMergeLimit ? MergeLinear(symbols[..count]) : MergeWithHeap(symbols[..count]);
        int[] result = symbols[..count].ToArray();
        if (rented is not null)
        {
            ArrayPool<int>.Shared.Return(rented);
        }
        return result;
    }

    private int InitialSymbols(ReadOnlySpan<char> word, Span<int> symbols)
    {
        int count = 0;
        int pendingUnk = -1;
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            ReadOnlySpan<char> character = word.Slice(i, length);
            i += length;
            int id = length == 1 ? _charIds[character[0]] : (_vocabLookup.TryGetValue(character, out int found) ? found : -1);
            if (id >= 0)
            {
                if (pendingUnk >= 0)
                {
                    symbols[count++] = pendingUnk;
                    pendingUnk = -1;
                }
                symbols[count++] = id;
                continue;
            }
            if (_byteFallbackIds is not null && TryAddFallbackBytes(character, symbols, ref count))
            {
                // HF `continue`s here without flushing a pending unk; the order is kept for parity.
                continue;
            }
            if (_unkId >= 0)
            {
                if (pendingUnk >= 0 && !_fuseUnk)
                {
                    symbols[count++] = pendingUnk;
                }
                pendingUnk = _unkId;
            }
        }
        if (pendingUnk >= 0)
        {
            symbols[count++] = pendingUnk;
        }
        return count;
    }

    private bool TryAddFallbackBytes(ReadOnlySpan<char> character, Span<int> symbols, ref int count)
    {
        Span<byte> bytes = stackalloc byte[4];
        int length = Encoding.UTF8.GetBytes(character, bytes);
        for (int b = 0; b < length; b++)
        {
            if (_byteFallbackIds![bytes[b]] < 0)
            {
                return false;
            }
        }
        for (int b = 0; b < length; b++)
        {
            symbols[count++] = _byteFallbackIds![bytes[b]];
        }
        return true;
    }

    // Pair values pack the merge rank above the merged id, so comparing values compares ranks.
    private int MergeLinear(Span<int> symbols)
    {
        int count = symbols.Length;
        if (count < 2)
        {
            return count;
        }
        Span<long> pairs = stackalloc long[LinearMergeLimit];
        for (int i = 0; i < count - 1; i++)
        {
            pairs[i] = PairValue(symbols[i], symbols[i + 1]);
        }
        while (count > 1)
        {
            int best = -1;
            long bestValue = long.MaxValue;
            for (int i = 0; i < count - 1; i++)
            {
                if (pairs[i] < bestValue)
                {
                    bestValue = pairs[i];
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }
            symbols[best] = (int)bestValue;
            symbols[(best + 2)..count].CopyTo(symbols[(best + 1)..]);
            pairs[(best + 1)..(count - 1)].CopyTo(pairs[best..]);
            count--;
            if (best > 0)
            {
                pairs[best - 1] = PairValue(symbols[best - 1], symbols[best]);
            }
            if (best < count - 1)
            {
                pairs[best] = PairValue(symbols[best], symbols[best + 1]);
            }
        }
        return count;
    }

    // HF's Word::merge_all: symbols in a linked list, candidate pairs in a min-heap ordered by rank then
    // position; entries made stale by earlier merges are skipped when popped.
    private int MergeWithHeap(Span<int> symbols)
    {
        int count = symbols.Length;
        var next = new int[count];
        var previous = new int[count];
        var alive = new bool[count];
        var queue = new PriorityQueue<(int Position, int Left, int Right), long>();
        for (int i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            previous[i] = i - 1;
            alive[i] = true;
            if (i + 1 < count)
            {
                Enqueue(queue, i, symbols[i], symbols[i + 1]);
            }
        }
        while (queue.TryDequeue(out (int Position, int Left, int Right) top, out long priority))
        {
            int position = top.Position;
            int right = next[position];
            if (!alive[position] || right < 0 || symbols[position] != top.Left || symbols[right] != top.Right)
            {
                continue;
            }
            symbols[position] = (int)_merges[Pair(top.Left, top.Right)];
            alive[right] = false;
            next[position] = next[right];
            if (next[right] >= 0)
            {
                previous[next[right]] = position;
                Enqueue(queue, position, symbols[position], symbols[next[right]]);
            }
            if (previous[position] >= 0)
            {
                Enqueue(queue, previous[position], symbols[previous[position]], symbols[position]);
            }
        }
        int write = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            symbols[write++] = symbols[i];
        }
        return write;
    }

    private void Enqueue(PriorityQueue<(int, int, int), long> queue, int position, int left, int right)
    {
        long value = PairValue(left, right);
        if (value != long.MaxValue)
        {
            queue.Enqueue((position, left, right), (value >> 32 << 32) | (uint)position);
        }
    }

    private long PairValue(int left, int right) => _merges.TryGetValue(Pair(left, right), out long value) ? value : long.MaxValue;

    private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;

    private static (string Left, string Right) ParseMerge(JsonNode merge)
    {
        if (merge.Element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            string[] parts = merge.Items().Select(part => part.GetString()).ToArray();
            return parts.Length == 2 ? (parts[0], parts[1]) : throw merge.Error("a merge must hold exactly two tokens");
        }
        string text = merge.GetString();
        int space = text.IndexOf(' ');
        if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
        {
            throw merge.Error($"merge \"{text}\" must be two tokens separated by one space");
        }
        return (text[..space], text[(space + 1)..]);
    }

    private static int IdOf(Dictionary<string, int> vocab, string token, JsonNode merge) =>
        vocab.TryGetValue(token, out int id) ? id : throw merge.Error($"merge names token \"{token}\" that is not in model.vocab");
}
