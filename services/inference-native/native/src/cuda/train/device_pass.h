// train::Pass on a GPU: one training pass of a Llama-family decoder over a micro-batch of whole
// sequences, every activation the backward needs kept in device memory, then the backward. The
// same steps in the same order as train/pass.h (which documents the formulas); the projections are
// cuBLAS GEMMs (cuda/gemm.h), the rest the kernels of cuda/train/pass_kernels.h and the forward's
// own (cuda/kernels.h). Results match the CPU pass to float rounding, not bit for bit: cuBLAS sums
// in its own order, and a 16-bit base weight (LoRA on a BF16/F16 model) multiplies its input - the
// activations forward, the gradients backward - rounded to its dtype, as every cuBLAS mixed GEMM
// does, where the CPU widens the weight instead.
#pragma once

#include "cuda/device_adapter.h"
#include "cuda/device_buffer.h"
#include "cuda/device_weights.h"
#include "train/pass.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <array>
#include <vector>

namespace moco::cuda::train {

// The weights a device pass runs with: F32 masters (full fine-tuning), or the loaded model's
// device weights (the LoRA base, the reference) with F32 LoRA pairs from the masters.
struct PassWeights {
    DeviceMatrix embed;
    std::vector<DeviceLayer> layers;
    const float* final_norm = nullptr;
    DeviceMatrix head;
    const float* inv_freq = nullptr;
    std::vector<std::array<DeviceLoraPair, kLoraModuleCount>> lora;  // [layer][module]; empty: none
    float lora_scale = 1.0f;
};

class DevicePass {
public:
    // keep_activations = false: a forward-only pass (every layer reuses one set of buffers).
    DevicePass(const ModelConfig& config, cudaStream_t stream, cublasHandle_t blas, bool keep_activations);

    // Device logits [target rows, vocab] of the batch's target rows; valid until the next forward.
    const float* forward(const PassWeights& w, const moco::train::PassBatch& batch,
                         const moco::train::Dropout& dropout);
    // The batch's targets on the device (one per target row), as the last forward uploaded them.
    const int32_t* targets() const { return targets_; }
    int vocab() const { return vocab_; }
    // Device bytes held for activations and scratch (grown to the largest batch so far).
    size_t held_bytes() const;

    // Adds to `grads` (device pointers in the layout of train::PassGrads) the gradients of
    // sum(dlogits * logits) through the last forward, which must have kept its activations.
    // The dropout must be the forward's.
    void backward(const PassWeights& w, const moco::train::Dropout& dropout, const float* dlogits,
                  const moco::train::PassGrads& grads);

private:
    struct Layer {
        // No attention probabilities: they are recomputed in the backward (attention_backward).
        DeviceBuffer x_in, h1, qkv_raw, qkv, attn, x_mid, h2, gate_up, act;
        std::array<DeviceBuffer, kLoraModuleCount> lora_t;  // A drop(x) per module
    };

    Layer& slot(int l) { return layers_[keep_ ? static_cast<size_t>(l) : 0]; }
    void upload_layout(const moco::train::PassBatch& batch);
    void reserve_backward(const PassWeights& w);
    const void* gemm_input(const float* x, int rows, int k, DType dtype);
    void project(const DeviceMatrix& w, const float* x, int rows, float* out, int ld_out, float beta);
    void lora_forward(const PassWeights& w, int l, int m, const float* in, int ld_in, float* out, int ld_out,
                      const moco::train::Dropout& dropout, DeviceBuffer& t_saved);
    void lora_backward(const PassWeights& w, int l, int m, const float* in, int ld_in, const float* dy, int ld_dy,
                       float* dx, int ld_dx, const moco::train::Dropout& dropout, const DeviceBuffer& t_saved,
                       const moco::train::GradLayer& g);
    const float* dropped(const float* in, int ld_in, int cols, int l, int m, const moco::train::Dropout& dropout);

    const ModelConfig& c_;
    cudaStream_t stream_;
    cublasHandle_t blas_;
    bool keep_;
    int H_, hd_, q_dim_, kv_dim_, qkv_dim_, I_, vocab_ = 0;
    int R_ = 0, n_targets_ = 0, max_span_ = 0;
    int64_t prob_total_ = 0;
    std::vector<Layer> layers_;
    // The batch's rows on the device: tokens, positions, first key row, sequence end, target rows,
    // targets (int32, one upload), probability offsets (int64).
    DeviceBuffer ints_, prob_offset_;
    const int32_t *tokens_ = nullptr, *pos_ = nullptr, *first_ = nullptr, *seq_end_ = nullptr,
                  *target_rows_ = nullptr, *targets_ = nullptr;
    DeviceBuffer x_, cos_, sin_, hidden_, logits_, gemm_in_, lora_in_, lora_d_, lora_dx_;
    // One layer's attention probabilities, forward and backward.
    DeviceBuffer probs_;
    // Backward scratch.
    DeviceBuffer dx_, dh_, dbig_, dmid_, dw_rows_, ds_;
};

}  // namespace moco::cuda::train
