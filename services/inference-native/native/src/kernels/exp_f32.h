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

#include <cstdint>
#include <cstring>

namespace moco::kernels {

inline float exp_f32(float x) {
    constexpr float kLog2e = 1.44269504088896341f;
    constexpr float kLn2Hi = 0.693359375f;  // 8 significant bits: n * kLn2Hi is exact
    constexpr float kLn2Lo = -2.12194440e-4f;
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer (RNE)
    constexpr float kMin = -87.3365479f;   // ln(2^-126)

    const float clamped = x < kMin ? kMin : (x > 0.0f ? 0.0f : x);
    const float n = (clamped * kLog2e + kRound) - kRound;
    const float r = (clamped - n * kLn2Hi) - n * kLn2Lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const uint32_t scale_bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &scale_bits, sizeof(scale));
    const float result = p * scale;
    return x < kMin ? 0.0f : result;
}

}  // namespace moco::kernels
