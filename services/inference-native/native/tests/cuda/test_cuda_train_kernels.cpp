// The trainer's device loss and optimiser kernels (src/cuda/train/loss_kernels.h,
// optimizer_kernels.h) against the CPU trainer's functions (src/train/losses.h, optimizer.h) on the
// same inputs. Tolerances: the row sums run in double on both sides, in different orders and with
// CUDA's exp/log against libm's, so log-probs and row losses agree to ~1e-15 relative (checked at
// 1e-9); gradients are those doubles rounded to float (1e-6). AdamW follows the CPU's float
// operations, differing only by nvcc's FMA contraction (1e-6). The norm's chunk sums are doubles of
// exactly representable float squares (1e-12).
#include "cpu/thread_pool.h"
#include "cuda/train/loss_kernels.h"
#include "cuda/train/optimizer_kernels.h"
#include "cuda_test_util.h"
#include "train/losses.h"
#include "train/optimizer.h"

#include <limits>
#include <utility>

namespace moco::cuda_test {
namespace {

constexpr int kRows = 3;
constexpr int kVocab = 300;  // not a multiple of the block size (256)

void expect_close_doubles(const std::vector<double>& actual, const std::vector<double>& expected, double rtol,
                          const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (size_t i = 0; i < actual.size(); ++i) {
        EXPECT_NEAR(actual[i], expected[i], rtol * std::fabs(expected[i])) << what << "[" << i << "]";
    }
}

// Logits whose entries from `classes` on are NaN: a kernel that reads past the classes shows it.
std::vector<float> logits_with_classes(int classes, uint32_t seed) {
    std::vector<float> z = random_floats(static_cast<size_t>(kRows) * kVocab, seed, -8.0f, 8.0f);
    for (int r = 0; r < kRows; ++r) {
        for (int v = classes; v < kVocab; ++v) z[static_cast<size_t>(r) * kVocab + v] = std::nanf("");
    }
    return z;
}

TEST(CudaTrainKernels, TargetLogprobsMatchCpu) {
    MOCO_REQUIRE_GPU();
    cpu::ThreadPool pool(2);
    for (int classes : {kVocab, kVocab - 17}) {
        for (double scale : {1.0, 1.0 / 0.7}) {
            const std::string what = "logprobs classes " + std::to_string(classes) + " scale " + std::to_string(scale);
            const std::vector<float> z = logits_with_classes(classes, 11);
            const std::vector<int32_t> targets = {5, classes - 1, 256};
            std::vector<double> want(kRows);
            moco::train::target_logprobs(pool, z.data(), kRows, kVocab, classes, targets.data(), scale, want.data());
            DeviceArray<float> dz(z);
            DeviceArray<int32_t> dtargets(targets);
            DeviceArray<double> out(kRows);
            cuda::train::target_logprobs(dz.get(), kRows, kVocab, classes, dtargets.get(), scale, out.get(), nullptr);
            expect_close_doubles(out.host(), want, 1e-9, what);
        }
    }
}

TEST(CudaTrainKernels, LogprobGradientsMatchCpuAndZeroTheEntriesPastClasses) {
    MOCO_REQUIRE_GPU();
    cpu::ThreadPool pool(2);
    const int classes = kVocab - 17;
    const double scale = 1.0 / 0.7;
    const std::vector<float> z = logits_with_classes(classes, 12);
    const std::vector<int32_t> targets = {0, 255, classes - 1};
    const std::vector<double> coef = {0.5, -1.25, 2.0};
    std::vector<float> want(z.size());
    moco::train::logprob_gradients(pool, z.data(), kRows, kVocab, classes, targets.data(), scale, coef.data(),
                                   want.data());
    DeviceArray<float> dz(z), dlogits(std::vector<float>(z.size(), 7.0f));  // stale values to overwrite
    DeviceArray<int32_t> dtargets(targets);
    DeviceArray<double> dcoef(coef);
    cuda::train::logprob_gradients(dz.get(), kRows, kVocab, classes, dtargets.get(), scale, dcoef.get(),
                                   dlogits.get(), nullptr);
    const std::vector<float> got = dlogits.host();
    expect_close(got, want, 1e-9f, 1e-6f, "dlogits");
    for (int r = 0; r < kRows; ++r) {
        for (int v = classes; v < kVocab; ++v) {
            ASSERT_EQ(got[static_cast<size_t>(r) * kVocab + v], 0.0f) << "row " << r << " entry " << v;
        }
    }
}

TEST(CudaTrainKernels, DeferLossMatchesCpuWithTheLastEntryAsDeferral) {
    MOCO_REQUIRE_GPU();
    cpu::ThreadPool pool(2);
    std::vector<float> z = random_floats(static_cast<size_t>(kRows) * kVocab, 13, -6.0f, 6.0f);
    // Deferral logits on both sides of 0 (both branches of log-sigmoid); the mentor is sure of row
    // 0's token (the mentor term dominates) and unsure of row 1's (the model's term dominates).
    const float deferral[kRows] = {3.5f, -4.0f, 0.25f};
    for (int r = 0; r < kRows; ++r) z[static_cast<size_t>(r) * kVocab + kVocab - 1] = deferral[r];
    const std::vector<int32_t> targets = {3, 298, 257};
    const std::vector<float> mentor = {-0.05f, -9.0f, -2.0f};

    std::vector<float> want(z.size());
    const double want_sum =
        moco::train::defer_loss(pool, z.data(), kRows, kVocab, targets.data(), mentor.data(), want.data());
    std::vector<double> want_rows(kRows);
    std::vector<float> scratch(kVocab);
    for (int r = 0; r < kRows; ++r) {
        want_rows[static_cast<size_t>(r)] = moco::train::defer_loss(
            pool, z.data() + static_cast<size_t>(r) * kVocab, 1, kVocab, &targets[static_cast<size_t>(r)],
            &mentor[static_cast<size_t>(r)], scratch.data());
    }

    DeviceArray<float> dz(z), dmentor(mentor), dlogits(z.size());
    DeviceArray<int32_t> dtargets(targets);
    DeviceArray<double> row_loss(kRows);
    cuda::train::defer_loss(dz.get(), kRows, kVocab, dtargets.get(), dmentor.get(), row_loss.get(), dlogits.get(),
                            nullptr);
    const std::vector<double> got_rows = row_loss.host();
    expect_close_doubles(got_rows, want_rows, 1e-9, "defer row loss");
    double got_sum = 0.0;
    for (double l : got_rows) got_sum += l;
    EXPECT_NEAR(got_sum, want_sum, 1e-9 * std::fabs(want_sum));
    expect_close(dlogits.host(), want, 1e-9f, 1e-6f, "defer dlogits");
}

TEST(CudaTrainKernels, ScaleMatchesCpuExactly) {
    MOCO_REQUIRE_GPU();
    cpu::ThreadPool pool(2);
    std::vector<float> g = random_floats(1000, 21, -3.0f, 3.0f);
    DeviceArray<float> dg(g);
    moco::train::scale(pool, g.data(), g.size(), 0.37f);
    cuda::train::scale(dg.get(), g.size(), 0.37f, nullptr);
    EXPECT_EQ(dg.host(), g);  // one rounded multiply on both sides
}

// The chunk sums of square_sums added in order, as the caller does.
double device_norm(const std::vector<float>& g) {
    DeviceArray<float> dg(g);
    DeviceArray<double> partial(cuda::train::norm_chunks(g.size()));
    cuda::train::square_sums(dg.get(), g.size(), partial.get(), nullptr);
    double total = 0.0;
    for (double s : partial.host()) total += s;
    return std::sqrt(total);
}

TEST(CudaTrainKernels, SquareSumsAddUpToTheGlobalNorm) {
    MOCO_REQUIRE_GPU();
    EXPECT_EQ(cuda::train::norm_chunks(0), 0u);
    EXPECT_EQ(cuda::train::norm_chunks(1), 1u);
    const size_t n = 35001;
    ASSERT_GE(cuda::train::norm_chunks(n), 2u) << "the test needs several chunks, the last one partial";
    cpu::ThreadPool pool(2);
    const std::vector<float> g = random_floats(n, 22, -2.0f, 2.0f);
    const double want = moco::train::global_norm(pool, g.data(), n);
    EXPECT_NEAR(device_norm(g), want, 1e-12 * want);
}

TEST(CudaTrainKernels, SquareSumsOfANonFiniteGradientAreNotFinite) {
    MOCO_REQUIRE_GPU();
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        std::vector<float> g = random_floats(20000, 23, -2.0f, 2.0f);
        g[17000] = bad;
        EXPECT_FALSE(std::isfinite(device_norm(g))) << bad;
    }
}

// Three AdamW steps on [0, n): decay on [0, split) only, the CPU's decay_ranges; the device launches
// once per run of elements with the same decay flag.
void expect_adamw_matches_cpu(float weight_decay) {
    cpu::ThreadPool pool(2);
    const size_t n = 700, split = 300;
    std::vector<float> params = random_floats(n, 31, -1.0f, 1.0f);
    DeviceArray<float> dparams(params), dm(n), dv(n);
    moco::train::AdamW cpu_opt;
    cpu_opt.weight_decay = weight_decay;
    const double lrs[3] = {1e-3, 5e-4, 2e-4};
    for (int t = 1; t <= 3; ++t) {
        std::vector<float> grad = random_floats(n, 40 + static_cast<uint32_t>(t), -0.5f, 0.5f);
        grad[7] = 0.0f;
        cpu_opt.step(pool, params.data(), grad.data(), n, lrs[t - 1], {{0, split}});
        DeviceArray<float> dgrad(grad);
        cuda::train::AdamWStep step;
        step.weight_decay = weight_decay;
        step.lr = lrs[t - 1];
        step.t = t;
        cuda::train::adamw(dparams.get(), dgrad.get(), dm.get(), dv.get(), split, step, true, nullptr);
        cuda::train::adamw(dparams.get() + split, dgrad.get() + split, dm.get() + split, dv.get() + split, n - split,
                           step, false, nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    }
    const std::string what = "weight decay " + std::to_string(weight_decay);
    expect_close(dparams.host(), params, 1e-9f, 1e-6f, what + " params");
    expect_close(dm.host(), cpu_opt.m, 1e-12f, 1e-6f, what + " m");
    expect_close(dv.host(), cpu_opt.v, 1e-15f, 1e-6f, what + " v");
}

TEST(CudaTrainKernels, AdamWMatchesCpuOverThreeStepsWithDecay) {
    MOCO_REQUIRE_GPU();
    expect_adamw_matches_cpu(0.1f);
}

TEST(CudaTrainKernels, AdamWMatchesCpuOverThreeStepsWithoutDecay) {
    MOCO_REQUIRE_GPU();
    expect_adamw_matches_cpu(0.0f);
}

}  // namespace
}  // namespace moco::cuda_test
