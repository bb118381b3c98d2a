using System.Runtime.InteropServices;

namespace MoCo.Native.Interop;

// moco.h "Kernels": random stream, logits (L1-L6), sampling, LoRA, PSO, weight softmax.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(LibraryName)]
    internal static partial void moco_philox4x32_10(uint* counter, uint* key, uint* output);

    [LibraryImport(LibraryName)]
    internal static partial float moco_sampling_uniform(ulong seed, ulong tokensGenerated, ulong sampleIndex);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_dare_mask(ulong seed, int modelIndex, byte* tensorName, long offset, long count, double density, byte* keep);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_log_softmax(float* logits, int rows, int vocab, float* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_fuse(float** inputs, int* strides, float* weights, int n, int rows, int vocab, float* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_contrast(float** inputs, int* strides, int k, float lambda, int rows, int vocab, float* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_plausibility_cut(float* anchor, int anchorStride, float alpha, int rows, int vocab, float* logits);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_entropy(float* logits, int rows, int vocab, float* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_top1_prob(float* logits, int rows, int vocab, float* output);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_logits_top_k(float* values, int rows, int vocab, int k, int* ids, float* topValues);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_vocab_align(NativeVocab* vocabs, int n, int mode, out int commonVocab);

    [LibraryImport(LibraryName)]
    internal static partial NativeSamplingOptions moco_sampling_default_options();

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_sample(float* logits, int vocab, NativeSamplingOptions* options, int* history, int nHistory,
        ulong seed, ulong tokensGenerated, ulong sampleIndex, float* processed, out int token);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_lora_apply(void* w, int wDtype, long rows, long cols, void* a, int aDtype, void* b, int bDtype,
        int rank, float scale, int fanInFanOut, long rowOffset, long rowCount, void* output, int outDtype);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_pso_step(void* x, void* v, void* p, void* g, void* w, int dtype, long count,
        float a, float b, float c, float d, float step, void* xOut, void* vOut, int outDtype);

    [LibraryImport(LibraryName)]
    internal static partial MocoStatus moco_softmax_weights(float* x, int n, float* output);
}
