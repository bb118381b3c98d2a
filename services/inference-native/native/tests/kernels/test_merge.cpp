// Merge methods M1, M3-M8 and SLERP against straightforward f64 references written here, and the
// identities of the issue: identical models, DARE with drop 0 = task arithmetic, single-model TIES
// with density 1, ExPO alpha 0.
#include "kernel_test_util.h"
#include "merge_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

namespace {

using namespace kernel_test;

const int kDtypes[] = {MOCO_DTYPE_F32, MOCO_DTYPE_F16, MOCO_DTYPE_BF16};

// Task vector δ = θ - θ_b in f32, as the contract computes it (selection compares these values).
std::vector<float> delta_f32(const Stored& theta, const Stored& base) {
    std::vector<float> d(theta.values.size());
    for (std::size_t j = 0; j < d.size(); ++j) d[j] = theta.values[j] - base.values[j];
    return d;
}

// M4: the k = floor(density n) largest |δ|, equal magnitudes lowest index first.
std::vector<double> trim(const std::vector<float>& delta, double density) {
    std::vector<double> out(delta.begin(), delta.end());
    if (density >= 1.0) return out;
    const std::size_t k =
        static_cast<std::size_t>(std::floor(density * static_cast<double>(delta.size())));
    std::vector<std::size_t> order(delta.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::fabs(delta[a]) > std::fabs(delta[b]);
    });
    for (std::size_t j = k; j < order.size(); ++j) out[order[j]] = 0.0;
    return out;
}

// M5 with the mask libmoco documents (moco_dare_mask) and the chosen rescale.
std::vector<double> dare(const std::vector<float>& delta, double density, int rescale,
                         uint64_t seed, int model, const char* name) {
    std::vector<uint8_t> keep(delta.size());
    EXPECT_EQ(moco_dare_mask(seed, model, name, 0, static_cast<int64_t>(delta.size()), density,
                             keep.data()),
              MOCO_OK);
    std::vector<double> out(delta.size());
    double before = 0.0, after = 0.0;
    for (std::size_t j = 0; j < delta.size(); ++j) {
        out[j] = keep[j] ? delta[j] : 0.0;
        before += std::fabs(delta[j]);
        after += std::fabs(out[j]);
    }
    for (double& x : out) {
        if (rescale == MOCO_RESCALE_L1 && before >= 1e-7 && after >= 1e-7) x *= before / after;
        if (rescale == MOCO_RESCALE_INVERSE_DENSITY) x /= density;
    }
    return out;
}

int sign(double x) {
    return (x > 0) - (x < 0);
}

// M6 in f64.
std::vector<double> m6(const Stored& base, const std::vector<std::vector<double>>& sparse,
                       const std::vector<float>& w, bool consensus, int rule, bool normalize,
                       double lambda) {
    std::vector<double> out(base.values.size());
    for (std::size_t j = 0; j < out.size(); ++j) {
        double sum = 0.0, wsum = 0.0;
        int votes = 0;
        for (std::size_t i = 0; i < sparse.size(); ++i) {
            sum += w[i] * sparse[i][j];
            votes += sign(w[i] * sparse[i][j]);
            wsum += w[i];
        }
        double mixed = sum, divisor = std::fabs(wsum) < 1e-8 ? 1.0 : wsum;
        if (consensus) {
            const int sigma = (rule == MOCO_CONSENSUS_SUM ? sum >= 0 : votes >= 0) ? 1 : -1;
            mixed = divisor = 0.0;
            for (std::size_t i = 0; i < sparse.size(); ++i) {
                if (sign(w[i] * sparse[i][j]) == sigma) {
                    mixed += w[i] * sparse[i][j];
                    divisor += w[i];
                }
            }
            if (divisor == 0.0) divisor = 1.0;
        }
        if (normalize) mixed /= divisor;
        out[j] = base.values[j] + lambda * mixed;
    }
    return out;
}

// A base and three fine-tunes around it, stored in `dtype`; -0 entries included.
struct Family {
    Stored base;
    std::vector<Stored> thetas;
};

Family family(int dtype, std::size_t n, uint32_t seed) {
    std::vector<float> b = random_values(n, seed, 0.05f);
    b[3] = -0.0f;
    Family f{store(b, dtype), {}};
    for (uint32_t i = 0; i < 3; ++i) {
        std::vector<float> t = random_values(n, seed + 1 + i, 0.01f);
        for (std::size_t j = 0; j < n; ++j) t[j] += b[j];
        f.thetas.push_back(store(t, dtype));
    }
    return f;
}

}  // namespace

