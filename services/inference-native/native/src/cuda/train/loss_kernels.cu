// The training objectives' per-row kernels (loss_kernels.h): one block per row, the CPU's formulas
// (train/losses.cpp) term for term. The row max is exact in any order; the sum of exponentials runs
// in double through block_sum, whose order depends only on the block size, so a row's numbers do
// not depend on the launch. They differ from the CPU's only by that order and CUDA's double exp/log
// against libm's (about 1e-15 relative).
#include "cuda/device_math.cuh"
#include "cuda/train/loss_kernels.h"

namespace moco::cuda::train {
namespace {

constexpr int kThreads = 256;

// The row's log-softmax normaliser over z[0..classes) scaled by s > 0: top = s * max z and
// log_sum = log sum exp(s z_v - top), so log p_v = s z_v - top - log_sum. Every thread gets both.
struct Normaliser {
    double top;
    double log_sum;
};

__device__ Normaliser row_normaliser(const float* z, int classes, double s) {
    float m = -INFINITY;
    for (int v = threadIdx.x; v < classes; v += kThreads) m = fmaxf(m, z[v]);
    // The max is taken in float like the CPU's, then scaled: top is the same number on both sides.
    const double top = s * block_max(m);
    double sum = 0.0;
    for (int v = threadIdx.x; v < classes; v += kThreads) sum += exp(s * z[v] - top);
    return {top, log(block_sum(sum))};
}

// log(sigmoid(x)) without overflow on either side.
__device__ double log_sigmoid(double x) {
    return x >= 0.0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

__global__ void target_logprobs_kernel(const float* logits, int vocab, int classes, const int32_t* targets,
                                       double scale, double* out) {
    const float* z = logits + static_cast<int64_t>(blockIdx.x) * vocab;
    const Normaliser n = row_normaliser(z, classes, scale);
    if (threadIdx.x == 0) out[blockIdx.x] = scale * z[targets[blockIdx.x]] - n.top - n.log_sum;
}

__global__ void logprob_gradients_kernel(const float* logits, int vocab, int classes, const int32_t* targets,
                                         double scale, const double* coef, float* dlogits) {
    const int64_t row = static_cast<int64_t>(blockIdx.x) * vocab;
    const float* z = logits + row;
    float* d = dlogits + row;
    const Normaliser n = row_normaliser(z, classes, scale);
    const int32_t y = targets[blockIdx.x];
    const double c = coef[blockIdx.x] * scale;
    // d log p(y) / d z_v = s ([v == y] - softmax(s z)_v); entries past `classes` are not in the
    // softmax, so their gradient is 0 (written: the buffer may hold the previous micro-batch's).
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        if (v < classes) {
            const double p = exp(scale * z[v] - n.top - n.log_sum);
            d[v] = static_cast<float>(c * ((v == y ? 1.0 : 0.0) - p));
        } else {
            d[v] = 0.0f;
        }
    }
}

__global__ void defer_loss_kernel(const float* logits, int vocab, const int32_t* targets,
                                  const float* mentor_logprobs, double* row_loss, float* dlogits) {
    const int64_t row = static_cast<int64_t>(blockIdx.x) * vocab;
    const float* z = logits + row;
    float* d = dlogits + row;
    const int classes = vocab - 1;  // the deferral entry is the last one
    const Normaliser n = row_normaliser(z, classes, 1.0);
    const int32_t y = targets[blockIdx.x];
    const double defer = z[classes];
    // a = log(sigmoid(-z) p(y)), b = log(sigmoid(z) exp(m_t)); loss = -logsumexp(a, b). Every
    // thread computes these few scalars rather than broadcasting them through shared memory.
    const double a = log_sigmoid(-defer) + (static_cast<double>(z[y]) - n.top - n.log_sum);
    const double b = log_sigmoid(defer) + mentor_logprobs[blockIdx.x];
    const double top = a > b ? a : b;
    const double lse = top + log(exp(a - top) + exp(b - top));
    const double wa = exp(a - lse), wb = exp(b - lse);
    const double s = 1.0 / (1.0 + exp(-defer));
    // d loss / d z_v = -wa (d a / d z_v) - wb (d b / d z_v).
    for (int v = threadIdx.x; v < classes; v += kThreads) {
        const double p = exp(static_cast<double>(z[v]) - n.top - n.log_sum);
        d[v] = static_cast<float>(-wa * ((v == y ? 1.0 : 0.0) - p));
    }
    if (threadIdx.x == 0) {
        d[classes] = static_cast<float>(wa * s - wb * (1.0 - s));
        row_loss[blockIdx.x] = -lse;
    }
}

}  // namespace

void target_logprobs(const float* logits, int rows, int vocab, int classes, const int32_t* targets, double scale,
                     double* out, cudaStream_t stream) {
    if (rows > 0) target_logprobs_kernel<<<rows, kThreads, 0, stream>>>(logits, vocab, classes, targets, scale, out);
}

void logprob_gradients(const float* logits, int rows, int vocab, int classes, const int32_t* targets, double scale,
                       const double* coef, float* dlogits, cudaStream_t stream) {
    if (rows > 0) {
        logprob_gradients_kernel<<<rows, kThreads, 0, stream>>>(logits, vocab, classes, targets, scale, coef,
                                                                 dlogits);
    }
}

void defer_loss(const float* logits, int rows, int vocab, const int32_t* targets, const float* mentor_logprobs,
                double* row_loss, float* dlogits, cudaStream_t stream) {
    if (rows > 0) {
        defer_loss_kernel<<<rows, kThreads, 0, stream>>>(logits, vocab, targets, mentor_logprobs, row_loss, dlogits);
    }
}

}  // namespace moco::cuda::train
