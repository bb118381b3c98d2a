#include "cuda/device_buffer.h"

#include "cuda/cuda_check.h"

#include <string>

namespace moco::cuda {

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
        release();
        data_ = other.data_;
        bytes_ = other.bytes_;
        other.data_ = nullptr;
        other.bytes_ = 0;
    }
    return *this;
}

void DeviceBuffer::reserve(std::size_t bytes, const char* what) {
    if (bytes <= bytes_) {
        return;
    }
    release();
    void* p = nullptr;
    const std::string call = "cudaMalloc of " + std::to_string(bytes) + " bytes for " + what;
    check(cudaMalloc(&p, bytes), call.c_str());
    data_ = p;
    bytes_ = bytes;
}

void DeviceBuffer::release() noexcept {
    if (data_ != nullptr) {
        (void)cudaFree(data_);  // only fails on a dead context, where nothing can be done
        data_ = nullptr;
        bytes_ = 0;
    }
}

}  // namespace moco::cuda
