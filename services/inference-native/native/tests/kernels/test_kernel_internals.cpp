// White-box tests of the kernels' building blocks: the deterministic exp, the dtype conversions
// (exhaustive for F16, edge cases and random values for BF16) and the streaming magnitude select.
#include "kernels/dtype_convert.h"
#include "kernels/exp_f32.h"
#include "kernels/merge_select.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace {

using namespace moco::kernels;

int64_t ulp_distance(float a, float b) {
    const int64_t ia = static_cast<int32_t>(float_bits(a)),
                  ib = static_cast<int32_t>(float_bits(b));
    return ia > ib ? ia - ib : ib - ia;
}

}  // namespace

TEST(KernelsInternals, ExpIsWithinTwoUlpsOnTheSoftmaxDomain) {
    int64_t worst = 0;
    for (float x = -87.0f; x <= 0.0f; x += 0.00137f) {
        const float ref = static_cast<float>(std::exp(static_cast<double>(x)));
        worst = std::max(worst, ulp_distance(exp_f32(x), ref));
    }
    EXPECT_LE(worst, 2);
    EXPECT_EQ(exp_f32(0.0f), 1.0f);
    EXPECT_EQ(exp_f32(-INFINITY), 0.0f);
    EXPECT_EQ(exp_f32(-100.0f), 0.0f);  // below 2^-126: flushed
    EXPECT_GT(exp_f32(-87.0f), 0.0f);
}

TEST(KernelsInternals, F16ConversionsMatchTheCompiler) {
    for (uint32_t h = 0; h < 0x10000u; ++h) {
        _Float16 ref;
        const uint16_t bits = static_cast<uint16_t>(h);
        std::memcpy(&ref, &bits, 2);
        const float mine = f16_to_f32(bits);
        if (std::isnan(static_cast<float>(ref))) {
            EXPECT_TRUE(std::isnan(mine)) << h;
            continue;
        }
        ASSERT_EQ(float_bits(mine), float_bits(static_cast<float>(ref))) << std::hex << h;
        ASSERT_EQ(f32_to_f16(mine), bits) << std::hex << h;  // round trip
    }
    std::mt19937 rng(1);
    std::uniform_int_distribution<uint32_t> any;
    for (int i = 0; i < 2000000; ++i) {
        const float x = bits_float(any(rng));
        const _Float16 ref = static_cast<_Float16>(x);
        uint16_t ref_bits;
        std::memcpy(&ref_bits, &ref, 2);
        if (std::isnan(x)) {
            EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(x))));
            continue;
        }
        ASSERT_EQ(f32_to_f16(x), ref_bits) << x;
    }
    // Ties to even around the F16 subnormal / normal boundary and at the overflow threshold.
    const float edges[] = {65504.0f,
                           65519.99f,
                           65520.0f,
                           1e9f,
                           6.103515625e-05f,
                           6.0975552e-05f,
                           2.98023224e-08f,
                           2.98023259e-08f,
                           5.96046448e-08f,
                           8.94069672e-08f,
                           -0.0f};
    for (const float x : edges) {
        const _Float16 ref = static_cast<_Float16>(x);
        uint16_t ref_bits;
        std::memcpy(&ref_bits, &ref, 2);
        EXPECT_EQ(f32_to_f16(x), ref_bits) << x;
    }
}

TEST(KernelsInternals, Bf16RoundsToNearestEven) {
    const auto reference = [](float x) {  // round the f64 value to 8 significant bits, ties even
        if (std::isinf(x) || x == 0.0f) return static_cast<uint16_t>(float_bits(x) >> 16);
        int e;
        std::frexp(static_cast<double>(x), &e);
        const double scale = std::ldexp(1.0, std::max(e, -125) - 8);  // bf16 ulp at |x|
        const double rounded = std::nearbyint(static_cast<double>(x) / scale) * scale;
        return static_cast<uint16_t>(float_bits(static_cast<float>(rounded)) >> 16);
    };
    std::mt19937 rng(2);
    std::uniform_int_distribution<uint32_t> any;
    for (int i = 0; i < 2000000; ++i) {
        const float x = bits_float(any(rng));
        if (std::isnan(x)) {
            EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(x))));
            continue;
        }
        if (std::fabs(x) >= dtype_finite_limit(MOCO_DTYPE_BF16)) {
            EXPECT_EQ(f32_to_bf16(x) & 0x7FFFu, 0x7F80u) << x;  // overflows to infinity
            continue;
        }
        ASSERT_EQ(f32_to_bf16(x), reference(x)) << x;
    }
    EXPECT_EQ(f32_to_bf16(bits_float(0x3F808000u)), 0x3F80u);  // tie: down to even
    EXPECT_EQ(f32_to_bf16(bits_float(0x3F818000u)), 0x3F82u);  // tie: up to even
}

// The select keeps exactly the k largest magnitudes (lowest index first among equals), whatever
// the chunking of its passes.
TEST(KernelsInternals, MagnitudeSelectMatchesASort) {
    std::mt19937 rng(3);
    for (const int distinct : {1, 3, 50, 100000}) {
        const int64_t n = 20000;
        std::uniform_int_distribution<int> pick(0, distinct - 1);
        std::vector<uint32_t> bits(static_cast<std::size_t>(n));
        for (uint32_t& b : bits) b = float_bits(0.001f * static_cast<float>(pick(rng) + 1));
        for (const int64_t k : {int64_t{1}, int64_t{7}, n / 2, n - 1, n}) {
            MagnitudeSelect select(k);
            bool done = false;
            while (!done) {
                for (int64_t first = 0; first < n; first += 777) {
                    select.add(bits.data() + first, std::min<int64_t>(777, n - first), first);
                }
                done = select.end_pass();
            }
            std::vector<int64_t> order(static_cast<std::size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(),
                             [&](int64_t a, int64_t b) { return bits[a] > bits[b]; });
            std::vector<bool> expected(static_cast<std::size_t>(n), false);
            for (int64_t j = 0; j < k; ++j)
                expected[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])] = true;
            for (int64_t j = 0; j < n; ++j) {
                ASSERT_EQ(select.keep(bits[static_cast<std::size_t>(j)], j),
                          expected[static_cast<std::size_t>(j)])
                    << "distinct " << distinct << " k " << k << " element " << j;
            }
        }
    }
}
