// Test support for training: examples, the trainer's parameters as reference.h float weights, and
// the losses of train/losses.h recomputed in double precision from the reference forward.
#pragma once

#include "../engine/reference.h"
#include "moco.h"
#include "train/params.h"

#include <cstdint>
#include <vector>

namespace moco::test {

struct TrainExample {
    std::vector<int32_t> tokens;
    std::vector<uint8_t> mask;     // empty = every token after the first is a target
    float reward = 0.0f;
    int32_t group = 0;
    std::vector<float> mentor;     // DEFER: per token

    moco_train_example view() const;
};
std::vector<moco_train_example> views(const std::vector<TrainExample>& examples);

// `n` examples of random tokens in [0, vocab) of lengths 5, 7, 6, ..., the first `prompt` tokens
// masked out; rewards 0, 1, 2, ... in groups of two; mentor log-probs in [-3, 0).
std::vector<TrainExample> random_examples(int n, int vocab, int prompt, uint32_t seed);

// The weights a trainer's parameters describe: `base` with every trained tensor replaced by the
// values of `master` (full fine-tuning, the vocabulary possibly grown), or `base` plus a FloatLora
// (LoRA). spec.vocab must be the trainer's vocabulary.
void float_weights(const TinySpec& spec, const train::Params& params, const std::vector<float>& master,
                   const FloatWeights& base, FloatWeights* weights, FloatLora* lora);

struct LossSettings {
    int kind = MOCO_LOSS_SFT;
    double dpo_beta = 0.1;
    double kl_beta = 0.04;
    double pg_temperature = 1.0;
    bool pg_token_mean = false;
};

// The SUM over the examples' units of moco_loss_kind `kind` (what a trainer's gradients are the
// gradient of before the step divides them), in double precision from reference_forward, policy
// `w` (+ lora) against the reference `ref`. For policy gradient the surrogate
// sum_i (1/T_i) sum_t (-A_i lp_t + kl KL_t) (without 1/T_i for the token mean), lp and KL at
// pg_temperature, whose gradient is the loss's.
double reference_loss(const TinySpec& spec, const FloatWeights& w, const FloatLora* lora, const FloatWeights& ref,
                      const std::vector<TrainExample>& examples, const LossSettings& settings);

}  // namespace moco::test
