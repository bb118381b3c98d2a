using System.Runtime.InteropServices;
using MoCo.Native.Inference;
using MoCo.Native.Models;

namespace MoCo.Native.Interop;

// moco.h "KV cache and sequences" and "Forward".
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial NativeKvCacheOptions moco_kv_cache_default_options();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_kv_cache_create(ModelHandle model, NativeKvCacheOptions* options, out KvCacheHandle cache);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_kv_cache_get_stats(KvCacheHandle cache, NativeKvCacheStats* stats);

    [LibraryImport(LibraryName)]
    internal static partial void moco_kv_cache_destroy(IntPtr cache);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_seq_create(KvCacheHandle cache, out int seq);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_seq_fork(KvCacheHandle cache, int src, out int dst);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_seq_truncate(KvCacheHandle cache, int seq, int nTokens);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_seq_free(KvCacheHandle cache, int seq);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_seq_length(KvCacheHandle cache, int seq, out int nTokens);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_forward(KvCacheHandle cache, NativeBatchEntry* entries, int nEntries);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_forward_sample(KvCacheHandle cache, NativeBatchEntry* entries, int nEntries, NativeSampleRequest* requests,
        int* tokens);
}
