// The emulator's __nv_bfloat16: the 16-bit storage type with CUDA's conversions (round to nearest
// even; NaN stays NaN).
#pragma once

#include <cstdint>
#include <cstring>

namespace cudaemu::detail {

inline uint16_t f32_to_bf16_bits(float v) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN, sign kept
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

inline float bf16_bits_to_f32(uint16_t b) {
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    float v;
    std::memcpy(&v, &u, 4);
    return v;
}

}  // namespace cudaemu::detail

struct __nv_bfloat16 {
    uint16_t x;
    __nv_bfloat16() = default;
    __nv_bfloat16(float v) : x(cudaemu::detail::f32_to_bf16_bits(v)) {}
    operator float() const { return cudaemu::detail::bf16_bits_to_f32(x); }
};

inline __nv_bfloat16 __float2bfloat16(float v) { return __nv_bfloat16(v); }
inline __nv_bfloat16 __float2bfloat16_rn(float v) { return __nv_bfloat16(v); }
inline float __bfloat162float(__nv_bfloat16 v) { return static_cast<float>(v); }
