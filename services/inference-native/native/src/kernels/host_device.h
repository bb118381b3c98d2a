// MOCO_HOST_DEVICE marks the few per-element functions the CUDA backend shares with these kernels
// (the Philox stream, the merge arithmetic): one definition for both, so the device computes the
// same bits. Empty outside nvcc, where this header changes nothing.
#pragma once

#if defined(__CUDACC__)
#    define MOCO_HOST_DEVICE __host__ __device__
#else
#    define MOCO_HOST_DEVICE
#endif
