// The training objectives' per-row work on the GPU: the device twins of train/losses.h's
// target_logprobs, logprob_gradients and defer_loss, same formulas and the same double-precision
// row sums (one block per row; the block's reduction order is fixed, so a row's result never
// depends on the launch). The host combines the per-row numbers (DPO pairs, GRPO groups, the sums)
// exactly as the CPU trainer does. Device pointers; launches only enqueue work on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace moco::cuda::train {

// out[r] = log p(targets[r]) under softmax(scale * logits[r, 0..classes)), r < rows; logits rows
// are `vocab` floats apart. out: `rows` doubles.
void target_logprobs(const float* logits, int rows, int vocab, int classes, const int32_t* targets,
                     double scale, double* out, cudaStream_t stream);

// dlogits[r, v] = coef[r] * scale * ([v == targets[r]] - softmax(scale * logits[r])_v) for
// v < classes, 0 for classes <= v < vocab. coef: `rows` doubles.
void logprob_gradients(const float* logits, int rows, int vocab, int classes, const int32_t* targets,
                       double scale, const double* coef, float* dlogits, cudaStream_t stream);

// CoLLM's deferral loss of each row (train/losses.h DEFER) into row_loss (`rows` doubles) and its
// gradient into dlogits; mentor_logprobs: `rows` floats.
void defer_loss(const float* logits, int rows, int vocab, const int32_t* targets,
                const float* mentor_logprobs, double* row_loss, float* dlogits, cudaStream_t stream);

}  // namespace moco::cuda::train
