// The trainer behind moco_trainer: micro-batches accumulate gradients of one loss kind into the
// current step; step() normalises, clips and applies AdamW. The C surface (api_train.cpp) only
// validates arguments and converts types; the tensors and passes live in an Engine (engine.h) on
// the model's device.
#pragma once

#include "model/model.h"
#include "train/engine.h"
#include "train/params.h"
#include "train/trainer_config.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace moco::train {

struct StepStats {
    int64_t step = 0;
    double loss = 0.0, grad_norm = 0.0, learning_rate = 0.0, dpo_margin = 0.0;
    int64_t tokens = 0, target_tokens = 0;
};

// What moco_trainer_save_state keeps: everything the next step depends on, as of the last step.
struct TrainerState {
    std::vector<float> master, m, v;   // the masters and AdamW's moments, in the params' layout
    int64_t steps = 0;                 // optimizer steps taken
    uint64_t micro_batches = 0;        // micro-batches consumed by them (LoRA dropout's stream)
};

class Trainer {
public:
    // On the model's device (a CPU engine on its context's threads).
    Trainer(const moco_model& model, const TrainerConfig& config);

    // One micro-batch (moco_trainer_add_batch's contract; `fn` starts error messages).
    moco_status add_batch(const char* fn, int loss_kind, const moco_train_example* examples, int n);
    moco_status step(const char* fn, StepStats* stats);

    // Logits [n_tokens, vocab] of every position of one sequence under the current weights,
    // without dropout: what the trained model computes (tests compare it with moco_forward).
    std::vector<float> logits(const std::vector<int32_t>& tokens) { return engine_->logits(tokens); }

    const moco_model& model() const { return model_; }
    const TrainerConfig& config() const { return config_; }
    // The parameters with their current masters (copied back from the device when they live there).
    const Params& params() const;
    // The gradients accumulated so far in this step (unnormalised sums), in the params' layout.
    const std::vector<float>& gradients() { return engine_->gradients(); }
    // The engine's activation and scratch bytes (Engine::activation_bytes).
    size_t activation_bytes() const { return engine_->activation_bytes(); }

    // The state as of the last step (micro-batches added since are not part of it).
    TrainerState state() const;
    // Continues from `state`: the next step is the one that followed it. MOCO_ERR_INVALID_ARGUMENT
    // when micro-batches are pending or the state's sizes are not this trainer's.
    moco_status restore(const char* fn, const TrainerState& state);

private:
    moco_status validate(const char* fn, int loss_kind, const moco_train_example* examples, int n) const;

    const moco_model& model_;
    TrainerConfig config_;
    mutable Params params_;
    std::unique_ptr<Engine> engine_;
    mutable bool masters_read_ = true;  // params_.master holds the engine's current masters
    int64_t steps_ = 0;
    uint64_t micro_batches_ = 0;  // every micro-batch ever added: the dropout stream
    uint64_t stepped_micro_batches_ = 0;  // micro_batches_ at the last step

    // The step being accumulated.
    int kind_ = -1;
    double loss_sum_ = 0.0, units_ = 0.0, margin_sum_ = 0.0;
    int64_t pairs_ = 0, tokens_ = 0, target_tokens_ = 0;
};

}  // namespace moco::train
