// AVX-512 GEMM kernel: a micro-tile of up to 6 rows x 64 columns (24 zmm accumulators, 4 weight
// vectors from two panels, one broadcast of x per row and k). Weights are converted to F32 as they
// are loaded. Each accumulator lane is one output's FMA chain in k order (gemm.h).
#include "cpu/gemm_kernels.h"

#if MOCO_X86_KERNELS

#    include "cpu/dtype.h"

#    include <immintrin.h>

namespace moco::cpu {
namespace {

constexpr int kRows = 6;
constexpr int kVecs = 4;  // 16 floats each
constexpr int kTileCols = kVecs * 16;
static_assert(kTileCols % kPanelCols == 0, "a tile covers whole panels");

MOCO_TARGET_AVX512 inline __m512 load16(const float* p) {
    return _mm512_loadu_ps(p);
}

// The maskz forms with a full mask: the unmasked intrinsics trip a false -Wmaybe-uninitialized
// inside GCC 12's headers (_mm512_undefined_*); the instructions are the same.
MOCO_TARGET_AVX512 inline __m512 load16(const Bf16* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m512i widened = _mm512_maskz_cvtepu16_epi32(0xFFFF, h);
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, widened, 16));
}

MOCO_TARGET_AVX512 inline __m512 load16(const F16* p) {
    return _mm512_maskz_cvtph_ps(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// MR rows x NV vectors of columns. `w` is the tile's first column at k = 0; vector v lies in panel
// v / 2 at offset 16 * (v % 2).
template <class T, int MR, int NV>
MOCO_TARGET_AVX512 void micro(const float* x, int64_t ldx, const T* w, int k, float* const* y,
                              int cols) {
    const T* wv[NV];
#    pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
        wv[v] = w + static_cast<int64_t>(v / 2) * k * kPanelCols + (v % 2) * 16;
    }
    __m512 acc[MR][NV];
#    pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
#    pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            acc[r][v] = _mm512_setzero_ps();
        }
    }
    for (int kk = 0; kk < k; ++kk) {
        __m512 b[NV];
#    pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            b[v] = load16(wv[v] + static_cast<int64_t>(kk) * kPanelCols);
        }
#    pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
            const __m512 a = _mm512_set1_ps(x[r * ldx + kk]);
#    pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) {
                acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
            }
        }
    }
#    pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
#    pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
            const int c = 16 * v;
            if (c + 16 <= cols) {
                _mm512_storeu_ps(y[r] + c, acc[r][v]);
            } else {
                _mm512_mask_storeu_ps(y[r] + c, static_cast<__mmask16>((1u << (cols - c)) - 1u),
                                      acc[r][v]);
            }
        }
    }
}

template <class T, int MR>
MOCO_TARGET_AVX512 void micro_cols(int nv, const float* x, int64_t ldx, const T* w, int k,
                                   float* const* y, int cols) {
    switch (nv) {
        case 1: return micro<T, MR, 1>(x, ldx, w, k, y, cols);
        case 2: return micro<T, MR, 2>(x, ldx, w, k, y, cols);
        case 3: return micro<T, MR, 3>(x, ldx, w, k, y, cols);
        default: return micro<T, MR, 4>(x, ldx, w, k, y, cols);
    }
}

template <class T>
MOCO_TARGET_AVX512 void run_typed(const GemmTile& t) {
    const T* w = reinterpret_cast<const T*>(t.w) + packed_index(t.k, t.col0, 0);
    const int nv = (t.cols + 15) / 16;  // never reads a panel beyond the matrix
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

GemmKernel gemm_kernel_avx512() {
    return {kTileCols, kRows, run};
}

}  // namespace moco::cpu

#endif  // MOCO_X86_KERNELS
