// Sampling: each processor against a straightforward Hugging Face-style reference written here,
// the processor order of methods-text.md §0.4, the L5 draw, determinism and argument errors.
#include "kernel_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <thread>
#include <vector>

namespace {

using kernel_test::contains;
using kernel_test::random_values;

constexpr float kInf = std::numeric_limits<float>::infinity();

moco_sampling_options options(float temperature, int top_k = 0, float top_p = 1.0f,
                              float min_p = 0.0f, float penalty = 1.0f) {
    moco_sampling_options o = moco_sampling_default_options();
    o.temperature = temperature;
    o.top_k = top_k;
    o.top_p = top_p;
    o.min_p = min_p;
    o.repetition_penalty = penalty;
    return o;
}

std::vector<double> probabilities(const std::vector<float>& z) {
    double m = -INFINITY;
    for (const float x : z) m = std::max(m, static_cast<double>(x));
    std::vector<double> p(z.size());
    double s = 0.0;
    for (std::size_t v = 0; v < z.size(); ++v) s += p[v] = std::exp(z[v] - m);
    for (double& x : p) x /= s;
    return p;
}

// Hugging Face's warpers over one row, as in transformers 4.53 (top-p in its ascending form).
std::vector<float> reference_process(std::vector<float> z, const moco_sampling_options& o,
                                     const std::vector<int32_t>& history) {
    for (const int32_t id : std::set<int32_t>(history.begin(), history.end())) {
        z[id] = z[id] < 0 ? z[id] * o.repetition_penalty : z[id] / o.repetition_penalty;
    }
    if (o.temperature == 0.0f) return z;
    for (float& x : z) x /= o.temperature;
    const int n = static_cast<int>(z.size());
    if (o.top_k > 0 && o.top_k < n) {
        std::vector<float> sorted = z;
        std::sort(sorted.begin(), sorted.end(), std::greater<float>());
        const float kth = sorted[static_cast<std::size_t>(o.top_k - 1)];
        for (float& x : z) x = x < kth ? -kInf : x;
    }
    if (o.top_p < 1.0f) {
        const std::vector<double> p = probabilities(z);
        std::vector<int> order(z.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return z[a] < z[b]; });
        double cumulative = 0.0;
        for (std::size_t j = 0; j + 1 < order.size(); ++j) {  // the last (largest) always stays
            cumulative += p[order[j]];
            if (cumulative <= 1.0 - static_cast<double>(o.top_p)) z[order[j]] = -kInf;
        }
    }
    if (o.min_p > 0.0f) {
        const std::vector<double> p = probabilities(z);
        const double top = *std::max_element(p.begin(), p.end());
        for (int v = 0; v < n; ++v) z[v] = p[v] < o.min_p * top ? -kInf : z[v];
    }
    return z;
}

std::vector<bool> kept(const std::vector<float>& z) {
    std::vector<bool> k(z.size());
    for (std::size_t v = 0; v < z.size(); ++v) k[v] = z[v] > -kInf;
    return k;
}

int32_t sample(const std::vector<float>& z, const moco_sampling_options& o, uint64_t seed,
               uint64_t step, uint64_t index = 0, const std::vector<int32_t>& history = {},
               std::vector<float>* processed = nullptr) {
    int32_t token = -1;
    const moco_status st = moco_sample(z.data(), static_cast<int>(z.size()), &o, history.data(),
                                       static_cast<int>(history.size()), seed, step, index,
                                       processed != nullptr ? processed->data() : nullptr, &token);
    EXPECT_EQ(st, MOCO_OK) << moco_last_error();
    return token;
}

}  // namespace

