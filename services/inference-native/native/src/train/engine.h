// Where a trainer's numbers live and its passes run. train::Trainer keeps what does not depend on
// the device - validation, the batch layout, how per-token log-probs combine into DPO pairs and
// GRPO groups, the schedule, the step statistics - and drives an Engine, which holds the working
// copy of the masters, the gradients and the AdamW moments and runs the passes and the optimiser:
// CpuEngine (train/cpu_engine.h) on the host's threads, cuda::train::DeviceEngine on a GPU.
//
// A micro-batch is forward, then the loss's gradients (policy_logprobs and, for DPO / KL,
// reference_logprobs, then set_logprob_gradients; or set_defer_gradients), then backward. Every
// call of one micro-batch gets the same batch.
#pragma once

#include "train/pass.h"
#include "train/trainer_config.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace moco::train {

class Params;

class Engine {
public:
    virtual ~Engine() = default;

    // The policy's forward over the batch, its activations kept for backward and its target rows'
    // logits for the loss calls below.
    virtual void forward(const PassBatch& batch, const Dropout& dropout) = 0;
    // log p(target) of every target row of the last forward, from scale * logits (out: one per row).
    virtual void policy_logprobs(const PassBatch& batch, double scale, double* out) = 0;
    // The same under the loaded model's own weights (the frozen reference), without dropout; leaves
    // the policy's forward intact.
    virtual void reference_logprobs(const PassBatch& batch, double scale, double* out) = 0;
    // dlogits of row r = coef[r] * d log p(target_r) / d logits (p from scale * logits).
    virtual void set_logprob_gradients(const PassBatch& batch, double scale, const double* coef) = 0;
    // DEFER (train/losses.h): the gradients of the rows' losses into dlogits; returns the losses'
    // sum (in row order).
    virtual double set_defer_gradients(const PassBatch& batch, const float* mentor_logprobs) = 0;
    // Adds the gradients of sum(dlogits * logits) through the last forward to the step's sums.
    virtual void backward(const PassBatch& batch, const Dropout& dropout) = 0;

    virtual void scale_gradients(float s) = 0;
    // sqrt(sum g^2) over every gradient, deterministic (train/optimizer.h global_norm); NaN or Inf
    // when a gradient is not finite.
    virtual double gradient_norm() = 0;
    virtual void zero_gradients() = 0;
    // One AdamW step of every master at learning rate lr (the weight decay on the params' decay
    // ranges), then the gradients zeroed and the passes' weights refreshed.
    virtual void update(double lr) = 0;

    // Logits [n_tokens, vocab] of every position of one sequence under the current masters, no dropout.
    virtual std::vector<float> logits(const std::vector<int32_t>& tokens) = 0;
    // Copies the current masters into `master` (params' layout) when they live elsewhere.
    virtual void read_masters(std::vector<float>& master) = 0;
    // The step's gradient sums so far, in the params' layout.
    virtual const std::vector<float>& gradients() = 0;
    // AdamW's first and second moments, in the params' layout (zeros before the first update).
    virtual void read_moments(std::vector<float>& m, std::vector<float>& v) = 0;
    // Continues from a saved state: the masters and AdamW's moments replaced, `steps` updates taken
    // (the bias corrections' count), the gradients zeroed.
    virtual void restore(const std::vector<float>& master, const std::vector<float>& m, const std::vector<float>& v,
                         int64_t steps) = 0;
    // Bytes the passes hold for activations and scratch (they grow to the largest micro-batch so far
    // and stay): what a micro-batch costs beyond the masters, gradients and moments.
    virtual size_t activation_bytes() const = 0;
};

// The engine of the model's device: CpuEngine on a "cpu" context (on the context's threads), the CUDA
// engine on "cuda:N" (CUDA builds). `params` holds the initial masters; the engine keeps a
// reference to it and to the model, both of which must outlive it.
std::unique_ptr<Engine> make_engine(const moco_model& model, Params& params, const TrainerConfig& config);

}  // namespace moco::train
