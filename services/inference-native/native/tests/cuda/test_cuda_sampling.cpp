// The device sampler (src/cuda/sampling.h) against moco_sample on the same rows, options, histories
// and seeds: the same token ids and the same `processed` rows bit for bit, the same uniform and exp
// bits, the same numeric failures and the same argument checks. The one allowed difference is the
// one sampling.h documents - the device sums top-p's mass and the draw's running sum in fixed point
// (a decision can move by at most vocab * 2^-(62 - bit length of vocab) of the total, 8.6e-9 for
// 151936) where the CPU sums in f64: a row is exempt when, on the CPU's own numbers, a top-p walking
// mass or a draw bucket edge lies within tolerance(vocab), twice that bound, of the threshold (top_p,
// u). At most 10% of the rows may be exempt, so a test cannot pass by exempting (with 151936 ids
// about 0.5% of the rows are, plus for top-p 0.99 a few flat rows whose walk crosses 0.99 in steps
// of ~5e-7).
#include "cuda/sampling.h"
#include "cuda_test_util.h"
#include "device_probe.h"
#include "kernels/exp_f32.h"
#include "kernels/philox.h"

#include <atomic>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <thread>

namespace moco::cuda_test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int kBigVocab = 151936;  // Qwen2.5's

// Twice the bound above on how far the device's fixed-point sums can move a decision.
double tolerance(int vocab) {
    int bits = 0;
    while ((vocab >> bits) != 0) ++bits;
    return 2.0 * vocab * std::ldexp(1.0, -(62 - bits));
}

// A batch of rows to sample, each with its own options, history and stream position.
struct Batch {
    int vocab = 0;
    std::vector<float> logits;  // [rows, vocab]
    std::vector<moco_sampling_options> opts;
    std::vector<std::vector<int32_t>> history;
    std::vector<uint64_t> seed;
    std::vector<uint64_t> tokens_generated;
    std::vector<uint64_t> sample_index;

    int rows() const { return static_cast<int>(opts.size()); }
    const float* row(int r) const { return logits.data() + static_cast<size_t>(r) * vocab; }
};

// fn(r) for every r < rows, on all cores (the CPU side of a big batch is most of a test's time;
// moco_sample is thread-safe). No assertions inside fn.
template <class Fn>
void for_each_row(int rows, Fn fn) {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int r = next++; r < rows; r = next++) fn(r);
        });
    }
    for (std::thread& t : pool) t.join();
}

// Kinds of rows: peaked (a few dominant ids), flat, coarse (many exact ties, some -inf), sparse (a
// handful of finite entries, so top-k can exceed the candidates).
std::vector<float> random_row(int vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::uniform_int_distribution<int> id(0, vocab - 1);
    std::vector<float> z(static_cast<size_t>(vocab));
    switch (seed % 4) {
        case 0:
            for (float& x : z) x = normal(rng);
            for (int i = 0; i < 12; ++i) z[static_cast<size_t>(id(rng))] += 8.0f + normal(rng);
            break;
        case 1:
            for (float& x : z) x = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
            break;
        case 2:
            for (float& x : z) x = std::round(normal(rng) * 2.0f) / 4.0f;
            for (int i = 0; i < vocab / 16; ++i) z[static_cast<size_t>(id(rng))] = -kInf;
            z[static_cast<size_t>(id(rng))] = std::round(normal(rng) * 2.0f) / 4.0f;  // one finite at least
            break;
        default:
            std::fill(z.begin(), z.end(), -kInf);
            for (int i = 0; i < 5; ++i) z[static_cast<size_t>(id(rng))] = normal(rng);
            break;
    }
    return z;
}

// `rows` rows of `distinct` random rows (row r uses row r % distinct) under `opts`, each row with a
// history of up to 40 ids (duplicates included), its own seed and step.
Batch make_batch(int vocab, int rows, int distinct, const moco_sampling_options& opts, uint32_t seed) {
    Batch b;
    b.vocab = vocab;
    std::vector<std::vector<float>> bases(static_cast<size_t>(distinct));
    for_each_row(distinct, [&](int d) {
        bases[static_cast<size_t>(d)] = random_row(vocab, seed * 7919u + static_cast<uint32_t>(d));
    });
    std::mt19937_64 rng(seed);
    for (int r = 0; r < rows; ++r) {
        const std::vector<float>& base = bases[static_cast<size_t>(r % distinct)];
        b.logits.insert(b.logits.end(), base.begin(), base.end());
        b.opts.push_back(opts);
        std::vector<int32_t> history(rng() % 41);
        for (int32_t& h : history) h = static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab));
        if (history.size() > 2) history[1] = history[0];
        b.history.push_back(history);
        b.seed.push_back(rng());
        b.tokens_generated.push_back(rng() % 5000);
        b.sample_index.push_back(static_cast<uint64_t>(r % 3));
    }
    return b;
}

