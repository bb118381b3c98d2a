// White-box tests of the CPU kernels: every instruction set gives the scalar kernels' bits; a GEMM
// row does not depend on the other rows, the tiling or the thread count; conversions are exact.
#include "cpu/dtype.h"
#include "cpu/gemm.h"
#include "cpu/isa.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vec.h"
#include "kernels/exp_f32.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace moco::cpu {
namespace {

const Isa kIsas[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512};

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

bool same_bits(const float* a, const float* b, size_t n) {
    return std::memcmp(a, b, n * sizeof(float)) == 0;
}

// W [n, k] stored as `dtype` (the 16-bit forms by truncating the float bits: any value will do).
std::vector<unsigned char> stored(const std::vector<float>& w, DType dtype) {
    std::vector<unsigned char> out(w.size() * dtype_size(dtype));
    for (size_t i = 0; i < w.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &w[i], 4);
        if (dtype == DType::F32) {
            std::memcpy(&out[4 * i], &bits, 4);
        } else {
            // BF16: the top half; F16: a finite half with the same sign and a few mantissa bits.
            const uint16_t h = dtype == DType::BF16
                                   ? static_cast<uint16_t>(bits >> 16)
                                   : static_cast<uint16_t>(((bits >> 16) & 0x8000u) | (0x3800u + ((bits >> 13) & 0x7FFu)));
            std::memcpy(&out[2 * i], &h, 2);
        }
    }
    return out;
}

struct GemmCase {
    int m, n, k;
};

TEST(Gemm, EveryIsaAndDtypeMatchesTheScalarKernelAndTheMath) {
    ThreadPool pool(2);
    const GemmCase cases[] = {{1, 1, 1}, {1, 83, 64}, {7, 200, 33}, {37, 96, 128}, {13, 64, 768}, {6, 17, 5}};
    for (const GemmCase& c : cases) {
        const std::vector<float> x = random_floats(static_cast<size_t>(c.m) * c.k, 1);
        const std::vector<float> w = random_floats(static_cast<size_t>(c.n) * c.k, 2);
        for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
            const std::vector<unsigned char> bytes = stored(w, dtype);
            const PackedMatrix packed = pack_weights(dtype, c.n, c.k, bytes.data());
            std::vector<float> want(static_cast<size_t>(c.m) * c.n);
            gemm(Isa::Scalar, pool, x.data(), c.m, c.k, packed, OutRows{want.data(), c.n, nullptr});
            // The scalar kernel against the definition, in double.
            for (int r = 0; r < c.m; ++r) {
                for (int col = 0; col < c.n; ++col) {
                    double acc = 0.0, mag = 0.0;
                    for (int kk = 0; kk < c.k; ++kk) {
                        const double wv = load_element(bytes.data(), dtype, static_cast<int64_t>(col) * c.k + kk);
                        acc += x[static_cast<size_t>(r) * c.k + kk] * wv;
                        mag += std::abs(x[static_cast<size_t>(r) * c.k + kk] * wv);
                    }
                    ASSERT_NEAR(want[static_cast<size_t>(r) * c.n + col], acc, 1e-5 * (mag + 1e-30))
                        << "m=" << c.m << " n=" << c.n << " k=" << c.k;
                }
            }
            for (Isa isa : kIsas) {
                if (!isa_supported(isa)) continue;
                std::vector<float> got(want.size(), -1.0f);
                gemm(isa, pool, x.data(), c.m, c.k, packed, OutRows{got.data(), c.n, nullptr});
                EXPECT_TRUE(same_bits(got.data(), want.data(), want.size()))
                    << isa_name(isa) << " m=" << c.m << " n=" << c.n << " k=" << c.k
                    << " dtype=" << static_cast<int>(dtype);
            }
        }
    }
}

TEST(Gemm, ARowDoesNotDependOnTheOtherRowsOrTheThreads) {
    const int m = 37, n = 300, k = 96;
    const std::vector<float> x = random_floats(static_cast<size_t>(m) * k, 3);
    const std::vector<float> w = random_floats(static_cast<size_t>(n) * k, 4);
    const PackedMatrix packed = pack_weights(DType::F32, n, k, w.data());
    ThreadPool one(1);
    std::vector<float> all(static_cast<size_t>(m) * n);
    gemm(one, x.data(), m, k, packed, OutRows{all.data(), n, nullptr});
    for (int threads : {1, 2, 3, 5}) {
        ThreadPool pool(threads);
        for (int r = 0; r < m; r += 5) {  // each row alone (M = 1)
            std::vector<float> row(static_cast<size_t>(n));
            gemm(pool, x.data() + static_cast<size_t>(r) * k, 1, k, packed, OutRows{row.data(), n, nullptr});
            EXPECT_TRUE(same_bits(row.data(), all.data() + static_cast<size_t>(r) * n, static_cast<size_t>(n)))
                << "row " << r << ", " << threads << " threads";
        }
        std::vector<float> again(all.size());
        gemm(pool, x.data(), m, k, packed, OutRows{again.data(), n, nullptr});
        EXPECT_TRUE(same_bits(again.data(), all.data(), all.size())) << threads << " threads";
    }
}

