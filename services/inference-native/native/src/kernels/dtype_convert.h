// Conversions between the stored weight dtypes and f32 (methods-logit-weight.md §1.0: read the
// storage dtype, compute in f32, write the output dtype with one round-to-nearest-even). Written
// branch-free on the bit patterns so the chunk loops vectorise with plain SSE2.
#pragma once

#include "moco.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace moco::kernels {

inline uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof(u));
    return u;
}

inline float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
}

inline float bf16_to_f32(uint16_t h) {
    return bits_float(static_cast<uint32_t>(h) << 16);
}

// Round to nearest, ties to even; NaN stays a (quiet) NaN of the same sign.
inline uint16_t f32_to_bf16(float f) {
    const uint32_t u = float_bits(f);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
    return static_cast<uint16_t>(nan ? ((u >> 16) | 0x0040u) : rounded);
}

// IEEE binary16 -> binary32, exact: subnormals, infinities and NaN included. Rebiasing the
// exponent handles normals; a subnormal m * 2^-24 is built as (2^-14 + m * 2^-24) - 2^-14, which
// the FPU computes exactly (F. Giesen's half_to_float).
inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t shifted = static_cast<uint32_t>(h & 0x7FFFu) << 13;
    const uint32_t exponent = shifted & 0x0F800000u;
    const uint32_t normal = shifted + ((127u - 15u) << 23);
    const uint32_t inf_nan = shifted | 0x7F800000u;
    const uint32_t subnormal =
        float_bits(bits_float(shifted + (113u << 23)) - bits_float(113u << 23));
    const uint32_t body = exponent == 0x0F800000u ? inf_nan : (exponent == 0 ? subnormal : normal);
    return bits_float(sign | body);
}

// binary32 -> binary16, round to nearest even; overflow gives infinity, NaN a quiet NaN.
inline uint16_t f32_to_f16(float f) {
    const uint32_t u = float_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t a = u & 0x7FFFFFFFu;
    uint32_t out;
    if (a > 0x7F800000u) {
        out = 0x7E00u | ((a >> 13) & 0x3FFu);
    } else if (a >= 0x477FF000u) {  // >= 65520: rounds to infinity
        out = 0x7C00u;
    } else if (a >= 0x38800000u) {  // normal f16 (>= 2^-14)
        const uint32_t rebased = a - ((127u - 15u) << 23);
        out = (rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13;
    } else {
        // Subnormal f16 (or zero): adding 0.5 makes the FPU round the value to a multiple of
        // 2^-24 (RNE); the low mantissa bits are then the f16 subnormal.
        out = float_bits(bits_float(a) + 0.5f) - float_bits(0.5f);
    }
    return static_cast<uint16_t>(sign | out);
}

inline std::size_t dtype_bytes(int dtype) {
    return dtype == MOCO_DTYPE_F32 ? 4 : 2;
}

inline bool dtype_valid(int dtype) {
    return dtype == MOCO_DTYPE_F32 || dtype == MOCO_DTYPE_F16 || dtype == MOCO_DTYPE_BF16;
}

inline const char* dtype_name(int dtype) {
    switch (dtype) {
        case MOCO_DTYPE_F32: return "F32";
        case MOCO_DTYPE_F16: return "F16";
        case MOCO_DTYPE_BF16: return "BF16";
    }
    return "unknown";
}

// The smallest magnitude that no longer rounds to a finite value of `dtype`: a result must satisfy
// |x| < limit (which also rejects NaN) to be stored.
inline float dtype_finite_limit(int dtype) {
    if (dtype == MOCO_DTYPE_F16) return 65520.0f;                  // rounds to F16 infinity
    if (dtype == MOCO_DTYPE_BF16) return bits_float(0x7F7F8000u);  // rounds to BF16 infinity
    return bits_float(0x7F800000u);                                // F32: infinity itself
}

// n elements of `dtype` at `src` -> f32. One loop per dtype so each vectorises.
inline void load_f32(const void* src, int dtype, std::size_t n, float* dst) {
    if (dtype == MOCO_DTYPE_F32) {
        std::memcpy(dst, src, n * sizeof(float));
    } else if (dtype == MOCO_DTYPE_BF16) {
        const uint16_t* s = static_cast<const uint16_t*>(src);
        for (std::size_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
    } else {
        const uint16_t* s = static_cast<const uint16_t*>(src);
        for (std::size_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
    }
}

// n f32 values -> `dtype` at `dst`, one rounding each.
inline void store_f32(const float* src, std::size_t n, int dtype, void* dst) {
    if (dtype == MOCO_DTYPE_F32) {
        std::memcpy(dst, src, n * sizeof(float));
    } else if (dtype == MOCO_DTYPE_BF16) {
        uint16_t* d = static_cast<uint16_t*>(dst);
        for (std::size_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
    } else {
        uint16_t* d = static_cast<uint16_t*>(dst);
        for (std::size_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
    }
}

}  // namespace moco::kernels
