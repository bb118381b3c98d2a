// The emulated CUDA runtime host API (cuda_emu/runtime_api.h): one device, CPU memory, streams
// that complete each call before it returns.
#include "cuda_emu/runtime_api.h"

#include "cuda_emu/launch.h"

#include "errors.h"
#include "handles.h"
#include "memory.h"
#include "streams.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

struct CUevent_st {
    std::chrono::steady_clock::time_point at;
    bool recorded;
};

namespace cudaemu::detail {
namespace {

thread_local cudaError_t last_error = cudaSuccess;
std::mutex fault_mutex;
cudaError_t pending_fault = cudaSuccess;

Handles<CUstream_st> streams;
Handles<CUevent_st> events;

bool valid_event(cudaEvent_t e) {
    return events.live(e);
}

// A synchronising call first reports a kernel fault that happened since the last one.
cudaError_t sync_point() {
    return fail(take_kernel_fault());
}

// Checks a copy's pointers against its kind: a GPU refuses a host pointer where the kind says
// device memory (and the reverse, through unified addressing, is allowed only for pinned blocks).
cudaError_t check_copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind == cudaMemcpyDefault) return cudaSuccess;
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return cudaErrorInvalidMemcpyDirection;
    if (dst_device && !in_device_block(dst, bytes)) return cudaErrorInvalidValue;
    if (src_device && !in_device_block(src, bytes)) return cudaErrorInvalidValue;
    return cudaSuccess;
}

}  // namespace

bool valid_stream(cudaStream_t s) {
    return s == nullptr || streams.live(s);  // nullptr: the legacy default stream
}

cudaError_t fail(cudaError_t err) {
    if (err != cudaSuccess) last_error = err;
    return err;
}

void kernel_fault(cudaError_t err, const char* kernel, const char* why) {
    std::fprintf(stderr, "cuda emulator: kernel %s: %s\n", kernel, why);
    std::lock_guard<std::mutex> lock(fault_mutex);
    if (pending_fault == cudaSuccess) pending_fault = err;
    last_error = err;
}

cudaError_t take_kernel_fault() {
    std::lock_guard<std::mutex> lock(fault_mutex);
    const cudaError_t err = pending_fault;
    pending_fault = cudaSuccess;
    return err;
}

}  // namespace cudaemu::detail

using namespace cudaemu::detail;

cudaError_t cudaGetDeviceCount(int* count) {
    if (count == nullptr) return fail(cudaErrorInvalidValue);
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
    if (prop == nullptr) return fail(cudaErrorInvalidValue);
    if (device != 0) return fail(cudaErrorInvalidDevice);
    std::memset(prop, 0, sizeof(*prop));
    std::snprintf(prop->name, sizeof(prop->name), "MoCo CUDA emulator (CPU fibers; for tests)");
    size_t free_bytes = 0;
    memory_info(&free_bytes, &prop->totalGlobalMem);
    prop->sharedMemPerBlock = 48 * 1024;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
    prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 2147483647;
    prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 1;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    return device == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice);
}

cudaError_t cudaGetDevice(int* device) {
    if (device == nullptr) return fail(cudaErrorInvalidValue);
    *device = 0;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() { return sync_point(); }
cudaError_t cudaDeviceReset() { return cudaSuccess; }

cudaError_t cudaGetLastError() {
    const cudaError_t err = last_error;
    last_error = cudaSuccess;
    return err;
}

cudaError_t cudaPeekAtLastError() { return last_error; }

const char* cudaGetErrorName(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInitializationError: return "cudaErrorInitializationError";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
        case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
        case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
        case cudaErrorNoDevice: return "cudaErrorNoDevice";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorNotReady: return "cudaErrorNotReady";
        case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
        case cudaErrorIllegalState: return "cudaErrorIllegalState";
        case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
        case cudaErrorStreamCaptureImplicit: return "cudaErrorStreamCaptureImplicit";
    }
    return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
    switch (error) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInitializationError: return "initialization error";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorInvalidDevicePointer: return "invalid device pointer";
        case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
        case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
        case cudaErrorIllegalState: return "the resource is in an illegal state";
        case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
        case cudaErrorStreamCaptureImplicit: return "operation would make the legacy stream depend on a capturing blocking stream";
    }
    return "unknown error";
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) { return fail(device_alloc(ptr, bytes)); }
cudaError_t cudaFree(void* ptr) { return fail(device_free(ptr)); }
cudaError_t cudaMallocHost(void** ptr, size_t bytes) { return fail(pinned_alloc(ptr, bytes)); }
cudaError_t cudaFreeHost(void* ptr) { return fail(pinned_free(ptr)); }

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
    if (free_bytes == nullptr || total_bytes == nullptr) return fail(cudaErrorInvalidValue);
    memory_info(free_bytes, total_bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (bytes == 0) return cudaSuccess;
    if (dst == nullptr || src == nullptr) return fail(cudaErrorInvalidValue);
    if (const cudaError_t err = check_copy(dst, src, bytes, kind); err != cudaSuccess) return fail(err);
    if (capturing(stream)) {
        // A graph copies between device blocks only: a host buffer's contents at replay time are
        // not what the caller meant (CUDA refuses pageable memory during a capture too).
        if (kind != cudaMemcpyDeviceToDevice) return fail(cudaErrorStreamCaptureUnsupported);
        record(stream, [dst, src, bytes] { std::memmove(dst, src, bytes); });
        return cudaSuccess;
    }
    std::memmove(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    if (capture_open_in_thread()) return fail(cudaErrorStreamCaptureImplicit);
    if (const cudaError_t err = sync_point(); err != cudaSuccess) return err;
    return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (bytes == 0) return cudaSuccess;
    if (!in_device_block(dst, bytes)) return fail(cudaErrorInvalidValue);
    if (capturing(stream)) {
        record(stream, [dst, value, bytes] { std::memset(dst, value, bytes); });
        return cudaSuccess;
    }
    std::memset(dst, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
    return cudaMemsetAsync(dst, value, bytes, nullptr);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
    if (stream == nullptr) return fail(cudaErrorInvalidValue);
    *stream = streams.add(new CUstream_st{flags, nullptr});
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
    return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    return streams.destroy(stream) ? cudaSuccess : fail(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) return fail(cudaErrorStreamCaptureUnsupported);
    return sync_point();
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned) {
    if (!valid_stream(stream) || !valid_event(event)) return fail(cudaErrorInvalidResourceHandle);
    return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) {
    if (event == nullptr) return fail(cudaErrorInvalidValue);
    *event = events.add(new CUevent_st{{}, false});
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
    return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
    return events.destroy(event) ? cudaSuccess : fail(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    if (!valid_event(event) || !valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    event->at = std::chrono::steady_clock::now();
    event->recorded = true;
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    if (!valid_event(event)) return fail(cudaErrorInvalidResourceHandle);
    return sync_point();
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
    if (ms == nullptr) return fail(cudaErrorInvalidValue);
    if (!valid_event(start) || !valid_event(end)) return fail(cudaErrorInvalidResourceHandle);
    if (!start->recorded || !end->recorded) return fail(cudaErrorNotReady);
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return cudaSuccess;
}
