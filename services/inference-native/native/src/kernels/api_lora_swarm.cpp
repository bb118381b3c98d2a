// Exported entry points of M9 (LoRA apply), M11 (PSO step) and M12 (weight softmax): argument
// validation, then merge_lora.cpp / merge_swarm.cpp.
#include "common.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_lora.h"
#include "kernels/merge_swarm.h"

#include <cmath>

extern "C" {

moco_status moco_lora_apply(const void* w, int w_dtype, int64_t rows, int64_t cols, const void* a,
                            int a_dtype, const void* b, int b_dtype, int rank, float scale,
                            int fan_in_fan_out, int64_t row_offset, int64_t row_count, void* out,
                            int out_dtype) {
    return moco::guard("moco_lora_apply", [&]() -> moco_status {
        const char* fn = "moco_lora_apply";
        using moco::kernels::dtype_valid;
        if (w == nullptr || a == nullptr || b == nullptr || out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: w, a, b and out must not be NULL", fn);
        }
        if (!dtype_valid(w_dtype) || !dtype_valid(a_dtype) || !dtype_valid(b_dtype) ||
            !dtype_valid(out_dtype)) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT,
                "%s: dtypes (w %d, a %d, b %d, out %d) must be moco_dtype values", fn, w_dtype,
                a_dtype, b_dtype, out_dtype);
        }
        if (rows < 1 || cols < 1 || rank < 1 || (fan_in_fan_out != 0 && fan_in_fan_out != 1)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: rows %lld, cols %lld and rank %d must be >= 1 and "
                                   "fan_in_fan_out 0 or 1 (got %d)",
                                   fn, static_cast<long long>(rows), static_cast<long long>(cols),
                                   rank, fan_in_fan_out);
        }
        if (row_offset < 0 || row_count < 0 || row_offset > rows - row_count) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT, "%s: rows [%lld, %lld + %lld) lie outside W's %lld rows",
                fn, static_cast<long long>(row_offset), static_cast<long long>(row_offset),
                static_cast<long long>(row_count), static_cast<long long>(rows));
        }
        if (!std::isfinite(scale)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: scale is %g; it must be finite",
                                   fn, static_cast<double>(scale));
        }
        return moco::kernels::lora_apply({w, w_dtype, rows, cols, a, a_dtype, b, b_dtype, rank,
                                          scale, fan_in_fan_out == 1, row_offset, row_count, out,
                                          out_dtype});
    });
}

moco_status moco_pso_step(const void* x, const void* v, const void* p, const void* g, const void* w,
                          int dtype, int64_t count, float a, float b, float c, float d, float step,
                          void* x_out, void* v_out, int out_dtype) {
    return moco::guard("moco_pso_step", [&]() -> moco_status {
        const char* fn = "moco_pso_step";
        if (count < 0) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: count is %lld; it must be >= 0",
                                   fn, static_cast<long long>(count));
        }
        if (count > 0 && (x == nullptr || v == nullptr || p == nullptr || g == nullptr ||
                          w == nullptr || x_out == nullptr || v_out == nullptr)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: x, v, p, g, w, x_out and v_out must not be NULL", fn);
        }
        if (!moco::kernels::dtype_valid(dtype) || !moco::kernels::dtype_valid(out_dtype)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: dtype %d and out_dtype %d must be moco_dtype values", fn,
                                   dtype, out_dtype);
        }
        const float coefficients[5] = {a, b, c, d, step};
        for (const float k : coefficients) {
            if (!std::isfinite(k)) {
                return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                       "%s: a %g, b %g, c %g, d %g and step %g must all be finite",
                                       fn, static_cast<double>(a), static_cast<double>(b),
                                       static_cast<double>(c), static_cast<double>(d),
                                       static_cast<double>(step));
            }
        }
        return moco::kernels::pso_step(
            {x, v, p, g, w, dtype, count, a, b, c, d, step, x_out, v_out, out_dtype});
    });
}

moco_status moco_softmax_weights(const float* x, int n, float* out) {
    return moco::guard("moco_softmax_weights", [&]() -> moco_status {
        const char* fn = "moco_softmax_weights";
        if (x == nullptr || out == nullptr || n < 1) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: x and out must not be NULL and n (%d) must be >= 1", fn, n);
        }
        for (int i = 0; i < n; ++i) {
            if (!std::isfinite(x[i])) {
                return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                       "%s: x[%d] is %g; weights must be finite", fn, i,
                                       static_cast<double>(x[i]));
            }
        }
        moco::kernels::softmax_weights(x, n, out);
        return MOCO_OK;
    });
}

}  // extern "C"
