#include "train/trainer.h"

#include "common.h"
#include "train/losses.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace moco::train {
namespace {

bool is_target(const moco_train_example& e, int t) {
    return t >= 1 && (e.target_mask == nullptr || e.target_mask[t] != 0);
}

// Examples -> a PassBatch, plus the example each target row belongs to and the target's position.
struct Layout {
    PassBatch batch;
    std::vector<int> example_of;   // per target row
    std::vector<int> position_of;  // per target row: t, the target token's index in its example
};

Layout lay_out(const moco_train_example* examples, int n) {
    Layout out;
    out.batch.seq_start.push_back(0);
    for (int i = 0; i < n; ++i) {
        const moco_train_example& e = examples[i];
        const int row0 = static_cast<int>(out.batch.tokens.size());
        out.batch.tokens.insert(out.batch.tokens.end(), e.tokens, e.tokens + e.n_tokens);
        out.batch.seq_start.push_back(row0 + e.n_tokens);
        for (int t = 1; t < e.n_tokens; ++t) {
            if (is_target(e, t)) {
                out.batch.target_rows.push_back(row0 + t - 1);
                out.batch.targets.push_back(e.tokens[t]);
                out.example_of.push_back(i);
                out.position_of.push_back(t);
            }
        }
    }
    return out;
}

}  // namespace

Trainer::Trainer(const moco_model& model, const TrainerConfig& config)
    : model_(model), config_(config),
      params_(config.lora ? Params::lora(model, config.lora_settings) : Params::full(model, config.added_vocab_rows)) {
    if (!config_.lora && !config_.added_output_row.empty()) {
        const Param* head = params_.find(model.config.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
        const size_t H = static_cast<size_t>(model.config.hidden_size);
        for (int row = model.config.vocab_size; row < params_.vocab(); ++row) {
            std::copy(config_.added_output_row.begin(), config_.added_output_row.end(),
                      params_.master.begin() + static_cast<std::ptrdiff_t>(head->offset + row * H));
        }
    }
    engine_ = make_engine(model_, params_, config_);
}

const Params& Trainer::params() const {
    if (!masters_read_) {
        engine_->read_masters(params_.master);
        masters_read_ = true;
    }
    return params_;
}

moco_status Trainer::validate(const char* fn, int kind, const moco_train_example* examples, int n) const {
    if (kind < MOCO_LOSS_SFT || kind > MOCO_LOSS_DEFER) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: loss_kind is %d; it must be a moco_loss_kind (0..3)", fn, kind);
    }
    if (kind_ >= 0 && kind != kind_) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: loss_kind is %d but this step already holds micro-batches of kind %d; "
                         "call moco_trainer_step first (one loss kind per optimizer step)", fn, kind, kind_);
    }
    if (kind == MOCO_LOSS_DPO && n % 2 != 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: n_examples is %d; DPO takes (chosen, rejected) pairs, so it must be even", fn, n);
    }
    const int vocab = params_.vocab();
    for (int i = 0; i < n; ++i) {
        const moco_train_example& e = examples[i];
        if (e.tokens == nullptr || e.n_tokens < 2) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].%s; every example needs tokens and "
                             "n_tokens >= 2", fn, i, e.tokens == nullptr ? "tokens is NULL" : "n_tokens is below 2");
        }
        if (e.n_tokens > model_.config.max_position_embeddings) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].n_tokens is %d, beyond the model's "
                             "max_position_embeddings %d", fn, i, e.n_tokens, model_.config.max_position_embeddings);
        }
        int targets = 0;
        for (int t = 0; t < e.n_tokens; ++t) {
            if (e.tokens[t] < 0 || e.tokens[t] >= vocab) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].tokens[%d] is %d, outside [0, %d)",
                                 fn, i, t, e.tokens[t], vocab);
            }
            targets += is_target(e, t) ? 1 : 0;
        }
        if (targets == 0) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].target_mask marks no target token "
                             "(flags 1..n_tokens-1 are all 0)", fn, i);
        }
        if (kind == MOCO_LOSS_POLICY_GRADIENT && !std::isfinite(e.reward)) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].reward is not finite", fn, i);
        }
        if (kind == MOCO_LOSS_DEFER && e.mentor_logprobs == nullptr) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: examples[%d].mentor_logprobs is NULL; the DEFER "
                             "loss needs the mentor's log-prob of every target token", fn, i);
        }
    }
    if (kind == MOCO_LOSS_POLICY_GRADIENT) {
        std::map<int32_t, int> sizes;
        for (int i = 0; i < n; ++i) ++sizes[examples[i].group];
        for (const auto& entry : sizes) {
            if (entry.second < 2) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: group %d has one example; group-normalised "
                                 "advantages need at least 2 completions per group", fn, entry.first);
            }
        }
    }
    return MOCO_OK;
}

