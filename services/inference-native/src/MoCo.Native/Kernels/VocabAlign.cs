using System.Buffers;
using MoCo.Native.Interop;

namespace MoCo.Native.Kernels;

/// <summary>L6 (<c>moco_vocab_align</c>): the common vocabulary V* whose columns the fusion and contrast kernels use.</summary>
public static unsafe class VocabAlign
{
    /// <summary>
    /// Returns V*: the smallest head, allowed iff every model maps each id below it to the same token string and
    /// all share an EOS id below it. Ids &gt;= V* are then never emitted; pass each model's own width as its stride.
    /// </summary>
    /// <exception cref="MocoException">
    /// <see cref="MocoStatus.InvalidArgument"/> for models that cannot be aligned: the message names both models
    /// and the first differing id with its tokens, or the differing EOS ids or widths.
    /// </exception>
    public static int CommonVocab(IReadOnlyList<ModelVocab> vocabs, VocabAlignment mode)
    {
        ArgumentNullException.ThrowIfNull(vocabs);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabs.Count, 1, nameof(vocabs));
        var names = new byte[]?[vocabs.Count];
        for (var i = 0; i < vocabs.Count; i++)
        {
            CheckOffsets(vocabs[i], i);
            names[i] = vocabs[i].ModelName is { } name ? Utf8Text.Encode(name, nameof(vocabs)) : null;
        }

        var native = new NativeVocab[vocabs.Count];
        var pins = new List<MemoryHandle>(vocabs.Count * 3);
        try
        {
            for (var i = 0; i < vocabs.Count; i++)
            {
                var v = vocabs[i];
                var name = names[i] is { } bytes ? bytes.AsMemory().Pin() : default;
                var tokenBytes = v.TokenBytes.Pin();
                var offsets = v.TokenOffsets.Pin();
                pins.Add(name);
                pins.Add(tokenBytes);
                pins.Add(offsets);
                native[i] = new NativeVocab
                {
                    ModelName = (byte*)name.Pointer,
                    HeadRows = v.HeadRows,
                    NTokens = v.TokenCount,
                    TokenBytes = (byte*)tokenBytes.Pointer,
                    TokenOffsets = (long*)offsets.Pointer,
                    EosId = v.EosId,
                };
            }

            MocoStatus status;
            int common;
            fixed (NativeVocab* p = native)
            {
                status = NativeMethods.moco_vocab_align(p, native.Length, (int)mode, out common);
            }

            MocoException.ThrowIfFailed(status, "moco_vocab_align");
            return common;
        }
        finally
        {
            foreach (var pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    // libmoco cannot see how long TokenBytes is, so an offset past its end would be read out of bounds.
    private static void CheckOffsets(ModelVocab vocab, int index)
    {
        ArgumentNullException.ThrowIfNull(vocab, "vocabs");
        var offsets = vocab.TokenOffsets.Span;
        if (offsets.IsEmpty)
        {
            throw new ArgumentException($"vocabulary {index}: TokenOffsets needs n_tokens + 1 entries (at least 1)", "vocabs");
        }

        if (offsets[0] < 0 || offsets[^1] > vocab.TokenBytes.Length)
        {
            throw new ArgumentException(
                $"vocabulary {index}: offsets run from {offsets[0]} to {offsets[^1]} but TokenBytes holds {vocab.TokenBytes.Length} bytes",
                "vocabs");
        }

        for (var i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                throw new ArgumentException($"vocabulary {index}: TokenOffsets[{i}] = {offsets[i]} is below TokenOffsets[{i - 1}] = {offsets[i - 1]}", "vocabs");
            }
        }
    }
}
