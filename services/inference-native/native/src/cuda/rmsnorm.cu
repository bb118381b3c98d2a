#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace moco::cuda {
namespace {

// One block per output row: LlamaRMSNorm, out = w * (x * (1 / sqrt(mean(x^2) + eps))).
__global__ void rmsnorm_kernel(const float* x, const int32_t* row_index, const float* w, int n, float eps,
                               float* out) {
    const int i = blockIdx.x;
    const int64_t src = row_index != nullptr ? row_index[i] : i;
    const float* xr = x + src * n;
    float sum = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        sum += xr[j] * xr[j];
    }
    const float mean_square = block_sum(sum) / static_cast<float>(n);
    const float inv_rms = 1.0f / sqrtf(mean_square + eps);
    float* o = out + static_cast<int64_t>(i) * n;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        o[j] = w[j] * (xr[j] * inv_rms);
    }
}

}  // namespace

void rmsnorm_rows(const float* x, const int32_t* row_index, int rows, const float* w, int n, float eps,
                  float* out, cudaStream_t stream) {
    if (rows > 0) {
        rmsnorm_kernel<<<rows, 256, 0, stream>>>(x, row_index, w, n, eps, out);
    }
}

}  // namespace moco::cuda
