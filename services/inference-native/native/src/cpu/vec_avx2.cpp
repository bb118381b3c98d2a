// AVX2 vector primitives: two ymm registers hold the 16 dot-product lanes of vec.h (lanes 0-7 and
// 8-15), so the lane tree starts by adding them.
#include "cpu/vec.h"

#include "kernels/exp_f32.h"

#include <limits>

#if MOCO_X86_KERNELS

#    include <immintrin.h>

namespace moco::cpu {
namespace {

MOCO_TARGET_AVX2 inline __m256i tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Masked-off lanes load as 0.
MOCO_TARGET_AVX2 inline __m256 load_part(const float* p, int n) {
    if (n >= 8) {
        return _mm256_loadu_ps(p);
    }
    return n > 0 ? _mm256_maskload_ps(p, tail_mask(n)) : _mm256_setzero_ps();
}

MOCO_TARGET_AVX2 inline float reduce16(__m256 lo, __m256 hi) {
    const __m256 v8 = _mm256_add_ps(lo, hi);
    const __m128 v4 = _mm_add_ps(_mm256_castps256_ps128(v8), _mm256_extractf128_ps(v8, 1));
    const __m128 v2 = _mm_add_ps(v4, _mm_movehl_ps(v4, v4));
    return _mm_cvtss_f32(_mm_add_ss(v2, _mm_shuffle_ps(v2, v2, 1)));
}

MOCO_TARGET_AVX2 float dot(const float* a, const float* b, int n) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    int d = 0;
    for (; d + 16 <= n; d += 16) {
        lo = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), lo);
        hi = _mm256_fmadd_ps(_mm256_loadu_ps(a + d + 8), _mm256_loadu_ps(b + d + 8), hi);
    }
    if (d < n) {
        const int left = n - d;
        lo = _mm256_fmadd_ps(load_part(a + d, left), load_part(b + d, left), lo);
        hi = _mm256_fmadd_ps(load_part(a + d + 8, left - 8), load_part(b + d + 8, left - 8), hi);
    }
    return reduce16(lo, hi);
}

MOCO_TARGET_AVX2 void dot_rows(const float* q, const float* k, int64_t ldk, int rows, int n,
                               float* out) {
    int j = 0;
    for (; j + 2 <= rows; j += 2) {
        const float* k0 = k + j * ldk;
        const float* k1 = k0 + ldk;
        __m256 l0 = _mm256_setzero_ps(), h0 = _mm256_setzero_ps();
        __m256 l1 = _mm256_setzero_ps(), h1 = _mm256_setzero_ps();
        int d = 0;
        for (; d + 16 <= n; d += 16) {
            const __m256 ql = _mm256_loadu_ps(q + d), qh = _mm256_loadu_ps(q + d + 8);
            l0 = _mm256_fmadd_ps(ql, _mm256_loadu_ps(k0 + d), l0);
            h0 = _mm256_fmadd_ps(qh, _mm256_loadu_ps(k0 + d + 8), h0);
            l1 = _mm256_fmadd_ps(ql, _mm256_loadu_ps(k1 + d), l1);
            h1 = _mm256_fmadd_ps(qh, _mm256_loadu_ps(k1 + d + 8), h1);
        }
        if (d < n) {
            const int left = n - d;
            const __m256 ql = load_part(q + d, left), qh = load_part(q + d + 8, left - 8);
            l0 = _mm256_fmadd_ps(ql, load_part(k0 + d, left), l0);
            h0 = _mm256_fmadd_ps(qh, load_part(k0 + d + 8, left - 8), h0);
            l1 = _mm256_fmadd_ps(ql, load_part(k1 + d, left), l1);
            h1 = _mm256_fmadd_ps(qh, load_part(k1 + d + 8, left - 8), h1);
        }
        out[j] = reduce16(l0, h0);
        out[j + 1] = reduce16(l1, h1);
    }
    for (; j < rows; ++j) {
        out[j] = dot(q, k + j * ldk, n);
    }
}

MOCO_TARGET_AVX2 void axpy_rows(const float* p, const float* v, int64_t ldv, int rows, int n,
                                float* y) {
    int d = 0;
    for (; d + 32 <= n; d += 32) {  // four registers of y across all j
        __m256 a0 = _mm256_loadu_ps(y + d), a1 = _mm256_loadu_ps(y + d + 8);
        __m256 a2 = _mm256_loadu_ps(y + d + 16), a3 = _mm256_loadu_ps(y + d + 24);
        for (int j = 0; j < rows; ++j) {
            const __m256 pj = _mm256_set1_ps(p[j]);
            const float* vj = v + j * ldv + d;
            a0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj), a0);
            a1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8), a1);
            a2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 16), a2);
            a3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 24), a3);
        }
        _mm256_storeu_ps(y + d, a0);
        _mm256_storeu_ps(y + d + 8, a1);
        _mm256_storeu_ps(y + d + 16, a2);
        _mm256_storeu_ps(y + d + 24, a3);
    }
    for (; d < n; d += 8) {
        const int left = n - d;
        const __m256i mask = tail_mask(left >= 8 ? 8 : left);
        __m256 a = _mm256_maskload_ps(y + d, mask);
        for (int j = 0; j < rows; ++j) {
            a = _mm256_fmadd_ps(_mm256_set1_ps(p[j]), _mm256_maskload_ps(v + j * ldv + d, mask), a);
        }
        _mm256_maskstore_ps(y + d, mask, a);
    }
}

