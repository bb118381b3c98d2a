namespace MoCo.Native.Kernels;

/// <summary>How <see cref="VocabAlign.CommonVocab"/> decides (GenerateEnsemble's vocab_alignment).</summary>
public enum VocabAlignment
{
    /// <summary>V* = the smallest head, if the tokenizers agree on every id below it (<c>MOCO_VOCAB_MIN_COMMON</c>).</summary>
    MinCommon = 0,

    /// <summary>Every head must be as wide as the others (<c>MOCO_VOCAB_EXACT</c>).</summary>
    Exact = 1,
}

/// <summary>One model's vocabulary for L6 alignment (<c>moco_vocab</c>); the buffers are only read during the call.</summary>
/// <param name="ModelName">For messages; may be null.</param>
/// <param name="HeadRows">Rows of the model's output head (&gt;= 1).</param>
/// <param name="TokenBytes">The token strings concatenated (any bytes, no terminators).</param>
/// <param name="TokenOffsets">
/// n_tokens + 1 non-decreasing offsets into <paramref name="TokenBytes"/>: token id i is bytes
/// [offsets[i], offsets[i + 1]); ids at or above n_tokens have no string.
/// </param>
/// <param name="EosId">The stopping EOS id.</param>
public sealed record ModelVocab(string? ModelName, int HeadRows, ReadOnlyMemory<byte> TokenBytes, ReadOnlyMemory<long> TokenOffsets, int EosId)
{
    /// <summary>Ids that have a token string.</summary>
    public int TokenCount => Math.Max(TokenOffsets.Length - 1, 0);
}
