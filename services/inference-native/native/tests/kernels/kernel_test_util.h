// Helpers of the kernel tests: dtype encode/decode written independently of libmoco's (the
// compiler's _Float16 for F16, bit truncation for BF16 inputs), ulp distances, seeded data.
#pragma once

#include "moco.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace kernel_test {

inline uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    return u;
}

inline float float_of(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
}

inline float from_bf16(uint16_t h) {
    return float_of(static_cast<uint32_t>(h) << 16);
}

inline float from_f16(uint16_t h) {
    _Float16 f;
    std::memcpy(&f, &h, sizeof(f));
    return static_cast<float>(f);
}

inline uint16_t to_f16(float x) {  // the compiler's conversion: round to nearest even
    const _Float16 f = static_cast<_Float16>(x);
    uint16_t h;
    std::memcpy(&h, &f, sizeof(h));
    return h;
}

// A tensor's storage: the bytes of `values` encoded in `dtype` (BF16 by truncation, which is all a
// test input needs), and the f32 values those bytes decode to.
struct Stored {
    int dtype;
    std::vector<uint8_t> bytes;
    std::vector<float> values;

    const void* data() const { return bytes.data(); }
};

inline Stored store(const std::vector<float>& values, int dtype) {
    Stored s{dtype, {}, {}};
    const std::size_t size = dtype == MOCO_DTYPE_F32 ? 4 : 2;
    s.bytes.resize(values.size() * size);
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (dtype == MOCO_DTYPE_F32) {
            std::memcpy(&s.bytes[i * 4], &values[i], 4);
            s.values.push_back(values[i]);
        } else {
            const uint16_t h = dtype == MOCO_DTYPE_F16
                                   ? to_f16(values[i])
                                   : static_cast<uint16_t>(bits_of(values[i]) >> 16);
            std::memcpy(&s.bytes[i * 2], &h, 2);
            s.values.push_back(dtype == MOCO_DTYPE_F16 ? from_f16(h) : from_bf16(h));
        }
    }
    return s;
}

inline std::vector<float> decode(const void* data, int dtype, std::size_t n) {
    std::vector<float> out(n);
    const uint8_t* bytes = static_cast<const uint8_t*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        if (dtype == MOCO_DTYPE_F32) {
            std::memcpy(&out[i], bytes + 4 * i, 4);
        } else {
            uint16_t h;
            std::memcpy(&h, bytes + 2 * i, 2);
            out[i] = dtype == MOCO_DTYPE_F16 ? from_f16(h) : from_bf16(h);
        }
    }
    return out;
}

// One unit in the last place of `dtype` at magnitude |x|.
inline double ulp(double x, int dtype) {
    const int mantissa_bits = dtype == MOCO_DTYPE_F32 ? 23 : dtype == MOCO_DTYPE_F16 ? 10 : 7;
    const int min_exponent = dtype == MOCO_DTYPE_F16 ? -14 : -126;
    int e;
    std::frexp(std::fabs(x), &e);
    return std::ldexp(1.0, std::max(e - 1, min_exponent) - mantissa_bits);
}

// The spec's tolerance (methods-logit-weight.md §1.0) for a merge result stored in `dtype`:
// f32 |Δ| <= 1e-6 max(1, |ref|); f16 / bf16 within 1 ulp.
inline void expect_merge_close(const std::vector<float>& got, const std::vector<double>& ref,
                               int dtype, const std::string& what) {
    ASSERT_EQ(got.size(), ref.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double tolerance =
            dtype == MOCO_DTYPE_F32 ? 1e-6 * std::max(1.0, std::fabs(ref[i])) : ulp(ref[i], dtype);
        ASSERT_NEAR(got[i], ref[i], tolerance) << what << ", element " << i;
    }
}

inline std::vector<float> random_values(std::size_t n, uint32_t seed, float scale = 1.0f,
                                        float shift = 0.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = shift + normal(rng);
    return v;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace kernel_test
