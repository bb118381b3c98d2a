// M9 LoRA apply, M10 linear LoRA composition, M11 PSO step and M12 weight softmax against
// references written here, plus their identities and errors.
#include "kernel_test_util.h"
#include "merge_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

using namespace kernel_test;

// W' = W + scale (B A) in f64; W [rows, cols]; fan_in_fan_out: W is [in, out] and gets (B A)^T.
std::vector<double> reference_lora(const Stored& w, const Stored& a, const Stored& b, int64_t rows,
                                   int64_t cols, int rank, double scale, bool fan_in_fan_out) {
    std::vector<double> out(static_cast<std::size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const int64_t o = fan_in_fan_out ? c : r, i = fan_in_fan_out ? r : c;
            const int64_t in_features = fan_in_fan_out ? rows : cols;
            double delta = 0.0;
            for (int k = 0; k < rank; ++k) {
                delta += static_cast<double>(b.values[static_cast<std::size_t>(o * rank + k)]) *
                         a.values[static_cast<std::size_t>(k * in_features + i)];
            }
            out[static_cast<std::size_t>(r * cols + c)] =
                w.values[static_cast<std::size_t>(r * cols + c)] + scale * delta;
        }
    }
    return out;
}

std::vector<uint8_t> lora(const Stored& w, const Stored& a, const Stored& b, int64_t rows,
                          int64_t cols, int rank, float scale, int fan, int out_dtype,
                          int64_t chunk_rows) {
    const std::size_t out_size = out_dtype == MOCO_DTYPE_F32 ? 4 : 2,
                      w_size = w.dtype == MOCO_DTYPE_F32 ? 4 : 2;
    std::vector<uint8_t> out(static_cast<std::size_t>(rows * cols) * out_size);
    for (int64_t r = 0; r < rows; r += chunk_rows) {
        const int64_t n = std::min(chunk_rows, rows - r);
        EXPECT_EQ(moco_lora_apply(
                      w.bytes.data() + static_cast<std::size_t>(r * cols) * w_size, w.dtype, rows,
                      cols, a.data(), a.dtype, b.data(), b.dtype, rank, scale, fan, r, n,
                      out.data() + static_cast<std::size_t>(r * cols) * out_size, out_dtype),
                  MOCO_OK)
            << moco_last_error();
    }
    return out;
}

}  // namespace

TEST(KernelsLora, ApplyMatchesReference) {
    const int64_t rows = 24, cols = 40;
    const int rank = 4;
    for (const int fan : {0, 1}) {
        for (const int dtype : {MOCO_DTYPE_F32, MOCO_DTYPE_BF16}) {
            const Stored w = store(random_values(rows * cols, 1), dtype);
            const int64_t in_features = fan ? rows : cols, out_features = fan ? cols : rows;
            const Stored a =
                store(random_values(static_cast<std::size_t>(rank * in_features), 2, 0.1f),
                      MOCO_DTYPE_F32);
            const Stored b =
                store(random_values(static_cast<std::size_t>(out_features * rank), 3, 0.1f),
                      MOCO_DTYPE_F32);
            const std::vector<uint8_t> whole =
                lora(w, a, b, rows, cols, rank, 2.0f, fan, dtype, rows);
            expect_merge_close(decode(whole.data(), dtype, static_cast<std::size_t>(rows * cols)),
                               reference_lora(w, a, b, rows, cols, rank, 2.0, fan == 1), dtype,
                               "lora");
            EXPECT_EQ(lora(w, a, b, rows, cols, rank, 2.0f, fan, dtype, 5), whole) << "row chunks";
        }
    }
}

