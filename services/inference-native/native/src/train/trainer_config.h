// What a trainer was asked to do: moco_trainer_options, checked and converted (api_train.cpp).
#pragma once

#include "train/optimizer.h"
#include "train/params.h"

#include <cstdint>
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

}  // namespace moco::train
