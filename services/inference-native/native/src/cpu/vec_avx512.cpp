// AVX-512 vector primitives: one zmm holds the 16 dot-product lanes of vec.h. dot_rows runs four
// dot products side by side to hide the FMA latency; each keeps its own order.
#include "cpu/vec.h"

#if MOCO_X86_KERNELS

#    include <immintrin.h>

namespace moco::cpu {
namespace {

MOCO_TARGET_AVX512 inline __mmask16 tail_mask(int n) {
    return static_cast<__mmask16>((1u << n) - 1u);
}

// The lane tree of vec.h: (l, l+8), then (l, l+4), (l, l+2), (0, 1), all in zmm registers with
// maskz shuffles: GCC 12's headers implement the plain extract/cast intrinsics with
// _mm*_undefined_*, which trips a false -Wuninitialized under -Werror.
MOCO_TARGET_AVX512 inline float reduce16(__m512 acc) {
    const __mmask16 all = 0xFFFF;
    __m512 v = _mm512_add_ps(acc, _mm512_maskz_shuffle_f32x4(all, acc, acc, 0x4E));  // 256-bit halves
    v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, 0xB1));              // 128-bit quarters
    v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0x4E));                     // lane pairs
    v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0xB1));                     // neighbours
    return _mm512_cvtss_f32(v);
}

MOCO_TARGET_AVX512 float dot(const float* a, const float* b, int n) {
    __m512 acc = _mm512_setzero_ps();
    int d = 0;
    for (; d + 16 <= n; d += 16) {
        acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + d), _mm512_loadu_ps(b + d), acc);
    }
    if (d < n) {  // zero-padded tail: fma(0, 0, acc) on the missing lanes, as the scalar code
        const __mmask16 m = tail_mask(n - d);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + d), _mm512_maskz_loadu_ps(m, b + d), acc);
    }
    return reduce16(acc);
}

MOCO_TARGET_AVX512 void dot_rows(const float* q, const float* k, int64_t ldk, int rows, int n,
                                 float* out) {
    int j = 0;
    for (; j + 4 <= rows; j += 4) {
        const float* k0 = k + j * ldk;
        const float* k1 = k0 + ldk;
        const float* k2 = k1 + ldk;
        const float* k3 = k2 + ldk;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int d = 0;
        for (; d + 16 <= n; d += 16) {
            const __m512 qv = _mm512_loadu_ps(q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k3 + d), a3);
        }
        if (d < n) {
            const __mmask16 m = tail_mask(n - d);
            const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k3 + d), a3);
        }
        out[j] = reduce16(a0);
        out[j + 1] = reduce16(a1);
        out[j + 2] = reduce16(a2);
        out[j + 3] = reduce16(a3);
    }
    for (; j < rows; ++j) {
        out[j] = dot(q, k + j * ldk, n);
    }
}

// y[d0 .. d0 + 16 * NV) kept in registers across all j.
template <int NV>
MOCO_TARGET_AVX512 void axpy_block(const float* p, const float* v, int64_t ldv, int rows, int n,
                                   float* y) {
    __m512 acc[NV];
    __mmask16 mask[NV];
#    pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
        const int left = n - 16 * i;
        mask[i] = left >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(left > 0 ? left : 0);
        acc[i] = _mm512_maskz_loadu_ps(mask[i], y + 16 * i);
    }
    for (int j = 0; j < rows; ++j) {
        const __m512 pj = _mm512_set1_ps(p[j]);
        const float* vj = v + j * ldv;
#    pragma GCC unroll 8
        for (int i = 0; i < NV; ++i) {
            acc[i] = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(mask[i], vj + 16 * i), acc[i]);
        }
    }
#    pragma GCC unroll 8
    for (int i = 0; i < NV; ++i) {
        _mm512_mask_storeu_ps(y + 16 * i, mask[i], acc[i]);
    }
}

MOCO_TARGET_AVX512 void axpy_rows(const float* p, const float* v, int64_t ldv, int rows, int n,
                                  float* y) {
    for (int d = 0; d < n; d += 128) {  // the d are independent: any blocking keeps the order
        const int len = n - d < 128 ? n - d : 128;
        switch ((len + 15) / 16) {
            case 1: axpy_block<1>(p, v + d, ldv, rows, len, y + d); break;
            case 2: axpy_block<2>(p, v + d, ldv, rows, len, y + d); break;
            case 3: axpy_block<3>(p, v + d, ldv, rows, len, y + d); break;
            case 4: axpy_block<4>(p, v + d, ldv, rows, len, y + d); break;
            case 5: axpy_block<5>(p, v + d, ldv, rows, len, y + d); break;
            case 6: axpy_block<6>(p, v + d, ldv, rows, len, y + d); break;
            case 7: axpy_block<7>(p, v + d, ldv, rows, len, y + d); break;
            default: axpy_block<8>(p, v + d, ldv, rows, len, y + d); break;
        }
    }
}

}  // namespace

// Softmax stays eight lanes wide: one exp per 2 x head_dim multiply-adds of the dot products
// around it, so the AVX2 exp already takes it out of the profile.
VecOps vec_ops_avx512() {
    return {dot, dot_rows, axpy_rows, vec_ops_avx2().softmax_scaled};
}

}  // namespace moco::cpu

#endif  // MOCO_X86_KERNELS
