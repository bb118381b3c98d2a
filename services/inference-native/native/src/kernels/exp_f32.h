// exp for the softmax family (log-softmax, entropy, sampling). Written out instead of calling expf
// for two reasons: the libm call blocks vectorisation of the V-wide loops, and a fixed sequence of
// IEEE float operations gives the same bits on every platform and in any language that ports it
// (C#'s float arithmetic included), where libm implementations differ in the last bit.
//
// Domain: softmax only ever needs exp(x) for x <= 0 (x = z - max). Cephes' expf: x = n ln2 + r
// with |r| <= ln2 / 2 (ln2 split in two so n*ln2 is exact), a degree-7 polynomial for e^r, then
// scale by 2^n through the exponent bits. Max error about 1 ulp. Results below 2^-126 (x < -87.3,
// probabilities under 1e-38 relative to the top entry) are returned as 0, as is exp(-inf).
#pragma once

#include "kernels/host_device.h"

#include <cstdint>
#include <cstring>

namespace moco::kernels {

// exp_f32's constants, shared with the CPU attention's eight-lane copy of it (cpu/vec_avx2.cpp).
namespace exp_f32_constants {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;  // 8 significant bits: n * kLn2Hi is exact
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer (RNE)
constexpr float kMin = -87.3365479f;   // ln(2^-126)
// The polynomial's coefficients, highest degree first.
constexpr float kP0 = 1.9875691500e-4f;
constexpr float kP1 = 1.3981999507e-3f;
constexpr float kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f;
constexpr float kP4 = 1.6666665459e-1f;
constexpr float kP5 = 5.0000001201e-1f;
}  // namespace exp_f32_constants

// The float whose bits are `bits` (the 2^n scale below).
MOCO_HOST_DEVICE inline float exp_scale_from_bits(uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
#endif
}

// Shared with the CUDA backend's device sampler (cuda/sampling.cu), so min-p and the draw's weights
// are the same bits on both sides: every operation is rounded on its own (host_device.h).
MOCO_HOST_DEVICE inline float exp_f32(float x) {
    using namespace exp_f32_constants;
    const float clamped = x < kMin ? kMin : (x > 0.0f ? 0.0f : x);
    const float n = sub_rn(add_rn(mul_rn(clamped, kLog2e), kRound), kRound);
    const float r = sub_rn(sub_rn(clamped, mul_rn(n, kLn2Hi)), mul_rn(n, kLn2Lo));
    float p = kP0;
    p = add_rn(mul_rn(p, r), kP1);
    p = add_rn(mul_rn(p, r), kP2);
    p = add_rn(mul_rn(p, r), kP3);
    p = add_rn(mul_rn(p, r), kP4);
    p = add_rn(mul_rn(p, r), kP5);
    p = add_rn(add_rn(mul_rn(p, mul_rn(r, r)), r), 1.0f);
    const uint32_t scale_bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
    const float result = mul_rn(p, exp_scale_from_bits(scale_bits));
    return x < kMin ? 0.0f : result;
}

}  // namespace moco::kernels
