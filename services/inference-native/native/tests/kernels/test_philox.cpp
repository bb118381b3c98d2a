// Philox4x32-10 known-answer tests (Random123's kat_vectors) and the L5 / M5 stream layouts.
#include "moco.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

TEST(KernelsPhilox, Random123KnownAnswers) {
    struct Kat {
        uint32_t counter[4];
        uint32_t key[2];
        uint32_t expected[4];
    };
    const Kat kats[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
        {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
         {0xffffffffu, 0xffffffffu},
         {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
        {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
         {0xa4093822u, 0x299f31d0u},
         {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
    };
    for (const Kat& kat : kats) {
        uint32_t out[4];
        moco_philox4x32_10(kat.counter, kat.key, out);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], kat.expected[i]) << "word " << i;
    }
}

namespace {

uint64_t fnv1a64(const char* s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s != 0; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 0x100000001b3ull;
    return h;
}

}  // namespace

// The documented L5 layout: key = seed, counter = (tokens lo, tokens hi, sample lo, sample hi),
// u = (out[0] >> 8) * 2^-24.
TEST(KernelsPhilox, SamplingUniformFollowsTheDocumentedLayout) {
    const uint64_t seeds[] = {0, 1, 0x0123456789abcdefull, ~0ull};
    const uint64_t steps[] = {0, 1, 77, 0x100000000ull + 5};
    const uint64_t samples[] = {0, 3, 0xffffffffull + 2};
    for (const uint64_t seed : seeds) {
        for (const uint64_t step : steps) {
            for (const uint64_t sample : samples) {
                const uint32_t counter[4] = {
                    static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32),
                    static_cast<uint32_t>(sample), static_cast<uint32_t>(sample >> 32)};
                const uint32_t key[2] = {static_cast<uint32_t>(seed),
                                         static_cast<uint32_t>(seed >> 32)};
                uint32_t out[4];
                moco_philox4x32_10(counter, key, out);
                const float expected = static_cast<float>(out[0] >> 8) / 16777216.0f;
                const float u = moco_sampling_uniform(seed, step, sample);
                EXPECT_EQ(u, expected);
                EXPECT_GE(u, 0.0f);
                EXPECT_LT(u, 1.0f);
            }
        }
    }
}

TEST(KernelsPhilox, UniformsLookUniform) {
    double sum = 0.0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) sum += moco_sampling_uniform(42, static_cast<uint64_t>(i), 0);
    EXPECT_NEAR(sum / n, 0.5, 0.005);
}

// The documented M5 layout: key = seed ^ fnv1a64(name), counter = (j lo, j hi, model, 0).
TEST(KernelsPhilox, DareMaskFollowsTheDocumentedLayout) {
    const char* name = "model.layers.0.self_attn.q_proj.weight";
    const uint64_t seed = 0xfeedfacecafebeefull;
    const double density = 0.3;
    std::vector<uint8_t> keep(1000);
    ASSERT_EQ(moco_dare_mask(seed, 2, name, 5000, 1000, density, keep.data()), MOCO_OK)
        << moco_last_error();
    const uint64_t key = seed ^ fnv1a64(name);
    for (int64_t j = 5000; j < 6000; ++j) {
        const uint32_t counter[4] = {static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32), 2u,
                                     0u};
        const uint32_t k[2] = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32)};
        uint32_t out[4];
        moco_philox4x32_10(counter, k, out);
        const double u = static_cast<double>(out[0] >> 8) / 16777216.0;
        ASSERT_EQ(keep[static_cast<std::size_t>(j - 5000)], u < density ? 1 : 0) << "element " << j;
    }
}

TEST(KernelsPhilox, DareMaskIsChunkInvariantAndKeepsTheDensity) {
    const int64_t n = 200000;
    std::vector<uint8_t> whole(static_cast<std::size_t>(n)), pieces(static_cast<std::size_t>(n));
    ASSERT_EQ(moco_dare_mask(7, 1, "w", 0, n, 0.3, whole.data()), MOCO_OK);
    const int64_t cuts[] = {0, 1, 999, 65536, 65537, 150000, n};
    for (std::size_t c = 0; c + 1 < std::size(cuts); ++c) {
        ASSERT_EQ(
            moco_dare_mask(7, 1, "w", cuts[c], cuts[c + 1] - cuts[c], 0.3, pieces.data() + cuts[c]),
            MOCO_OK);
    }
    EXPECT_EQ(whole, pieces);
    int64_t kept = 0;
    for (const uint8_t k : whole) kept += k;
    EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(n), 0.3, 0.01);

    // Another model index or tensor name gives another mask.
    std::vector<uint8_t> other(static_cast<std::size_t>(n));
    ASSERT_EQ(moco_dare_mask(7, 2, "w", 0, n, 0.3, other.data()), MOCO_OK);
    EXPECT_NE(whole, other);
    ASSERT_EQ(moco_dare_mask(7, 1, "w2", 0, n, 0.3, other.data()), MOCO_OK);
    EXPECT_NE(whole, other);
}

TEST(KernelsPhilox, DareMaskEdgesAndErrors) {
    std::vector<uint8_t> keep(64, 7);
    ASSERT_EQ(moco_dare_mask(1, 0, "t", 0, 64, 1.0, keep.data()), MOCO_OK);
    for (const uint8_t k : keep) EXPECT_EQ(k, 1);
    ASSERT_EQ(moco_dare_mask(1, 0, "t", 0, 64, 0.0, keep.data()), MOCO_OK);
    for (const uint8_t k : keep) EXPECT_EQ(k, 0);
    EXPECT_EQ(moco_dare_mask(1, 0, nullptr, 0, 64, 0.5, keep.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_dare_mask(1, 0, "t", 0, 64, 0.5, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_dare_mask(1, -1, "t", 0, 64, 0.5, keep.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_dare_mask(1, 0, "t", -1, 64, 0.5, keep.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_dare_mask(1, 0, "t", 0, 64, std::nan(""), keep.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("moco_dare_mask"), std::string::npos);
}
