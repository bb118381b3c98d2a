// Test-only device kernels: run a shared host/device kernel helper on the GPU so a test can compare
// its bits with the CPU's directly (device_probe.cu).
#pragma once

#include <cuda_runtime.h>

namespace moco::cuda_test {

// out[i] = kernels::exp_f32(x[i]) computed on the device; x and out are device arrays of n floats.
void device_exp_f32(const float* x, int n, float* out, cudaStream_t stream);

}  // namespace moco::cuda_test
