// CUDA backend: device enumeration through the CUDA runtime API (the forward's kernels are in the
// files beside this one, one family per file).
#include "moco_config.h"

#if MOCO_HAVE_CUDA

#include "common.h"
#include "cuda/cuda_device.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace moco::cuda {
namespace {

std::vector<moco_device_info> detect() {
    std::vector<moco_device_info> devices;
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        // cudaErrorNoDevice, cudaErrorInsufficientDriver, ...: no usable GPU is not an error for
        // libmoco, the CPU backend still works. Clear the sticky runtime error state.
        (void)cudaGetLastError();
        return devices;
    }
    devices.resize(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        moco_device_info& d = devices[static_cast<size_t>(i)];
        std::memset(&d, 0, sizeof(d));
        char name[MOCO_DEVICE_NAME_SIZE];
        std::snprintf(name, sizeof(name), "cuda:%d", i);
        copy_string(d.name, name);
        d.kind = MOCO_DEVICE_CUDA;
        cudaDeviceProp prop;
        std::memset(&prop, 0, sizeof(prop));
        const cudaError_t perr = cudaGetDeviceProperties(&prop, i);
        if (perr != cudaSuccess) {
            char description[MOCO_DEVICE_DESCRIPTION_SIZE];
            std::snprintf(description, sizeof(description), "unavailable (cudaGetDeviceProperties: %s)",
                          cudaGetErrorString(perr));
            copy_string(d.description, description);
            (void)cudaGetLastError();
            continue;
        }
        copy_string(d.description, prop.name);
        d.memory_bytes = static_cast<uint64_t>(prop.totalGlobalMem);
        d.threads = prop.multiProcessorCount;
        d.cc_major = prop.major;
        d.cc_minor = prop.minor;
        d.features = 0;
    }
    return devices;
}

const std::vector<moco_device_info>& devices() {
    static const std::vector<moco_device_info> cached = detect();  // thread-safe, once
    return cached;
}

}  // namespace

int device_count() {
    return static_cast<int>(devices().size());
}

void fill_device_info(int index, moco_device_info* out) {
    *out = devices()[static_cast<size_t>(index)];
}

}  // namespace moco::cuda

#endif  // MOCO_HAVE_CUDA
