#include "train/linear.h"

#include "cpu/dtype.h"
#include "cpu/gemm_kernels.h"

#include <algorithm>
#include <cstdint>

namespace moco::train {
namespace {

// out[c][r] = in[r][c] for a rows x cols matrix with row stride ld, in 32 x 32 tiles (a tile's
// reads and writes each stay within 32 cache lines).
void transpose(cpu::ThreadPool& pool, const float* in, int64_t ld, int rows, int cols, float* out) {
    constexpr int kTile = 32;
    pool.run((cols + kTile - 1) / kTile, [&](int tile, int) {
        const int c0 = tile * kTile, c1 = std::min(cols, c0 + kTile);
        for (int r0 = 0; r0 < rows; r0 += kTile) {
            const int r1 = std::min(rows, r0 + kTile);
            for (int c = c0; c < c1; ++c) {
                for (int r = r0; r < r1; ++r) {
                    out[static_cast<int64_t>(c) * rows + r] = in[r * ld + c];
                }
            }
        }
    });
}

// The bytes of an F32 matrix of `cols` output columns packed in panels (cpu/gemm.h).
size_t f32_panel_bytes(int cols, int reduction) {
    const size_t panels = static_cast<size_t>((cols + cpu::kPanelCols - 1) / cpu::kPanelCols);
    return panels * static_cast<size_t>(reduction) * cpu::kPanelCols * sizeof(float);
}

}  // namespace

cpu::PackedMatrix pack_transposed_stacked(const TensorView* const* parts, int n_parts) {
    const int k = static_cast<int>(parts[0]->shape.at(1));
    int n = 0;
    bool same_dtype = true;
    for (int i = 0; i < n_parts; ++i) {
        n += static_cast<int>(parts[i]->shape.at(0));
        same_dtype = same_dtype && parts[i]->dtype == parts[0]->dtype;
    }
    // Stored 16-bit weights stay 16-bit (the GEMM converts them exactly in registers); a stack
    // mixing dtypes becomes F32, as cpu::pack_stacked does.
    const DType dtype = same_dtype ? parts[0]->dtype : DType::F32;
    const size_t elems = static_cast<size_t>(n) * k;
    if (dtype == DType::F32) {
        std::vector<float> t(elems);
        std::vector<float> rows;
        int row0 = 0;
        for (int i = 0; i < n_parts; ++i) {
            const int rows_i = static_cast<int>(parts[i]->shape[0]);
            rows.resize(static_cast<size_t>(rows_i) * k);
            cpu::load_row(parts[i]->data, parts[i]->dtype, 0, static_cast<int64_t>(rows_i) * k, rows.data());
            for (int r = 0; r < rows_i; ++r) {
                for (int c = 0; c < k; ++c) {
                    t[static_cast<size_t>(c) * n + row0 + r] = rows[static_cast<size_t>(r) * k + c];
                }
            }
            row0 += rows_i;
        }
        return cpu::pack_weights(DType::F32, k, n, t.data());
    }
    std::vector<uint16_t> t(elems);
    int row0 = 0;
    for (int i = 0; i < n_parts; ++i) {
        const int rows_i = static_cast<int>(parts[i]->shape[0]);
        const auto* in = static_cast<const uint16_t*>(parts[i]->data);
        for (int r = 0; r < rows_i; ++r) {
            for (int c = 0; c < k; ++c) {
                t[static_cast<size_t>(c) * n + row0 + r] = in[static_cast<size_t>(r) * k + c];
            }
        }
        row0 += rows_i;
    }
    return cpu::pack_weights(dtype, k, n, t.data());
}

void repack_f32(cpu::ThreadPool& pool, const float* w, int n, int k, int64_t ld, bool transpose,
                cpu::PackedMatrix* out) {
    const int cols = transpose ? k : n;       // output columns of the packed matrix
    const int reduction = transpose ? n : k;
    const int panels = (cols + cpu::kPanelCols - 1) / cpu::kPanelCols;
    if (out->dtype != DType::F32 || out->n != cols || out->k != reduction || out->data.data() == nullptr) {
        out->dtype = DType::F32;
        out->n = cols;
        out->k = reduction;
        // Zero-filled: the last panel's padding columns stay 0.
        out->data = cpu::AlignedBuffer<unsigned char>(f32_panel_bytes(cols, reduction));
    }
    float* packed = reinterpret_cast<float*>(out->data.data());
    pool.run(panels, [&](int panel, int) {
        const int c0 = panel * cpu::kPanelCols, c1 = std::min(cols, c0 + cpu::kPanelCols);
        if (transpose) {
            // Column c of the packed matrix is column c of W: rows of W read contiguously.
            for (int kk = 0; kk < reduction; ++kk) {
                for (int c = c0; c < c1; ++c) {
                    packed[cpu::packed_index(reduction, c, kk)] = w[kk * ld + c];
                }
            }
        } else {
            for (int c = c0; c < c1; ++c) {
                for (int kk = 0; kk < reduction; ++kk) {
                    packed[cpu::packed_index(reduction, c, kk)] = w[c * ld + kk];
                }
            }
        }
    });
}

void WeightGrad::accumulate(cpu::ThreadPool& pool, const float* dy, int64_t ldy, const float* x,
                            int64_t ldx, int m, int n, int k, float* grad) {
    if (m <= 0) {
        return;
    }
    dy_t_.resize(static_cast<size_t>(n) * m);
    product_.resize(static_cast<size_t>(n) * k);
    transpose(pool, dy, ldy, m, n, dy_t_.data());
    repack_f32(pool, x, m, k, ldx, true, &x_t_);
    cpu::gemm(pool, dy_t_.data(), n, m, x_t_, cpu::OutRows{product_.data(), k, nullptr});
    pool.run(n, [&](int c, int) {
        float* g = grad + static_cast<int64_t>(c) * k;
        const float* p = product_.data() + static_cast<int64_t>(c) * k;
        for (int i = 0; i < k; ++i) {
            g[i] += p[i];
        }
    });
}

size_t WeightGrad::held_bytes() const {
    return (dy_t_.capacity() + product_.capacity()) * sizeof(float) +
           (x_t_.data.data() == nullptr ? 0 : f32_panel_bytes(x_t_.n, x_t_.k));
}

}  // namespace moco::train