TEST(KernelsMerge, LinearMatchesReference) {
    for (const int dtype : kDtypes) {
        for (const int normalize : {0, 1}) {
            const Family f = family(dtype, 300, 10);
            Merge m(MOCO_MERGE_LINEAR, dtype);
            m.spec.normalize = normalize;
            const float w[] = {0.2f, 0.5f, -0.3f};
            for (int i = 0; i < 3; ++i)
                m.add(f.thetas[static_cast<std::size_t>(i)], {20, 15}, w[i]);
            std::vector<double> ref(300);
            for (std::size_t j = 0; j < 300; ++j) {
                double acc = 0.0;
                for (int i = 0; i < 3; ++i)
                    acc +=
                        static_cast<double>(w[i]) * f.thetas[static_cast<std::size_t>(i)].values[j];
                ref[j] = normalize ? acc / (static_cast<double>(w[0]) + w[1] + w[2]) : acc;
            }
            expect_merge_close(m.run_values(), ref, dtype, "linear");
        }
    }
}

// Identical inputs: LINEAR with uniform weights and every base method return the model itself,
// bit for bit, -0 included (F16/BF16 with weights 1/3; F32 with weights whose products are exact).
TEST(KernelsMerge, MergingIdenticalModelsGivesThatModel) {
    for (const int dtype : kDtypes) {
        std::vector<float> v = random_values(999, 20, 0.05f);
        v[0] = -0.0f;
        v[10] = 0.0f;
        const Stored theta = store(v, dtype);
        Merge linear(MOCO_MERGE_LINEAR, dtype);
        const float w = dtype == MOCO_DTYPE_F32 ? 0.25f : 1.0f / 3.0f;
        for (int i = 0; i < 3; ++i)
            linear.add(theta, {999}, i == 2 && dtype == MOCO_DTYPE_F32 ? 0.5f : w);
        EXPECT_EQ(linear.run(), theta.bytes) << "LINEAR, dtype " << dtype;

        for (const int method : {MOCO_MERGE_TASK_ARITHMETIC, MOCO_MERGE_TIES, MOCO_MERGE_DARE_TIES,
                                 MOCO_MERGE_DARE_LINEAR}) {
            Merge m(method, dtype);
            m.set_base(theta, {999});
            const bool sparsifies = method != MOCO_MERGE_TASK_ARITHMETIC;
            for (int i = 0; i < 3; ++i) m.add(theta, {999}, 0.7f, sparsifies ? 0.5 : 1.0);
            EXPECT_EQ(m.run(), theta.bytes) << "method " << method << ", dtype " << dtype;
        }
    }
}

TEST(KernelsMerge, TaskArithmeticMatchesReference) {
    for (const int dtype : kDtypes) {
        const Family f = family(dtype, 400, 30);
        Merge m(MOCO_MERGE_TASK_ARITHMETIC, dtype);
        m.set_base(f.base, {400});
        const std::vector<float> w = {0.7f, 0.4f, -0.2f};
        for (int i = 0; i < 3; ++i)
            m.add(f.thetas[static_cast<std::size_t>(i)], {400}, w[static_cast<std::size_t>(i)]);
        m.spec.lambda = 0.8f;
        std::vector<std::vector<double>> d;
        for (const Stored& t : f.thetas) d.push_back(trim(delta_f32(t, f.base), 1.0));
        expect_merge_close(m.run_values(), m6(f.base, d, w, false, 0, false, 0.8), dtype,
                           "task arithmetic");
        m.spec.normalize = 1;
        expect_merge_close(m.run_values(), m6(f.base, d, w, false, 0, true, 0.8), dtype,
                           "normalized");
    }
}

// DARE with drop 0 (density 1) is task arithmetic / TIES bit for bit: no draws, no rescale.
TEST(KernelsMerge, DareWithoutDropIsTaskArithmetic) {
    for (const int dtype : kDtypes) {
        const Family f = family(dtype, 500, 40);
        const std::vector<float> w = {0.7f, 0.4f, 0.9f};
        const auto run = [&](int method) {
            Merge m(method, dtype);
            m.set_base(f.base, {500});
            for (int i = 0; i < 3; ++i)
                m.add(f.thetas[static_cast<std::size_t>(i)], {500}, w[static_cast<std::size_t>(i)]);
            m.spec.seed = 99;
            return m.run();
        };
        EXPECT_EQ(run(MOCO_MERGE_DARE_LINEAR), run(MOCO_MERGE_TASK_ARITHMETIC)) << dtype;
        // DARE_TIES (normalize default off) vs TIES with normalize off: the same M6.
        Merge ties(MOCO_MERGE_TIES, dtype);
        ties.set_base(f.base, {500});
        for (int i = 0; i < 3; ++i)
            ties.add(f.thetas[static_cast<std::size_t>(i)], {500}, w[static_cast<std::size_t>(i)]);
        ties.spec.normalize = 0;
        EXPECT_EQ(run(MOCO_MERGE_DARE_TIES), ties.run()) << dtype;
    }
}

