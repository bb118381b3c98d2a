// moco_context_copy_bandwidth on a GPU: a device-to-device cudaMemcpy, timed with events.
#include "cuda/cuda_check.h"
#include "cuda/cuda_device.h"
#include "cuda/device_buffer.h"

#include <algorithm>

namespace moco::cuda {

namespace {

// Owns an event pair so that an Error thrown mid-measurement leaks nothing.
struct EventPair {
    cudaEvent_t start = nullptr;
    cudaEvent_t stop = nullptr;
    EventPair() {
        check(cudaEventCreate(&start), "cudaEventCreate (copy bandwidth)");
        check(cudaEventCreate(&stop), "cudaEventCreate (copy bandwidth)");
    }
    ~EventPair() {
        cudaEventDestroy(start);
        cudaEventDestroy(stop);
    }
    EventPair(const EventPair&) = delete;
    EventPair& operator=(const EventPair&) = delete;
};

}  // namespace

moco_status copy_bandwidth(int device, uint64_t bytes, double* out_bytes_per_s) {
    return run("moco_context_copy_bandwidth", [&]() -> moco_status {
        use_device(device);
        DeviceBuffer source(bytes, "the copy-bandwidth source buffer");
        DeviceBuffer target(bytes, "the copy-bandwidth target buffer");
        check(cudaMemset(source.data(), 0, bytes), "cudaMemset (copy bandwidth)");
        EventPair events;
        float best_ms = 1e30f;
        for (int i = 0; i < 4; ++i) {
            check(cudaEventRecord(events.start), "cudaEventRecord (copy bandwidth)");
            check(cudaMemcpy(target.data(), source.data(), bytes, cudaMemcpyDeviceToDevice),
                  "cudaMemcpy device to device (copy bandwidth)");
            check(cudaEventRecord(events.stop), "cudaEventRecord (copy bandwidth)");
            check(cudaEventSynchronize(events.stop), "cudaEventSynchronize (copy bandwidth)");
            float ms = 0.0f;
            check(cudaEventElapsedTime(&ms, events.start, events.stop), "cudaEventElapsedTime (copy bandwidth)");
            if (i > 0) {
                best_ms = std::min(best_ms, ms);
            }
        }
        // The emulator's clock can read 0 for a copy faster than its resolution.
        *out_bytes_per_s = 2.0 * static_cast<double>(bytes) / (std::max(best_ms, 1e-3f) * 1e-3);
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
