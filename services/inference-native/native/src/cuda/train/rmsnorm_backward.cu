#include "cuda/device_math.cuh"
#include "cuda/train/pass_kernels.h"

namespace moco::cuda::train {
namespace {

constexpr int kThreads = 256;

// One block per row. r is summed exactly as rmsnorm_kernel (cuda/rmsnorm.cu: same block size,
// same strided partial sums, block_sum) so the backward sees the forward's r bit for bit.
// Each thread reads dy[j] and writes dx[j] only after both reductions, so dx may alias dy.
__global__ void rmsnorm_backward_kernel(const float* x, const int32_t* x_index, int64_t ld_x, const float* w,
                                        int n, float eps, const float* dy, int64_t ld_dy, float* dx,
                                        bool accumulate, float* dw_rows, int64_t ld_dw) {
    const int i = blockIdx.x;
    const int64_t src = x_index != nullptr ? x_index[i] : i;
    const float* xr = x + src * ld_x;
    float* dxr = dx + src * ld_x;
    const float* dyr = dy + static_cast<int64_t>(i) * ld_dy;
    float sum = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        sum += xr[j] * xr[j];
    }
    const float mean_square = block_sum(sum) / static_cast<float>(n);
    const float r = 1.0f / sqrtf(mean_square + eps);
    float dot = 0.0f;  // sum(w dy x)
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        dot += w[j] * dyr[j] * xr[j];
    }
    const float coef = block_sum(dot) * r * r * r / static_cast<float>(n);
    float* dwr = dw_rows != nullptr ? dw_rows + static_cast<int64_t>(i) * ld_dw : nullptr;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        const float g = dyr[j];
        if (dwr != nullptr) {
            dwr[j] = g * xr[j] * r;
        }
        const float v = r * (w[j] * g) - xr[j] * coef;
        dxr[j] = accumulate ? dxr[j] + v : v;
    }
}

}  // namespace

// x_index entries must be distinct: the blocks of two equal entries would add into one dx row
// at the same time.
void rmsnorm_backward(const float* x, const int32_t* x_index, int64_t ld_x, int rows, const float* w, int n,
                      float eps, const float* dy, int64_t ld_dy, float* dx, bool accumulate, float* dw_rows,
                      int64_t ld_dw, cudaStream_t stream) {
    if (rows > 0) {
        rmsnorm_backward_kernel<<<rows, kThreads, 0, stream>>>(x, x_index, ld_x, w, n, eps, dy, ld_dy, dx,
                                                               accumulate, dw_rows, ld_dw);
    }
}

}  // namespace moco::cuda::train
