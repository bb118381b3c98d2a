// Portable GEMM kernel: one row at a time, one panel (32 columns) of accumulators, std::fma.
// The reference the SIMD kernels must match bit for bit; fast only where std::fma is an
// instruction (x86 builds use it only on CPUs without AVX2).
#include "cpu/dtype.h"
#include "cpu/gemm_kernels.h"

#include <cmath>

namespace moco::cpu {
namespace {

template <class T>
void run_typed(const GemmTile& t) {
    const T* panel = reinterpret_cast<const T*>(t.w) + packed_index(t.k, t.col0, 0);
    for (int r = 0; r < t.rows; ++r) {
        const float* x = t.x + r * t.ldx;
        float acc[kPanelCols] = {};
        for (int kk = 0; kk < t.k; ++kk) {
            const T* w = panel + static_cast<int64_t>(kk) * kPanelCols;
            for (int c = 0; c < kPanelCols; ++c) {
                acc[c] = std::fma(x[kk], to_float(w[c]), acc[c]);
            }
        }
        float* out = t.y->row(t.row0 + r) + t.col0;
        for (int c = 0; c < t.cols; ++c) {
            out[c] = acc[c];
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

GemmKernel gemm_kernel_scalar() {
    return {kPanelCols, 1, run};
}

}  // namespace moco::cpu