TEST(Gemm, RowPointersAndStackedMatricesOfMixedDtypes) {
    const int m = 3, k = 40;
    const std::vector<float> x = random_floats(static_cast<size_t>(m) * k, 5);
    const std::vector<float> a = random_floats(10 * static_cast<size_t>(k), 6);
    const std::vector<unsigned char> b = stored(random_floats(7 * static_cast<size_t>(k), 7), DType::BF16);
    TensorView ta, tb;
    ta.shape = {10, k};
    ta.data = a.data();
    tb.dtype = DType::BF16;
    tb.shape = {7, k};
    tb.data = b.data();
    const TensorView* parts[] = {&ta, &tb};
    const PackedMatrix stacked = pack_stacked(parts, 2);  // F32 and BF16: stacked as F32
    ASSERT_EQ(stacked.n, 17);
    ASSERT_EQ(stacked.dtype, DType::F32);
    ThreadPool pool(1);
    std::vector<float> y(static_cast<size_t>(m) * 17);
    std::vector<float*> rows = {&y[2 * 17], &y[0], &y[17]};  // scattered, out of order
    gemm(pool, x.data(), m, k, stacked, OutRows{nullptr, 0, rows.data()});
    std::vector<float> ya(static_cast<size_t>(m) * 10), yb(static_cast<size_t>(m) * 7);
    gemm(pool, x.data(), m, k, pack_weights(DType::F32, 10, k, a.data()), OutRows{ya.data(), 10, nullptr});
    gemm(pool, x.data(), m, k, pack_weights(DType::BF16, 7, k, b.data()), OutRows{yb.data(), 7, nullptr});
    const int dest[] = {2, 0, 1};
    for (int r = 0; r < m; ++r) {
        EXPECT_TRUE(same_bits(&y[static_cast<size_t>(dest[r]) * 17], &ya[static_cast<size_t>(r) * 10], 10));
        EXPECT_TRUE(same_bits(&y[static_cast<size_t>(dest[r]) * 17 + 10], &yb[static_cast<size_t>(r) * 7], 7));
    }
}

TEST(Vec, EveryIsaMatchesTheScalarOrder) {
    const VecOps& ref = vec_ops(Isa::Scalar);
    for (int n : {1, 5, 8, 12, 15, 16, 17, 31, 33, 64, 100, 128, 200}) {
        const std::vector<float> a = random_floats(static_cast<size_t>(n) * 9, 10 + static_cast<uint32_t>(n));
        const std::vector<float> b = random_floats(static_cast<size_t>(n) * 9, 20 + static_cast<uint32_t>(n));
        const std::vector<float> p = random_floats(9, 30);
        const float want_dot = ref.dot(a.data(), b.data(), n);
        double exact = 0.0;
        for (int d = 0; d < n; ++d) exact += static_cast<double>(a[static_cast<size_t>(d)]) * b[static_cast<size_t>(d)];
        EXPECT_NEAR(want_dot, exact, 1e-5 * n);
        std::vector<float> want_rows(9), want_axpy(static_cast<size_t>(n), 0.5f);
        ref.dot_rows(a.data(), b.data(), n, 9, n, want_rows.data());
        ref.axpy_rows(p.data(), b.data(), n, 9, n, want_axpy.data());
        for (Isa isa : kIsas) {
            if (!isa_supported(isa)) continue;
            const VecOps& ops = vec_ops(isa);
            const float got = ops.dot(a.data(), b.data(), n);
            EXPECT_TRUE(same_bits(&got, &want_dot, 1)) << isa_name(isa) << " dot n=" << n;
            std::vector<float> rows(9), axpy(static_cast<size_t>(n), 0.5f);
            ops.dot_rows(a.data(), b.data(), n, 9, n, rows.data());
            ops.axpy_rows(p.data(), b.data(), n, 9, n, axpy.data());
            EXPECT_TRUE(same_bits(rows.data(), want_rows.data(), 9)) << isa_name(isa) << " dot_rows n=" << n;
            EXPECT_TRUE(same_bits(axpy.data(), want_axpy.data(), static_cast<size_t>(n)))
                << isa_name(isa) << " axpy_rows n=" << n;
        }
    }
}