struct Result {
    std::vector<moco_status> status;
    std::vector<int32_t> tokens;
    std::vector<float> processed;
};

Result run_cpu(const Batch& b) {
    Result out;
    out.processed.resize(b.logits.size());
    out.status.resize(static_cast<size_t>(b.rows()));
    out.tokens.resize(static_cast<size_t>(b.rows()), -2);
    for_each_row(b.rows(), [&](int r) {
        const size_t i = static_cast<size_t>(r);
        const std::vector<int32_t>& h = b.history[i];
        out.status[i] = moco_sample(b.row(r), b.vocab, &b.opts[i], h.data(), static_cast<int>(h.size()), b.seed[i],
                                    b.tokens_generated[i], b.sample_index[i],
                                    out.processed.data() + i * static_cast<size_t>(b.vocab), &out.tokens[i]);
    });
    return out;
}

std::vector<cuda::SamplingRow> prepared_rows(const Batch& b, std::vector<int32_t>* flat_history) {
    std::vector<cuda::SamplingRow> rows(static_cast<size_t>(b.rows()));
    for (int r = 0; r < b.rows(); ++r) {
        const std::vector<int32_t>& h = b.history[static_cast<size_t>(r)];
        const moco_status st = cuda::prepare_sampling_row(
            &b.opts[static_cast<size_t>(r)], b.vocab, h.data(), static_cast<int>(h.size()),
            static_cast<int64_t>(flat_history->size()), b.seed[static_cast<size_t>(r)],
            b.tokens_generated[static_cast<size_t>(r)], b.sample_index[static_cast<size_t>(r)],
            &rows[static_cast<size_t>(r)]);
        EXPECT_EQ(st, MOCO_OK) << moco_last_error();
        flat_history->insert(flat_history->end(), h.begin(), h.end());
    }
    return rows;
}

Result run_device(const Batch& b) {
    std::vector<int32_t> flat_history;
    const std::vector<cuda::SamplingRow> rows = prepared_rows(b, &flat_history);
    DeviceArray<float> logits(b.logits), processed(b.logits.size());
    DeviceArray<cuda::SamplingRow> params(rows);
    DeviceArray<int32_t> history(flat_history), tokens(rows.size());
    cuda::sample_rows(logits.get(), b.rows(), b.vocab, params.get(), history.get(), processed.get(), tokens.get(),
                      nullptr);
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
    Result out;
    out.tokens = tokens.host();
    out.processed = processed.host();
    return out;
}

// The CPU's walk order as one integer (sampling.cpp's walk_key): ascending keys walk the logits
// descending, then the ids ascending.
uint64_t walk_key(float logit, int32_t id) {
    uint32_t bits = 0;
    std::memcpy(&bits, &logit, sizeof(bits));
    const uint32_t ascending = bits ^ ((bits >> 31) != 0 ? 0xFFFFFFFFu : 0x80000000u);
    return (static_cast<uint64_t>(~ascending) << 32) | static_cast<uint32_t>(id);
}

// exp(z - m) of the candidates of z (ids > -inf, ascending) and their sequential f64 sum.
struct Weights {
    std::vector<int32_t> ids;
    std::vector<double> w;
    double total = 0.0;
};

Weights weights_of(const std::vector<float>& z) {
    Weights out;
    float m = -kInf;
    for (const float x : z) m = std::max(m, x);
    for (size_t v = 0; v < z.size(); ++v) {
        if (!(z[v] > -kInf)) continue;
        out.ids.push_back(static_cast<int32_t>(v));
        out.w.push_back(static_cast<double>(kernels::exp_f32(z[v] - m)));
        out.total += out.w.back();
    }
    return out;
}

