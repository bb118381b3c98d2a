// Logit kernels L1-L4, entropy, top-1 probability, top-k: against straightforward f64 references
// written here, the spec's identities, and every argument error.
#include "kernel_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace {

using kernel_test::contains;
using kernel_test::random_values;

constexpr float kInf = std::numeric_limits<float>::infinity();

// The spec's logit tolerance: |Δ| <= 1e-5 max(1, |ref|).
void expect_logit_close(float got, double ref, const std::string& what) {
    if (std::isinf(ref)) {
        EXPECT_EQ(got, static_cast<float>(ref)) << what;
    } else {
        EXPECT_NEAR(got, ref, 1e-5 * std::max(1.0, std::fabs(ref))) << what;
    }
}

std::vector<double> reference_log_softmax(const float* z, int n) {
    double m = -INFINITY;
    for (int v = 0; v < n; ++v) m = std::max(m, static_cast<double>(z[v]));
    double s = 0.0;
    for (int v = 0; v < n; ++v) s += std::exp(z[v] - m);
    std::vector<double> out(static_cast<std::size_t>(n));
    for (int v = 0; v < n; ++v) out[static_cast<std::size_t>(v)] = z[v] - m - std::log(s);
    return out;
}

std::vector<float> softmax_of(const std::vector<float>& z) {
    const std::vector<double> lp = reference_log_softmax(z.data(), static_cast<int>(z.size()));
    std::vector<float> p(z.size());
    for (std::size_t v = 0; v < z.size(); ++v) p[v] = static_cast<float>(std::exp(lp[v]));
    return p;
}

}  // namespace

TEST(KernelsLogits, LogSoftmaxMatchesReference) {
    const int rows = 4, vocab = 1003;  // not a multiple of the 8 lanes
    std::vector<float> z = random_values(static_cast<std::size_t>(rows * vocab), 1, 4.0f);
    z[5] = -kInf;
    z[vocab + 17] = -kInf;
    std::vector<float> out(z.size());
    ASSERT_EQ(moco_log_softmax(z.data(), rows, vocab, out.data()), MOCO_OK) << moco_last_error();
    for (int r = 0; r < rows; ++r) {
        const std::vector<double> ref = reference_log_softmax(z.data() + r * vocab, vocab);
        for (int v = 0; v < vocab; ++v) {
            expect_logit_close(out[static_cast<std::size_t>(r * vocab + v)],
                               ref[static_cast<std::size_t>(v)],
                               "row " + std::to_string(r) + " col " + std::to_string(v));
        }
    }
    // In place gives the same bits.
    std::vector<float> in_place = z;
    ASSERT_EQ(moco_log_softmax(in_place.data(), rows, vocab, in_place.data()), MOCO_OK);
    EXPECT_EQ(in_place, out);
}

