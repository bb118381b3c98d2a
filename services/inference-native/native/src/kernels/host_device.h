// Lets a kernel header hold one definition for the CPU and the CUDA backend (the Philox stream, exp,
// the merge arithmetic): under nvcc a function marked MOCO_HOST_DEVICE compiles for both sides, so
// the device computes the same bits; for a plain C++ compiler the mark is empty.
// Device code contracts a * b + c into one fused multiply-add unless told otherwise, while the CPU
// kernels build with -ffp-contract=off (sources.cmake): the *_rn helpers round each operation on
// its own on both sides, so an expression written with them gives the same bits on CPU and GPU.
#pragma once

#if defined(__CUDACC__)
#define MOCO_HOST_DEVICE __host__ __device__
#else
#define MOCO_HOST_DEVICE
#endif

namespace moco::kernels {

MOCO_HOST_DEVICE inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

MOCO_HOST_DEVICE inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

MOCO_HOST_DEVICE inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}

}  // namespace moco::kernels
