// The device logit kernels (src/cuda/logit_kernels.h) against the CPU's (src/kernels/logits.h) on
// the same rows. log-softmax and entropy sum in double on both sides but in different orders and
// with CUDA's expf against the CPU's exp_f32: atol 1e-5. Fusion and contrast are elementwise in the
// same order of terms: equal up to FMA contraction (atol 1e-6). top-k is exact (ids and values).
#include "cuda/logit_kernels.h"
#include "cuda_test_util.h"
#include "kernels/logits.h"

#include <gtest/gtest-spi.h>

#include <limits>

namespace moco::cuda_test {
namespace {

constexpr int kRows = 3;
constexpr int kVocab = 5003;  // not a multiple of the block size

std::vector<float> logits_with_masked_entries(uint32_t seed) {
    std::vector<float> z = random_floats(static_cast<size_t>(kRows) * kVocab, seed, -12.0f, 12.0f);
    for (size_t i = 7; i < z.size(); i += 97) z[i] = -std::numeric_limits<float>::infinity();
    return z;
}

// The comparison itself (no GPU needed): log-softmax rows hold -inf where the logits are masked,
// equal on both backends, yet -inf - -inf is NaN; an infinity against anything else, and NaN, still
// fail.
TEST(CudaLogits, ComparisonAcceptsOnlyEqualInfinities) {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    expect_close({-inf, 1.0f, inf}, {-inf, 1.0f + 1e-7f, inf}, 1e-6f, 0.0f, "equal");
    EXPECT_NONFATAL_FAILURE(expect_close({-inf}, {-1.0f}, 1e-6f, 0.0f, "a"), "a[0]");
    EXPECT_NONFATAL_FAILURE(expect_close({-1.0f}, {-inf}, 1e-6f, 0.0f, "b"), "b[0]");
    EXPECT_NONFATAL_FAILURE(expect_close({inf}, {-inf}, 1e-6f, 0.0f, "c"), "c[0]");
    EXPECT_NONFATAL_FAILURE(expect_close({nan}, {nan}, 1e-6f, 0.0f, "d"), "d[0]");
}

TEST(CudaLogits, LogSoftmaxMatchesCpu) {
    MOCO_REQUIRE_GPU();
    const std::vector<float> z = logits_with_masked_entries(31);
    std::vector<float> want(z.size());
    ASSERT_EQ(kernels::log_softmax(z.data(), kRows, kVocab, want.data()), MOCO_OK);
    DeviceArray<float> dz(z), out(z.size());
    cuda::log_softmax_rows(dz.get(), kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-5f, 0.0f, "log_softmax");
}

TEST(CudaLogits, EntropyMatchesCpu) {
    MOCO_REQUIRE_GPU();
    std::vector<float> z = logits_with_masked_entries(32);
    for (int v = 0; v < kVocab; ++v) z[2 * kVocab + v] = v == 5 ? 40.0f : 0.0f;  // nearly one-hot
    std::vector<float> want(kRows);
    ASSERT_EQ(kernels::entropy(z.data(), kRows, kVocab, want.data()), MOCO_OK);
    DeviceArray<float> dz(z), out(kRows);
    cuda::entropy_rows(dz.get(), kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-5f, 1e-6f, "entropy");
}

TEST(CudaLogits, FuseAndContrastMatchCpu) {
    MOCO_REQUIRE_GPU();
    const std::vector<float> a = random_floats(static_cast<size_t>(kRows) * kVocab, 33, -5.0f, 5.0f);
    const std::vector<float> b = random_floats(static_cast<size_t>(kRows) * kVocab, 34, -5.0f, 5.0f);
    const std::vector<float> c = random_floats(static_cast<size_t>(kRows) * kVocab, 35, -5.0f, 5.0f);
    const std::vector<float> d = random_floats(static_cast<size_t>(kRows) * kVocab, 36, -5.0f, 5.0f);
    DeviceArray<float> da(a), db(b), dc(c), dd(d), out(a.size());
    const float* host_inputs[4] = {a.data(), b.data(), c.data(), d.data()};
    DeviceArray<const float*> device_inputs(std::vector<const float*>{da.get(), db.get(), dc.get(), dd.get()});

    const std::vector<float> weights = {0.5f, 0.0f, 1.5f};
    DeviceArray<float> dweights(weights);
    std::vector<float> want(a.size());
    ASSERT_EQ(kernels::fuse(host_inputs, nullptr, weights.data(), 3, kRows, kVocab, want.data()), MOCO_OK);
    cuda::fuse_rows(device_inputs.get(), nullptr, dweights.get(), 3, kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-6f, 1e-6f, "fuse_weighted");
    ASSERT_EQ(kernels::fuse(host_inputs, nullptr, nullptr, 2, kRows, kVocab, want.data()), MOCO_OK);
    cuda::fuse_rows(device_inputs.get(), nullptr, nullptr, 2, kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-6f, 1e-6f, "fuse_mean");

    ASSERT_EQ(kernels::contrast(host_inputs, nullptr, 2, 0.7f, kRows, kVocab, want.data()), MOCO_OK);
    cuda::contrast_rows(device_inputs.get(), nullptr, 2, 0.7f, kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-5f, 1e-6f, "contrast");
}

// Rows `strides` floats apart: input 0 is the second half of rows 2 * kVocab wide (two models'
// logits side by side in one buffer), input 1 is dense.
TEST(CudaLogits, FuseAndContrastReadStridedRows) {
    MOCO_REQUIRE_GPU();
    const std::vector<float> wide = random_floats(static_cast<size_t>(kRows) * 2 * kVocab, 38, -5.0f, 5.0f);
    const std::vector<float> b = random_floats(static_cast<size_t>(kRows) * kVocab, 39, -5.0f, 5.0f);
    const float* host_inputs[2] = {wide.data() + kVocab, b.data()};
    const int strides[2] = {2 * kVocab, kVocab};
    DeviceArray<float> dwide(wide), db(b), out(b.size());
    DeviceArray<const float*> device_inputs(std::vector<const float*>{dwide.get() + kVocab, db.get()});
    DeviceArray<int> dstrides(std::vector<int>(strides, strides + 2));
    std::vector<float> want(b.size());
    ASSERT_EQ(kernels::fuse(host_inputs, strides, nullptr, 2, kRows, kVocab, want.data()), MOCO_OK);
    cuda::fuse_rows(device_inputs.get(), dstrides.get(), nullptr, 2, kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-6f, 1e-6f, "fuse_strided");
    ASSERT_EQ(kernels::contrast(host_inputs, strides, 1, 0.5f, kRows, kVocab, want.data()), MOCO_OK);
    cuda::contrast_rows(device_inputs.get(), dstrides.get(), 1, 0.5f, kRows, kVocab, out.get(), nullptr);
    expect_close(out.host(), want, 1e-5f, 1e-6f, "contrast_strided");
}

TEST(CudaLogits, TopKMatchesCpuIncludingTies) {
    MOCO_REQUIRE_GPU();
    std::vector<float> z = logits_with_masked_entries(37);
    for (int v = 100; v < 110; ++v) z[v] = 50.0f;  // ten-way tie at the top of row 0: lowest ids first
    const int k = 16;
    std::vector<int32_t> want_ids(static_cast<size_t>(kRows) * k);
    std::vector<float> want_values(want_ids.size());
    ASSERT_EQ(kernels::top_k(z.data(), kRows, kVocab, k, want_ids.data(), want_values.data()), MOCO_OK);
    DeviceArray<float> dz(z), values(want_values.size());
    DeviceArray<int32_t> ids(want_ids.size());
    cuda::top_k_rows(dz.get(), kRows, kVocab, k, ids.get(), values.get(), nullptr);
    EXPECT_EQ(ids.host(), want_ids);
    EXPECT_EQ(values.host(), want_values);
}

// A vocabulary smaller than a row's 256 threads (most hold no entry), many equal values, and a row
// with a single finite entry: top-k as a full sort (k = vocab) must order equal values, the -inf
// ones included, by id like the CPU's; log-softmax gives 0 and -inf, entropy 0.
TEST(CudaLogits, SmallVocabTiesAndOneFiniteEntryMatchCpu) {
    MOCO_REQUIRE_GPU();
    const float inf = std::numeric_limits<float>::infinity();
    const int rows = 2, vocab = 100;
    std::vector<float> z(static_cast<size_t>(rows) * vocab);
    for (int v = 0; v < vocab; ++v) {
        z[v] = v == 13 || v == 77 ? -inf : static_cast<float>(v % 7) - 3.0f;
        z[vocab + v] = v == 42 ? 1.5f : -inf;
    }
    DeviceArray<float> dz(z);

    std::vector<int32_t> want_ids(z.size());
    std::vector<float> want_values(z.size());
    ASSERT_EQ(kernels::top_k(z.data(), rows, vocab, vocab, want_ids.data(), want_values.data()), MOCO_OK);
    DeviceArray<int32_t> ids(want_ids.size());
    DeviceArray<float> values(want_values.size());
    cuda::top_k_rows(dz.get(), rows, vocab, vocab, ids.get(), values.get(), nullptr);
    EXPECT_EQ(ids.host(), want_ids);
    EXPECT_EQ(values.host(), want_values);

    std::vector<float> want(z.size());
    ASSERT_EQ(kernels::log_softmax(z.data(), rows, vocab, want.data()), MOCO_OK);
    DeviceArray<float> out(z.size());
    cuda::log_softmax_rows(dz.get(), rows, vocab, out.get(), nullptr);
    const std::vector<float> got = out.host();
    expect_close(got, want, 1e-5f, 0.0f, "small_log_softmax");
    EXPECT_EQ(got[vocab + 42], 0.0f);

    std::vector<float> want_h(rows);
    ASSERT_EQ(kernels::entropy(z.data(), rows, vocab, want_h.data()), MOCO_OK);
    DeviceArray<float> h(static_cast<size_t>(rows));
    cuda::entropy_rows(dz.get(), rows, vocab, h.get(), nullptr);
    const std::vector<float> got_h = h.host();
    expect_close(got_h, want_h, 1e-5f, 1e-6f, "small_entropy");
    EXPECT_EQ(got_h[1], 0.0f);
}

}  // namespace
}  // namespace moco::cuda_test
