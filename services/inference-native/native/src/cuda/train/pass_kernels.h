// The kernels of a training pass on the GPU that the inference forward has no use for: the
// backward of every element-wise and per-row step of train/pass.h, attention over the rows of a
// micro-batch with its probabilities kept, LoRA dropout, and the deterministic sums over rows
// (column sums, the embedding's scatter). Each follows the CPU pass's formula (train/pass.cpp) so
// the tests can compare them; every reduction over rows runs in row order, never with atomics, so
// gradients do not depend on the launch. Device pointers; launches only enqueue work on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace moco::cuda::train {

// The rows of a micro-batch, as train::Pass::layout computes them (device arrays of `rows`).
struct RowLayout {
    int rows = 0;
    const int32_t* first = nullptr;       // per row: the first key row it attends (window applied)
    const int64_t* prob_offset = nullptr; // per row: where its heads' probabilities start
    const int32_t* seq_end = nullptr;     // per row: one past the last row of its sequence
    int max_span = 0;                     // the most keys any row attends
};

// The rmsnorm backward of rows (train/pass.cpp rmsnorm_backward, r recomputed from x): for
// i < rows, with x row xi = x + (x_index ? x_index[i] : i) * ld_x and dx row likewise:
// dx = r (w dy) - x r^3 / n sum(w dy x) (added to dx when accumulate, else written);
// dw_rows (when not null) row i gets dy x r (written, not added). dy rows are ld_dy apart.
void rmsnorm_backward(const float* x, const int32_t* x_index, int64_t ld_x, int rows, const float* w, int n,
                      float eps, const float* dy, int64_t ld_dy, float* dx, bool accumulate, float* dw_rows,
                      int64_t ld_dw, cudaStream_t stream);

// The backward of the training forward's q/k step (cuda::qkv_finish without a cache: the per-head
// rmsnorm when q_norm / k_norm, then RoPE), in place on dqkv: per row and q/k head, RoPE's
// transpose, then (when q_norm) the per-head rmsnorm backward from the pre-norm values qkv_raw, writing its weight gradient per row
// to dw_rows [rows, 2 hd] (q_norm's part first, then k_norm's; written, not added).
void qk_backward(float* dqkv, const float* qkv_raw, int rows, int heads, int kv_heads, int head_dim,
                 const float* q_norm, const float* k_norm, float eps, const float* cos, const float* sin,
                 float* dw_rows, cudaStream_t stream);

// Causal attention of every row's q heads over its sequence's earlier rows (keys and values are
// rows of qkv, GQA groups share them), as train::Pass::attention_forward: output rows
// [rows, heads * hd] into attn. probs is scratch of prob_total floats (the probabilities of row r,
// head h - span = r - first[r] + 1 of them - land at probs + prob_offset[r] + h * span).
void attention_forward(const float* qkv, const RowLayout& layout, int heads, int kv_heads, int head_dim,
                       float scale, float* probs, float* attn, cudaStream_t stream);

// Its backward (train::Pass::attention_backward): with dP = dO v^T and dS = P (dP - sum P dP) scale,
// dq = dS k, dk = sum dS^T q, dv = sum P^T dO over the group's heads and the query rows that see
// the key. dqkv [rows, qkv] is written (q, k and v parts). The probabilities are recomputed from
// qkv into probs, the forward's bits; probs and ds are scratch of prob_total floats each.
void attention_backward(const float* qkv, const float* dattn, const RowLayout& layout, int heads, int kv_heads,
                        int head_dim, float scale, float* probs, float* ds, float* dqkv, cudaStream_t stream);

// SwiGLU's backward: from gate_up [rows, 2 inter] and dact [rows, inter], dgu [rows, 2 inter] with
// d gate = da u s (1 + g (1 - s)), d up = da silu(g), s = sigmoid(g).
void swiglu_backward(const float* gate_up, const float* dact, int rows, int inter, float* dgu,
                     cudaStream_t stream);

// out[c] += sum over r < rows of m[r * ld + c], rows in order, for c < cols.
void add_column_sums(const float* m, int rows, int cols, int64_t ld, float* out, cudaStream_t stream);

// grad[tokens[r], c] += dx[r, c] for r < rows in row order (rows sharing a token add up in order).
void embedding_backward(const int32_t* tokens, const float* dx, int rows, int hidden, float* grad,
                        cudaStream_t stream);

// LoRA dropout (train::Dropout): element (r, c) of module m's input in layer l is scaled by the
// factor train/pass.cpp dropout_factor gives (0, or 1 / (1 - p)). out [rows, cols] dense.
struct DropoutKey {
    float p = 0.0f;
    uint64_t seed = 0;
    uint64_t stream = 0;
    int layer = 0;
    int module = 0;
};
void dropout_rows(const float* in, int64_t ld_in, int rows, int cols, const DropoutKey& key, float* out,
                  cudaStream_t stream);

// out[r * ld_out + c] += s * in[r * ld_in + c] (* dropout factor of (r, c) when key != nullptr),
// for r < rows, c < cols: the LoRA delta added to its projection, and the adapter's input gradient.
void add_scaled_rows(const float* in, int64_t ld_in, int rows, int cols, float s, const DropoutKey* key,
                     float* out, int64_t ld_out, cudaStream_t stream);

// out[r * ld + c] += bias[c], for r < rows, c < cols.
void add_bias_rows(const float* bias, int rows, int cols, float* out, int64_t ld, cudaStream_t stream);

}  // namespace moco::cuda::train
