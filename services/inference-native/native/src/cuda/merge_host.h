// moco_merge_tensor_on for a CUDA context (kernels/api_merge.cpp): host tensors streamed through a
// DeviceMerge (merge_kernels.h). A header without CUDA types, so the C ABI's translation unit
// needs no CUDA headers.
#pragma once

#include "kernels/merge_plan.h"
#include "moco.h"

namespace moco::cuda {

// The upload chunk in output elements (a multiple of kMergeSegment).
constexpr int64_t kHostMergeChunk = int64_t{1} << 24;

// Merges whole host tensors (pointers at element 0, validated as moco_merge_tensor does) with a
// freshly created `plan` on CUDA device `device`; the output goes to host memory `out`.
moco_status merge_host_tensors(const char* fn, kernels::MergePlan& plan, int device,
                               const void* const* inputs, const void* base, void* out);

}  // namespace moco::cuda