moco_status Trainer::add_batch(const char* fn, int kind, const moco_train_example* examples, int n) {
    const moco_status status = validate(fn, kind, examples, n);
    if (status != MOCO_OK) {
        return status;
    }
    const Layout layout = lay_out(examples, n);
    const PassBatch& batch = layout.batch;
    const int rows = static_cast<int>(batch.target_rows.size());
    const Dropout dropout{config_.lora ? config_.lora_dropout : 0.0f, config_.seed, micro_batches_};
    engine_->forward(batch, dropout);

    double loss = 0.0, margin = 0.0, units = 0.0;
    std::vector<double> lp(static_cast<size_t>(rows)), coef(static_cast<size_t>(rows));
    if (kind == MOCO_LOSS_DEFER) {
        std::vector<float> mentor(static_cast<size_t>(rows));
        for (int r = 0; r < rows; ++r) {
            mentor[static_cast<size_t>(r)] = examples[layout.example_of[static_cast<size_t>(r)]]
                                                 .mentor_logprobs[layout.position_of[static_cast<size_t>(r)]];
        }
        loss = engine_->set_defer_gradients(batch, mentor.data());
        units = rows;
    } else {
        const double scale = kind == MOCO_LOSS_POLICY_GRADIENT ? 1.0 / config_.pg_temperature : 1.0;
        engine_->policy_logprobs(batch, scale, lp.data());
        std::vector<double> ref;
        const bool needs_reference = kind == MOCO_LOSS_DPO || (kind == MOCO_LOSS_POLICY_GRADIENT && config_.kl_beta > 0.0f);
        if (needs_reference) {
            ref.resize(static_cast<size_t>(rows));
            engine_->reference_logprobs(batch, scale, ref.data());
        }
        if (kind == MOCO_LOSS_SFT) {
            for (int r = 0; r < rows; ++r) {
                loss -= lp[static_cast<size_t>(r)];
                coef[static_cast<size_t>(r)] = -1.0;
            }
            units = rows;
        } else if (kind == MOCO_LOSS_DPO) {
            // Per example: sum of policy minus reference log-probs over its targets.
            std::vector<double> ratio(static_cast<size_t>(n), 0.0);
            for (int r = 0; r < rows; ++r) {
                ratio[static_cast<size_t>(layout.example_of[static_cast<size_t>(r)])] +=
                    lp[static_cast<size_t>(r)] - ref[static_cast<size_t>(r)];
            }
            std::vector<double> d_ratio(static_cast<size_t>(n));
            const double beta = config_.dpo_beta;
            for (int pair = 0; pair < n / 2; ++pair) {
                const double m = ratio[static_cast<size_t>(2 * pair)] - ratio[static_cast<size_t>(2 * pair) + 1];
                loss -= log_sigmoid(beta * m);
                margin += m;
                // d/dm of -log sigmoid(beta m) = -beta sigmoid(-beta m)
                const double g = -beta / (1.0 + std::exp(beta * m));
                d_ratio[static_cast<size_t>(2 * pair)] = g;
                d_ratio[static_cast<size_t>(2 * pair) + 1] = -g;
            }
            for (int r = 0; r < rows; ++r) {
                coef[static_cast<size_t>(r)] = d_ratio[static_cast<size_t>(layout.example_of[static_cast<size_t>(r)])];
            }
            units = n / 2;
        } else {
            std::vector<float> rewards(static_cast<size_t>(n));
            std::vector<int32_t> groups(static_cast<size_t>(n));
            std::vector<int> count(static_cast<size_t>(n), 0);
            for (int i = 0; i < n; ++i) {
                rewards[static_cast<size_t>(i)] = examples[i].reward;
                groups[static_cast<size_t>(i)] = examples[i].group;
            }
            for (int r = 0; r < rows; ++r) ++count[static_cast<size_t>(layout.example_of[static_cast<size_t>(r)])];
            const std::vector<double> adv = group_advantages(rewards, groups);
            const double kl = config_.kl_beta;
            for (int r = 0; r < rows; ++r) {
                const size_t i = static_cast<size_t>(layout.example_of[static_cast<size_t>(r)]);
                const double inv_t = config_.pg_token_mean ? 1.0 : 1.0 / count[i];
                double kl_term = 0.0, kl_grad = 0.0;
                if (kl > 0.0) {
                    const double diff = ref[static_cast<size_t>(r)] - lp[static_cast<size_t>(r)];
                    kl_term = std::exp(diff) - diff - 1.0;
                    kl_grad = 1.0 - std::exp(diff);  // d KL / d lp
                }
                loss += inv_t * (-adv[i] + kl * kl_term);
                coef[static_cast<size_t>(r)] = inv_t * (-adv[i] + kl * kl_grad);
            }
            units = config_.pg_token_mean ? rows : n;
        }
        engine_->set_logprob_gradients(batch, scale, coef.data());
    }
    if (!std::isfinite(loss)) {
        return set_error(MOCO_ERR_NUMERIC, "%s: the micro-batch's loss is not finite (%g); nothing was "
                         "accumulated", fn, loss);
    }
    engine_->backward(batch, dropout);
    ++micro_batches_;
    kind_ = kind;
    loss_sum_ += loss;
    units_ += units;
    margin_sum_ += margin;
    pairs_ += kind == MOCO_LOSS_DPO ? n / 2 : 0;
    tokens_ += static_cast<int64_t>(batch.tokens.size());
    target_tokens_ += rows;
    return MOCO_OK;
}

