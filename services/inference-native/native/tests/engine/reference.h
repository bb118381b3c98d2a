// Test support shared by the white-box and the public-API engine tests: the specification of a
// small Llama-family model, its weights as floats, and a naive reference forward in double
// precision (no cache, no batching, plain loops). Depends on moco.h only.
#pragma once

#include "moco.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace moco::test {

enum RopeKind { kRopeDefault, kRopeLinear, kRopeLlama3 };

// The projections a LoRA adapter may target, in model.h's LoraModule order.
enum LoraTarget { kTargetQ, kTargetK, kTargetV, kTargetO, kTargetGate, kTargetUp, kTargetDown, kTargetCount };

struct TinyRope {
    RopeKind kind = kRopeDefault;
    float factor = 1.0f;
    float low_freq_factor = 1.0f;
    float high_freq_factor = 4.0f;
    int original_max_position = 8192;
};

struct TinySpec {
    std::string name = "llama";
    std::string architecture = "LlamaForCausalLM";
    int dtype = MOCO_DTYPE_F32;
    int vocab = 83;            // odd: the LM head ends in a partial GEMM tile
    int hidden = 64;
    int intermediate = 80;
    int layers = 2;
    int heads = 4;
    int kv_heads = 2;
    int head_dim = 16;
    int max_positions = 256;
    bool attention_bias = false;
    bool qk_norm = false;
    bool tied = false;
    int num_labels = 3;        // classifiers
    int sliding_window = 0;
    TinyRope rope;
    float rope_theta = 10000.0f;
    float eps = 1e-5f;

    bool classifier() const;
    int output_size() const { return classifier() ? num_labels : vocab; }
};

// GoogleTest prints a parameter with this (test names and ctest output show the spec's name).
inline void PrintTo(const TinySpec& spec, std::ostream* os) {
    *os << spec.name;
}

// The weights as floats, in HF shapes, row-major.
struct FloatLayer {
    std::vector<float> input_norm, q, k, v, q_bias, k_bias, v_bias, q_norm, k_norm, o;
    std::vector<float> post_norm, gate, up, down;
};
struct FloatWeights {
    std::vector<float> embed, final_norm, head;  // head: lm_head, the embedding when tied, or score
    std::vector<FloatLayer> layers;
};

// LoRA factors as floats, [layer][LoraTarget]; empty = not targeted.
struct FloatLora {
    int rank = 0;
    float scale = 1.0f;
    std::vector<std::vector<std::vector<float>>> a, b;
};

// (in, out) features of a LoRA-targetable projection.
void lora_dims(const TinySpec& spec, int target, int& in, int& out);

// The forward of one sequence from scratch: logits and final-norm hidden states at every
// position, row-major. attend_prefix > 0 is an HF attention_mask of that many ones then zeros:
// every position attends only to keys below it (moco.h's moco_batch_entry.attend_prefix).
struct Reference {
    std::vector<double> logits;
    std::vector<double> hidden;
};
Reference reference_forward(const TinySpec& spec, const FloatWeights& w, const std::vector<int32_t>& tokens,
                            const FloatLora* lora = nullptr, int attend_prefix = 0);

// W + scale * B A for every targeted projection: the merged-weight equivalent of an adapter.
FloatWeights merge_lora(const TinySpec& spec, const FloatWeights& w, const FloatLora& lora);

// Random token ids in [0, vocab).
std::vector<int32_t> random_tokens(int n, int vocab, uint32_t seed);

// max |got - want| over the largest magnitude of want (at least 1).
double relative_error(const std::vector<float>& got, const std::vector<double>& want);

}  // namespace moco::test