TEST(KernelsMerge, TiesMatchesReference) {
    for (const int dtype : kDtypes) {
        for (const int rule : {MOCO_CONSENSUS_SUM, MOCO_CONSENSUS_COUNT}) {
            const Family f = family(dtype, 600, 50);
            Merge m(MOCO_MERGE_TIES, dtype);
            m.set_base(f.base, {600});
            const std::vector<float> w = {1.0f, 0.5f, -0.8f};  // a negative weight flips its votes
            const double densities[] = {0.5, 0.3, 1.0};
            for (int i = 0; i < 3; ++i)
                m.add(f.thetas[static_cast<std::size_t>(i)], {600}, w[static_cast<std::size_t>(i)],
                      densities[i]);
            m.spec.consensus = rule;
            std::vector<std::vector<double>> d;
            for (int i = 0; i < 3; ++i)
                d.push_back(
                    trim(delta_f32(f.thetas[static_cast<std::size_t>(i)], f.base), densities[i]));
            expect_merge_close(m.run_values(), m6(f.base, d, w, true, rule, true, 1.0), dtype,
                               "ties");
        }
    }
}

// Acceptance (d) of weight_dare_ties: density 0.5 keeps exactly floor(0.5 numel) entries; equal
// magnitudes go lowest index first.
TEST(KernelsMerge, TiesKeepsExactlyKEntries) {
    const std::size_t n = 1001;
    std::vector<float> b(n, 0.0f), t(n);
    for (std::size_t j = 0; j < n; ++j)
        t[j] = (j % 2 ? -1.0f : 1.0f) * static_cast<float>((j * 7919) % n + 1);
    Merge m(MOCO_MERGE_TIES, MOCO_DTYPE_F32);
    m.set_base(store(b, MOCO_DTYPE_F32), {static_cast<int64_t>(n)});
    m.add(store(t, MOCO_DTYPE_F32), {static_cast<int64_t>(n)}, 1.0f, 0.5);
    const std::vector<float> out = m.run_values();
    std::size_t kept = 0;
    for (std::size_t j = 0; j < n; ++j) {
        if (out[j] != 0.0f) {
            ++kept;
            EXPECT_EQ(out[j], t[j]);
            EXPECT_GT(std::fabs(t[j]), static_cast<float>(n) / 2.0f);  // the larger half of 1..n
        }
    }
    EXPECT_EQ(kept, n / 2);

    // All magnitudes equal: the lowest 250 indices survive.
    std::vector<float> flat(500);
    for (std::size_t j = 0; j < flat.size(); ++j) flat[j] = j % 3 ? 2.0f : -2.0f;
    Merge ties(MOCO_MERGE_TIES, MOCO_DTYPE_F32);
    ties.set_base(store(std::vector<float>(500, 0.0f), MOCO_DTYPE_F32), {500});
    ties.add(store(flat, MOCO_DTYPE_F32), {500}, 1.0f, 0.5);
    const std::vector<float> trimmed = ties.run_values();
    for (std::size_t j = 0; j < flat.size(); ++j)
        EXPECT_EQ(trimmed[j], j < 250 ? flat[j] : 0.0f) << j;
}

// TIES with density 1 and one model: θ_b + (w δ) / w. For F16/BF16 storage the single rounding
// into the output absorbs the f32 error of (w δ) / w for any weight; in F32 the identity is exact
// when w = 1 and δ = θ - θ_b is exact (Sterbenz: values within a factor 2 of each other).
TEST(KernelsMerge, TiesWithDensityOneAndOneModelIsThatModel) {
    for (const int dtype : kDtypes) {
        Family f = family(dtype, 700, 60);
        float weight = 0.6f;
        if (dtype == MOCO_DTYPE_F32) {
            std::vector<float> b = f.base.values, t = f.thetas[1].values;
            for (std::size_t j = 0; j < b.size(); ++j) {
                b[j] += 1.5f;
                t[j] += 1.5f;
            }
            f.base = store(b, dtype);
            f.thetas[1] = store(t, dtype);
            weight = 1.0f;
        }
        Merge m(MOCO_MERGE_TIES, dtype);
        m.set_base(f.base, {700});
        m.add(f.thetas[1], {700}, weight);
        EXPECT_EQ(m.run(), f.thetas[1].bytes) << dtype;
    }
}