TEST(KernelsSampling, GreedyIsTheArgmaxLowestIdOnTies) {
    std::vector<float> z = random_values(1000, 1);
    const int best = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
    z[best + 7] = z[best];
    const moco_sampling_options greedy = options(0.0f, 5, 0.3f, 0.2f);
    for (uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(sample(z, greedy, seed, seed * 3), best);
}

TEST(KernelsSampling, RepetitionPenaltyAppliesOncePerDistinctId) {
    const std::vector<float> z = {2.0f, -2.0f, 1.0f, 0.5f, -1.0f};
    const std::vector<int32_t> history = {0, 1, 1, 4, 0, 0};
    std::vector<float> processed(z.size());
    const moco_sampling_options o = options(0.0f, 0, 1.0f, 0.0f, 1.5f);
    sample(z, o, 0, 0, 0, history, &processed);
    EXPECT_EQ(processed, (std::vector<float>{2.0f / 1.5f, -2.0f * 1.5f, 1.0f, 0.5f, -1.0f * 1.5f}));
    // Greedy sees the penalised logits: 2 / 1.5 = 1.33 still beats token 2's 1.0, but with
    // penalty 3 token 0 drops to 0.67 and token 2 wins.
    EXPECT_EQ(sample(z, o, 0, 0, 0, history), 0);
    EXPECT_EQ(sample(z, options(0.0f, 0, 1.0f, 0.0f, 3.0f), 0, 0, 0, history), 2);
}

TEST(KernelsSampling, EachProcessorMatchesTheReference) {
    const std::vector<float> z = random_values(2000, 2, 2.0f);
    const std::vector<int32_t> history = {3, 17, 17, 1999, 250};
    const moco_sampling_options cases[] = {options(1.0f),
                                           options(0.7f),
                                           options(1.3f, 50),
                                           options(1.0f, 0, 0.9f),
                                           options(0.7f, 0, 0.0f),
                                           options(1.0f, 0, 1.0f, 0.05f),
                                           options(0.8f, 40, 0.95f, 0.02f, 1.2f),
                                           options(1.0f, 1),
                                           options(1.0f, 2000),
                                           options(2.0f, 0, 0.5f, 0.0f, 1.1f)};
    for (const moco_sampling_options& o : cases) {
        std::vector<float> processed(z.size());
        sample(z, o, 9, 1, 0, history, &processed);
        const std::vector<float> ref = reference_process(z, o, history);
        ASSERT_EQ(kept(processed), kept(ref)) << "T " << o.temperature << " k " << o.top_k << " p "
                                              << o.top_p << " min_p " << o.min_p;
        for (std::size_t v = 0; v < z.size(); ++v) {
            if (ref[v] > -kInf) {
                ASSERT_EQ(processed[v], ref[v]) << v;
            }
        }
    }
}

TEST(KernelsSampling, TopKKeepsTiesAtTheKthValue) {
    const std::vector<float> z = {1.0f, 3.0f, 2.0f, 2.0f, 0.5f, 2.0f};
    std::vector<float> processed(z.size());
    sample(z, options(1.0f, 2), 1, 0, 0, {}, &processed);
    EXPECT_EQ(kept(processed), (std::vector<bool>{false, true, true, true, false, true}));
}

// The order matters: top-p renormalises over what top-k kept, and temperature comes before both.
TEST(KernelsSampling, ProcessorOrderIsPenaltyTemperatureTopKTopPMinP) {
    const std::vector<float> z = {std::log(0.4f), std::log(0.3f), std::log(0.2f), std::log(0.1f)};
    std::vector<float> processed(z.size());
    // top-k 2 first: (0.57, 0.43), so top-p 0.5 keeps one id (over the full row it would keep two).
    sample(z, options(1.0f, 2, 0.5f), 1, 0, 0, {}, &processed);
    EXPECT_EQ(kept(processed), (std::vector<bool>{true, false, false, false}));
    // temperature 2 first flattens to (0.35, 0.30, 0.25, 0.17): top-p 0.5 keeps two.
    sample(z, options(2.0f, 0, 0.5f), 1, 0, 0, {}, &processed);
    EXPECT_EQ(kept(processed), (std::vector<bool>{true, true, false, false}));
    // min-p 0.6 after top-k 3: max p is the first; 0.3/0.4 = 0.75 stays, 0.2/0.4 = 0.5 goes.
    sample(z, options(1.0f, 3, 1.0f, 0.6f), 1, 0, 0, {}, &processed);
    EXPECT_EQ(kept(processed), (std::vector<bool>{true, true, false, false}));
}

// L5: the token is the inverse CDF of softmax(z / T) at u = moco_sampling_uniform(seed, step,
// sample), checked against an f64 reference away from CDF steps.
TEST(KernelsSampling, DrawIsTheInverseCdfAtTheSeededUniform) {
    const std::vector<float> z = random_values(300, 3, 1.5f);
    const moco_sampling_options o = options(0.8f);
    std::vector<float> scaled = z;
    for (float& x : scaled) x /= 0.8f;
    const std::vector<double> p = probabilities(scaled);
    int checked = 0;
    for (uint64_t step = 0; step < 500; ++step) {
        const double u = moco_sampling_uniform(77, step, 2);
        double cumulative = 0.0;
        int expected = -1;
        bool near_step = false;
        for (std::size_t v = 0; v < p.size(); ++v) {
            cumulative += p[v];
            near_step = near_step || std::fabs(cumulative - u) < 1e-6;
            if (expected < 0 && cumulative > u) expected = static_cast<int>(v);
        }
        if (near_step) continue;
        EXPECT_EQ(sample(z, o, 77, step, 2), expected) << "step " << step;
        ++checked;
    }
    EXPECT_GT(checked, 490);
}

TEST(KernelsSampling, FrequenciesFollowTheDistribution) {
    const std::vector<float> z = {0.0f, 1.0f, -1.0f, 0.5f, -kInf, 2.0f, 0.1f, -0.3f};
    const std::vector<double> p = probabilities(z);
    const int draws = 40000;
    std::vector<int> counts(z.size());
    for (int i = 0; i < draws; ++i)
        ++counts[static_cast<std::size_t>(sample(z, options(1.0f), 5, static_cast<uint64_t>(i)))];
    EXPECT_EQ(counts[4], 0);  // -inf: probability 0
    for (std::size_t v = 0; v < z.size(); ++v) {
        const double sigma = std::sqrt(draws * p[v] * (1 - p[v])) + 1e-9;
        EXPECT_NEAR(counts[v], draws * p[v], 5 * sigma) << "token " << v;
    }
}

// A draw depends only on (seed, tokens generated, sample index): not on call order, interleaved
// calls for other sequences, the processed buffer, or the thread.
TEST(KernelsSampling, SeededDrawsAreReproducibleAcrossBatchesAndThreads) {
    const std::vector<float> z = random_values(5000, 4, 2.0f);
    const moco_sampling_options o = options(0.9f, 50, 0.95f);
    std::vector<int32_t> alone;
    for (uint64_t step = 0; step < 64; ++step) alone.push_back(sample(z, o, 1234, step, 1));
    std::vector<int32_t> interleaved;
    std::vector<float> processed(z.size());
    for (uint64_t step = 0; step < 64; ++step) {
        sample(z, o, 999, step, 0);  // another sequence in the same "batch"
        interleaved.push_back(sample(z, o, 1234, step, 1, {}, &processed));
    }
    EXPECT_EQ(alone, interleaved);
    std::vector<int32_t> threaded(64);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            for (uint64_t step = static_cast<uint64_t>(t); step < 64; step += 2) {
                threaded[step] = sample(z, o, 1234, step, 1);
            }
        });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(alone, threaded);
    // Other seeds and sample indices give other streams.
    std::vector<int32_t> other;
    for (uint64_t step = 0; step < 64; ++step) other.push_back(sample(z, o, 1234, step, 2));
    EXPECT_NE(alone, other);
}

