// AVX2 vector primitives: two ymm registers hold the 16 dot-product lanes of vec.h (lanes 0-7 and
// 8-15), so the lane tree starts by adding them.
#include "cpu/vec.h"

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

}  // namespace

VecOps vec_ops_avx2() {
    return {dot, dot_rows, axpy_rows};
}

}  // namespace moco::cpu

#endif  // MOCO_X86_KERNELS
