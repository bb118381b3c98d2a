// The element-wise and per-row operations of a Llama-family layer, written as HF transformers
// computes them in float32 (so results agree within rounding), each with a fixed order.
#pragma once

#include "model/model.h"

#include <vector>

namespace moco::cpu {

// LlamaRMSNorm: out = w * (x * (1 / sqrt(sum(x^2) / n + eps))); the sum of squares is vec.h's dot.
void rmsnorm(const float* x, const float* w, int n, float eps, float* out);

// RoPE inverse frequencies inv_freq[i] = 1 / theta^(2i / head_dim), i < head_dim / 2, with the
// config's rope_scaling applied as HF's rope-init functions do: "linear" divides them by factor,
// "llama3" remaps them by wavelength (_compute_llama3_parameters).
std::vector<float> rope_inv_freq(const ModelConfig& config);

// cos and sin of pos * inv_freq[i] (the product in float32, as HF).
void rope_cos_sin(const std::vector<float>& inv_freq, int pos, float* cos, float* sin);

// HF's rotate_half convention: element i pairs with i + head_dim / 2.
void rope_apply(float* v, int head_dim, const float* cos, const float* sin);

// out = silu(gate) * up, silu(g) = g / (1 + exp(-g)).
void silu_mul(const float* gate, const float* up, int n, float* out);

// Attention probabilities in place: p = softmax(scale * p) over n scores - scaled, the max taken, exp(p - max)
// by kernels/exp_f32.h summed in vec.h's lane order, then times 1 / sum (VecOps::softmax_scaled: the same bits on
// every instruction set). The inference attention and the training pass both call it, so the
// trainer's forward (and the probabilities its backward recomputes) are the inference forward's bits.
void softmax_scaled(float* p, int n, float scale);

}  // namespace moco::cpu