TEST(KernelsLora, ZeroScaleKeepsWAndErrorsAreNamed) {
    std::vector<float> wv = random_values(64, 4);
    wv[3] = -0.0f;
    const Stored w = store(wv, MOCO_DTYPE_BF16);
    const Stored a = store(random_values(16, 5), MOCO_DTYPE_F32),
                 b = store(random_values(16, 6), MOCO_DTYPE_F32);
    EXPECT_EQ(lora(w, a, b, 8, 8, 2, 0.0f, 0, MOCO_DTYPE_BF16, 8), w.bytes);

    std::vector<uint8_t> out(256);
    EXPECT_EQ(moco_lora_apply(w.data(), w.dtype, 8, 8, a.data(), a.dtype, b.data(), b.dtype, 2,
                              1.0f, 0, 4, 5, out.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "outside")) << moco_last_error();
    EXPECT_EQ(moco_lora_apply(w.data(), w.dtype, 8, 8, a.data(), a.dtype, b.data(), b.dtype, 0,
                              1.0f, 0, 0, 8, out.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_lora_apply(w.data(), w.dtype, 8, 8, a.data(), a.dtype, b.data(), b.dtype, 2,
                              std::nanf(""), 0, 0, 8, out.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_lora_apply(w.data(), 9, 8, 8, a.data(), a.dtype, b.data(), b.dtype, 2, 1.0f, 0,
                              0, 8, out.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_lora_apply(nullptr, w.dtype, 8, 8, a.data(), a.dtype, b.data(), b.dtype, 2, 1.0f,
                              0, 0, 8, out.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
}

// M10: A' = sum w_i A_i (and B' likewise) is LINEAR without normalisation; a one-hot weight vector
// returns that adapter's tensor bit for bit, all-zero weights give zeros.
TEST(KernelsLora, LinearCompositionIsUnnormalizedLinear) {
    std::vector<Stored> adapters;
    for (uint32_t i = 0; i < 3; ++i) {
        std::vector<float> v = random_values(4 * 64, 10 + i, 0.02f);
        v[1] = -0.0f;
        adapters.push_back(store(v, MOCO_DTYPE_BF16));
    }
    const auto compose = [&](const std::vector<float>& w) {
        Merge m(MOCO_MERGE_LINEAR, MOCO_DTYPE_BF16);
        m.name = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
        m.spec.normalize = 0;
        for (std::size_t i = 0; i < 3; ++i) m.add(adapters[i], {4, 64}, w[i]);
        return m.run();
    };
    EXPECT_EQ(compose({0.0f, 1.0f, 0.0f}), adapters[1].bytes);
    const std::vector<float> zeros =
        decode(compose({0.0f, 0.0f, 0.0f}).data(), MOCO_DTYPE_BF16, 256);
    for (const float z : zeros) EXPECT_EQ(z, 0.0f);
    const std::vector<float> mixed =
        decode(compose({0.5f, -1.2f, 0.3f}).data(), MOCO_DTYPE_BF16, 256);
    std::vector<double> ref(256);
    for (std::size_t j = 0; j < 256; ++j) {
        ref[j] = 0.5 * adapters[0].values[j] - 1.2 * static_cast<double>(adapters[1].values[j]) +
                 0.3 * adapters[2].values[j];
    }
    expect_merge_close(mixed, ref, MOCO_DTYPE_BF16, "composition");
}

TEST(KernelsSwarm, PsoStepMatchesReference) {
    const std::size_t n = 1500;
    for (const int dtype : {MOCO_DTYPE_F32, MOCO_DTYPE_F16}) {
        const Stored x = store(random_values(n, 20), dtype), v = store(random_values(n, 21), dtype),
                     p = store(random_values(n, 22), dtype), g = store(random_values(n, 23), dtype),
                     w = store(random_values(n, 24), dtype);
        const std::size_t size = dtype == MOCO_DTYPE_F32 ? 4 : 2;
        std::vector<uint8_t> x_out(n * size), v_out(n * size);
        ASSERT_EQ(moco_pso_step(x.data(), v.data(), p.data(), g.data(), w.data(), dtype,
                                static_cast<int64_t>(n), 0.2f, 0.3f, 0.4f, 0.05f, 0.5f,
                                x_out.data(), v_out.data(), dtype),
                  MOCO_OK)
            << moco_last_error();
        std::vector<double> rx(n), rv(n);
        for (std::size_t j = 0; j < n; ++j) {
            const double xj = x.values[j];
            // The model-swarm reference's five-term form: a v + b p + c g - d w + (-b - c + d) x.
            rv[j] = 0.2 * v.values[j] + 0.3 * p.values[j] + 0.4 * g.values[j] - 0.05 * w.values[j] +
                    (-0.3 - 0.4 + 0.05) * xj;
            rx[j] = xj + 0.5 * rv[j];
        }
        expect_merge_close(decode(v_out.data(), dtype, n), rv, dtype, "v'");
        expect_merge_close(decode(x_out.data(), dtype, n), rx, dtype, "x'");
    }
}

// Acceptance (b) of weight_model_swarms: inertia 1, other coefficients 0: x' = x + s v exactly, and
// the outputs may alias the inputs.
TEST(KernelsSwarm, PsoWithInertiaOnlyMovesAlongTheVelocity) {
    const std::size_t n = 700;
    std::vector<float> x = random_values(n, 30), v = random_values(n, 31);
    const std::vector<float> p = random_values(n, 32), g = random_values(n, 33),
                             w = random_values(n, 34);
    const std::vector<float> x0 = x, v0 = v;
    ASSERT_EQ(moco_pso_step(x.data(), v.data(), p.data(), g.data(), w.data(), MOCO_DTYPE_F32,
                            static_cast<int64_t>(n), 1.0f, 0.0f, 0.0f, 0.0f, 0.5f, x.data(),
                            v.data(), MOCO_DTYPE_F32),
              MOCO_OK);
    for (std::size_t j = 0; j < n; ++j) {
        EXPECT_EQ(v[j], v0[j]);
        EXPECT_EQ(x[j], x0[j] + 0.5f * v0[j]);
    }
    EXPECT_EQ(moco_pso_step(x.data(), v.data(), p.data(), g.data(), w.data(), MOCO_DTYPE_F32, 10,
                            std::nanf(""), 0, 0, 0, 0.5f, x.data(), v.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_pso_step(x.data(), nullptr, p.data(), g.data(), w.data(), MOCO_DTYPE_F32, 10, 1,
                            0, 0, 0, 0.5f, x.data(), v.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_pso_step(x.data(), v.data(), p.data(), g.data(), w.data(), MOCO_DTYPE_F32, -1, 1,
                            0, 0, 0, 0.5f, x.data(), v.data(), MOCO_DTYPE_F32),
              MOCO_ERR_INVALID_ARGUMENT);
}

TEST(KernelsSwarm, SoftmaxWeights) {
    const std::vector<float> x = {0.3f, -1.2f, 2.5f, 0.0f, 0.9f};
    std::vector<float> out(5);
    ASSERT_EQ(moco_softmax_weights(x.data(), 5, out.data()), MOCO_OK) << moco_last_error();
    double s = 0.0;
    for (const float v : x) s += std::exp(static_cast<double>(v) - 2.5);
    double total = 0.0;
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_NEAR(out[i], std::exp(x[i] - 2.5) / s, 1e-7);
        total += out[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-6);
    std::vector<float> in_place = x;
    ASSERT_EQ(moco_softmax_weights(in_place.data(), 5, in_place.data()), MOCO_OK);
    EXPECT_EQ(in_place, out);
    const std::vector<float> bad = {1.0f, INFINITY};
    EXPECT_EQ(moco_softmax_weights(bad.data(), 2, out.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_softmax_weights(x.data(), 0, out.data()), MOCO_ERR_INVALID_ARGUMENT);
}
