// Device sampling: the twin of moco_sample (kernels/sampling.h, api_sampling.cpp) on rows of logits
// in device memory, for a decode loop that keeps the logits on the GPU and copies back one token id
// per row. Same processors in the same order (repetition penalty -> temperature -> top-k -> top-p ->
// min-p -> draw), the same uniform (kernels/philox.h's sampling_uniform, the same definition compiled
// for the device), the same exp (kernels/exp_f32.h) and the same tie rules (greedy and top-p: equal
// logits lowest id first; top-k: ties at the k-th value all survive).
//
// Where the device may differ from the CPU - only there (tests/cuda/test_cuda_sampling.cpp checks
// everything else for identity, `processed` bit for bit):
//   - top-p: the CPU adds probabilities in f64 in walking order; the device adds the weights
//     exp(z - m) rounded to fixed point (2^(62 - bit length of vocab) units per 1, so the sum of a
//     row fits 62 bits) with integer adds, exact and order-free. Membership can differ only for an
//     id whose mass before it lies within vocab * 2^-(62 - bit length of vocab) of top_p (8.6e-9 for
//     vocab 151936: half a unit of rounding per weight, in the mass and in the total, against a
//     total >= 1 since the top weight is exp(0)).
//   - the draw: likewise, the running sum is the fixed-point one and u * total is compared exactly
//     in 128 bits; the token can differ only when u lies within that distance of a bucket edge of
//     the CPU's f64 running sum.
// Greedy, the repetition penalty, the temperature, top-k and min-p are exact (the same IEEE
// operations, no contraction).
//
// Preconditions (not re-checked on the device): the arguments passed moco_sample's checks -
// prepare_sampling_row makes them on the host, with the same statuses and messages; `processed`
// does not overlap `logits`. What moco_sample reports as MOCO_ERR_NUMERIC (NaN or +inf in the row,
// no finite logit, also after the penalty; the penalty or the temperature overflowing) the device
// reports per row as the token kSampleNumericError.
#pragma once

#include "kernels/sampling.h"
#include "moco.h"

#include <cuda_runtime.h>

#include <cstdint>

namespace moco::cuda {

// One row's arguments of moco_sample after its checks (the layout the kernel reads from device
// memory; a decode loop updates seed/tokens_generated/history in place between steps).
struct SamplingRow {
    kernels::SamplingConfig config;    // the processors' options, as moco_sample reads them
    int n_history = 0;                 // the row's history: history[history_offset, + n_history)
    int64_t history_offset = 0;
    uint64_t seed = 0;                 // the draw's uniform: sampling_uniform(seed,
    uint64_t tokens_generated = 0;     //   tokens_generated, sample_index)
    uint64_t sample_index = 0;
};

// The token of a row for which moco_sample would return MOCO_ERR_NUMERIC.
constexpr int32_t kSampleNumericError = -1;

// A row from options and a history that moco_sample's checks have already accepted (the forward's
// draws are checked before it runs), its history at `history_offset` of the device history array.
SamplingRow sampling_row(const kernels::SamplingConfig& config, int n_history, int64_t history_offset,
                         uint64_t seed, uint64_t tokens_generated, uint64_t sample_index);

// Checks moco_sample's options and history (host array: the ids a decode loop also keeps on the
// host) exactly as moco_sample does - the same statuses, messages starting "sample_rows" - and on
// success fills *row (sampling_row).
moco_status prepare_sampling_row(const moco_sampling_options* opts, int vocab, const int32_t* history,
                                 int n_history, int64_t history_offset, uint64_t seed,
                                 uint64_t tokens_generated, uint64_t sample_index, SamplingRow* row);

// For r < rows: tokens[r] = the token moco_sample picks from logits[r * vocab, + vocab) with row r's
// arguments params[r] (its history at history + params[r].history_offset), and processed[r * vocab,
// + vocab) = moco_sample's `processed` (greedy: after the penalty only; unspecified for an error
// row). With `logit_rows`, row r reads logits[logit_rows[r] * vocab, + vocab) instead (the forward's
// drawn rows among all its logits rows). All pointers are device memory; vocab >= 1; one block per
// row; enqueued on `stream` only.
void sample_rows(const float* logits, int rows, int vocab, const SamplingRow* params, const int32_t* history,
                 float* processed, int32_t* tokens, cudaStream_t stream, const int32_t* logit_rows = nullptr);

// u[r] = sampling_uniform(params[r].seed, params[r].tokens_generated, params[r].sample_index), the
// uniform sample_rows draws row r with (moco_sampling_uniform's bits; for tests and tracing).
void sampling_uniform_rows(const SamplingRow* params, int rows, float* u, cudaStream_t stream);

}  // namespace moco::cuda
