// The optimiser step over flat F32 buffers: global-norm clipping, the learning-rate schedule and
// AdamW, each as PyTorch / transformers compute it.
#pragma once

#include "cpu/thread_pool.h"

#include <cstdint>
#include <vector>

namespace moco::train {

enum class Schedule { Constant = 0, Linear = 1, Cosine = 2 };

// transformers' get_{constant,linear,cosine}_schedule_with_warmup multiplier at optimizer step
// `step` (0 for the first step, so with warmup the first step has lr 0, as in HF):
//   step < warmup: step / max(1, warmup); then constant 1, linear max(0, (total - step) /
//   max(1, total - warmup)), cosine max(0, 0.5 (1 + cos(pi progress))),
//   progress = (step - warmup) / max(1, total - warmup).
double schedule_factor(Schedule schedule, int64_t step, int64_t warmup, int64_t total);

// sqrt(sum g^2) in double: fixed chunks of the buffer summed on the pool, the chunk sums added in
// order, so the result does not depend on the thread count. NaN when a gradient is not finite.
double global_norm(cpu::ThreadPool& pool, const float* g, size_t n);

// g *= s, in place.
void scale(cpu::ThreadPool& pool, float* g, size_t n, float s);

// The step-wide factors of AdamW step t (from 1), computed in double then rounded to float as
// torch.optim.AdamW (1.13, single-tensor) does: step_size = lr / (1 - b1^t), bc2_sqrt =
// sqrt(1 - b2^t), decay = 1 - lr wd. Both devices' AdamW take them from here.
struct AdamWFactors {
    float step_size, bc2_sqrt, decay;
};
AdamWFactors adamw_factors(float beta1, float beta2, float weight_decay, double lr, int64_t t);

struct AdamW {
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
    std::vector<float> m, v;
    int64_t steps = 0;

    // torch.optim.AdamW (1.13, single-tensor): p *= 1 - lr wd (when decay[i]); m = b1 m + (1-b1) g;
    // v = b2 v + (1-b2) g^2; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    // Weight decay applies to the [begin, end) element ranges of decay_ranges only (HF Trainer
    // exempts biases and norm weights).
    void step(cpu::ThreadPool& pool, float* param, const float* grad, size_t n, double lr,
              const std::vector<std::pair<size_t, size_t>>& decay_ranges);
};

}  // namespace moco::train
