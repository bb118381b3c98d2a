// M9 LoRA apply (methods-logit-weight.md §1.2): W' = W + s (B A), computed in f32 and rounded once
// into the output dtype - peft's merge_and_unload with A and B kept in f32, the contract. Works on
// a range of W's rows so a caller can stream a large W.
#pragma once

#include "moco.h"

#include <cstdint>

namespace moco::kernels {

struct LoraApply {
    const void* w;  // W rows [row_offset, row_offset + row_count), stored [rows, cols]
    int w_dtype;
    int64_t rows, cols;
    const void* a;  // complete A: [rank, cols], or [rank, rows] when fan_in_fan_out
    int a_dtype;
    const void* b;  // complete B: [rows, rank], or [cols, rank] when fan_in_fan_out
    int b_dtype;
    int rank;
    float scale;
    bool fan_in_fan_out;  // W stored [in, out]: the delta is (B A)^T
    int64_t row_offset, row_count;
    void* out;  // the same rows of W', in out_dtype
    int out_dtype;
};

// Arguments validated by the caller; fails only with MOCO_ERR_NUMERIC.
moco_status lora_apply(const LoraApply& args);

}  // namespace moco::kernels
