// The portable implementations (the reference the SIMD ones match bit for bit) and the dispatch.
#include "cpu/vec.h"

#include "kernels/exp_f32.h"

#include <cmath>
#include <limits>

namespace moco::cpu {
namespace {

float lane_tree(float (&acc)[16]) {
    for (int width = 8; width >= 1; width /= 2) {
        for (int l = 0; l < width; ++l) {
            acc[l] += acc[l + width];
        }
    }
    return acc[0];
}

float dot(const float* a, const float* b, int n) {
    float acc[16] = {};
    const int padded = (n + 15) / 16 * 16;
    for (int d = 0; d < padded; ++d) {
        const float x = d < n ? a[d] : 0.0f;
        const float y = d < n ? b[d] : 0.0f;
        acc[d % 16] = std::fma(x, y, acc[d % 16]);
    }
    return lane_tree(acc);
}

void dot_rows(const float* q, const float* k, int64_t ldk, int rows, int n, float* out) {
    for (int j = 0; j < rows; ++j) {
        out[j] = dot(q, k + j * ldk, n);
    }
}

void axpy_rows(const float* p, const float* v, int64_t ldv, int rows, int n, float* y) {
    for (int j = 0; j < rows; ++j) {
        const float* vj = v + j * ldv;
        for (int d = 0; d < n; ++d) {
            y[d] = std::fma(p[j], vj[d], y[d]);
        }
    }
}

void softmax_scaled(float* p, int n, float scale) {
    float max_score = -std::numeric_limits<float>::infinity();
    for (int i = 0; i < n; ++i) {
        p[i] *= scale;
        max_score = p[i] > max_score ? p[i] : max_score;
    }
    float acc[16] = {};
    for (int i = 0; i < n; ++i) {
        p[i] = kernels::exp_f32(p[i] - max_score);
        acc[i % 16] += p[i];
    }
    const float inv_sum = 1.0f / lane_tree(acc);
    for (int i = 0; i < n; ++i) {
        p[i] *= inv_sum;
    }
}

}  // namespace

VecOps vec_ops_scalar() {
    return {dot, dot_rows, axpy_rows, softmax_scaled};
}

const VecOps& vec_ops(Isa isa) {
    static const VecOps scalar = vec_ops_scalar();
#if MOCO_X86_KERNELS
    static const VecOps avx2 = vec_ops_avx2();
    static const VecOps avx512 = vec_ops_avx512();
    switch (isa) {
        case Isa::Avx512: return avx512;
        case Isa::Avx2: return avx2;
        case Isa::Scalar: break;
    }
#else
    (void)isa;
#endif
    return scalar;
}

}  // namespace moco::cpu
