// Weight packing and the GEMM driver: splits y into column tiles (and row chunks when there are
// few tiles) and runs the per-ISA kernel on the thread pool. How the work is split never changes a
// result (see the reduction order in gemm.h); it only balances threads and keeps one weight tile
// in cache while every row of the call streams past it.
#include "cpu/gemm.h"

#include "cpu/dtype.h"
#include "cpu/gemm_kernels.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace moco::cpu {
namespace {

struct Source {
    DType dtype;
    const unsigned char* data;  // row-major [n, k]
    int n;
};

// Copies row `row` of W (k values of type T) into output column c of the panels.
template <class T>
void pack_row(const T* in, int k, int c, T* panels) {
    T* dst = panels + packed_index(k, c, 0);
    for (int kk = 0; kk < k; ++kk) {
        dst[static_cast<int64_t>(kk) * kPanelCols] = in[kk];
    }
}

// Packs the stacked rows of `sources` (all with the same k) into panels of `dtype`; a source of
// another dtype (only when stacking mixed dtypes into F32, see pack_stacked) is converted.
PackedMatrix pack(DType dtype, int k, const Source* sources, int n_sources) {
    PackedMatrix out;
    out.dtype = dtype;
    out.k = k;
    for (int s = 0; s < n_sources; ++s) {
        out.n += sources[s].n;
    }
    const int64_t panels = (out.n + kPanelCols - 1) / kPanelCols;
    out.data = AlignedBuffer<unsigned char>(static_cast<size_t>(panels * k * kPanelCols) * dtype_size(dtype));
    unsigned char* data = out.data.data();

    int c = 0;  // output column = row of the stacked W
    std::vector<float> converted(static_cast<size_t>(k));
    for (int s = 0; s < n_sources; ++s) {
        const Source& src = sources[s];
        const int64_t row_bytes = static_cast<int64_t>(k) * static_cast<int64_t>(dtype_size(src.dtype));
        for (int row = 0; row < src.n; ++row, ++c) {
            const unsigned char* in = src.data + row * row_bytes;
            if (src.dtype != dtype) {
                load_row(src.data, src.dtype, static_cast<int64_t>(row) * k, k, converted.data());
                pack_row(converted.data(), k, c, reinterpret_cast<float*>(data));
            } else if (dtype == DType::F32) {
                pack_row(reinterpret_cast<const float*>(in), k, c, reinterpret_cast<float*>(data));
            } else {
                pack_row(reinterpret_cast<const uint16_t*>(in), k, c, reinterpret_cast<uint16_t*>(data));
            }
        }
    }
    return out;
}

GemmKernel kernel_for(Isa isa) {
#if MOCO_X86_KERNELS
    switch (isa) {
        case Isa::Avx512: return gemm_kernel_avx512();
        case Isa::Avx2: return gemm_kernel_avx2();
        case Isa::Scalar: break;
    }
#else
    (void)isa;
#endif
    return gemm_kernel_scalar();
}

}  // namespace

PackedMatrix pack_weights(DType dtype, int n, int k, const void* w) {
    const Source src{dtype, static_cast<const unsigned char*>(w), n};
    return pack(dtype, k, &src, 1);
}

PackedMatrix pack_stacked(const TensorView* const* parts, int n_parts) {
    if (n_parts < 1) {
        throw std::invalid_argument("pack_stacked: no matrices");
    }
    std::vector<Source> sources;
    const int64_t k = parts[0]->shape.at(1);
    DType dtype = parts[0]->dtype;
    for (int i = 0; i < n_parts; ++i) {
        const TensorView& t = *parts[i];
        if (t.shape.size() != 2 || t.shape[1] != k || !t.present()) {
            throw std::invalid_argument("pack_stacked: matrices of different widths");
        }
        if (t.dtype != dtype) {
            dtype = DType::F32;  // a checkpoint mixing dtypes within q/k/v or gate/up: keep F32
        }
        sources.push_back({t.dtype, static_cast<const unsigned char*>(t.data), static_cast<int>(t.shape[0])});
    }
    return pack(dtype, static_cast<int>(k), sources.data(), n_parts);
}

void gemm(Isa isa, ThreadPool& pool, const float* x, int m, int64_t ldx, const PackedMatrix& w,
          const OutRows& y) {
    if (m <= 0 || w.n <= 0) {
        return;
    }
    const GemmKernel kernel = kernel_for(isa);
    const int n_tiles = (w.n + kernel.tile_cols - 1) / kernel.tile_cols;
    const int row_blocks = (m + kernel.tile_rows - 1) / kernel.tile_rows;
    // Few column tiles (a LoRA A, a small model): split the rows as well, aiming at about four
    // tasks per thread so that dynamic scheduling can even out the load.
    const int wanted_tasks = 4 * pool.threads();
    int chunks = 1;
    if (n_tiles < wanted_tasks) {
        chunks = std::min(row_blocks, (wanted_tasks + n_tiles - 1) / n_tiles);
    }
    const int rows_per_chunk = (row_blocks + chunks - 1) / chunks * kernel.tile_rows;
    chunks = (m + rows_per_chunk - 1) / rows_per_chunk;

    pool.run(n_tiles * chunks, [&](int task, int) {
        const int tile = task / chunks;
        const int chunk = task % chunks;
        GemmTile t;
        t.dtype = w.dtype;
        t.row0 = chunk * rows_per_chunk;
        t.rows = std::min(rows_per_chunk, m - t.row0);
        t.x = x + t.row0 * ldx;
        t.ldx = ldx;
        t.w = w.data.data();
        t.k = w.k;
        t.col0 = tile * kernel.tile_cols;
        t.cols = std::min(kernel.tile_cols, w.n - t.col0);
        t.y = &y;
        kernel.run(t);
    });
}

void gemm(ThreadPool& pool, const float* x, int m, int64_t ldx, const PackedMatrix& w,
          const OutRows& y) {
    gemm(best_isa(), pool, x, m, ldx, w, y);
}

}  // namespace moco::cpu
