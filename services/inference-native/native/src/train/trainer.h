// The trainer behind moco_trainer: micro-batches accumulate gradients of one loss kind into the
// current step; step() normalises, clips and applies AdamW. The C surface (api_train.cpp) only
// validates arguments and converts types.
#pragma once

#include "cpu/thread_pool.h"
#include "model/model.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "train/pass.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace moco::train {

struct TrainerConfig {
    bool lora = true;
    LoraSettings lora_settings;      // rank, scale, targets, seed
    float lora_alpha = 8.0f;         // as given (adapter_config.json)
    bool use_rslora = false;
    float lora_dropout = 0.0f;
    double learning_rate = 1e-5;
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f, weight_decay = 0.0f;
    float max_grad_norm = 1.0f;      // 0 = no clipping
    Schedule schedule = Schedule::Linear;
    int warmup_steps = 0;
    int total_steps = 1;
    uint64_t seed = 42;
    float dpo_beta = 0.1f;
    float kl_beta = 0.04f;
    int added_vocab_rows = 0;
    float pg_temperature = 1.0f;     // POLICY_GRADIENT log-probs from logits / this
    bool pg_token_mean = false;      // POLICY_GRADIENT unit: target token instead of sequence
    std::vector<float> added_output_row;  // empty = the mean of the head's rows
};

struct StepStats {
    int64_t step = 0;
    double loss = 0.0, grad_norm = 0.0, learning_rate = 0.0, dpo_margin = 0.0;
    int64_t tokens = 0, target_tokens = 0;
};

class Trainer {
public:
    Trainer(const moco_model& model, const TrainerConfig& config, int threads);

    // One micro-batch (moco_trainer_add_batch's contract; `fn` starts error messages).
    moco_status add_batch(const char* fn, int loss_kind, const moco_train_example* examples, int n);
    moco_status step(const char* fn, StepStats* stats);

    // Logits [n_tokens, vocab] of every position of one sequence under the current weights,
    // without dropout: what the trained model computes (tests compare it with moco_forward).
    std::vector<float> logits(const std::vector<int32_t>& tokens);

    const moco_model& model() const { return model_; }
    const TrainerConfig& config() const { return config_; }
    const Params& params() const { return params_; }
    // The gradients accumulated so far in this step (unnormalised sums), in the params' layout.
    const std::vector<float>& gradients() const { return grad_; }

private:
    moco_status validate(const char* fn, int loss_kind, const moco_train_example* examples, int n) const;

    const moco_model& model_;
    TrainerConfig config_;
    cpu::ThreadPool pool_;
    Params params_;
    std::vector<float> grad_;
    std::vector<std::pair<size_t, size_t>> decay_ranges_;
    AdamW adam_;
    Pass pass_;       // the policy's, keeping activations for the backward
    Pass eval_pass_;  // forward only: the reference and logits()
    std::vector<float> dlogits_;
    uint64_t micro_batches_ = 0;  // every micro-batch ever added: the dropout stream

    // The step being accumulated.
    int kind_ = -1;
    double loss_sum_ = 0.0, units_ = 0.0, margin_sum_ = 0.0;
    int64_t pairs_ = 0, tokens_ = 0, target_tokens_ = 0;
};

}  // namespace moco::train
