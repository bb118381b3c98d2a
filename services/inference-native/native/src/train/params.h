// The trained parameters as flat F32 buffers (masters, gradients, AdamW moments all share one
// layout), their Hugging Face / PEFT names, and the packed views a Pass runs with.
//
//   Full fine-tuning  every tensor of the model, copied to F32 whatever its stored dtype (BF16/F16
//                     models train on F32 masters). q/k/v and gate/up lie next to each other so the
//                     Pass's stacked matrices and gradients are plain slices. A tied head is the
//                     embedding (one tensor, both gradients). extra_vocab appends rows to the
//                     embedding and head (CoLLM's added token).
//   LoRA              A [r, in] and B [out, r] of every targeted projection of every layer; A is
//                     PEFT's kaiming-uniform (bound 1 / sqrt(in)) drawn from Philox, B is zero. The
//                     base stays the loaded model's weights, read in their stored dtype.
#pragma once

#include "cpu/gemm.h"
#include "cpu/thread_pool.h"
#include "model/model.h"
#include "train/pass.h"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace moco::train {

struct Param {
    std::string name;             // HF name (model.layers.0.self_attn.q_proj.weight) or PEFT name
    std::vector<int64_t> shape;
    size_t offset = 0;            // into the flat buffers
    size_t numel = 0;
    bool decay = true;            // HF Trainer: no weight decay on biases and norm weights
};

struct LoraSettings {
    int rank = 8;
    float scale = 1.0f;           // lora_alpha / r (or / sqrt(r) with rsLoRA)
    uint32_t targets = 0;         // bit m set: LoraModule m adapted
    uint64_t seed = 0;
};

class Params {
public:
    // Full fine-tuning of `model` (extra_vocab rows appended: the input row is the mean of the
    // embedding's rows, the output row the mean of the head's rows unless set later).
    static Params full(const moco_model& model, int extra_vocab);
    static Params lora(const moco_model& model, const LoraSettings& lora);

    bool is_lora() const { return lora_; }
    const LoraSettings& lora_settings() const { return lora_settings_; }
    int vocab() const { return vocab_; }
    const std::vector<Param>& list() const { return params_; }
    size_t size() const { return size_; }
    const Param* find(const std::string& name) const;
    // The [begin, end) element ranges AdamW's weight decay applies to (HF Trainer exempts biases and
    // norm weights), adjacent ranges joined.
    std::vector<std::pair<size_t, size_t>> decay_ranges() const;

    std::vector<float> master;    // F32 values of every trained tensor

    // (Re)packs the matrices a Pass needs from the current masters (after every update). The base
    // model's transposes (LoRA) are packed on the first call only.
    void pack(cpu::ThreadPool& pool, const moco_model& model);
    // The policy's weights for a Pass (valid until the next pack) and where its gradients go.
    PassWeights pass_weights(const moco_model& model) const;
    // Where each trained tensor lies in a buffer of the params' layout (`grad`: its start) - the
    // gradients' destinations, or, given the masters' buffer, the weights themselves.
    PassGrads pass_grads(float* grad) const;

    // The loaded model's own weights, forward only: the frozen reference of DPO and the KL term.
    static PassWeights reference_weights(const moco_model& model);

private:
    static constexpr size_t kAbsent = static_cast<size_t>(-1);
    struct LayerSlots {
        size_t input_norm = kAbsent, qkv = kAbsent, qkv_bias = kAbsent, q_norm = kAbsent,
               k_norm = kAbsent, o = kAbsent, post_norm = kAbsent, gate_up = kAbsent, down = kAbsent;
        std::array<size_t, kLoraModuleCount> lora_a{}, lora_b{};
    };
    struct LayerPacks {
        cpu::PackedMatrix qkv, o, gate_up, down, qkv_t, o_t, gate_up_t, down_t;
        std::array<cpu::PackedMatrix, kLoraModuleCount> a, b, a_t, b_t;
    };

    size_t add(const std::string& name, std::vector<int64_t> shape, bool decay);
    const float* at(size_t slot) const { return slot == kAbsent ? nullptr : master.data() + slot; }

    bool lora_ = false;
    LoraSettings lora_settings_;
    int vocab_ = 0;
    ModelConfig config_;
    std::vector<Param> params_;
    size_t size_ = 0;
    size_t embed_ = kAbsent, final_norm_ = kAbsent, head_ = kAbsent;
    std::vector<LayerSlots> slots_;
    std::vector<LayerPacks> packs_;
    cpu::PackedMatrix head_pack_, head_t_;
    bool base_packed_ = false;
};

// (in, out) features of LoRA module m of a layer.
void lora_module_dims(const ModelConfig& c, int m, int* in, int* out);
// PEFT's module path inside a layer: "self_attn.q_proj", ..., "mlp.down_proj".
const char* lora_module_path(int m);

}  // namespace moco::train