// Whether top-p's walking mass (the CPU's numbers) comes within tolerance of top_p in row r.
bool top_p_near_boundary(const Batch& b, int r) {
    moco_sampling_options before_top_p = b.opts[static_cast<size_t>(r)];
    if (!(before_top_p.top_p < 1.0f) || before_top_p.temperature == 0.0f) return false;
    before_top_p.top_p = 1.0f;
    before_top_p.min_p = 0.0f;
    std::vector<float> z(static_cast<size_t>(b.vocab));
    int32_t ignored = 0;
    const std::vector<int32_t>& h = b.history[static_cast<size_t>(r)];
    if (moco_sample(b.row(r), b.vocab, &before_top_p, h.data(), static_cast<int>(h.size()), 0, 0, 0, z.data(),
                    &ignored) != MOCO_OK) {
        return false;
    }
    const Weights w = weights_of(z);
    std::vector<uint64_t> order;  // walk keys of the candidates
    for (const int32_t id : w.ids) order.push_back(walk_key(z[static_cast<size_t>(id)], id));
    std::sort(order.begin(), order.end());
    std::vector<size_t> index_of(z.size());  // id -> its position in w
    for (size_t j = 0; j < w.ids.size(); ++j) index_of[static_cast<size_t>(w.ids[j])] = j;
    const double p = static_cast<double>(b.opts[static_cast<size_t>(r)].top_p);
    const double tol = tolerance(b.vocab);
    double mass = 0.0;
    for (size_t j = 0; j < order.size() && mass <= p + tol; ++j) {
        if (j > 0 && std::fabs(mass - p) < tol) return true;
        mass += w.w[index_of[order[j] & 0xFFFFFFFFu]] / w.total;
    }
    return false;
}

// Whether u lies within tolerance of an edge of the draw's buckets (running sums / total, the
// CPU's numbers) in the CPU's processed row r.
bool draw_near_edge(const Batch& b, const Result& cpu, int r) {
    if (b.opts[static_cast<size_t>(r)].temperature == 0.0f) return false;
    const std::vector<float> z(cpu.processed.begin() + static_cast<std::ptrdiff_t>(r) * b.vocab,
                               cpu.processed.begin() + static_cast<std::ptrdiff_t>(r + 1) * b.vocab);
    const Weights w = weights_of(z);
    const double u = static_cast<double>(moco_sampling_uniform(
        b.seed[static_cast<size_t>(r)], b.tokens_generated[static_cast<size_t>(r)],
        b.sample_index[static_cast<size_t>(r)]));
    double running = 0.0;
    for (const double x : w.w) {
        running += x;
        if (std::fabs(running / w.total - u) < tolerance(b.vocab)) return true;
    }
    return false;
}