// Scores spread wide enough that some exps underflow to 0 (below -87.3 after the max is taken), at every
// length around the 8- and 16-lane boundaries.
TEST(Vec, SoftmaxIsTheSameBitsOnEveryIsa) {
    const VecOps& ref = vec_ops(Isa::Scalar);
    for (int n = 1; n <= 70; ++n) {
        std::vector<float> want = random_floats(static_cast<size_t>(n), 40 + static_cast<uint32_t>(n));
        for (float& x : want) x *= 30.0f;
        const std::vector<float> scores = want;
        ref.softmax_scaled(want.data(), n, 0.125f);
        for (Isa isa : kIsas) {
            if (!isa_supported(isa)) continue;
            std::vector<float> got = scores;
            vec_ops(isa).softmax_scaled(got.data(), n, 0.125f);
            EXPECT_TRUE(same_bits(got.data(), want.data(), static_cast<size_t>(n))) << isa_name(isa) << " n=" << n;
        }
    }
}

// The reference itself: each probability within a few ulps of softmax in double, and exactly the shared
// exp (kernels/exp_f32.h) of the scaled score minus the max, times 1 / sum.
TEST(Vec, SoftmaxIsExpF32OverTheLaneSum) {
    const int n = 37;
    std::vector<float> p = random_floats(n, 7);
    const std::vector<float> scores = p;
    vec_ops(Isa::Scalar).softmax_scaled(p.data(), n, 0.5f);
    double top = -INFINITY, sum = 0.0;
    for (float s : scores) top = std::max(top, 0.5 * s);
    for (float s : scores) sum += std::exp(0.5 * s - top);
    float max_score = -INFINITY;
    for (float s : scores) max_score = std::max(max_score, s * 0.5f);
    float lanes[16] = {};
    for (int i = 0; i < n; ++i) lanes[i % 16] += kernels::exp_f32(scores[static_cast<size_t>(i)] * 0.5f - max_score);
    for (int width = 8; width >= 1; width /= 2)
        for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
    for (int i = 0; i < n; ++i) {
        const float e = kernels::exp_f32(scores[static_cast<size_t>(i)] * 0.5f - max_score);
        EXPECT_EQ(p[static_cast<size_t>(i)], e * (1.0f / lanes[0])) << i;
        const double exact = std::exp(0.5 * scores[static_cast<size_t>(i)] - top) / sum;
        EXPECT_NEAR(p[static_cast<size_t>(i)], exact, 4e-7 * exact) << i;
    }
}

TEST(Dtype, F16ConversionIsExactForEveryValue) {
    for (uint32_t bits = 0; bits <= 0xFFFFu; ++bits) {
        const int sign = (bits >> 15) ? -1 : 1;
        const int exponent = static_cast<int>((bits >> 10) & 0x1Fu);
        const int mantissa = static_cast<int>(bits & 0x3FFu);
        const float got = to_float(F16{static_cast<uint16_t>(bits)});
        if (exponent == 31) {
            EXPECT_TRUE(mantissa == 0 ? std::isinf(got) : std::isnan(got)) << bits;
            continue;
        }
        const double want = exponent == 0 ? sign * std::ldexp(mantissa, -24)
                                          : sign * std::ldexp(1024 + mantissa, exponent - 25);
        ASSERT_EQ(static_cast<double>(got), want) << "bits " << bits;
        ASSERT_EQ(std::signbit(got), sign < 0) << "bits " << bits;
    }
}

TEST(Ops, RopeLlama3RemapsEachBandAsTransformers) {
    ModelConfig c;
    c.head_dim = 16;
    c.rope_theta = 10000.0f;  // wavelengths 6.3, 19.9, 62.8, ...: one per band and more
    c.rope_scaling.kind = RopeScaling::Kind::Llama3;
    c.rope_scaling.factor = 8.0f;
    c.rope_scaling.original_max_position = 32;
    const std::vector<float> scaled = rope_inv_freq(c);
    c.rope_scaling.kind = RopeScaling::Kind::Default;
    const std::vector<float> plain = rope_inv_freq(c);
    int high = 0, medium = 0, low = 0;
    for (size_t i = 0; i < plain.size(); ++i) {
        const double wavelen = 2 * M_PI / plain[i];
        if (wavelen < 8) {  // original / high_freq_factor
            EXPECT_EQ(scaled[i], plain[i]);
            ++high;
        } else if (wavelen > 32) {  // original / low_freq_factor
            EXPECT_FLOAT_EQ(scaled[i], plain[i] / 8.0f);
            ++low;
        } else {
            EXPECT_LT(scaled[i], plain[i]);
            EXPECT_GT(scaled[i], plain[i] / 8.0f);
            ++medium;
        }
    }
    EXPECT_GT(high, 0);
    EXPECT_GT(medium, 0);
    EXPECT_GT(low, 0);
}

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
    for (int threads : {1, 2, 4}) {
        ThreadPool pool(threads);
        for (int round = 0; round < 200; ++round) {
            const int n = round % 17;
            std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
            std::atomic<int> bad_thread{0};
            pool.run(n, [&](int task, int thread) {
                hits[static_cast<size_t>(task)].fetch_add(1);
                if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
            });
            for (int i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1);
            ASSERT_EQ(bad_thread.load(), 0);
        }
    }
}

}  // namespace
}  // namespace moco::cpu
