// moco_trainer_*: the C surface of training. Validates every argument (naming the field), converts
// the options into a TrainerConfig and hands over to train::Trainer.
#include "common.h"
#include "context.h"
#include "train/checkpoint.h"
#include "train/trainer_state.h"
#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>

struct moco_trainer {
    std::unique_ptr<moco::train::Trainer> trainer;
};

namespace {

using moco::set_error;

// The first published layouts: callers compiled against them pass at least these sizes.
constexpr int kOptionsV1Size = static_cast<int>(offsetof(moco_trainer_options, added_output_row) + sizeof(const float*));
constexpr int kStatsV1Size = static_cast<int>(offsetof(moco_train_step_stats, dpo_margin) + sizeof(float));

moco_status bad_option(const char* field, const char* requirement) {
    return set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_trainer_create: options.%s %s", field, requirement);
}

// Options -> TrainerConfig, or the first field out of range.
moco_status convert(const moco_model& model, const moco_trainer_options& o, moco::train::TrainerConfig* c) {
    if (o.mode != MOCO_TRAIN_LORA && o.mode != MOCO_TRAIN_FULL) return bad_option("mode", "must be MOCO_TRAIN_LORA or MOCO_TRAIN_FULL");
    c->lora = o.mode == MOCO_TRAIN_LORA;
    if (c->lora) {
        if (o.lora_rank < 1) return bad_option("lora_rank", "must be >= 1");
        if (!(o.lora_alpha > 0.0f) || !std::isfinite(o.lora_alpha)) return bad_option("lora_alpha", "must be > 0 and finite");
        if (o.use_rslora != 0 && o.use_rslora != 1) return bad_option("use_rslora", "must be 0 or 1");
        if (o.lora_targets == 0 || (o.lora_targets >> moco::kLoraModuleCount) != 0) {
            return bad_option("lora_targets", "must be a non-empty set of MOCO_LORA_* bits");
        }
        if (!(o.lora_dropout >= 0.0f && o.lora_dropout < 1.0f)) return bad_option("lora_dropout", "must be in [0, 1)");
    }
    if (!(o.learning_rate >= 0.0f) || !std::isfinite(o.learning_rate)) return bad_option("learning_rate", "must be >= 0 and finite");
    if (!(o.adam_beta1 >= 0.0f && o.adam_beta1 < 1.0f)) return bad_option("adam_beta1", "must be in [0, 1)");
    if (!(o.adam_beta2 >= 0.0f && o.adam_beta2 < 1.0f)) return bad_option("adam_beta2", "must be in [0, 1)");
    if (!(o.adam_epsilon > 0.0f) || !std::isfinite(o.adam_epsilon)) return bad_option("adam_epsilon", "must be > 0 and finite");
    if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay)) return bad_option("weight_decay", "must be >= 0 and finite");
    if (!(o.max_grad_norm >= 0.0f) || !std::isfinite(o.max_grad_norm)) return bad_option("max_grad_norm", "must be >= 0 (0 = no clipping) and finite");
    if (o.schedule < MOCO_LR_CONSTANT || o.schedule > MOCO_LR_COSINE) return bad_option("schedule", "must be a moco_lr_schedule");
    if (o.warmup_steps < 0) return bad_option("warmup_steps", "must be >= 0");
    if (o.total_steps < 1) return bad_option("total_steps", "must be >= 1");
    if (!(o.dpo_beta > 0.0f) || !std::isfinite(o.dpo_beta)) return bad_option("dpo_beta", "must be > 0 and finite");
    if (!(o.kl_beta >= 0.0f) || !std::isfinite(o.kl_beta)) return bad_option("kl_beta", "must be >= 0 and finite");
    if (o.added_vocab_rows != 0 && o.added_vocab_rows != 1) return bad_option("added_vocab_rows", "must be 0 or 1");
    if (!(o.pg_temperature > 0.0f) || !std::isfinite(o.pg_temperature)) return bad_option("pg_temperature", "must be > 0 and finite");
    if (o.pg_token_mean != 0 && o.pg_token_mean != 1) return bad_option("pg_token_mean", "must be 0 or 1");
    if (o.added_vocab_rows == 1 && c->lora) {
        return bad_option("added_vocab_rows", "is 1 with mode MOCO_TRAIN_LORA; an added vocabulary row needs MOCO_TRAIN_FULL");
    }
    c->lora_settings.rank = o.lora_rank;
    c->lora_alpha = o.lora_alpha;
    c->use_rslora = o.use_rslora == 1;
    c->lora_settings.scale = static_cast<float>(
        o.lora_alpha / (c->use_rslora ? std::sqrt(static_cast<double>(o.lora_rank)) : static_cast<double>(o.lora_rank)));
    c->lora_settings.targets = o.lora_targets;
    c->lora_settings.seed = o.seed;
    c->lora_dropout = o.lora_dropout;
    c->learning_rate = o.learning_rate;
    c->beta1 = o.adam_beta1;
    c->beta2 = o.adam_beta2;
    c->epsilon = o.adam_epsilon;
    c->weight_decay = o.weight_decay;
    c->max_grad_norm = o.max_grad_norm;
    c->schedule = static_cast<moco::train::Schedule>(o.schedule);
    c->warmup_steps = o.warmup_steps;
    c->total_steps = o.total_steps;
    c->seed = o.seed;
    c->dpo_beta = o.dpo_beta;
    c->kl_beta = o.kl_beta;
    c->added_vocab_rows = o.added_vocab_rows;
    c->pg_temperature = o.pg_temperature;
    c->pg_token_mean = o.pg_token_mean == 1;
    if (o.added_vocab_rows == 1 && o.added_output_row != nullptr) {
        c->added_output_row.assign(o.added_output_row, o.added_output_row + model.config.hidden_size);
    }
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_trainer_options moco_trainer_default_options(void) {
    moco_trainer_options o;
    std::memset(&o, 0, sizeof(o));
    o.struct_size = static_cast<int>(sizeof(o));
    o.mode = MOCO_TRAIN_LORA;
    o.lora_rank = 8;
    o.lora_alpha = 8.0f;
    o.lora_targets = MOCO_LORA_Q_PROJ | MOCO_LORA_V_PROJ;
    o.learning_rate = 1e-5f;
    o.adam_beta1 = 0.9f;
    o.adam_beta2 = 0.999f;
    o.adam_epsilon = 1e-8f;
    o.max_grad_norm = 1.0f;
    o.schedule = MOCO_LR_LINEAR;
    o.total_steps = 1;
    o.seed = 42;
    o.dpo_beta = 0.1f;
    o.kl_beta = 0.04f;
    o.pg_temperature = 1.0f;
    return o;
}