// How weight_dare_ties calls mergekit (M7): density 1, no normalisation - sign election plus the
// disjoint sum, not divided by the agreeing weight; sign*(0) = +1.
TEST(KernelsMerge, DareTiesAsWeightDareTiesCallsIt) {
    const Family f = family(MOCO_DTYPE_F32, 256, 70);
    Merge m(MOCO_MERGE_DARE_TIES, MOCO_DTYPE_F32);
    m.set_base(f.base, {256});
    const std::vector<float> w = {1.0f / 3.0f, 1.0f / 3.0f, 1.0f / 3.0f};
    for (int i = 0; i < 3; ++i) m.add(f.thetas[static_cast<std::size_t>(i)], {256}, w[0]);
    const std::vector<float> out = m.run_values();
    for (std::size_t j = 0; j < 256; ++j) {
        double total = 0.0;
        for (const Stored& t : f.thetas)
            total += w[0] * static_cast<double>(t.values[j] - f.base.values[j]);
        const int star = total >= 0 ? 1 : -1;
        double sum = 0.0;
        for (const Stored& t : f.thetas) {
            const double u = w[0] * static_cast<double>(t.values[j] - f.base.values[j]);
            if (sign(u) == star) sum += u;
        }
        EXPECT_NEAR(out[j], f.base.values[j] + sum,
                    1e-6 * std::max(1.0, std::fabs(static_cast<double>(out[j]))))
            << j;
    }
}

// Acceptance (c) of weight_dare_ties: density 0.3 keeps 30 % +- 1 % of each task vector, the L1
// norm is kept within 1e-5 (l1 rescale), the mask is moco_dare_mask's, and runs are identical.
TEST(KernelsMerge, DareKeepsTheDensityAndTheL1Norm) {
    const std::size_t n = 100000;
    const Family f = family(MOCO_DTYPE_F32, n, 80);
    Merge m(MOCO_MERGE_DARE_LINEAR, MOCO_DTYPE_F32);
    m.set_base(f.base, {static_cast<int64_t>(n)});
    m.add(f.thetas[0], {static_cast<int64_t>(n)}, 1.0f, 0.3);
    m.spec.seed = 12345;
    const std::vector<uint8_t> first = m.run();
    EXPECT_EQ(m.run(), first);
    const std::vector<float> out = decode(first.data(), MOCO_DTYPE_F32, n);
    std::vector<uint8_t> keep(n);
    ASSERT_EQ(
        moco_dare_mask(12345, 0, m.name.c_str(), 0, static_cast<int64_t>(n), 0.3, keep.data()),
        MOCO_OK);
    double l1_delta = 0.0, l1_out = 0.0;
    std::size_t kept = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double d = static_cast<double>(f.thetas[0].values[j]) - f.base.values[j];
        l1_delta += std::fabs(d);
        l1_out += std::fabs(static_cast<double>(out[j]) - f.base.values[j]);
        kept += keep[j];
        if (!keep[j]) {
            ASSERT_EQ(out[j], f.base.values[j]) << j;
        }
    }
    EXPECT_NEAR(static_cast<double>(kept) / n, 0.3, 0.01);
    EXPECT_NEAR(l1_out / l1_delta, 1.0, 1e-5);

    for (const int rescale : {MOCO_RESCALE_NONE, MOCO_RESCALE_INVERSE_DENSITY, MOCO_RESCALE_L1}) {
        m.spec.rescale = rescale;
        const std::vector<double> d =
            dare(delta_f32(f.thetas[0], f.base), 0.3, rescale, 12345, 0, m.name.c_str());
        std::vector<double> ref(n);
        for (std::size_t j = 0; j < n; ++j) ref[j] = f.base.values[j] + d[j];
        expect_merge_close(m.run_values(), ref, MOCO_DTYPE_F32,
                           "rescale " + std::to_string(rescale));
    }
    // density 0 drops everything: the base.
    m.inputs[0].density = 0.0;
    EXPECT_EQ(m.run(), f.base.bytes);
}

