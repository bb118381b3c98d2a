// The kernels against independent PyTorch transcriptions of the spec's formulas
// (tools/kernels/make_fixtures.py -> fixtures/torch_reference.inc), with the tolerances of
// methods-logit-weight.md §1.0. The fixture script re-implements the Philox/FNV streams from
// moco.h's documentation, so matching DARE masks and draws also checks that documentation.
#include "kernel_test_util.h"
#include "merge_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <vector>

namespace fixture {
constexpr float kInf = std::numeric_limits<float>::infinity();
#include "fixtures/torch_reference.inc"
}  // namespace fixture

namespace {

using namespace kernel_test;

void expect_logits(const float* got, const float* ref, std::size_t n, const char* what) {
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isinf(ref[i])) {
            EXPECT_EQ(got[i], ref[i]) << what << " " << i;
        } else {
            EXPECT_NEAR(got[i], ref[i], 1e-5 * std::max(1.0f, std::fabs(ref[i])))
                << what << " " << i;
        }
    }
}

void expect_merge(const std::vector<float>& got, const float* ref, const char* what) {
    expect_merge_close(got, std::vector<double>(ref, ref + got.size()), MOCO_DTYPE_F32, what);
}

constexpr std::size_t kCells = static_cast<std::size_t>(fixture::kRows * fixture::kVocab);
constexpr std::size_t kMergeCells =
    static_cast<std::size_t>(fixture::kMergeRows * fixture::kMergeCols);

Stored f32(const float* values, std::size_t n) {
    return store(std::vector<float>(values, values + n), MOCO_DTYPE_F32);
}

}  // namespace

TEST(KernelsTorchFixtures, LogSoftmaxEntropyTop1) {
    using namespace fixture;
    std::vector<float> out(kCells), h(kRows), top1(kRows);
    ASSERT_EQ(moco_log_softmax(logits, kRows, kVocab, out.data()), MOCO_OK) << moco_last_error();
    expect_logits(out.data(), log_softmax_expected, kCells, "log_softmax");
    ASSERT_EQ(moco_logits_entropy(logits, kRows, kVocab, h.data()), MOCO_OK);
    expect_logits(h.data(), entropy_expected, kRows, "entropy");
    ASSERT_EQ(moco_logits_top1_prob(logits, kRows, kVocab, top1.data()), MOCO_OK);
    expect_logits(top1.data(), top1_expected, kRows, "top1");
}

TEST(KernelsTorchFixtures, FuseContrastPlausibility) {
    using namespace fixture;
    std::vector<float> out(kCells);
    const float* three[] = {model0, model1, model2};
    ASSERT_EQ(moco_logits_fuse(three, nullptr, nullptr, 3, kRows, kVocab, out.data()), MOCO_OK)
        << moco_last_error();
    expect_logits(out.data(), fuse_uniform_expected, kCells, "fuse uniform");
    ASSERT_EQ(moco_logits_fuse(three, nullptr, fuse_weights, 3, kRows, kVocab, out.data()),
              MOCO_OK);
    expect_logits(out.data(), fuse_weighted_expected, kCells, "fuse weighted");

    const float lambdas[] = {0.0f, 0.2f, 1.0f};
    const float* k1_expected[] = {contrast_k1_l0, contrast_k1_l02, contrast_k1_l1};
    const float* k2_expected[] = {contrast_k2_l0, contrast_k2_l02, contrast_k2_l1};
    for (int l = 0; l < 3; ++l) {
        const float* k1[] = {model0, model1};
        ASSERT_EQ(moco_logits_contrast(k1, nullptr, 1, lambdas[l], kRows, kVocab, out.data()),
                  MOCO_OK);
        expect_logits(out.data(), k1_expected[l], kCells, "contrast k=1");
        const float* k2[] = {model0, model2, model3, model1};
        ASSERT_EQ(moco_logits_contrast(k2, nullptr, 2, lambdas[l], kRows, kVocab, out.data()),
                  MOCO_OK);
        expect_logits(out.data(), k2_expected[l], kCells, "contrast k=2");
    }
    const float* k1[] = {model0, model1};
    ASSERT_EQ(moco_logits_contrast(k1, nullptr, 1, 0.2f, kRows, kVocab, out.data()), MOCO_OK);
    ASSERT_EQ(moco_logits_plausibility_cut(model0, kVocab, 0.1f, kRows, kVocab, out.data()),
              MOCO_OK);
    expect_logits(out.data(), plausibility_expected, kCells, "plausibility");
}

TEST(KernelsTorchFixtures, SeededDraws) {
    using namespace fixture;
    const moco_sampling_options opts = [] {
        moco_sampling_options o = moco_sampling_default_options();
        o.temperature = 0.7f;
        return o;
    }();
    int checked = 0;
    for (std::size_t step = 0; step < std::size(sample_tokens); ++step) {
        EXPECT_EQ(moco_sampling_uniform(kSampleSeed, step, 3), sample_uniforms[step]) << step;
        if (sample_tokens[step] < 0) continue;  // u within 1e-6 of a CDF step
        int32_t token = -1;
        ASSERT_EQ(moco_sample(sample_logits, kVocab, &opts, nullptr, 0, kSampleSeed, step, 3,
                              nullptr, &token),
                  MOCO_OK);
        EXPECT_EQ(token, sample_tokens[step]) << "step " << step;
        ++checked;
    }
    EXPECT_GT(checked, 30);
}

