namespace MoCo.Zoo.Checkpoints;

/// <summary>The size of a zoo model: a Llama decoder with tied embeddings and grouped-query attention.</summary>
public sealed record ModelShape(int Hidden, int Layers, int Heads, int KvHeads, int Intermediate, int MaxPositions = 1024)
{
    /// <summary>Per-head width.</summary>
    public int HeadDim => Hidden / Heads;

    /// <summary>Parameters for a vocabulary of <paramref name="vocabulary"/> entries (embeddings tied to the head).</summary>
    public long Parameters(int vocabulary) =>
        ((long)vocabulary * Hidden) + Hidden + ((long)Layers * ((2L * Hidden) + (2L * Hidden * Heads * HeadDim)
            + (2L * Hidden * KvHeads * HeadDim) + (3L * Hidden * Intermediate)));
}
