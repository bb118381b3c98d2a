// The per-instruction-set GEMM kernels behind gemm.cpp. Each computes one column tile (at most
// `tile_cols` output columns starting at a multiple of tile_cols) for a range of rows, with the
// reduction order documented in gemm.h.
#pragma once

#include "cpu/gemm.h"

namespace moco::cpu {

struct GemmTile {
    DType dtype;
    const float* x;            // first row of the range
    int64_t ldx;
    int rows;
    const unsigned char* w;    // packed panels (PackedMatrix::data)
    int k;
    int col0;                  // first output column of the tile
    int cols;                  // valid columns: min(tile_cols, n - col0)
    const OutRows* y;
    int row0;                  // index of the range's first row in y
};

struct GemmKernel {
    int tile_cols;             // divides kPanelCols or is a multiple of it
    int tile_rows;             // rows one micro-kernel call covers (for splitting work)
    void (*run)(const GemmTile& tile);
};

GemmKernel gemm_kernel_scalar();
#if MOCO_X86_KERNELS
GemmKernel gemm_kernel_avx2();
GemmKernel gemm_kernel_avx512();
#endif

// Index (in elements) of W[c][kk] in packed panels of reduction length k.
inline int64_t packed_index(int k, int c, int kk) {
    const int64_t panel = c / kPanelCols;
    return (panel * k + kk) * kPanelCols + c % kPanelCols;
}

}  // namespace moco::cpu