TEST(KernelsMerge, DareTiesMatchesReference) {
    for (const int dtype : kDtypes) {
        const Family f = family(dtype, 2000, 90);
        Merge m(MOCO_MERGE_DARE_TIES, dtype);
        m.set_base(f.base, {40, 50});
        const std::vector<float> w = {0.5f, 0.3f, 0.4f};
        for (int i = 0; i < 3; ++i)
            m.add(f.thetas[static_cast<std::size_t>(i)], {40, 50}, w[static_cast<std::size_t>(i)],
                  0.4);
        m.spec.seed = 777;
        m.spec.lambda = 1.5f;
        std::vector<std::vector<double>> d;
        for (int i = 0; i < 3; ++i) {
            d.push_back(dare(delta_f32(f.thetas[static_cast<std::size_t>(i)], f.base), 0.4,
                             MOCO_RESCALE_L1, 777, i, m.name.c_str()));
        }
        expect_merge_close(m.run_values(), m6(f.base, d, w, true, MOCO_CONSENSUS_SUM, false, 1.5),
                           dtype, "dare_ties");
    }
}

TEST(KernelsMerge, ExtrapolateMatchesReferenceAndAlphaZeroIsTheTarget) {
    for (const int dtype : kDtypes) {
        const Family f = family(dtype, 333, 100);
        std::vector<float> target = f.thetas[0].values;
        target[5] = -0.0f;
        const Stored t = store(target, dtype);
        Merge m(MOCO_MERGE_EXTRAPOLATE, dtype);
        m.set_base(f.base, {333});
        m.add(t, {333}, 1.0f);
        EXPECT_EQ(m.run(), t.bytes) << "alpha 0, dtype " << dtype;
        m.spec.alpha = 0.3f;
        std::vector<double> ref(333);
        for (std::size_t j = 0; j < 333; ++j)
            ref[j] = t.values[j] + 0.3 * (static_cast<double>(t.values[j]) - f.base.values[j]);
        expect_merge_close(m.run_values(), ref, dtype, "extrapolate");
    }
}

TEST(KernelsMerge, SlerpMatchesMergekit) {
    const Family f = family(MOCO_DTYPE_F32, 500, 110);
    Merge m(MOCO_MERGE_SLERP, MOCO_DTYPE_F32);
    m.set_base(f.base, {500});
    m.add(f.thetas[0], {500}, 1.0f);
    m.spec.t = 0.3f;
    double dot = 0.0, n0 = 0.0, n1 = 0.0;
    for (std::size_t j = 0; j < 500; ++j) {
        dot += static_cast<double>(f.base.values[j]) * f.thetas[0].values[j];
        n0 += static_cast<double>(f.base.values[j]) * f.base.values[j];
        n1 += static_cast<double>(f.thetas[0].values[j]) * f.thetas[0].values[j];
    }
    const double phi = std::acos(dot / std::sqrt(n0 * n1));
    const double s0 = std::sin(0.7 * phi) / std::sin(phi), s1 = std::sin(0.3 * phi) / std::sin(phi);
    std::vector<double> ref(500);
    for (std::size_t j = 0; j < 500; ++j)
        ref[j] = s0 * f.base.values[j] + s1 * f.thetas[0].values[j];
    expect_merge_close(m.run_values(), ref, MOCO_DTYPE_F32, "slerp");

    // Colinear vectors (|cos| > 0.9995) fall back to lerp.
    std::vector<float> doubled = f.base.values;
    for (float& x : doubled) x *= 2.0f;
    Merge lerp(MOCO_MERGE_SLERP, MOCO_DTYPE_F32);
    lerp.set_base(f.base, {500});
    lerp.add(store(doubled, MOCO_DTYPE_F32), {500}, 1.0f);
    lerp.spec.t = 0.25f;
    for (std::size_t j = 0; j < 500; ++j) ref[j] = 0.75 * f.base.values[j] + 0.25 * doubled[j];
    expect_merge_close(lerp.run_values(), ref, MOCO_DTYPE_F32, "lerp");
}

TEST(KernelsMerge, ResultsOutsideTheOutputDtypeAreNumericErrors) {
    const Stored big = store(std::vector<float>(64, 60000.0f), MOCO_DTYPE_F32);
    Merge m(MOCO_MERGE_LINEAR, MOCO_DTYPE_F16);
    m.add(big, {64}, 1.0f);
    m.add(big, {64}, 1.0f);
    m.spec.normalize = 0;  // 120000 does not fit F16
    moco_status st = MOCO_OK;
    m.run(&st);
    EXPECT_EQ(st, MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "element 0") && contains(moco_last_error(), "F16"))
        << moco_last_error();
    m.spec.normalize = 1;  // 60000 does
    m.run(&st);
    EXPECT_EQ(st, MOCO_OK) << moco_last_error();

    std::vector<float> with_nan(64, 1.0f);
    with_nan[9] = std::nanf("");
    Merge n(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    n.add(store(with_nan, MOCO_DTYPE_F32), {64}, 1.0f);
    n.run(&st);
    EXPECT_EQ(st, MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "element 9")) << moco_last_error();
}
