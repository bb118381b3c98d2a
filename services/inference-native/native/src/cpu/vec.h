// Vector primitives with a FIXED reduction order, shared by RMSNorm and attention. Like the GEMM
// (gemm.h) they are built from correctly rounded FMAs and additions in an order that depends only
// on the vector length, so every instruction set gives the same bits.
//
//   dot(a, b, n)   16 lanes: lane l accumulates acc[l] = fma(a[d], b[d], acc[l]) over d = l, l+16,
//                  l+32, ... in ascending order, the vectors zero-padded to a multiple of 16; then
//                  the lanes are summed by the tree  acc[l] += acc[l+8]  (l < 8), acc[l] += acc[l+4]
//                  (l < 4), acc[l] += acc[l+2] (l < 2), acc[0] += acc[1].
//   axpy_rows      y[d] = fma(p[j], v[j][d], y[d]) for j = 0, 1, ... in order (each d on its own).
//   softmax_scaled p[i] *= scale; m = max p[i]; p[i] = exp_f32(p[i] - m) (kernels/exp_f32.h, op for
//                  op); the exps summed in dot's 16 lanes and lane tree; p[i] *= 1 / sum.
#pragma once

#include "cpu/isa.h"

#include <cstdint>

namespace moco::cpu {

struct VecOps {
    float (*dot)(const float* a, const float* b, int n);
    // out[j] = dot(q, k + j * ldk, n) for j in [0, rows).
    void (*dot_rows)(const float* q, const float* k, int64_t ldk, int rows, int n, float* out);
    // y[0..n) accumulates p[j] * v[j][0..n) for j in [0, rows), as above.
    void (*axpy_rows)(const float* p, const float* v, int64_t ldv, int rows, int n, float* y);
    // p = softmax(scale * p) in place over n scores, as above.
    void (*softmax_scaled)(float* p, int n, float scale);
};

const VecOps& vec_ops(Isa isa);

// The fastest implementation on this CPU.
inline const VecOps& vec_ops() {
    static const VecOps& ops = vec_ops(best_isa());
    return ops;
}

VecOps vec_ops_scalar();
#if MOCO_X86_KERNELS
VecOps vec_ops_avx2();
VecOps vec_ops_avx512();
#endif

}  // namespace moco::cpu