TEST(KernelsSampling, ArgumentAndNumericErrors) {
    std::vector<float> z(10, 0.0f);
    int32_t token = 0;
    moco_sampling_options o = options(1.0f);
    const int32_t bad_history[] = {3, 10};
    EXPECT_EQ(moco_sample(z.data(), 10, &o, bad_history, 2, 0, 0, 0, nullptr, &token),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "history[1] = 10")) << moco_last_error();
    EXPECT_EQ(moco_sample(nullptr, 10, &o, nullptr, 0, 0, 0, 0, nullptr, &token),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_sample(z.data(), 10, &o, nullptr, 0, 0, 0, 0, nullptr, nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_sample(z.data(), 10, &o, nullptr, 1, 0, 0, 0, nullptr, &token),
              MOCO_ERR_INVALID_ARGUMENT);
    const moco_sampling_options bad[] = {
        options(-1.0f),         options(std::nanf("")),        options(1.0f, -1),
        options(1.0f, 0, 1.5f), options(1.0f, 0, 1.0f, -0.1f), options(1.0f, 0, 1.0f, 0.0f, 0.0f)};
    for (const moco_sampling_options& b : bad) {
        EXPECT_EQ(moco_sample(z.data(), 10, &b, nullptr, 0, 0, 0, 0, nullptr, &token),
                  MOCO_ERR_INVALID_ARGUMENT);
    }
    o.struct_size = 8;
    EXPECT_EQ(moco_sample(z.data(), 10, &o, nullptr, 0, 0, 0, 0, nullptr, &token),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_sample(z.data(), 10, nullptr, nullptr, 0, 0, 0, 0, nullptr, &token),
              MOCO_OK);  // defaults
    z[4] = std::nanf("");
    EXPECT_EQ(moco_sample(z.data(), 10, nullptr, nullptr, 0, 0, 0, 0, nullptr, &token),
              MOCO_ERR_NUMERIC);
    // The penalty can overflow a logit (penalty < 1) or send every logit to -inf.
    const std::vector<float> huge = {3e38f, 1.0f};
    const int32_t first[] = {0};
    const moco_sampling_options boost = options(1.0f, 0, 1.0f, 0.0f, 0.5f);
    EXPECT_EQ(moco_sample(huge.data(), 2, &boost, first, 1, 0, 0, 0, nullptr, &token),
              MOCO_ERR_NUMERIC);
    EXPECT_TRUE(contains(moco_last_error(), "id 0 overflowed")) << moco_last_error();
    const std::vector<float> tiny = {-1e38f, -2e38f};
    const int32_t both[] = {0, 1};
    for (const float temperature : {0.0f, 1.0f}) {
        const moco_sampling_options crush = options(temperature, 0, 1.0f, 0.0f, 100.0f);
        EXPECT_EQ(moco_sample(tiny.data(), 2, &crush, both, 2, 0, 0, 0, nullptr, &token),
                  MOCO_ERR_NUMERIC);
        EXPECT_TRUE(contains(moco_last_error(), "no finite logit")) << moco_last_error();
    }
    z[4] = 1e30f;  // finite, but / temperature 1e-10 overflows
    const moco_sampling_options cold = options(1e-10f);
    EXPECT_EQ(moco_sample(z.data(), 10, &cold, nullptr, 0, 0, 0, 0, nullptr, &token),
              MOCO_ERR_NUMERIC);
}
