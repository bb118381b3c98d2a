// An owned cudaMalloc allocation. A failed allocation throws cuda::Error with
// MOCO_ERR_OUT_OF_MEMORY naming what it was for (cuda_check.h), never hangs or aborts.
#pragma once

#include <cstddef>

namespace moco::cuda {

class DeviceBuffer {
public:
    DeviceBuffer() = default;
    DeviceBuffer(std::size_t bytes, const char* what) { reserve(bytes, what); }
    DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), bytes_(other.bytes_) {
        other.data_ = nullptr;
        other.bytes_ = 0;
    }
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    ~DeviceBuffer() { release(); }

    // Makes the buffer hold at least `bytes` (a larger one replaces it; the contents are lost).
    void reserve(std::size_t bytes, const char* what);

    template <class T>
    T* as() const {
        return static_cast<T*>(data_);
    }
    void* data() const { return data_; }
    std::size_t bytes() const { return bytes_; }

private:
    void release() noexcept;

    void* data_ = nullptr;
    std::size_t bytes_ = 0;
};

}  // namespace moco::cuda