// kernels/exp_f32.h on eight lanes, the same IEEE operations in the same order (no FMA: this file
// builds with -ffp-contract=off, so a multiply and an add stay two roundings as in the scalar code).
MOCO_TARGET_AVX2 inline __m256 exp8(__m256 x) {
    using namespace kernels::exp_f32_constants;
    const __m256 zero = _mm256_setzero_ps();
    const __m256 min = _mm256_set1_ps(kMin);
    const __m256 round = _mm256_set1_ps(kRound);
    const __m256 below = _mm256_cmp_ps(x, min, _CMP_LT_OQ);
    __m256 c = _mm256_blendv_ps(x, zero, _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
    c = _mm256_blendv_ps(c, min, below);
    const __m256 n = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(c, _mm256_set1_ps(kLog2e)), round), round);
    const __m256 r = _mm256_sub_ps(_mm256_sub_ps(c, _mm256_mul_ps(n, _mm256_set1_ps(kLn2Hi))),
                                   _mm256_mul_ps(n, _mm256_set1_ps(kLn2Lo)));
    __m256 p = _mm256_set1_ps(kP0);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP1));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP2));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP3));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP4));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP5));
    p = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r), _mm256_set1_ps(1.0f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_blendv_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(scale)), zero, below);
}

// Eight scores from p[i] (fewer at the tail): exp(p - max) stored back, and returned with the lanes
// past n zeroed, so adding them leaves the sum's lane as the scalar code's (x + 0 = x).
MOCO_TARGET_AVX2 inline __m256 exp_part(float* scores, int i, int n, __m256 max) {
    const int left = n - i;
    if (left <= 0) {
        return _mm256_setzero_ps();
    }
    float* p = scores + i;
    if (left >= 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(p), max));
        _mm256_storeu_ps(p, e);
        return e;
    }
    const __m256i mask = tail_mask(left);
    const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_maskload_ps(p, mask), max)), _mm256_castsi256_ps(mask));
    _mm256_maskstore_ps(p, mask, e);
    return e;
}

MOCO_TARGET_AVX2 void softmax_scaled(float* p, int n, float scale) {
    const __m256 s = _mm256_set1_ps(scale);
    __m256 top = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    int i = 0;
    for (; i + 8 <= n; i += 8) {  // masked moves only at the tail: AMD's masked stores are slow
        const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(p + i), s);
        _mm256_storeu_ps(p + i, x);
        top = _mm256_max_ps(x, top);
    }
    if (i < n) {
        const __m256i mask = tail_mask(n - i);
        const __m256 x = _mm256_mul_ps(_mm256_maskload_ps(p + i, mask), s);
        _mm256_maskstore_ps(p + i, mask, x);
        top = _mm256_blendv_ps(top, _mm256_max_ps(x, top), _mm256_castsi256_ps(mask));
    }
    // The largest score, whichever lane holds it (max is exact, so any order finds the same value).
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(top), _mm256_extractf128_ps(top, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const __m256 max = _mm256_set1_ps(_mm_cvtss_f32(m4));
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (i = 0; i < n; i += 16) {
        lo = _mm256_add_ps(lo, exp_part(p, i, n, max));
        hi = _mm256_add_ps(hi, exp_part(p, i + 8, n, max));
    }
    const __m256 inv_sum = _mm256_set1_ps(1.0f / reduce16(lo, hi));
    for (i = 0; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(p + i, _mm256_mul_ps(_mm256_loadu_ps(p + i), inv_sum));
    }
    if (i < n) {
        const __m256i mask = tail_mask(n - i);
        _mm256_maskstore_ps(p + i, mask, _mm256_mul_ps(_mm256_maskload_ps(p + i, mask), inv_sum));
    }
}

}  // namespace

// AVX-512 machines take this one too (vec_avx512.cpp).
VecOps vec_ops_avx2() {
    return {dot, dot_rows, axpy_rows, softmax_scaled};
}

}  // namespace moco::cpu

#endif  // MOCO_X86_KERNELS
