#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace moco::cuda {
namespace {

template <class T>
__device__ T from_f32(float v);
template <>
__device__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) {
    return __float2bfloat16_rn(v);
}
template <>
__device__ __half from_f32<__half>(float v) {
    return __float2half_rn(v);
}

template <class T>
__global__ void convert_kernel(const float* in, int64_t n, T* out) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        out[i] = from_f32<T>(in[i]);
    }
}

}  // namespace

void convert_f32(const float* in, int64_t n, DType dtype, void* out, cudaStream_t stream) {
    if (n <= 0) {
        return;
    }
    const int blocks = grid_stride_blocks(n, 256);
    switch (dtype) {
        case DType::BF16:
            convert_kernel<<<blocks, 256, 0, stream>>>(in, n, static_cast<__nv_bfloat16*>(out));
            break;
        case DType::F16:
            convert_kernel<<<blocks, 256, 0, stream>>>(in, n, static_cast<__half*>(out));
            break;
        default:
            (void)cudaMemcpyAsync(out, in, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToDevice, stream);
            break;
    }
}

}  // namespace moco::cuda
