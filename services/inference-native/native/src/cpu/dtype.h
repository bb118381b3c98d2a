// Scalar conversions of the stored weight dtypes to float. Both are exact (every F16 and BF16 value
// is representable in F32), which is what lets a kernel convert weights on the fly and still give
// the same bits as one that converted them all up front.
#pragma once

#include "model/model.h"

#include <cstdint>
#include <cstring>

namespace moco::cpu {

// Distinct types for the two 16-bit formats, so kernels overload on them.
struct Bf16 {
    uint16_t bits;
};
struct F16 {
    uint16_t bits;
};

inline float bits_to_float(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

inline float to_float(float v) {
    return v;
}

inline float to_float(Bf16 v) {
    return bits_to_float(static_cast<uint32_t>(v.bits) << 16);
}

// IEEE binary16 -> binary32, subnormals, infinities and NaN payloads included.
inline float to_float(F16 v) {
    const uint32_t sign = static_cast<uint32_t>(v.bits & 0x8000u) << 16;
    uint32_t exponent = (v.bits >> 10) & 0x1Fu;
    uint32_t mantissa = v.bits & 0x3FFu;
    if (exponent == 0x1Fu) {
        return bits_to_float(sign | 0x7F800000u | (mantissa << 13));
    }
    if (exponent == 0) {
        if (mantissa == 0) {
            return bits_to_float(sign);
        }
        // Subnormal: shift the mantissa up until its leading 1 becomes the implicit bit.
        exponent = 1;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            --exponent;
        }
        mantissa &= 0x3FFu;
    }
    return bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline std::size_t dtype_size(DType dtype) {
    return dtype == DType::F32 ? 4 : 2;
}

// Element `i` of a tensor in its stored dtype, as float.
inline float load_element(const void* data, DType dtype, int64_t i) {
    switch (dtype) {
        case DType::F32: return static_cast<const float*>(data)[i];
        case DType::F16: return to_float(static_cast<const F16*>(data)[i]);
        case DType::BF16: return to_float(static_cast<const Bf16*>(data)[i]);
    }
    return 0.0f;
}

// Converts `n` consecutive elements starting at element `first` to float.
inline void load_row(const void* data, DType dtype, int64_t first, int64_t n, float* out) {
    for (int64_t i = 0; i < n; ++i) {
        out[i] = load_element(data, dtype, first + i);
    }
}

}  // namespace moco::cpu
