// Error state of the emulated runtime: CUDA's per-host-thread last error, and a fault raised while a
// kernel ran (a deadlock, a divergent warp operation), which the next synchronising call reports,
// as an asynchronous kernel fault is reported on a GPU.
#pragma once

#include "cuda_emu/types.h"

namespace cudaemu::detail {

// Records err as the thread's last error and returns it (cudaSuccess is returned, not recorded).
cudaError_t fail(cudaError_t err);
// Records a fault of a running kernel; `why` goes to stderr with the kernel's name.
void kernel_fault(cudaError_t err, const char* kernel, const char* why);
// The pending kernel fault, cleared (cudaSuccess when none).
cudaError_t take_kernel_fault();

}  // namespace cudaemu::detail
