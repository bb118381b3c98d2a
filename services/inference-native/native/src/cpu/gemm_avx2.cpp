// AVX2 GEMM kernel: a micro-tile of up to 6 rows x 16 columns (12 ymm accumulators, 2 weight
// vectors, 1 broadcast: 15 of the 16 registers). Weights are converted to F32 as they are loaded.
// Each accumulator lane is one output's FMA chain in k order (gemm.h).
#include "cpu/gemm_kernels.h"

#if MOCO_X86_KERNELS

#    include "cpu/dtype.h"

#    include <immintrin.h>

namespace moco::cpu {
namespace {

constexpr int kRows = 6;
constexpr int kVecs = 2;  // 8 floats each
constexpr int kTileCols = kVecs * 8;
static_assert(kPanelCols % kTileCols == 0, "a tile lies within one panel");

MOCO_TARGET_AVX2 inline __m256 load8(const float* p) {
    return _mm256_loadu_ps(p);
}

MOCO_TARGET_AVX2 inline __m256 load8(const Bf16* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

MOCO_TARGET_AVX2 inline __m256 load8(const F16* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// MR rows x NV vectors of columns; `w` is the tile's first column at k = 0.
template <class T, int MR, int NV>
MOCO_TARGET_AVX2 void micro(const float* x, int64_t ldx, const T* w, int k, float* const* y,
                            int cols) {
    __m256 acc[MR][NV];
#    pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
#    pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
            acc[r][v] = _mm256_setzero_ps();
        }
    }
    for (int kk = 0; kk < k; ++kk) {
        __m256 b[NV];
#    pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
            b[v] = load8(w + static_cast<int64_t>(kk) * kPanelCols + 8 * v);
        }
#    pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
            const __m256 a = _mm256_broadcast_ss(x + r * ldx + kk);
#    pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) {
                acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
            }
        }
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
#    pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
#    pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
            const int c = 8 * v;
            if (c + 8 <= cols) {
                _mm256_storeu_ps(y[r] + c, acc[r][v]);
            } else {
                const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - c), lane);
                _mm256_maskstore_ps(y[r] + c, mask, acc[r][v]);
            }
        }
    }
}

template <class T, int MR>
MOCO_TARGET_AVX2 void micro_cols(int nv, const float* x, int64_t ldx, const T* w, int k,
                                 float* const* y, int cols) {
    if (nv == 1) {
        micro<T, MR, 1>(x, ldx, w, k, y, cols);
    } else {
        micro<T, MR, 2>(x, ldx, w, k, y, cols);
    }
}

template <class T>
MOCO_TARGET_AVX2 void run_typed(const GemmTile& t) {
    const T* w = reinterpret_cast<const T*>(t.w) + packed_index(t.k, t.col0, 0);
    const int nv = (t.cols + 7) / 8;
    for (int r0 = 0; r0 < t.rows; r0 += kRows) {
        const int mr = t.rows - r0 < kRows ? t.rows - r0 : kRows;
        float* y[kRows];
        for (int r = 0; r < mr; ++r) {
            y[r] = t.y->row(t.row0 + r0 + r) + t.col0;
        }
        const float* x = t.x + r0 * t.ldx;
        switch (mr) {
            case 1: micro_cols<T, 1>(nv, x, t.ldx, w, t.k, y, t.cols); break;
            case 2: micro_cols<T, 2>(nv, x, t.ldx, w, t.k, y, t.cols); break;
            case 3: micro_cols<T, 3>(nv, x, t.ldx, w, t.k, y, t.cols); break;
            case 4: micro_cols<T, 4>(nv, x, t.ldx, w, t.k, y, t.cols); break;
            case 5: micro_cols<T, 5>(nv, x, t.ldx, w, t.k, y, t.cols); break;
            default: micro_cols<T, 6>(nv, x, t.ldx, w, t.k, y, t.cols); break;
        }
    }
}

void run(const GemmTile& t) {
    switch (t.dtype) {
        case DType::F32: return run_typed<float>(t);
        case DType::F16: return run_typed<F16>(t);
        case DType::BF16: return run_typed<Bf16>(t);
    }
}

}  // namespace

GemmKernel gemm_kernel_avx2() {
    return {kTileCols, kRows, run};
}

}  // namespace moco::cpu

#endif  // MOCO_X86_KERNELS