moco_status moco_trainer_create(moco_model* model, const moco_trainer_options* opts, moco_trainer** out) {
    return moco::guard("moco_trainer_create", [&]() -> moco_status {
        if (out == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_trainer_create: out is NULL; pass the address of "
                             "a moco_trainer* that receives the trainer");
        }
        *out = nullptr;
        if (model == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_trainer_create: model is NULL; pass a model from "
                             "moco_model_load");
        }
        if (model->config.classifier) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_trainer_create: %s is a sequence classifier; "
                             "training supports causal LMs only", model->config.architecture.c_str());
        }
        moco_trainer_options o = moco_trainer_default_options();
        if (opts != nullptr) {
            if (opts->struct_size < kOptionsV1Size) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_trainer_create: options.struct_size is %d but "
                                 "must be at least %d; set it to sizeof(moco_trainer_options) or start from "
                                 "moco_trainer_default_options()", opts->struct_size, kOptionsV1Size);
            }
            std::memcpy(&o, opts, std::min(sizeof(o), static_cast<size_t>(opts->struct_size)));
        }
        moco::train::TrainerConfig config;
        const moco_status status = convert(*model, o, &config);
        if (status != MOCO_OK) return status;
        auto trainer = std::make_unique<moco_trainer>();
        trainer->trainer = std::make_unique<moco::train::Trainer>(*model, config);
        *out = trainer.release();
        return MOCO_OK;
    });
}

