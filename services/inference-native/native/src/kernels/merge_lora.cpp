// M9 LoRA apply (see merge_lora.h).
#include "kernels/merge_lora.h"

#include "common.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_math.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace moco::kernels {

moco_status lora_apply(const LoraApply& p) {
    const std::size_t rank = static_cast<std::size_t>(p.rank);
    const std::size_t cols = static_cast<std::size_t>(p.cols);
    // Without fan_in_fan_out, row o of the delta is Σ_k B[o][k] A[k][:]: A as f32 [rank, cols], B
    // read per row. With it, row i is Σ_k B[:][k] A[k][i]: B transposed to f32 [rank, cols] so
    // both cases run the same vectorised loop over a row, k ascending.
    std::vector<float> rows_by_k(rank * cols);  // A, or B transposed
    std::vector<float> coeff(rank);             // B[o][:], or A[:][i], per output row
    if (!p.fan_in_fan_out) {
        load_f32(p.a, p.a_dtype, rank * cols, rows_by_k.data());
    } else {
        std::vector<float> b(cols * rank);
        load_f32(p.b, p.b_dtype, cols * rank, b.data());
        for (std::size_t o = 0; o < cols; ++o) {
            for (std::size_t k = 0; k < rank; ++k) rows_by_k[k * cols + o] = b[o * rank + k];
        }
    }
    std::vector<float> a_all;
    if (p.fan_in_fan_out) {
        a_all.resize(rank * static_cast<std::size_t>(p.rows));
        load_f32(p.a, p.a_dtype, a_all.size(), a_all.data());
    }

    std::vector<float> w(cols), acc(cols);
    const float limit = dtype_finite_limit(p.out_dtype);
    const std::size_t w_size = dtype_bytes(p.w_dtype), out_size = dtype_bytes(p.out_dtype);
    const std::size_t b_size = dtype_bytes(p.b_dtype);
    for (int64_t r = 0; r < p.row_count; ++r) {
        const int64_t row = p.row_offset + r;
        if (!p.fan_in_fan_out) {
            load_f32(static_cast<const char*>(p.b) + static_cast<std::size_t>(row) * rank * b_size,
                     p.b_dtype, rank, coeff.data());
        } else {
            for (std::size_t k = 0; k < rank; ++k)
                coeff[k] =
                    a_all[k * static_cast<std::size_t>(p.rows) + static_cast<std::size_t>(row)];
        }
        for (std::size_t i = 0; i < cols; ++i) acc[i] = coeff[0] * rows_by_k[i];
        for (std::size_t k = 1; k < rank; ++k) {
            const float c = coeff[k];
            const float* ak = rows_by_k.data() + k * cols;
            for (std::size_t i = 0; i < cols; ++i) acc[i] += c * ak[i];
        }
        load_f32(static_cast<const char*>(p.w) + static_cast<std::size_t>(r) * cols * w_size,
                 p.w_dtype, cols, w.data());
        for (std::size_t i = 0; i < cols; ++i) acc[i] = add_delta(w[i], p.scale * acc[i]);
        for (std::size_t i = 0; i < cols; ++i) {
            if (!(std::fabs(acc[i]) < limit)) {
                return set_error(
                    MOCO_ERR_NUMERIC,
                    "moco_lora_apply: element [%lld, %zu] of W' is %g, not finite in %s",
                    static_cast<long long>(row), i, static_cast<double>(acc[i]),
                    dtype_name(p.out_dtype));
            }
        }
        store_f32(acc.data(), cols, p.out_dtype,
                  static_cast<char*>(p.out) + static_cast<std::size_t>(r) * cols * out_size);
    }
    return MOCO_OK;
}

}  // namespace moco::kernels
