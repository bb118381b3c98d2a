// The training objectives over the logits of a Pass's target rows. Each returns the micro-batch's
// SUM of per-unit losses and writes dlogits, the gradient of that sum; the trainer divides both by
// the step's unit count (target tokens, pairs or sequences) once every micro-batch is in.
//
//   SFT     per target token: -log p(y)                                     unit: target token
//   DPO     per pair: -log sigmoid(beta [(pi_c - ref_c) - (pi_r - ref_r)]), pi_x = sum of the
//           completion's token log-probs under the policy, ref_x under the frozen reference
//                                                                           unit: pair
//   PG      GRPO: per sequence i with advantage A_i and T_i target tokens:
//           (1 / T_i) sum_t [-A_i rho_t + beta KL_t], rho_t = exp(lp_t - stop_grad(lp_t)) (value 1,
//           gradient d lp_t), KL_t = exp(ref_t - lp_t) - (ref_t - lp_t) - 1 (the k3 estimator),
//           lp and ref from logits / temperature                            unit: sequence
//           or, token mean: sum_t [-A_i rho_t + beta KL_t]                  unit: target token
//   DEFER   CoLLM's deferral likelihood per target token, z = the last (added) vocabulary entry's
//           logit, p = softmax over the other entries, m_t = the mentor's log-prob of y:
//           -log(sigmoid(-z) p(y) + sigmoid(z) exp(m_t))                     unit: target token
//
// Row sums (log-sum-exp) run in double in vocabulary order; every loop has a fixed order.
#pragma once

#include "cpu/thread_pool.h"

#include <cstdint>
#include <vector>

namespace moco::train {

// log p(target) of each row of `scale` * logits [rows, vocab] (scale = 1 / temperature), computed
// over the first `classes` entries.
void target_logprobs(cpu::ThreadPool& pool, const float* logits, int rows, int vocab, int classes,
                     const int32_t* targets, double scale, double* out);

// dlogits[r] = coef[r] * d log p(target_r) / d logits[r], p from `scale` * logits (over the first
// `classes` entries; the others get 0).
void logprob_gradients(cpu::ThreadPool& pool, const float* logits, int rows, int vocab, int classes,
                       const int32_t* targets, double scale, const double* coef, float* dlogits);

// log sigmoid(x), without overflow for |x| large.
double log_sigmoid(double x);

// The DEFER loss of each row (returned summed) and its gradient (dlogits).
double defer_loss(cpu::ThreadPool& pool, const float* logits, int rows, int vocab,
                  const int32_t* targets, const float* mentor_logprobs, float* dlogits);

// GRPO advantages: (r - mean of the group) / (std of the group + 1e-4), std the unbiased sample
// standard deviation (TRL's GRPOTrainer). groups[i] names example i's group; every group has >= 2
// members.
std::vector<double> group_advantages(const std::vector<float>& rewards, const std::vector<int32_t>& groups);

}  // namespace moco::train
