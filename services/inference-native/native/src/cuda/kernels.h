// The CUDA kernels of the forward pass, one family per .cu file (llm.c style: each kernel is read
// top to bottom next to its launcher). Launchers take device pointers and a stream and only
// enqueue work; the caller checks errors (cuda_check.h). Every kernel computes in F32 and follows
// the CPU backend's formula (cpu/ops.h, cpu/attention.h) so that the tests can compare them.
#pragma once

#include "model/model.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace moco::cuda {

// The largest head_dim the attention and q/k kernels hold in registers (32 lanes x 8).
constexpr int kMaxHeadDim = 256;

// x[r, 0..hidden) = table[tokens[r], 0..hidden) as F32, for r < rows (embed.cu).
void embed_rows(const int32_t* tokens, int rows, const void* table, DType dtype, int hidden, float* x,
                cudaStream_t stream);

// out[i] = w * rmsnorm(x[row_index ? row_index[i] : i]) for i < rows; rows are n floats apart in
// both x and out (rmsnorm.cu).
void rmsnorm_rows(const float* x, const int32_t* row_index, int rows, const float* w, int n, float eps,
                  float* out, cudaStream_t stream);

// cos[r, i], sin[r, i] of pos[r] * inv_freq[i] for i < half (rope.cu).
void rope_tables(const int32_t* pos, int rows, const float* inv_freq, int half, float* cos, float* sin,
                 cudaStream_t stream);

// After the q/k/v GEMM: per row, adds the bias, applies the per-head q/k RMSNorm (Qwen3) and RoPE to
// every q and k head (q in place), and stores k and v at the row's position in the paged KV cache
// (layout of cpu::KvGeometry) - or, with kv_blocks == nullptr (the training pass, whose keys are rows
// of qkv), leaves k rotated and v in place in qkv (rope.cu).
struct QkvArgs {
    float* qkv = nullptr;               // [rows, (heads + 2 kv_heads) * head_dim]
    int rows = 0;
    int heads = 0;
    int kv_heads = 0;
    int head_dim = 0;
    const float* bias = nullptr;        // [(heads + 2 kv_heads) * head_dim] or nullptr
    const float* q_norm = nullptr;      // [head_dim] or nullptr
    const float* k_norm = nullptr;
    float eps = 0.0f;
    const float* cos = nullptr;         // [rows, head_dim / 2]
    const float* sin = nullptr;
    float* kv_blocks = nullptr;         // nullptr: no cache (kv_block, pos, layer unused)
    int64_t floats_per_block = 0;
    int block_tokens = 0;
    int layer = 0;
    const int32_t* kv_block = nullptr;  // per row: the cache block holding the row's position
    const int32_t* pos = nullptr;       // per row: the position
};
void qkv_finish(const QkvArgs& args, cudaStream_t stream);

// Causal (optionally windowed, optionally prefix-limited) attention of every row's q heads over its
// sequence's keys in the paged cache, split-K style (flash-decoding): the key range is cut into
// chunks attended by separate blocks, whose partial softmax states a second kernel merges. The
// semantics of cpu::attend (attention.cu).
struct AttentionArgs {
    const float* q = nullptr;           // row r, head h at q + r * ld_q + h * head_dim
    int ld_q = 0;
    const float* kv_blocks = nullptr;
    int64_t floats_per_block = 0;
    int block_tokens = 0;
    int layer = 0;
    const int32_t* tables = nullptr;    // block ids of row r's sequence from tables + table_start[r]
    const int32_t* table_start = nullptr;
    const int32_t* pos = nullptr;       // per row
    const int32_t* key_limit = nullptr; // per row: attend_prefix (0: causal)
    int rows = 0;
    int heads = 0;
    int kv_heads = 0;
    int head_dim = 0;
    int sliding_window = 0;
    float scale = 0.0f;
    int max_len = 0;                    // the longest sequence (pos + 1) of any row
    float* partial = nullptr;           // attention_partial_floats(...) floats of scratch
    float* out = nullptr;               // row r, head h at out + r * ld_out + h * head_dim
    int ld_out = 0;
};
int attention_splits(int rows, int heads, int max_len);
size_t attention_partial_floats(int rows, int heads, int head_dim, int max_len);
void attention(const AttentionArgs& args, cudaStream_t stream);

// act[r, i] = silu(gate_up[r, i]) * gate_up[r, inter + i] (swiglu.cu).
void silu_mul_rows(const float* gate_up, int rows, int inter, float* act, cudaStream_t stream);

// out[i] = in[i] in `dtype` (round to nearest even), for the GEMMs' 16-bit inputs (convert.cu).
void convert_f32(const float* in, int64_t n, DType dtype, void* out, cudaStream_t stream);

}  // namespace moco::cuda
