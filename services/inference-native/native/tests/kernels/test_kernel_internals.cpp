// White-box tests of the kernels' building blocks: the deterministic exp, the dtype conversions
// (exhaustive for F16, edge cases and random values for BF16), the streaming magnitude select and
// the merge plan's hooks for scan statistics computed elsewhere (the CUDA backend's).
#include "kernels/dtype_convert.h"
#include "kernels/exp_f32.h"
#include "kernels/merge_plan.h"
#include "kernels/merge_select.h"
#include "kernels/philox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <random>
#include <string>
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

// What src/cuda/merge.cu does on the host, with the statistics computed here in plain loops: fed
// histograms, tie cuts and sums, the plan's end_pass reaches the selection and coefficients of its
// own scan, so apply gives the same bytes (DARE's L1 and SLERP's sums add in another order here,
// which for these tensors leaves their f32 factor and coefficients unchanged).
TEST(KernelsInternals, MergePlanTakesScanStatisticsComputedElsewhere) {
    const int64_t n = 9000;
    const std::size_t count = static_cast<std::size_t>(n);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> base(count), x0(count), x1(count);
    for (std::size_t e = 0; e < count; ++e) {
        base[e] = std::round(dist(rng) * 1024.0f) / 1024.0f;  // so that base + 2^-4 is exact
        // Every third delta of x0 is one of two magnitudes: ties around the TIES threshold.
        x0[e] = e % 3 == 0 ? base[e] + (e % 2 == 0 ? 0.03125f : -0.0625f) : base[e] + 0.1f * dist(rng);
        x1[e] = base[e] + 0.1f * dist(rng);
    }
    const std::vector<const float*> tensors = {x0.data(), x1.data()};
    const std::string name = "model.layers.1.self_attn.o_proj.weight";
    for (const int method : {MOCO_MERGE_TIES, MOCO_MERGE_DARE_TIES, MOCO_MERGE_SLERP}) {
        moco_merge_input inputs[2] = {};
        const int n_inputs = method == MOCO_MERGE_SLERP ? 1 : 2;
        for (int i = 0; i < n_inputs; ++i) {
            inputs[i].tensor.dtype = MOCO_DTYPE_F32;
            inputs[i].tensor.ndim = 1;
            inputs[i].tensor.shape[0] = n;
            inputs[i].weight = i == 0 ? 0.6f : 0.4f;
            inputs[i].density = method == MOCO_MERGE_TIES ? 0.3 : (method == MOCO_MERGE_SLERP ? 1.0 : 0.5);
            inputs[i].model_index = i + 2;
        }
        moco_tensor_desc base_desc = inputs[0].tensor;
        moco_merge_spec spec = moco_merge_default_spec();
        spec.method = method;
        spec.tensor_name = name.c_str();
        spec.n_inputs = n_inputs;
        spec.inputs = inputs;
        spec.base = &base_desc;
        spec.t = method == MOCO_MERGE_SLERP ? 0.3f : 0.0f;
        spec.seed = 99;
        const void* in[2] = {x0.data(), x1.data()};

        moco_merge_plan* own = nullptr;
        ASSERT_EQ(moco_merge_plan_create(&spec, &own), MOCO_OK) << moco_last_error();
        std::unique_ptr<moco_merge_plan, decltype(&moco_merge_plan_destroy)> own_plan(own, moco_merge_plan_destroy);
        int more = 1;
        while (more) {
            ASSERT_EQ(moco_merge_plan_scan(own, in, base.data(), 0, n), MOCO_OK);
            ASSERT_EQ(moco_merge_plan_end_pass(own, &more), MOCO_OK);
        }
        std::vector<float> want(count), got(count);
        ASSERT_EQ(moco_merge_plan_apply(own, in, base.data(), 0, n, want.data()), MOCO_OK);

        moco_merge_plan* fed = nullptr;
        ASSERT_EQ(moco_merge_plan_create(&spec, &fed), MOCO_OK);
        std::unique_ptr<moco_merge_plan, decltype(&moco_merge_plan_destroy)> fed_plan(fed, moco_merge_plan_destroy);
        MergePlan& plan = fed->plan;
        int passes = 0;
        while (plan.needs_scan()) {
            for (std::size_t i = 0; i < static_cast<std::size_t>(n_inputs); ++i) {
                const float* x = tensors[i];
                if (MagnitudeSelect* select = plan.pending_select(i)) {
                    if (select->pass() < 2) {
                        std::vector<uint64_t> histogram(select->bins(), 0);
                        for (std::size_t e = 0; e < count; ++e) {
                            const uint32_t bits = float_bits(x[e] - base[e]) & 0x7FFFFFFFu;
                            if (select->pass() == 0) {
                                ++histogram[bits >> MagnitudeSelect::kLowBits];
                            } else if ((bits >> MagnitudeSelect::kLowBits) == select->high()) {
                                ++histogram[bits & MagnitudeSelect::kLowMask];
                            }
                        }
                        select->add_histogram(histogram.data());
                    } else {
                        int64_t seen = 0;
                        for (std::size_t e = 0; e < count; ++e) {
                            const uint32_t bits = float_bits(x[e] - base[e]) & 0x7FFFFFFFu;
                            if (bits == select->threshold() && ++seen == select->ties_needed()) {
                                select->set_tie_cut(static_cast<int64_t>(e));
                                break;
                            }
                        }
                    }
                }
                if (plan.pending_dare_l1(i)) {
                    std::vector<uint8_t> keep(count);
                    DareStream(spec.seed, fnv1a64(name.c_str()), inputs[i].model_index)
                        .keep_mask(0, n, inputs[i].density, keep.data());
                    double before = 0.0, after = 0.0;
                    for (std::size_t e = 0; e < count; ++e) {
                        const double magnitude = std::fabs(static_cast<double>(x[e] - base[e]));
                        before += magnitude;
                        after += keep[e] ? magnitude : 0.0;
                    }
                    plan.set_dare_l1(i, before, after);
                }
            }
            if (method == MOCO_MERGE_SLERP) {
                double dot = 0.0, norm0 = 0.0, norm1 = 0.0;
                for (std::size_t e = 0; e < count; ++e) {
                    dot += static_cast<double>(base[e]) * x0[e];
                    norm0 += static_cast<double>(base[e]) * base[e];
                    norm1 += static_cast<double>(x0[e]) * x0[e];
                }
                plan.set_slerp_sums(dot, norm0, norm1);
            }
            plan.mark_scanned();
            bool again = false;
            ASSERT_EQ(plan.end_pass("test", &again), MOCO_OK) << moco_last_error();
            ASSERT_EQ(again, plan.needs_scan());
            ++passes;
        }
        EXPECT_EQ(passes, method == MOCO_MERGE_TIES ? 3 : 1) << "the ties make TIES take its third pass";
        ASSERT_EQ(moco_merge_plan_apply(fed, in, base.data(), 0, n, got.data()), MOCO_OK);
        EXPECT_EQ(std::memcmp(got.data(), want.data(), count * sizeof(float)), 0) << "method " << method;
    }
}
