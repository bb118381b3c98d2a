// A validated moco_merge_spec: method defaults of M7 filled in and the shape rules of M2/M3/M8
// resolved into an output shape plus, per input, whether it takes part and how its elements map
// onto the output's (methods-logit-weight.md §1.2).
#pragma once

#include "kernels/host_device.h"
#include "moco.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moco::kernels {

struct MergeInput {
    bool used = true;  // false: M3 skipped it (non-embedding shape mismatch)
    int dtype = MOCO_DTYPE_F32;
    int64_t cols = 1;  // this input's row length; differs from the output's only when cut
    float weight = 1.0f;
    double density = 1.0;
    int model_index = 0;
    std::vector<int64_t> shape;
};

struct MergeSpec {
    int method = MOCO_MERGE_LINEAR;
    std::string tensor_name;
    uint64_t name_hash = 0;  // FNV-1a-64 of tensor_name (M5)
    std::vector<MergeInput> inputs;
    int base_dtype = MOCO_DTYPE_F32;
    int64_t base_cols = 1;
    int out_dtype = MOCO_DTYPE_F32;
    std::vector<int64_t> out_shape;
    int64_t numel = 1;
    int64_t cols = 1;  // output row length (last dimension)
    bool normalize = false;
    int consensus = MOCO_CONSENSUS_SUM;
    int rescale = MOCO_RESCALE_NONE;
    float lambda = 1.0f;
    float alpha = 0.0f;
    float t = 0.0f;
    uint64_t seed = 0;
    float weight_sum = 0.0f;  // LINEAR's divisor / the no-consensus D: Σ w_i of used inputs

    bool uses_base() const { return method != MOCO_MERGE_LINEAR; }
    bool consensus_method() const {
        return method == MOCO_MERGE_TIES || method == MOCO_MERGE_DARE_TIES;
    }
    bool dare_method() const {
        return method == MOCO_MERGE_DARE_TIES || method == MOCO_MERGE_DARE_LINEAR;
    }
};

// Validates `spec` (messages start with `fn`) and fills *out.
moco_status resolve_merge_spec(const char* fn, const moco_merge_spec* spec, MergeSpec* out);

// The flat index of the element of a tensor with row length `in_cols` that output element `e`
// (row length `out_cols`) reads: same row, same column.
MOCO_HOST_DEVICE inline int64_t mapped_index(int64_t e, int64_t out_cols, int64_t in_cols) {
    return in_cols == out_cols ? e : (e / out_cols) * in_cols + e % out_cols;
}

}  // namespace moco::kernels
