// The products of a Linear layer y = x W^T (W [n, k] as stored) that training needs besides the
// forward one, all through the forward's deterministic GEMM (cpu/gemm.h), so every gradient element
// is one fixed chain of FMAs whatever the thread count:
//
//   input gradient   dx = dy W        = gemm(dy, W^T)         W^T packed once per weight update
//   weight gradient  dW += dy^T x     = gemm(dy^T, x^T) added  a reduction over the batch's rows,
//                                                              in row order
#pragma once

#include "cpu/gemm.h"
#include "cpu/thread_pool.h"
#include "model/model.h"

#include <vector>

namespace moco::train {

// W^T [k, n] packed as a Linear weight (so gemm(dy, it) = dy W), in W's stored dtype, for
// matrices stacked along n (q, k, v; gate, up) as cpu::pack_stacked stacks them.
cpu::PackedMatrix pack_transposed_stacked(const TensorView* const* parts, int n_parts);

// Packs the F32 matrix W [n, k] (rows ld apart) - or, with transpose, W^T - into *out as
// cpu::pack_weights would, reusing out's buffer when the shape is unchanged: a trainer repacks
// every matrix after every update, and fresh buffers would cost a page fault per 4 KiB each time.
void repack_f32(cpu::ThreadPool& pool, const float* w, int n, int k, int64_t ld, bool transpose,
                cpu::PackedMatrix* out);

// grad[c][0..k) += sum over r in [0, m) of dy[r][c] * x[r][0..k), for c in [0, n). The sum over r
// is the GEMM's FMA chain (rows ascending, from +0), then added to grad: the result depends on the
// rows given, never on threads. Keeps its scratch between calls.
class WeightGrad {
public:
    void accumulate(cpu::ThreadPool& pool, const float* dy, int64_t ldy, const float* x, int64_t ldx,
                    int m, int n, int k, float* grad);
    // Bytes of that scratch.
    size_t held_bytes() const;

private:
    std::vector<float> dy_t_, product_;
    cpu::PackedMatrix x_t_;
};

}  // namespace moco::train
