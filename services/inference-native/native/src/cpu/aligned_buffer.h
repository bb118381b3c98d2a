// A fixed-size heap array aligned to 64 bytes (one cache line, one AVX-512 register), so that the
// kernels' vector loads of packed weights and KV blocks never straddle two cache lines.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>

namespace moco::cpu {

template <class T>
class AlignedBuffer {
public:
    static constexpr std::size_t kAlignment = 64;

    AlignedBuffer() = default;
    // `count` elements, zero-filled (which also commits the pages now rather than mid-forward).
    explicit AlignedBuffer(std::size_t count)
        : data_(static_cast<T*>(::operator new(count * sizeof(T), std::align_val_t(kAlignment)))) {
        std::memset(static_cast<void*>(data_), 0, count * sizeof(T));
    }
    AlignedBuffer(AlignedBuffer&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
        if (this != &other) {
            release();
            data_ = other.data_;
            other.data_ = nullptr;
        }
        return *this;
    }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    ~AlignedBuffer() { release(); }

    T* data() { return data_; }
    const T* data() const { return data_; }

private:
    void release() {
        if (data_ != nullptr) {
            ::operator delete(static_cast<void*>(data_), std::align_val_t(kAlignment));
        }
    }

    T* data_ = nullptr;
};

}  // namespace moco::cpu
