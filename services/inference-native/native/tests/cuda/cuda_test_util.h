// Helpers of the CUDA tests: skipping where no GPU is visible, device arrays, comparisons.
#pragma once

#include "moco.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace moco::cuda_test {

inline bool have_gpu() {
    int count = 0;
    const bool ok = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
    (void)cudaGetLastError();
    return ok;
}

// In a test body: skips (not fails) on a machine without a usable CUDA device.
#define MOCO_REQUIRE_GPU()                                                         \
    do {                                                                           \
        if (!::moco::cuda_test::have_gpu()) {                                      \
            GTEST_SKIP() << "no CUDA device visible (cudaGetDeviceCount); the CUDA " \
                            "tests run on the GPU machine (tools/cuda/device_check.sh)"; \
        }                                                                          \
    } while (0)

inline void cuda_ok(cudaError_t err, const char* what) {
    ASSERT_EQ(err, cudaSuccess) << what << ": " << cudaGetErrorString(err);
}

// A device copy of a host vector; read back with host().
template <class T>
class DeviceArray {
public:
    explicit DeviceArray(const std::vector<T>& values) : n_(values.size()) {
        EXPECT_EQ(cudaMalloc(&data_, std::max<size_t>(1, n_) * sizeof(T)), cudaSuccess);
        EXPECT_EQ(cudaMemcpy(data_, values.data(), n_ * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
    }
    explicit DeviceArray(size_t n) : DeviceArray(std::vector<T>(n)) {}
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    ~DeviceArray() { (void)cudaFree(data_); }

    T* get() const { return static_cast<T*>(data_); }
    std::vector<T> host() const {
        std::vector<T> out(n_);
        EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_EQ(cudaMemcpy(out.data(), data_, n_ * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
        return out;
    }

private:
    void* data_ = nullptr;
    size_t n_ = 0;
};

// The tolerance on logits and hidden states of cuda:0 against cpu for a checkpoint of `dtype`
// (test_cuda_forward.cpp explains the values): F32 GEMMs on both sides agree to float rounding;
// BF16/F16 checkpoints round the GEMM inputs to 8 or 11 significant bits on the GPU only.
inline float tolerance(int dtype) {
    return dtype == MOCO_DTYPE_BF16 ? 3e-2f : dtype == MOCO_DTYPE_F16 ? 5e-3f : 1e-4f;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

// Every |actual - expected| <= atol + rtol * |expected|, or both the same infinity (a masked
// log-probability: inf - inf is NaN, which no tolerance accepts); reports the first few violations.
inline void expect_close(const std::vector<float>& actual, const std::vector<float>& expected, float atol,
                         float rtol, const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    int reported = 0;
    float worst = 0.0f;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (std::isinf(expected[i]) && actual[i] == expected[i]) continue;
        const float diff = std::fabs(actual[i] - expected[i]);
        worst = std::max(worst, diff);
        if (!(diff <= atol + rtol * std::fabs(expected[i])) && reported++ < 5) {
            ADD_FAILURE() << what << "[" << i << "]: " << actual[i] << " vs " << expected[i] << " (diff " << diff
                          << ", atol " << atol << ", rtol " << rtol << ")";
        }
    }
    ::testing::Test::RecordProperty(what + "_max_abs_diff", std::to_string(worst));
}

inline size_t free_device_bytes() {
    size_t free_bytes = 0, total = 0;
    EXPECT_EQ(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
    return free_bytes;
}

// Takes every byte of device memory it can (chunks from 1 GiB down to 256 bytes) until release():
// what an allocation meets on a GPU that other work has filled.
class FilledDevice {
public:
    FilledDevice() {
        for (size_t chunk = size_t{1} << 30; chunk >= 256; chunk /= 2) {
            void* p = nullptr;
            while (cudaMalloc(&p, chunk) == cudaSuccess) blocks_.push_back(p);
            (void)cudaGetLastError();
        }
    }
    FilledDevice(const FilledDevice&) = delete;
    FilledDevice& operator=(const FilledDevice&) = delete;
    ~FilledDevice() { release(); }
    void release() {
        for (void* p : blocks_) (void)cudaFree(p);
        blocks_.clear();
    }

private:
    std::vector<void*> blocks_;
};

}  // namespace moco::cuda_test
