using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

/// <summary>Mirror of <c>moco_kv_cache_options</c> (moco.h), version 1: 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeKvCacheOptions
{
    public int StructSize;
    public ulong MemoryBytes;
    public int BlockTokens;
    public int MaxSequences;
}

/// <summary>Mirror of <c>moco_kv_cache_stats</c> (moco.h), version 1: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeKvCacheStats
{
    public int StructSize;
    public int BlockTokens;
    public int TotalBlocks;
    public int FreeBlocks;
    public int Sequences;
    public ulong MemoryBytes;
}

/// <summary>
/// Mirror of <c>moco_batch_entry</c> (moco.h): 72 bytes on 64-bit platforms. Pointers are raw because
/// the forward call pins every buffer itself for exactly the duration of the call.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeBatchEntry
{
    public int Seq;
    public int* Tokens;
    public int NTokens;
    public IntPtr Adapter;
    public int LogitsMode;
    public float* Logits;
    public int HiddenMode;
    public float* Hidden;
    public int AttendPrefix;
}

/// <summary>
/// Mirror of <c>moco_sample_request</c> (moco.h): 80 bytes on 64-bit platforms. Pointers are raw because the
/// forward call pins every buffer itself for exactly the duration of the call.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeSampleRequest
{
    public int Draw;
    public NativeSamplingOptions Options;
    public int* History;
    public int NHistory;
    public ulong Seed;
    public ulong TokensGenerated;
    public ulong SampleIndex;
    public float* Processed;
}