TEST(KernelsLogits, LogSoftmaxRejectsNaNInfAndEmptyRows) {
    std::vector<float> z(16, 0.0f), out(16);
    z[3] = std::nanf("");
    EXPECT_EQ(moco_log_softmax(z.data(), 1, 16, out.data()), MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "NaN")) << moco_last_error();
    z[3] = kInf;
    EXPECT_EQ(moco_log_softmax(z.data(), 1, 16, out.data()), MOCO_ERR_NUMERIC);
    std::fill(z.begin(), z.end(), -kInf);
    EXPECT_EQ(moco_log_softmax(z.data(), 1, 16, out.data()), MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "no finite entry")) << moco_last_error();
    EXPECT_EQ(moco_log_softmax(nullptr, 1, 16, out.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_log_softmax(z.data(), -1, 16, out.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_log_softmax(z.data(), 1, 0, out.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_log_softmax(nullptr, 0, 16, nullptr), MOCO_OK);  // zero rows: nothing to read
}

TEST(KernelsLogits, FuseUniformWeightedAndStrided) {
    const int rows = 2, vocab = 50, wide = 64;  // model 1 has a wider head (alignment padding)
    const std::vector<float> a = random_values(rows * vocab, 2, 3.0f);
    const std::vector<float> b = random_values(rows * wide, 3, 3.0f);
    const std::vector<float> c = random_values(rows * vocab, 4, 3.0f);
    const float* inputs[] = {a.data(), b.data(), c.data()};
    const int strides[] = {vocab, wide, vocab};
    std::vector<float> out(rows * vocab);

    ASSERT_EQ(moco_logits_fuse(inputs, strides, nullptr, 3, rows, vocab, out.data()), MOCO_OK)
        << moco_last_error();
    for (int r = 0; r < rows; ++r) {
        for (int v = 0; v < vocab; ++v) {
            const double ref =
                (static_cast<double>(a[r * vocab + v]) + b[r * wide + v] + c[r * vocab + v]) / 3.0;
            expect_logit_close(out[r * vocab + v], ref, "uniform");
        }
    }
    const float w[] = {0.5f, -0.25f, 2.0f};
    ASSERT_EQ(moco_logits_fuse(inputs, strides, w, 3, rows, vocab, out.data()), MOCO_OK);
    for (int r = 0; r < rows; ++r) {
        for (int v = 0; v < vocab; ++v) {
            const double ref =
                0.5 * a[r * vocab + v] - 0.25 * b[r * wide + v] + 2.0 * c[r * vocab + v];
            expect_logit_close(out[r * vocab + v], ref, "weighted");
        }
    }
}

// Weights (1, 0) reproduce the first model bit for bit, -inf and -0 included, even when the
// skipped model holds -inf (0 * -inf would be NaN).
TEST(KernelsLogits, FuseWithWeightsOneZeroIsTheFirstModel) {
    std::vector<float> a = random_values(100, 5), b = random_values(100, 6);
    a[7] = -kInf;
    a[8] = -0.0f;
    b[9] = -kInf;
    const float* inputs[] = {a.data(), b.data()};
    const float w10[] = {1.0f, 0.0f};
    std::vector<float> out(100);
    ASSERT_EQ(moco_logits_fuse(inputs, nullptr, w10, 2, 1, 100, out.data()), MOCO_OK)
        << moco_last_error();
    EXPECT_EQ(0, std::memcmp(out.data(), a.data(), sizeof(float) * 100));
    const float w01[] = {0.0f, 1.0f};
    ASSERT_EQ(moco_logits_fuse(inputs, nullptr, w01, 2, 1, 100, out.data()), MOCO_OK);
    EXPECT_EQ(0, std::memcmp(out.data(), b.data(), sizeof(float) * 100));
}

// Acceptance test (d) of logit fusion: a per-row constant added to one model's logits (raw
// logits vs log-probs) leaves softmax of the fusion unchanged.
TEST(KernelsLogits, FuseIsShiftInvariantUnderSoftmax) {
    const int vocab = 300;
    const std::vector<float> a = random_values(vocab, 7, 2.0f), b = random_values(vocab, 8, 2.0f);
    std::vector<float> shifted = a;
    for (float& x : shifted) x += 13.5f;
    std::vector<float> f1(vocab), f2(vocab);
    const float* in1[] = {a.data(), b.data()};
    const float* in2[] = {shifted.data(), b.data()};
    ASSERT_EQ(moco_logits_fuse(in1, nullptr, nullptr, 2, 1, vocab, f1.data()), MOCO_OK);
    ASSERT_EQ(moco_logits_fuse(in2, nullptr, nullptr, 2, 1, vocab, f2.data()), MOCO_OK);
    const std::vector<float> p1 = softmax_of(f1), p2 = softmax_of(f2);
    for (int v = 0; v < vocab; ++v) EXPECT_NEAR(p1[v], p2[v], 1e-6);
}

TEST(KernelsLogits, FuseErrors) {
    std::vector<float> a(8, 0.0f), b(8, 0.0f), out(8);
    const float* inputs[] = {a.data(), b.data()};
    const float nan_w[] = {1.0f, std::nanf("")};
    EXPECT_EQ(moco_logits_fuse(inputs, nullptr, nan_w, 2, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "weights[1]")) << moco_last_error();
    const float zero_w[] = {0.0f, 0.0f};
    EXPECT_EQ(moco_logits_fuse(inputs, nullptr, zero_w, 2, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    const int bad_strides[] = {8, 4};
    EXPECT_EQ(moco_logits_fuse(inputs, bad_strides, nullptr, 2, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "strides[1]")) << moco_last_error();
    EXPECT_EQ(moco_logits_fuse(inputs, nullptr, nullptr, 0, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    const float* with_null[] = {a.data(), nullptr};
    EXPECT_EQ(moco_logits_fuse(with_null, nullptr, nullptr, 2, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    b[2] = std::nanf("");
    EXPECT_EQ(moco_logits_fuse(inputs, nullptr, nullptr, 2, 1, 8, out.data()), MOCO_ERR_NUMERIC);
    // A negative weight on a -inf logit gives +inf: refused rather than passed on.
    b[2] = -kInf;
    const float negative[] = {1.0f, -1.0f};
    EXPECT_EQ(moco_logits_fuse(inputs, nullptr, negative, 2, 1, 8, out.data()), MOCO_ERR_NUMERIC);
}

TEST(KernelsLogits, ContrastMatchesTheReferenceOrder) {
    const int vocab = 77;
    std::vector<std::vector<float>> m;
    for (uint32_t i = 0; i < 4; ++i) m.push_back(random_values(vocab, 10 + i, 2.0f));
    std::vector<float> out(vocab);
    for (const float lambda : {0.0f, 0.2f, 1.0f}) {
        const float* k1[] = {m[0].data(), m[1].data()};
        ASSERT_EQ(moco_logits_contrast(k1, nullptr, 1, lambda, 1, vocab, out.data()), MOCO_OK)
            << moco_last_error();
        for (int v = 0; v < vocab; ++v) {
            expect_logit_close(
                out[v], (1.0 + lambda) * m[0][v] - static_cast<double>(lambda) * m[1][v], "k=1");
        }
        const float* k2[] = {m[0].data(), m[2].data(), m[3].data(), m[1].data()};
        ASSERT_EQ(moco_logits_contrast(k2, nullptr, 2, lambda, 1, vocab, out.data()), MOCO_OK);
        for (int v = 0; v < vocab; ++v) {
            const double acc = static_cast<double>(m[0][v]) + m[2][v] - m[3][v] - m[1][v];
            expect_logit_close(out[v], lambda * acc + m[0][v], "k=2");
        }
    }
    // lambda 0 is top_1 exactly, and with n = 2, k = 2 the shared models cancel exactly.
    const float* k1[] = {m[0].data(), m[1].data()};
    ASSERT_EQ(moco_logits_contrast(k1, nullptr, 1, 0.0f, 1, vocab, out.data()), MOCO_OK);
    EXPECT_EQ(out, m[0]);
    const float* overlap[] = {m[0].data(), m[1].data(), m[0].data(), m[1].data()};
    ASSERT_EQ(moco_logits_contrast(overlap, nullptr, 2, 0.2f, 1, vocab, out.data()), MOCO_OK);
    EXPECT_EQ(out, m[0]);
}

TEST(KernelsLogits, ContrastRejectsNonFiniteInputs) {
    std::vector<float> a(8, 1.0f), b(8, 1.0f), out(8);
    b[4] = -kInf;
    const float* inputs[] = {a.data(), b.data()};
    EXPECT_EQ(moco_logits_contrast(inputs, nullptr, 1, 0.2f, 1, 8, out.data()), MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "bottom_1")) << moco_last_error();
    EXPECT_EQ(moco_logits_contrast(inputs, nullptr, 0, 0.2f, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_logits_contrast(inputs, nullptr, 1, kInf, 1, 8, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
}

TEST(KernelsLogits, PlausibilityCut) {
    const int vocab = 200;
    const std::vector<float> anchor = random_values(vocab, 20, 3.0f);
    const std::vector<float> z = random_values(vocab, 21, 3.0f);
    const double m = *std::max_element(anchor.begin(), anchor.end());
    for (const float alpha : {0.0f, 0.05f, 0.5f, 1.0f}) {
        std::vector<float> out = z;
        ASSERT_EQ(moco_logits_plausibility_cut(anchor.data(), vocab, alpha, 1, vocab, out.data()),
                  MOCO_OK)
            << moco_last_error();
        for (int v = 0; v < vocab; ++v) {
            // p_a[v] >= alpha max p_a, evaluated on probabilities in f64.
            const bool keep = alpha == 0.0f || std::exp(anchor[v] - m) >= alpha;
            EXPECT_EQ(out[v], keep ? z[v] : -kInf) << "alpha " << alpha << " v " << v;
        }
    }
    // alpha 1 keeps only the anchor's maximal entries (here two tied maxima).
    std::vector<float> tied = anchor;
    const int top = static_cast<int>(std::max_element(tied.begin(), tied.end()) - tied.begin());
    tied[(top + 1) % vocab] = tied[top];
    std::vector<float> out = z;
    ASSERT_EQ(moco_logits_plausibility_cut(tied.data(), vocab, 1.0f, 1, vocab, out.data()),
              MOCO_OK);
    int kept = 0;
    for (int v = 0; v < vocab; ++v) kept += out[v] > -kInf;
    EXPECT_EQ(kept, 2);
    EXPECT_EQ(out[top], z[top]);
    EXPECT_EQ(moco_logits_plausibility_cut(anchor.data(), vocab, 1.5f, 1, vocab, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_logits_plausibility_cut(anchor.data(), vocab - 1, 0.5f, 1, vocab, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
}

TEST(KernelsLogits, EntropyAndTop1Probability) {
    const int rows = 3, vocab = 517;
    std::vector<float> z = random_values(rows * vocab, 30, 2.5f);
    z[11] = -kInf;
    std::vector<float> h(rows), top1(rows);
    ASSERT_EQ(moco_logits_entropy(z.data(), rows, vocab, h.data()), MOCO_OK) << moco_last_error();
    ASSERT_EQ(moco_logits_top1_prob(z.data(), rows, vocab, top1.data()), MOCO_OK)
        << moco_last_error();
    for (int r = 0; r < rows; ++r) {
        const std::vector<double> lp = reference_log_softmax(z.data() + r * vocab, vocab);
        double entropy = 0.0, best = 0.0;
        for (const double l : lp) {
            if (std::isinf(l)) continue;
            entropy -= std::exp(l) * l;
            best = std::max(best, std::exp(l));
        }
        expect_logit_close(h[r], entropy, "entropy");
        expect_logit_close(top1[r], best, "top1");
    }
    // Uniform rows: ln V and 1/V; one finite entry: 0 and 1.
    std::vector<float> flat(vocab, 0.25f);
    ASSERT_EQ(moco_logits_entropy(flat.data(), 1, vocab, h.data()), MOCO_OK);
    EXPECT_NEAR(h[0], std::log(static_cast<double>(vocab)), 1e-5);
    ASSERT_EQ(moco_logits_top1_prob(flat.data(), 1, vocab, top1.data()), MOCO_OK);
    EXPECT_NEAR(top1[0], 1.0 / vocab, 1e-8);
    std::vector<float> one_hot(vocab, -kInf);
    one_hot[42] = 3.0f;
    ASSERT_EQ(moco_logits_entropy(one_hot.data(), 1, vocab, h.data()), MOCO_OK);
    EXPECT_EQ(h[0], 0.0f);
    ASSERT_EQ(moco_logits_top1_prob(one_hot.data(), 1, vocab, top1.data()), MOCO_OK);
    EXPECT_EQ(top1[0], 1.0f);
}

TEST(KernelsLogits, TopKOrdersByValueThenIndex) {
    const std::vector<float> values = {0.5f, 2.0f, -kInf, 2.0f, 1.0f, 2.0f, -1.0f};
    std::vector<int32_t> ids(4);
    std::vector<float> top(4);
    ASSERT_EQ(moco_logits_top_k(values.data(), 1, 7, 4, ids.data(), top.data()), MOCO_OK)
        << moco_last_error();
    EXPECT_EQ(ids, (std::vector<int32_t>{1, 3, 5, 4}));
    EXPECT_EQ(top, (std::vector<float>{2.0f, 2.0f, 2.0f, 1.0f}));

    const int rows = 2, vocab = 1000, k = 10;
    const std::vector<float> z = random_values(rows * vocab, 40);
    std::vector<int32_t> got(rows * k);
    ASSERT_EQ(moco_logits_top_k(z.data(), rows, vocab, k, got.data(), nullptr), MOCO_OK);
    for (int r = 0; r < rows; ++r) {
        std::vector<int32_t> order(vocab);
        std::iota(order.begin(), order.end(), 0);
        const float* row = z.data() + r * vocab;
        std::stable_sort(order.begin(), order.end(),
                         [row](int32_t a, int32_t b) { return row[a] > row[b]; });
        for (int j = 0; j < k; ++j) EXPECT_EQ(got[r * k + j], order[j]);
    }
    EXPECT_EQ(moco_logits_top_k(values.data(), 1, 7, 8, ids.data(), nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_logits_top_k(values.data(), 1, 7, 0, ids.data(), nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
}
