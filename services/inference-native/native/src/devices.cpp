// moco_devices: the CPU entry plus, in CUDA builds, one entry per visible CUDA device.
#include "devices.h"

#include "common.h"
#include "cpu/cpu_device.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#    include "cuda/cuda_device.h"
#endif

#include <algorithm>

static_assert(sizeof(moco_device_info) == 192 || sizeof(void*) != 8,
              "moco_device_info layout is frozen (the C# binding mirrors it)");
static_assert(MOCO_DEVICE_CPU == 0 && MOCO_DEVICE_CUDA == 1, "moco_device_kind values are frozen");

namespace moco {

int cuda_device_count() {
#if MOCO_HAVE_CUDA
    return cuda::device_count();
#else
    return 0;
#endif
}

std::string valid_device_list() {
    std::string list = "auto, cpu";
    const int n = cuda_device_count();
    for (int i = 0; i < n; ++i) {
        list += ", cuda:" + std::to_string(i);
    }
    return list;
}

}  // namespace moco

extern "C" {

moco_status moco_devices(moco_device_info* out, int capacity, int* count) {
    return moco::guard("moco_devices", [&]() -> moco_status {
        if (count == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_devices: count is NULL; pass a pointer to an int that "
                                   "receives the number of devices");
        }
        if (capacity < 0) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_devices: capacity is %d; it must be >= 0 (use 0 with "
                                   "out = NULL to query the number of devices)",
                                   capacity);
        }
        if (out == nullptr && capacity > 0) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_devices: out is NULL but capacity is %d; pass an array of "
                                   "`capacity` moco_device_info entries, or capacity 0 to query the "
                                   "number of devices",
                                   capacity);
        }
        const int cuda_count = moco::cuda_device_count();
        const int total = 1 + cuda_count;
        const int filled = std::min(capacity, total);
        if (filled > 0) {
            moco::cpu::fill_device_info(&out[0]);
        }
#if MOCO_HAVE_CUDA
        for (int i = 1; i < filled; ++i) {
            moco::cuda::fill_device_info(i - 1, &out[i]);
        }
#endif
        *count = total;
        return MOCO_OK;
    });
}

}  // extern "C"