moco_status moco_trainer_add_batch(moco_trainer* trainer, int loss_kind, const moco_train_example* examples,
                                   int n_examples) {
    constexpr const char* kFn = "moco_trainer_add_batch";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr || examples == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", kFn, trainer == nullptr ? "trainer" : "examples");
        }
        if (n_examples < 1) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: n_examples is %d; it must be >= 1", kFn, n_examples);
        }
        return trainer->trainer->add_batch(kFn, loss_kind, examples, n_examples);
    });
}

moco_status moco_trainer_step(moco_trainer* trainer, moco_train_step_stats* stats) {
    constexpr const char* kFn = "moco_trainer_step";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: trainer is NULL", kFn);
        }
        if (stats != nullptr && stats->struct_size < kStatsV1Size) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: stats->struct_size is %d but must be at least %d; set "
                             "it to sizeof(moco_train_step_stats)", kFn, stats->struct_size, kStatsV1Size);
        }
        moco::train::StepStats s;
        const moco_status status = trainer->trainer->step(kFn, &s);
        if (status != MOCO_OK || stats == nullptr) return status;
        moco_train_step_stats full;
        std::memset(&full, 0, sizeof(full));
        full.struct_size = stats->struct_size;
        full.step = s.step;
        full.loss = static_cast<float>(s.loss);
        full.grad_norm = static_cast<float>(s.grad_norm);
        full.learning_rate = static_cast<float>(s.learning_rate);
        full.tokens = s.tokens;
        full.target_tokens = s.target_tokens;
        full.dpo_margin = static_cast<float>(s.dpo_margin);
        std::memcpy(stats, &full, std::min(sizeof(full), static_cast<size_t>(stats->struct_size)));
        return MOCO_OK;
    });
}

moco_status moco_trainer_save_adapter(const moco_trainer* trainer, const char* directory) {
    constexpr const char* kFn = "moco_trainer_save_adapter";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr || directory == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", kFn, trainer == nullptr ? "trainer" : "directory");
        }
        if (!trainer->trainer->config().lora) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: the trainer fine-tunes the full model (mode "
                             "MOCO_TRAIN_FULL); save it with moco_trainer_save_model", kFn);
        }
        return moco::train::save_adapter(kFn, *trainer->trainer, directory);
    });
}

moco_status moco_trainer_save_model(const moco_trainer* trainer, const char* base_directory, const char* directory) {
    constexpr const char* kFn = "moco_trainer_save_model";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr || base_directory == nullptr || directory == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", kFn,
                             trainer == nullptr ? "trainer" : base_directory == nullptr ? "base_directory" : "directory");
        }
        return moco::train::save_model(kFn, *trainer->trainer, base_directory, directory);
    });
}

moco_status moco_trainer_save_state(const moco_trainer* trainer, const char* path) {
    constexpr const char* kFn = "moco_trainer_save_state";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr || path == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", kFn, trainer == nullptr ? "trainer" : "path");
        }
        return moco::train::save_state(kFn, *trainer->trainer, path);
    });
}

moco_status moco_trainer_load_state(moco_trainer* trainer, const char* path) {
    constexpr const char* kFn = "moco_trainer_load_state";
    return moco::guard(kFn, [&]() -> moco_status {
        if (trainer == nullptr || path == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", kFn, trainer == nullptr ? "trainer" : "path");
        }
        return moco::train::load_state(kFn, *trainer->trainer, path);
    });
}

void moco_trainer_destroy(moco_trainer* trainer) {
    delete trainer;
}

}  // extern "C"