moco_status Trainer::step(const char* fn, StepStats* stats) {
    if (kind_ < 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: no micro-batch was added since the last step; call "
                         "moco_trainer_add_batch first", fn);
    }
    engine_->scale_gradients(static_cast<float>(1.0 / units_));
    const double norm = engine_->gradient_norm();
    StepStats s;
    s.loss = loss_sum_ / units_;
    s.grad_norm = norm;
    s.tokens = tokens_;
    s.target_tokens = target_tokens_;
    s.dpo_margin = pairs_ > 0 ? margin_sum_ / static_cast<double>(pairs_) : 0.0;
    kind_ = -1;
    loss_sum_ = units_ = margin_sum_ = 0.0;
    pairs_ = tokens_ = target_tokens_ = 0;
    if (!std::isfinite(norm)) {
        engine_->zero_gradients();
        stepped_micro_batches_ = micro_batches_;
        return set_error(MOCO_ERR_NUMERIC, "%s: the gradient holds NaN or Inf; the weights were left "
                         "unchanged and the step's micro-batches dropped", fn);
    }
    // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
    if (config_.max_grad_norm > 0.0f) {
        const double clip = config_.max_grad_norm / (norm + 1e-6);
        if (clip < 1.0) {
            engine_->scale_gradients(static_cast<float>(clip));
        }
    }
    const double lr = config_.learning_rate *
                      schedule_factor(config_.schedule, steps_, config_.warmup_steps, config_.total_steps);
    engine_->update(lr);
    masters_read_ = false;
    stepped_micro_batches_ = micro_batches_;
    s.step = ++steps_;
    s.learning_rate = lr;
    if (stats != nullptr) {
        *stats = s;
    }
    return MOCO_OK;
}

TrainerState Trainer::state() const {
    TrainerState s;
    s.master = params().master;
    engine_->read_moments(s.m, s.v);
    s.steps = steps_;
    s.micro_batches = stepped_micro_batches_;
    return s;
}

moco_status Trainer::restore(const char* fn, const TrainerState& state) {
    if (kind_ >= 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: micro-batches were added since the last step; load a "
                         "state into a fresh trainer or right after moco_trainer_step", fn);
    }
    const size_t n = params_.size();
    if (state.master.size() != n || state.m.size() != n || state.v.size() != n || state.steps < 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: the state holds %zu values per buffer but this trainer "
                         "trains %zu", fn, state.master.size(), n);
    }
    params_.master = state.master;
    engine_->restore(params_.master, state.m, state.v, state.steps);
    masters_read_ = true;
    steps_ = state.steps;
    micro_batches_ = stepped_micro_batches_ = state.micro_batches;
    return MOCO_OK;
}

}  // namespace moco::train
