// LoRA adapters in the CUDA forward: y += scale * B (A x) per entry, for the projections its
// adapter targets, as the CPU backend applies them (cpu/forward.cpp Pass::lora). The forward lays
// the rows of the entries that share an adapter out next to each other, so that every adapted
// projection costs two cuBLAS GEMMs per adapter of the batch, whatever the number of entries.
#pragma once

#include "cpu/forward.h"
#include "cuda/device_adapter.h"

#include <cublas_v2.h>

#include <vector>

namespace moco::cuda {

// The consecutive rows [row0, row0 + rows) of the entries that use one adapter.
struct LoraGroup {
    const DeviceAdapter* adapter;
    int row0;
    int rows;
};

// The order in which the forward stacks its entries' rows: grouped by adapter (the base model
// counts as one), groups in order of first appearance, entries in their order within a group - the
// CPU's layout. Returns the entry indices in row order; *groups receives the groups that have an
// adapter (ForwardEntry::lora_device, a DeviceAdapter).
std::vector<int> lora_row_order(const std::vector<cpu::ForwardEntry>& entries, std::vector<LoraGroup>* groups);

// The largest rank among the groups' adapters (0 without any): rows x this floats of scratch hold
// the intermediate A x.
int lora_max_rank(const std::vector<LoraGroup>& groups);

// For every group whose adapter targets `module` of `layer`, rows r of the group:
//   out[r, 0..out_features) += scale * (B (A in[r, 0..in_features)))
// PEFT's order, as on the CPU: the product is scaled, then added to what out holds (the base
// projection, or the residual stream for o_proj and down_proj, whose GEMMs add into it). The same
// terms as the CPU's, float rounding apart: the CPU adds the q/k/v bias before the delta (here
// qkv_finish adds it after) and adds base + delta to the residual as one sum (here one after the
// other). Rows of `in` are ld_in floats apart, rows of `out` ld_out; `t` holds rows x
// lora_max_rank floats for the largest group. Enqueues on the handle's stream only, no host sync.
void apply_lora(cublasHandle_t blas, const std::vector<LoraGroup>& groups, int layer, LoraModule module,
                const float* in, int ld_in, float* out, int ld_out, float* t);

}  // namespace moco::cuda
