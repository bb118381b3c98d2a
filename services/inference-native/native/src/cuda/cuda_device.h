// CUDA backend: device enumeration. Only compiled (and only called) when MOCO_HAVE_CUDA is 1;
// a CPU-only build has no CUDA code and no CUDA dependency at all.
#pragma once

#include "moco.h"

#include <cstdint>

namespace moco::cuda {

// Number of CUDA devices visible to this process (CUDA_VISIBLE_DEVICES applied). 0 when there is no
// GPU, no driver, or the driver is too old for the runtime: a CUDA build must still run on a
// CPU-only machine. Detected once per process (with every device's properties); thread-safe.
int device_count();

// Fills one moco_devices entry for CUDA device `index` (0 <= index < device_count()): name
// "cuda:<index>", product name, total memory, SM count, compute capability.
void fill_device_info(int index, moco_device_info* out);

// moco_context_copy_bandwidth on CUDA device `index` (cuda/copy_bandwidth.cu): bytes read plus
// written per second by a device-to-device copy of `bytes`, best of three after an untimed one.
// MOCO_ERR_OUT_OF_MEMORY when the two buffers do not fit.
moco_status copy_bandwidth(int index, uint64_t bytes, double* out_bytes_per_s);

}  // namespace moco::cuda
