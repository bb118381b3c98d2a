// A LoRA adapter's A and B matrices on the GPU (moco_adapter::device): what cuda::upload_adapter
// copies when moco_adapter_load runs on a model whose weights are on a GPU, freed with the adapter.
//
// A and B are F32 whatever the adapter's stored dtype (the conversion is exact). That is what the
// CPU backend computes with: it widens the stored A and B to F32 in registers and keeps the input
// rows and the rank-r intermediate A x in F32 (cpu/forward.cpp Pass::lora). Running the two small
// GEMMs in the model's 16-bit compute dtype would round the input rows and A x to 8 or 11 bits on
// top of the base GEMM's rounding, for no gain worth having: A and B hold r * (in + out) values per
// projection, a fraction of a percent of the base weights at the usual ranks.
#pragma once

#include "cuda/device_buffer.h"
#include "cuda/device_weights.h"
#include "model/model.h"

#include <array>
#include <vector>

namespace moco::cuda {

// delta = B (A x): A [rank, in_features] and B [out_features, rank], both F32 (DeviceMatrix::n rows
// of k elements). Absent (data == nullptr) for a module the adapter does not target.
struct DeviceLoraPair {
    DeviceMatrix a;
    DeviceMatrix b;
    bool present() const { return a.data != nullptr; }
};

struct DeviceAdapter : DeviceState {
    DeviceAdapter() = default;
    DeviceAdapter(const DeviceAdapter&) = delete;
    DeviceAdapter& operator=(const DeviceAdapter&) = delete;
    ~DeviceAdapter() override;

    int device = 0;
    float scale = 1.0f;      // moco_adapter::scale: lora_alpha / r, or / sqrt(r) with use_rslora
    int max_rank = 0;        // the largest rank of any pair: sizes the forward's A x scratch
    std::vector<std::array<DeviceLoraPair, kLoraModuleCount>> layers;  // [layer][LoraModule]
    DeviceBuffer buffer;     // every A and B, one allocation
};

}  // namespace moco::cuda
