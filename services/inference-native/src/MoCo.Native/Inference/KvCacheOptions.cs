namespace MoCo.Native.Inference;

/// <summary>Size of a KV cache (<c>moco_kv_cache_options</c>); 0 in any field takes libmoco's default.</summary>
/// <param name="MemoryBytes">
/// Budget for K and V of every layer, allocated up front so exhaustion shows at creation, not mid-generation.
/// 0 = room for 8192 tokens. A block takes num_layers * 2 * num_kv_heads * head_dim * block_tokens * 4 bytes.
/// </param>
/// <param name="BlockTokens">Tokens per block: 0 = 16, else 1..1024.</param>
/// <param name="MaxSequences">Live sequences at most: 0 = 256, else 1..65536.</param>
public sealed record KvCacheOptions(ulong MemoryBytes = 0, int BlockTokens = 0, int MaxSequences = 0)
{
    /// <summary>The library defaults.</summary>
    public static KvCacheOptions Default { get; } = new();

    /// <summary>
    /// The bytes one block of <paramref name="blockTokens"/> tokens takes for <paramref name="model"/>: budgets
    /// are multiples of it (a budget below one block is rejected).
    /// </summary>
    public static ulong BlockBytes(Models.ModelInfo model, int blockTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockTokens, 1);
        return (ulong)model.NumLayers * 2UL * (ulong)model.NumKvHeads * (ulong)model.HeadDim * (ulong)blockTokens * 4UL;
    }
}
