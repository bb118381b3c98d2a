// The trainer's engine on the host: passes on the context's thread pool (train/pass.h), the masters
// in the params' own buffer, AdamW in train/optimizer.h. Every call that runs on the pool leases it
// (cpu/host_compute.h), so a training step and the context's forwards take turns. Its results are the reference the CUDA
// engine is tested against.
#pragma once

#include "cpu/host_compute.h"
#include "train/engine.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "train/pass.h"

#include <utility>
#include <vector>

namespace moco::train {

class CpuEngine final : public Engine {
public:
    CpuEngine(const moco_model& model, Params& params, const TrainerConfig& config);

    void forward(const PassBatch& batch, const Dropout& dropout) override;
    void policy_logprobs(const PassBatch& batch, double scale, double* out) override;
    void reference_logprobs(const PassBatch& batch, double scale, double* out) override;
    void set_logprob_gradients(const PassBatch& batch, double scale, const double* coef) override;
    double set_defer_gradients(const PassBatch& batch, const float* mentor_logprobs) override;
    void backward(const PassBatch& batch, const Dropout& dropout) override;
    void scale_gradients(float s) override;
    double gradient_norm() override;
    void zero_gradients() override;
    void update(double lr) override;
    std::vector<float> logits(const std::vector<int32_t>& tokens) override;
    void read_masters(std::vector<float>&) override {}  // the masters are the params' own
    const std::vector<float>& gradients() override { return grad_; }
    void read_moments(std::vector<float>& m, std::vector<float>& v) override;
    void restore(const std::vector<float>& master, const std::vector<float>& m, const std::vector<float>& v,
                 int64_t steps) override;
    size_t activation_bytes() const override {
        return pass_.held_bytes() + eval_pass_.held_bytes() + dlogits_.capacity() * sizeof(float);
    }

private:
    const moco_model& model_;
    Params& params_;
    cpu::HostCompute& compute_;
    cpu::ThreadPool& pool_;  // compute_'s, used under a lease
    std::vector<float> grad_;
    std::vector<std::pair<size_t, size_t>> decay_ranges_;
    AdamW adam_;
    Pass pass_;       // the policy's, keeping activations for the backward
    Pass eval_pass_;  // forward only: the reference and logits()
    const float* logits_ = nullptr;  // the policy forward's, [target rows, pass_.vocab()]
    std::vector<float> dlogits_;
};

}  // namespace moco::train
