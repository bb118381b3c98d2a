#include "cuda/device_math.cuh"
#include "cuda/kernels.h"

namespace moco::cuda {
namespace {

// One block per row: the row's embedding, converted to F32.
__global__ void embed_kernel(const int32_t* tokens, const void* table, DType dtype, int hidden, float* x) {
    const int r = blockIdx.x;
    const int64_t base = static_cast<int64_t>(tokens[r]) * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        x[static_cast<int64_t>(r) * hidden + i] = load_as_f32(table, dtype, base + i);
    }
}

}  // namespace

void embed_rows(const int32_t* tokens, int rows, const void* table, DType dtype, int hidden, float* x,
                cudaStream_t stream) {
    if (rows > 0) {
        embed_kernel<<<rows, 256, 0, stream>>>(tokens, table, dtype, hidden, x);
    }
}

}  // namespace moco::cuda
