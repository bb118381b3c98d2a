#include "train/cpu_engine.h"

#include "context.h"
#include "train/losses.h"

#include <algorithm>

namespace moco::train {

CpuEngine::CpuEngine(const moco_model& model, Params& params, const TrainerConfig& config)
    : model_(model), params_(params), compute_(*model.ctx->compute), pool_(compute_.pool()),
      pass_(model.config, pool_, true),
      eval_pass_(model.config, pool_, false) {
    grad_.assign(params_.size(), 0.0f);
    decay_ranges_ = params_.decay_ranges();
    adam_.beta1 = config.beta1;
    adam_.beta2 = config.beta2;
    adam_.eps = config.epsilon;
    adam_.weight_decay = config.weight_decay;
    const cpu::HostCompute::Lease lease(compute_);
    params_.pack(pool_, model_);
}

void CpuEngine::forward(const PassBatch& batch, const Dropout& dropout) {
    const cpu::HostCompute::Lease lease(compute_);
    logits_ = pass_.forward(params_.pass_weights(model_), batch, dropout);
}

void CpuEngine::policy_logprobs(const PassBatch& batch, double scale, double* out) {
    const cpu::HostCompute::Lease lease(compute_);
    const int vocab = pass_.vocab();
    target_logprobs(pool_, logits_, static_cast<int>(batch.targets.size()), vocab, vocab, batch.targets.data(),
                    scale, out);
}

void CpuEngine::reference_logprobs(const PassBatch& batch, double scale, double* out) {
    const cpu::HostCompute::Lease lease(compute_);
    const float* ref = eval_pass_.forward(Params::reference_weights(model_), batch, Dropout{});
    const int vocab = eval_pass_.vocab();
    target_logprobs(pool_, ref, static_cast<int>(batch.targets.size()), vocab, vocab, batch.targets.data(), scale,
                    out);
}

void CpuEngine::set_logprob_gradients(const PassBatch& batch, double scale, const double* coef) {
    const cpu::HostCompute::Lease lease(compute_);
    const int rows = static_cast<int>(batch.targets.size()), vocab = pass_.vocab();
    dlogits_.resize(static_cast<size_t>(rows) * vocab);
    logprob_gradients(pool_, logits_, rows, vocab, vocab, batch.targets.data(), scale, coef, dlogits_.data());
}

double CpuEngine::set_defer_gradients(const PassBatch& batch, const float* mentor_logprobs) {
    const cpu::HostCompute::Lease lease(compute_);
    const int rows = static_cast<int>(batch.targets.size()), vocab = pass_.vocab();
    dlogits_.resize(static_cast<size_t>(rows) * vocab);
    return defer_loss(pool_, logits_, rows, vocab, batch.targets.data(), mentor_logprobs, dlogits_.data());
}

void CpuEngine::backward(const PassBatch& batch, const Dropout& dropout) {
    const cpu::HostCompute::Lease lease(compute_);
    pass_.backward(params_.pass_weights(model_), batch, dropout, dlogits_.data(), params_.pass_grads(grad_.data()));
}

void CpuEngine::scale_gradients(float s) {
    const cpu::HostCompute::Lease lease(compute_);
    scale(pool_, grad_.data(), grad_.size(), s);
}

double CpuEngine::gradient_norm() {
    const cpu::HostCompute::Lease lease(compute_);
    return global_norm(pool_, grad_.data(), grad_.size());
}

void CpuEngine::zero_gradients() {
    std::fill(grad_.begin(), grad_.end(), 0.0f);
}

void CpuEngine::update(double lr) {
    const cpu::HostCompute::Lease lease(compute_);
    adam_.step(pool_, params_.master.data(), grad_.data(), grad_.size(), lr, decay_ranges_);
    zero_gradients();
    params_.pack(pool_, model_);
}

std::vector<float> CpuEngine::logits(const std::vector<int32_t>& tokens) {
    const cpu::HostCompute::Lease lease(compute_);
    const PassBatch batch = whole_sequence(tokens);
    const float* out = eval_pass_.forward(params_.pass_weights(model_), batch, Dropout{});
    return std::vector<float>(out, out + tokens.size() * static_cast<size_t>(eval_pass_.vocab()));
}

void CpuEngine::read_moments(std::vector<float>& m, std::vector<float>& v) {
    m = adam_.m.empty() ? std::vector<float>(grad_.size(), 0.0f) : adam_.m;
    v = adam_.v.empty() ? std::vector<float>(grad_.size(), 0.0f) : adam_.v;
}

void CpuEngine::restore(const std::vector<float>& master, const std::vector<float>& m, const std::vector<float>& v,
                        int64_t steps) {
    const cpu::HostCompute::Lease lease(compute_);
    if (&master != &params_.master) {
        params_.master = master;
    }
    adam_.m = m;
    adam_.v = v;
    adam_.steps = steps;
    zero_gradients();
    params_.pack(pool_, model_);
}

}  // namespace moco::train
