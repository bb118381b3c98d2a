namespace MoCo.Native.Inference;

/// <summary>Usage of a KV cache at one moment (<c>moco_kv_cache_stats</c>), for admission control in a scheduler.</summary>
/// <param name="BlockTokens">Tokens per block.</param>
/// <param name="TotalBlocks">Blocks the budget holds.</param>
/// <param name="FreeBlocks">Blocks no sequence uses: a forward needs enough of them for its new tokens.</param>
/// <param name="Sequences">Live sequences.</param>
/// <param name="MemoryBytes">Bytes allocated for K and V.</param>
public sealed record KvCacheStats(int BlockTokens, int TotalBlocks, int FreeBlocks, int Sequences, ulong MemoryBytes);