TEST(KernelsTorchFixtures, Merges) {
    using namespace fixture;
    const std::vector<int64_t> shape = {kMergeRows, kMergeCols};
    const Stored base = f32(merge_base, kMergeCells);
    const Stored thetas[] = {f32(merge_theta0, kMergeCells), f32(merge_theta1, kMergeCells),
                             f32(merge_theta2, kMergeCells)};

    Merge linear(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    for (const Stored& t : thetas) linear.add(t, shape, 1.0f / 3.0f);
    expect_merge(linear.run_values(), linear_expected, "linear");

    Merge linear_bf16(MOCO_MERGE_LINEAR, MOCO_DTYPE_BF16);
    const uint16_t* bf16[] = {merge_theta0_bf16, merge_theta1_bf16, merge_theta2_bf16};
    for (const uint16_t* t : bf16) {
        Stored s{MOCO_DTYPE_BF16,
                 std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(t),
                                      reinterpret_cast<const uint8_t*>(t + kMergeCells)),
                 {}};
        linear_bf16.add(s, shape, 1.0f / 3.0f);
    }
    const std::vector<uint8_t> out_bf16 = linear_bf16.run();
    const std::vector<float> got = decode(out_bf16.data(), MOCO_DTYPE_BF16, kMergeCells);
    for (std::size_t j = 0; j < kMergeCells; ++j) {
        const float ref = from_bf16(linear_bf16_expected[j]);
        EXPECT_LE(std::fabs(got[j] - ref), ulp(ref, MOCO_DTYPE_BF16)) << j;
    }

    const auto with_base = [&](int method, double density) {
        Merge m(method, MOCO_DTYPE_F32);
        m.name = kMergeName;
        m.spec.seed = kMergeSeed;
        m.set_base(base, shape);
        for (int i = 0; i < 3; ++i) m.add(thetas[i], shape, merge_weights[i], density);
        return m;
    };
    Merge ta = with_base(MOCO_MERGE_TASK_ARITHMETIC, 1.0);
    ta.spec.lambda = 0.8f;
    expect_merge(ta.run_values(), task_arithmetic_expected, "task arithmetic");
    Merge ties = with_base(MOCO_MERGE_TIES, 0.5);
    expect_merge(ties.run_values(), ties_expected, "ties");
    Merge dare_ties = with_base(MOCO_MERGE_DARE_TIES, 0.3);
    expect_merge(dare_ties.run_values(), dare_ties_expected, "dare_ties");
    const uint8_t* masks[] = {dare_mask0, dare_mask1, dare_mask2};
    for (int i = 0; i < 3; ++i) {
        std::vector<uint8_t> keep(kMergeCells);
        ASSERT_EQ(moco_dare_mask(kMergeSeed, i, kMergeName, 0, static_cast<int64_t>(kMergeCells),
                                 0.3, keep.data()),
                  MOCO_OK);
        EXPECT_EQ(keep, std::vector<uint8_t>(masks[i], masks[i] + kMergeCells))
            << "mask of model " << i;
    }

    Merge expo(MOCO_MERGE_EXTRAPOLATE, MOCO_DTYPE_F32);
    expo.set_base(base, shape);
    expo.add(thetas[0], shape, 1.0f);
    expo.spec.alpha = 0.3f;
    expect_merge(expo.run_values(), expo_expected, "expo");

    Merge slerp(MOCO_MERGE_SLERP, MOCO_DTYPE_F32);
    slerp.set_base(base, shape);
    slerp.add(thetas[1], shape, 1.0f);
    slerp.spec.t = 0.3f;
    expect_merge(slerp.run_values(), slerp_expected, "slerp");
}

TEST(KernelsTorchFixtures, LoraPsoSoftmax) {
    using namespace fixture;
    std::vector<float> out(8 * 12);
    ASSERT_EQ(moco_lora_apply(lora_w, MOCO_DTYPE_F32, 8, 12, lora_a, MOCO_DTYPE_F32, lora_b,
                              MOCO_DTYPE_F32, 4, 2.0f, 0, 0, 8, out.data(), MOCO_DTYPE_F32),
              MOCO_OK)
        << moco_last_error();
    expect_merge(out, lora_expected, "lora");

    std::vector<float> x(50), v(50);
    ASSERT_EQ(moco_pso_step(pso_x, pso_v, pso_p, pso_g, pso_w, MOCO_DTYPE_F32, 50, 0.2f, 0.3f, 0.4f,
                            0.05f, 0.5f, x.data(), v.data(), MOCO_DTYPE_F32),
              MOCO_OK);
    expect_merge(v, pso_v_expected, "pso v'");
    expect_merge(x, pso_x_expected, "pso x'");

    std::vector<float> w(5);
    ASSERT_EQ(moco_softmax_weights(softmax_in, 5, w.data()), MOCO_OK);
    expect_merge(w, softmax_expected, "softmax");
}
