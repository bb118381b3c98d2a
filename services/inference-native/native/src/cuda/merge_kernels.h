// The weight-merge kernels (methods-logit-weight.md §1.2: M1-M9, M11, SLERP) on tensors in device
// memory: the device twins of kernels/merge_plan.h, merge_lora.h and merge_swarm.h, checked against
// them by tests/cuda/test_cuda_merge.cpp.
//
// A DeviceMerge drives a CPU MergePlan (validation, shapes, M7 defaults, the end-of-pass logic):
// the scan statistics are computed on the GPU and handed to the plan, whose end_pass turns them
// into the TIES threshold, the DARE L1 factor and the SLERP coefficients; apply then runs the
// plan's per-element rule in a kernel.
//
// Bit identity with the CPU (same spec, same inputs):
//   LINEAR, TASK_ARITHMETIC, TIES (both consensus kinds), DARE without L1 rescale, EXTRAPOLATE,
//   LoRA apply (M9) and the PSO step (M11): bit-identical. Each element runs the CPU's f32
//   operations in the CPU's order, compiled without FMA contraction (--fmad=false) and with IEEE
//   division; add_delta, sign_of, the M4 keep rule, the Philox DARE draw and the index mapping of
//   cut embeddings are the CPU's own functions (MOCO_HOST_DEVICE). TIES' selection is exact: the
//   device builds the same radix histograms and finds the same tie cut.
//   DARE with L1 rescale, SLERP: the f64 sums (|δ| before and after the drop; <θ_b, θ_1>, |θ_b|²,
//   |θ_1|²) add per 4096-element segment in a fixed tree order, then the segments in index order
//   on the host - not the CPU's 8-lane order - so they may differ from the CPU's in the last bits
//   of a double. The f32 factor / coefficients rounded from them are then equal except when the
//   exact value lies within about 1e-15 (relative) of an f32 rounding boundary, where they differ
//   by one f32 ulp; the outputs then agree within 2^-22 relative to the merged delta (DARE) or to
//   |s_0 θ_b| + |s_1 θ_1| (SLERP). The device results are deterministic run to run, and do not
//   depend on the chunking (chunk offsets are segment multiples).
//
// Operands are chunk-relative exactly as in moco_merge_plan_scan / _apply: inputs[i] and base point
// at the element that output element `offset` reads (device pointers; F32, F16 or BF16), out at
// output element `offset` (out_dtype). Errors are the CPU's (same messages, NUMERIC naming the
// tensor and the first bad element index) plus MOCO_ERR_INTERNAL / MOCO_ERR_OUT_OF_MEMORY for a
// failed CUDA call. Every call works on stream `stream` of device `device`. end_pass and apply
// synchronise it before they return; scan may leave its kernels queued, so a scanned chunk's
// device memory must stay unchanged until end_pass, or be rewritten only by work queued on the
// same stream.
#pragma once

#include "cuda/device_buffer.h"
#include "kernels/merge_lora.h"
#include "kernels/merge_plan.h"
#include "kernels/merge_swarm.h"
#include "moco.h"

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moco::cuda {

// The f64 scan sums add per segment of this many output elements; scan chunk offsets must be
// multiples of it (the last chunk may end anywhere).
constexpr int64_t kMergeSegment = 4096;

class DeviceMerge {
public:
    // `plan` is freshly created (no scan pass run) and outlives this object; a DeviceMerge keeps
    // its own device scratch (histograms, partial sums), so one plan is driven by one DeviceMerge.
    DeviceMerge(kernels::MergePlan& plan, int device, cudaStream_t stream);

    bool needs_scan() const { return plan_.needs_scan(); }

    // The protocol of moco_merge_plan_scan / _end_pass / _apply (same errors, `fn` prefixing the
    // messages), on device pointers. Scan chunks also need offset % kMergeSegment == 0.
    moco_status scan(const char* fn, const void* const* inputs, const void* base, int64_t offset,
                     int64_t count);
    moco_status end_pass(const char* fn, bool* more);
    moco_status apply(const char* fn, const void* const* inputs, const void* base, int64_t offset,
                      int64_t count, void* out);

    // Every scan pass and the apply over whole tensors (pointers at element 0), as
    // moco_merge_tensor does on the CPU.
    moco_status merge(const char* fn, const void* const* inputs, const void* base, void* out);

private:
    void scan_chunk(const void* const* inputs, const void* base, int64_t offset, int64_t count);
    void find_tie_cut(std::size_t input, const void* const* inputs, const void* base,
                      int64_t offset, int64_t count);

    kernels::MergePlan& plan_;
    int device_;
    cudaStream_t stream_;
    std::vector<std::size_t> used_;        // the inputs that take part, in input order
    DeviceBuffer histograms_;              // TIES passes 0-1: 2^16 u64 bins per used input
    DeviceBuffer partials_;                // DARE L1 / SLERP: f64 sums per segment, whole tensor
    DeviceBuffer chunk_scratch_;           // TIES pass 2: per-segment tie counts / flags
    DeviceBuffer descriptors_;             // apply: the used inputs' operands and rules
    DeviceBuffer bad_;                     // apply: first bad element index, then its value
    std::vector<int64_t> ties_seen_;       // TIES pass 2: ties counted in earlier chunks
    int64_t next_offset_ = 0;              // scan: where the next chunk must start
};

// M9 on device memory: the CPU's LoraApply with w, a, b and out device pointers (arguments
// validated as moco_lora_apply does). Bit-identical to kernels::lora_apply.
moco_status lora_apply(const kernels::LoraApply& args, int device, cudaStream_t stream);

// M11 on device memory: the CPU's PsoStep with device pointers (validated as moco_pso_step does;
// x_out / v_out may alias x / v). Bit-identical to kernels::pso_step.
moco_status pso_step(const kernels::PsoStep& args, int device, cudaStream_t stream);

}  // namespace moco::cuda
