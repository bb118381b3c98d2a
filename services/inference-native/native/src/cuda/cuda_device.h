// CUDA backend: device enumeration. Only compiled (and only called) when MOCO_HAVE_CUDA is 1;
// a CPU-only build has no CUDA code and no CUDA dependency at all.
#pragma once

#include "moco.h"

namespace moco::cuda {

// Number of CUDA devices visible to this process (CUDA_VISIBLE_DEVICES applied). 0 when there is no
// GPU, no driver, or the driver is too old for the runtime: a CUDA build must still run on a
// CPU-only machine. Detected once per process (with every device's properties); thread-safe.
int device_count();

// Fills one moco_devices entry for CUDA device `index` (0 <= index < device_count()): name
// "cuda:<index>", product name, total memory, SM count, compute capability.
void fill_device_info(int index, moco_device_info* out);

}  // namespace moco::cuda