bool same_bits(const float* a, const float* b, int n) {
    return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

// Device vs CPU on every row of b: statuses, tokens, processed rows (rows near a boundary exempt).
void expect_same_as_cpu(const Batch& b, const std::string& what) {
    const Result cpu = run_cpu(b);
    const Result gpu = run_device(b);
    ASSERT_EQ(gpu.tokens.size(), cpu.tokens.size());
    std::vector<char> near_boundary(static_cast<size_t>(b.rows()), 0);
    for_each_row(b.rows(), [&](int r) {
        near_boundary[static_cast<size_t>(r)] = cpu.status[static_cast<size_t>(r)] == MOCO_OK &&
                                                (top_p_near_boundary(b, r) || draw_near_edge(b, cpu, r));
    });
    int exempt = 0, compared = 0, failures = 0;
    for (int r = 0; r < b.rows() && failures < 5; ++r) {
        const size_t i = static_cast<size_t>(r);
        if (cpu.status[i] != MOCO_OK) {
            EXPECT_EQ(cpu.status[i], MOCO_ERR_NUMERIC) << what << " row " << r;
            EXPECT_EQ(gpu.tokens[i], cuda::kSampleNumericError) << what << " row " << r;
            continue;
        }
        if (near_boundary[i] != 0) {
            ++exempt;
            continue;
        }
        ++compared;
        const float* want = cpu.processed.data() + i * static_cast<size_t>(b.vocab);
        const float* got = gpu.processed.data() + i * static_cast<size_t>(b.vocab);
        const bool same_row = same_bits(got, want, b.vocab);
        const bool same_token = gpu.tokens[i] == cpu.tokens[i];
        if (!same_row || !same_token) {
            ++failures;
            int column = 0;
            while (column < b.vocab && std::memcmp(got + column, want + column, sizeof(float)) == 0) ++column;
            ADD_FAILURE() << what << " row " << r << " (vocab " << b.vocab << "): token " << gpu.tokens[i]
                          << " vs the CPU's " << cpu.tokens[i] << "; processed rows "
                          << (same_row ? std::string("equal")
                                       : "differ first at column " + std::to_string(column) + ": " +
                                             std::to_string(got[column]) + " vs " + std::to_string(want[column]));
        }
    }
    EXPECT_LE(exempt * 10, b.rows()) << what << ": " << exempt << " of " << b.rows()
                                     << " rows exempt as near a boundary (at most 10% may be)";
    ::testing::Test::RecordProperty(what + "_compared", compared);
    ::testing::Test::RecordProperty(what + "_exempt", exempt);
}

// The options under test on the big vocabulary (200 random rows, 200 seeds) and on small ones (vocab
// 1 and 2 included).
void expect_same_as_cpu_on_all_shapes(const moco_sampling_options& opts, uint32_t seed, const std::string& what) {
    expect_same_as_cpu(make_batch(kBigVocab, 200, 200, opts, seed), what + "_vocab151936");
    for (const int vocab : {1, 2, 7, 33, 1000, 5003}) {
        expect_same_as_cpu(make_batch(vocab, 200, 200, opts, seed + static_cast<uint32_t>(vocab)),
                           what + "_vocab" + std::to_string(vocab));
    }
}

moco_sampling_options options(float temperature, int top_k, float top_p, float min_p, float penalty) {
    moco_sampling_options o = moco_sampling_default_options();
    o.temperature = temperature;
    o.top_k = top_k;
    o.top_p = top_p;
    o.min_p = min_p;
    o.repetition_penalty = penalty;
    return o;
}

TEST(CudaSampling, UniformIsTheHostPhiloxBitForBit) {
    MOCO_REQUIRE_GPU();
    std::vector<cuda::SamplingRow> rows(1000);
    std::mt19937_64 rng(5);
    for (size_t r = 0; r < rows.size(); ++r) {
        rows[r].seed = r < 3 ? r : rng();  // 0, 1, 2, then full 64-bit seeds
        rows[r].tokens_generated = r % 2 == 0 ? r : rng();
        rows[r].sample_index = r % 5 == 0 ? rng() : r % 3;
    }
    DeviceArray<cuda::SamplingRow> params(rows);
    DeviceArray<float> u(rows.size());
    cuda::sampling_uniform_rows(params.get(), static_cast<int>(rows.size()), u.get(), nullptr);
    const std::vector<float> got = u.host();
    for (size_t r = 0; r < rows.size(); ++r) {
        const float want = moco_sampling_uniform(rows[r].seed, rows[r].tokens_generated, rows[r].sample_index);
        ASSERT_TRUE(same_bits(&got[r], &want, 1)) << "row " << r << ": " << got[r] << " vs " << want;
    }
}

TEST(CudaSampling, ExpF32IsTheCpuOneBitForBit) {
    MOCO_REQUIRE_GPU();
    std::vector<float> x = {0.0f, -0.0f, -kInf, -87.3365479f, -87.3365f, -87.34f, -1e-30f, -1e-7f, -0.5f, -88.0f,
                            -0.34657359f, -0.34657360f, 1.0f};
    for (int i = 0; i < 200000; ++i) x.push_back(-90.0f * static_cast<float>(i) / 200000.0f);
    const std::vector<float> more = random_floats(100000, 6, -20.0f, 0.0f);
    x.insert(x.end(), more.begin(), more.end());
    DeviceArray<float> dx(x), out(x.size());
    device_exp_f32(dx.get(), static_cast<int>(x.size()), out.get(), nullptr);
    const std::vector<float> got = out.host();
    for (size_t i = 0; i < x.size(); ++i) {
        const float want = kernels::exp_f32(x[i]);
        ASSERT_TRUE(same_bits(&got[i], &want, 1)) << "exp_f32(" << x[i] << "): " << got[i] << " vs " << want;
    }
}

TEST(CudaSampling, GreedyIsTheArgmaxLowestIdFirst) {
    MOCO_REQUIRE_GPU();
    Batch b = make_batch(kBigVocab, 40, 40, options(0.0f, 0, 1.0f, 0.0f, 1.0f), 11);
    // Row 0: a three-way tie for the max at ids 5000 < 7000 < 9000; row 1: -0 and +0 tie at the top.
    for (const int v : {9000, 5000, 7000}) b.logits[static_cast<size_t>(v)] = 100.0f;
    float* row1 = b.logits.data() + kBigVocab;
    std::fill(row1, row1 + kBigVocab, -1.0f);
    row1[300] = -0.0f;
    row1[200] = 0.0f;
    row1[250] = -0.0f;
    const Result gpu = run_device(b);
    EXPECT_EQ(gpu.tokens[0], 5000);
    EXPECT_EQ(gpu.tokens[1], 200);
    for (int r = 0; r < b.rows(); ++r) {
        const float* z = b.row(r);
        const int32_t argmax = static_cast<int32_t>(std::max_element(z, z + kBigVocab) - z);  // first max
        EXPECT_EQ(gpu.tokens[static_cast<size_t>(r)], argmax) << "row " << r;
    }
    expect_same_as_cpu_on_all_shapes(options(0.0f, 0, 1.0f, 0.0f, 1.0f), 12, "greedy");
    expect_same_as_cpu_on_all_shapes(options(0.0f, 0, 1.0f, 0.0f, 1.5f), 13, "greedy_penalty");
}

TEST(CudaSampling, PlainDrawMatchesCpu) {
    MOCO_REQUIRE_GPU();
    expect_same_as_cpu_on_all_shapes(options(1.0f, 0, 1.0f, 0.0f, 1.0f), 21, "plain");
}

TEST(CudaSampling, TemperatureMatchesCpu) {
    MOCO_REQUIRE_GPU();
    expect_same_as_cpu_on_all_shapes(options(0.7f, 0, 1.0f, 0.0f, 1.0f), 31, "temperature_0.7");
    expect_same_as_cpu_on_all_shapes(options(1.9f, 0, 1.0f, 0.0f, 1.0f), 32, "temperature_1.9");
}

TEST(CudaSampling, TopKMatchesCpuTiesAtTheKthIncluded) {
    MOCO_REQUIRE_GPU();
    for (const int k : {1, 2, 50, 1000}) {
        expect_same_as_cpu_on_all_shapes(options(1.0f, k, 1.0f, 0.0f, 1.0f), 40 + static_cast<uint32_t>(k),
                                         "top_k_" + std::to_string(k));
    }
    // Ten ids tie at the 3rd largest value: top-k 3 keeps all twelve candidates.
    Batch b = make_batch(1000, 1, 1, options(1.0f, 3, 1.0f, 0.0f, 1.0f), 49);
    std::fill(b.logits.begin(), b.logits.end(), -5.0f);
    b.logits[10] = 3.0f;
    b.logits[20] = 2.0f;
    for (int v = 100; v < 110; ++v) b.logits[static_cast<size_t>(v)] = 1.0f;
    const Result gpu = run_device(b);
    int kept = 0;
    for (const float x : gpu.processed) kept += x > -kInf;
    EXPECT_EQ(kept, 12);
    expect_same_as_cpu(b, "top_k_ties");
}

TEST(CudaSampling, TopPMatchesCpu) {
    MOCO_REQUIRE_GPU();
    for (const float p : {0.0f, 0.3f, 0.9f, 0.99f}) {
        expect_same_as_cpu_on_all_shapes(options(1.0f, 0, p, 0.0f, 1.0f), 50 + static_cast<uint32_t>(p * 1000),
                                         "top_p_" + std::to_string(p));
    }
    // Equal logits in the walk: ids 10..19 hold 0.1 each of the mass; top-p 0.35 keeps the four
    // lowest ids of the tie (mass before id 13 is 0.3 < 0.35, before id 14 0.4).
    Batch b = make_batch(64, 1, 1, options(1.0f, 0, 0.35f, 0.0f, 1.0f), 59);
    std::fill(b.logits.begin(), b.logits.end(), -kInf);
    for (int v = 10; v < 20; ++v) b.logits[static_cast<size_t>(v)] = 0.5f;
    const Result gpu = run_device(b);
    for (int v = 0; v < 64; ++v) {
        EXPECT_EQ(gpu.processed[static_cast<size_t>(v)] > -kInf, v >= 10 && v < 14) << "id " << v;
    }
    expect_same_as_cpu(b, "top_p_ties");
}

TEST(CudaSampling, MinPMatchesCpu) {
    MOCO_REQUIRE_GPU();
    for (const float min_p : {0.05f, 0.5f, 1.0f}) {
        expect_same_as_cpu_on_all_shapes(options(1.0f, 0, 1.0f, min_p, 1.0f),
                                         70 + static_cast<uint32_t>(min_p * 100), "min_p_" + std::to_string(min_p));
    }
}

TEST(CudaSampling, RepetitionPenaltyWithHistoryMatchesCpu) {
    MOCO_REQUIRE_GPU();
    expect_same_as_cpu_on_all_shapes(options(1.0f, 0, 1.0f, 0.0f, 1.3f), 81, "penalty_1.3");
    expect_same_as_cpu_on_all_shapes(options(1.0f, 0, 1.0f, 0.0f, 0.8f), 82, "penalty_0.8");
    // A history of one id many times over penalises it once: 4 / 2 = 2, not 4 / 2^n.
    Batch b = make_batch(16, 1, 1, options(1.0f, 0, 1.0f, 0.0f, 2.0f), 83);
    std::fill(b.logits.begin(), b.logits.end(), 0.0f);
    b.logits[3] = 4.0f;
    b.logits[5] = -4.0f;
    b.history[0] = {3, 5, 3, 3, 5, 3};
    const Result gpu = run_device(b);
    EXPECT_EQ(gpu.processed[3], 2.0f);
    EXPECT_EQ(gpu.processed[5], -8.0f);
    expect_same_as_cpu(b, "penalty_repeated_ids");
}

TEST(CudaSampling, AllProcessorsTogetherMatchCpu) {
    MOCO_REQUIRE_GPU();
    expect_same_as_cpu_on_all_shapes(options(0.8f, 50, 0.9f, 0.02f, 1.2f), 91, "all_typical");
    expect_same_as_cpu_on_all_shapes(options(1.3f, 2000, 0.6f, 0.1f, 0.9f), 92, "all_wide");
    // Different options per row in one launch.
    Batch b = make_batch(kBigVocab, 60, 6, options(1.0f, 0, 1.0f, 0.0f, 1.0f), 93);
    const moco_sampling_options mix[] = {options(0.0f, 0, 1.0f, 0.0f, 1.1f), options(0.7f, 20, 1.0f, 0.0f, 1.0f),
                                         options(1.0f, 0, 0.8f, 0.0f, 1.0f), options(1.0f, 0, 1.0f, 0.1f, 1.0f),
                                         options(0.9f, 40, 0.95f, 0.05f, 1.3f)};
    for (int r = 0; r < b.rows(); ++r) b.opts[static_cast<size_t>(r)] = mix[r % 5];
    expect_same_as_cpu(b, "all_mixed_rows");
}

TEST(CudaSampling, NumericFailuresAreTheCpusPerRow) {
    MOCO_REQUIRE_GPU();
    Batch b = make_batch(100, 8, 8, options(1.0f, 0, 1.0f, 0.0f, 1.0f), 101);
    const auto row = [&](int r) { return b.logits.data() + static_cast<size_t>(r) * 100; };
    row(0)[7] = std::numeric_limits<float>::quiet_NaN();
    row(1)[8] = kInf;
    std::fill(row(2), row(2) + 100, -kInf);
    row(3)[9] = 3e38f;  // / 0.5 overflows
    b.opts[3].repetition_penalty = 0.5f;
    b.history[3] = {9};
    row(4)[10] = 1e38f;  // / 1e-3 overflows
    b.opts[4].temperature = 1e-3f;
    std::fill(row(5), row(5) + 100, -3e38f);  // * 10 is -inf everywhere: nothing finite is left
    b.opts[5].repetition_penalty = 10.0f;
    b.history[5].resize(100);
    std::iota(b.history[5].begin(), b.history[5].end(), 0);
    b.opts[6] = b.opts[5];  // the same, greedy
    b.opts[6].temperature = 0.0f;
    std::copy(row(5), row(5) + 100, row(6));
    b.history[6] = b.history[5];
    const Result cpu = run_cpu(b);
    for (int r = 0; r < 7; ++r) EXPECT_EQ(cpu.status[static_cast<size_t>(r)], MOCO_ERR_NUMERIC) << "row " << r;
    EXPECT_EQ(cpu.status[7], MOCO_OK);  // row 7 is untouched and samples normally next to them
    expect_same_as_cpu(b, "numeric");
}

// Runs without a GPU: the checks are host code.
TEST(CudaSampling, PrepareChecksArgumentsAsMocoSampleDoes) {
    const float logits[4] = {0.0f, 1.0f, 2.0f, 3.0f};
    const int32_t ok_history[2] = {1, 3};
    struct Bad {
        moco_sampling_options opts;
        std::vector<int32_t> history;
        int n_history;
    };
    std::vector<Bad> bad;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const moco_sampling_options& o :
         {options(-1.0f, 0, 1.0f, 0.0f, 1.0f), options(nan, 0, 1.0f, 0.0f, 1.0f), options(kInf, 0, 1.0f, 0.0f, 1.0f),
          options(1.0f, -1, 1.0f, 0.0f, 1.0f), options(1.0f, 0, 1.5f, 0.0f, 1.0f), options(1.0f, 0, -0.1f, 0.0f, 1.0f),
          options(1.0f, 0, nan, 0.0f, 1.0f), options(1.0f, 0, 1.0f, 2.0f, 1.0f), options(1.0f, 0, 1.0f, 0.0f, 0.0f),
          options(1.0f, 0, 1.0f, 0.0f, -1.0f), options(1.0f, 0, 1.0f, 0.0f, kInf)}) {
        bad.push_back({o, {1, 3}, 2});
    }
    moco_sampling_options too_small = moco_sampling_default_options();
    too_small.struct_size = 4;
    bad.push_back({too_small, {1, 3}, 2});
    bad.push_back({moco_sampling_default_options(), {1, 4}, 2});   // id 4 outside vocab 4
    bad.push_back({moco_sampling_default_options(), {-1}, 1});     // negative id
    bad.push_back({moco_sampling_default_options(), {1, 3}, -1});  // negative n_history
    bad.push_back({moco_sampling_default_options(), {}, 3});       // NULL history with n_history 3
    for (size_t i = 0; i < bad.size(); ++i) {
        const int32_t* history = bad[i].history.empty() ? nullptr : bad[i].history.data();
        int32_t token = 0;
        const moco_status want =
            moco_sample(logits, 4, &bad[i].opts, history, bad[i].n_history, 1, 0, 0, nullptr, &token);
        const std::string want_message = moco_last_error();
        cuda::SamplingRow row;
        const moco_status got =
            cuda::prepare_sampling_row(&bad[i].opts, 4, history, bad[i].n_history, 0, 1, 0, 0, &row);
        const std::string got_message = moco_last_error();
        EXPECT_EQ(want, MOCO_ERR_INVALID_ARGUMENT) << "case " << i;
        EXPECT_EQ(got, want) << "case " << i << ": " << got_message;
        // The same message after the function name.
        ASSERT_EQ(want_message.rfind("moco_sample: ", 0), 0u) << want_message;
        EXPECT_EQ("sample_rows: " + want_message.substr(std::strlen("moco_sample: ")), got_message) << "case " << i;
    }

    cuda::SamplingRow row;
    const moco_sampling_options good = options(0.5f, 7, 0.8f, 0.1f, 1.2f);
    ASSERT_EQ(cuda::prepare_sampling_row(&good, 4, ok_history, 2, 17, 99, 5, 2, &row), MOCO_OK);
    EXPECT_EQ(row.config.temperature, 0.5f);
    EXPECT_EQ(row.config.top_k, 7);
    EXPECT_EQ(row.config.top_p, 0.8f);
    EXPECT_EQ(row.config.min_p, 0.1f);
    EXPECT_EQ(row.config.repetition_penalty, 1.2f);
    EXPECT_EQ(row.n_history, 2);
    EXPECT_EQ(row.history_offset, 17);
    EXPECT_EQ(row.seed, 99u);
    EXPECT_EQ(row.tokens_generated, 5u);
    EXPECT_EQ(row.sample_index, 2u);
    // NULL options are the defaults, as for moco_sample.
    ASSERT_EQ(cuda::prepare_sampling_row(nullptr, 4, nullptr, 0, 0, 1, 0, 0, &row), MOCO_OK);
    EXPECT_EQ(row.config.temperature, 1.0f);
    EXPECT_EQ(row.config.top_p, 1.0f);
    EXPECT_EQ(row.n_history, 0);
}

}  // namespace
}  // namespace moco::cuda_test
