// Benchmarks of the CPU engine on a ~110M-parameter Llama (hidden 768, 12 layers, 12 heads,
// intermediate 2048, vocab 32000; random weights built in memory), every core of the machine:
//
//   BM_Prefill/<dtype>/<batch>  one call prefills `batch` sequences of 32 tokens    tokens/s
//   BM_Decode/<dtype>/<batch>/<context>
//                               one call decodes one token for each of `batch`
//                               sequences holding `context` tokens (kept constant)   tokens/s
//   BM_DecodeLockStep/<dtype>/<members>
//                               `members` caches of the model, each decoding one token per step
//                               (context 32) on a thread of its own, a step ending when every one
//                               has: an ensemble's members on one context, which take the
//                               context's threads in turn (members/1 is the baseline)   steps/s
//   BM_Gemm/<impl>/M/N/K        y = x W^T: libmoco's fixed-order GEMM (F32 and BF16 weights)
//                               against OpenBLAS sgemm, same thread count          GFLOP/s
//   BM_Softmax/<impl>/n         one attention row's softmax over n scores, one thread: libmoco's
//                               (the exp of kernels/exp_f32.h; scalar and this CPU's widest) against
//                               a loop over libm's std::exp                          scores/s
//
// Threads: every usable core, or MOCO_BENCH_THREADS. Besides wall-clock rates each benchmark reports
// its rate per CPU-second of the whole process ("per_cpu_s"): with MOCO_BENCH_THREADS=1 that is the
// throughput of one core, which stays meaningful on a machine shared with other work.
//
//   moco_engine_bench --benchmark_min_time=0.5
#include "bench_model.h"
#include "cpu/cpu_device.h"
#include "cpu/gemm.h"
#include "cpu/thread_pool.h"
#include "cpu/vec.h"
#include "moco_config.h"

#include <benchmark/benchmark.h>

#if MOCO_HAVE_OPENBLAS
#    include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <memory>
#include <thread>
#include <vector>

namespace {

using moco::DType;
using moco::bench::BenchModel;

constexpr int kPromptTokens = 32;

int threads() {
    const char* env = std::getenv("MOCO_BENCH_THREADS");
    return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : moco::cpu::info().logical_cores;
}

// CPU time of every thread of the process, in seconds.
double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Sets `name` (a rate over wall-clock time) and `name`_per_cpu_s (per CPU-second of the process
// since cpu_start) for `per_iteration` units per iteration.
void set_rates(benchmark::State& state, const char* name, double per_iteration, double cpu_start) {
    const double total = per_iteration * static_cast<double>(state.iterations());
    state.counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
    state.counters[std::string(name) + "_per_cpu_s"] = total / (process_cpu_seconds() - cpu_start);
}

BenchModel& model(DType dtype) {
    static std::map<DType, std::unique_ptr<BenchModel>> models;  // built on first use
    std::unique_ptr<BenchModel>& m = models[dtype];
    if (!m) {
        m = std::make_unique<BenchModel>(moco::bench::BenchShape{}, dtype, threads());
    }
    return *m;
}

// A cache with `batch` sequences and one entry per sequence asking for its last logits.
struct Batch {
    Batch(moco_model* model, int batch, int tokens_per_entry) {
        moco_kv_cache_options opts = moco_kv_cache_default_options();
        if (moco_kv_cache_create(model, &opts, &cache) != MOCO_OK) return;
        const int vocab = model->config.vocab_size;
        tokens.resize(static_cast<size_t>(batch) * tokens_per_entry);
        for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7919) % vocab);
        logits.resize(static_cast<size_t>(batch) * vocab);
        for (int b = 0; b < batch; ++b) {
            moco_batch_entry e{};
            moco_seq_create(cache, &e.seq);
            e.tokens = tokens.data() + static_cast<size_t>(b) * tokens_per_entry;
            e.n_tokens = tokens_per_entry;
            e.logits_mode = MOCO_OUTPUT_LAST;
            e.logits = logits.data() + static_cast<size_t>(b) * vocab;
            entries.push_back(e);
        }
    }
    ~Batch() { moco_kv_cache_destroy(cache); }
    bool run() { return moco_forward(cache, entries.data(), static_cast<int>(entries.size())) == MOCO_OK; }
    void truncate(int n) {
        for (const moco_batch_entry& e : entries) moco_seq_truncate(cache, e.seq, n);
    }

    moco_kv_cache* cache = nullptr;
    std::vector<int32_t> tokens;
    std::vector<float> logits;
    std::vector<moco_batch_entry> entries;
};

void BM_Prefill(benchmark::State& state, DType dtype) {
    const int batch = static_cast<int>(state.range(0));
    Batch b(model(dtype).model(), batch, kPromptTokens);
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        b.truncate(0);
        if (!b.run()) {
            state.SkipWithError(moco_last_error());
            break;
        }
    }
    set_rates(state, "tokens/s", static_cast<double>(batch) * kPromptTokens, cpu_start);
}

void BM_Decode(benchmark::State& state, DType dtype) {
    const int batch = static_cast<int>(state.range(0));
    const int context = static_cast<int>(state.range(1));
    moco_model* m = model(dtype).model();
    Batch prompt(m, batch, context);
    if (!prompt.run()) {
        state.SkipWithError(moco_last_error());
        return;
    }
    // One token per sequence each step, on the prompts' cache.
    std::vector<moco_batch_entry> entries = prompt.entries;
    for (moco_batch_entry& e : entries) e.n_tokens = 1;
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        if (moco_forward(prompt.cache, entries.data(), batch) != MOCO_OK) {
            state.SkipWithError(moco_last_error());
            break;
        }
        state.PauseTiming();
        prompt.truncate(context);  // every step sees the same context length
        state.ResumeTiming();
    }
    set_rates(state, "tokens/s", batch, cpu_start);
}

BENCHMARK_CAPTURE(BM_Prefill, bf16, DType::BF16)->Arg(1)->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decode, bf16, DType::BF16)
    ->Args({1, kPromptTokens})->Args({8, kPromptTokens})->Args({32, kPromptTokens})
    ->Args({1, 512})->Args({8, 512})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Prefill, f32, DType::F32)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decode, f32, DType::F32)
    ->Args({1, kPromptTokens})->Args({32, kPromptTokens})->Unit(benchmark::kMillisecond)->UseRealTime();

// std::barrier's arrive_and_wait (C++20; libmoco builds as C++17).
class Barrier {
public:
    explicit Barrier(int parties) : parties_(parties) {}
    void arrive_and_wait() {
        std::unique_lock<std::mutex> lock(mutex_);
        const uint64_t generation = generation_;
        if (++arrived_ == parties_) {
            arrived_ = 0;
            ++generation_;
            done_.notify_all();
            return;
        }
        done_.wait(lock, [&] { return generation_ != generation; });
    }

private:
    std::mutex mutex_;
    std::condition_variable done_;
    const int parties_;
    int arrived_ = 0;
    uint64_t generation_ = 0;
};

void BM_DecodeLockStep(benchmark::State& state, DType dtype) {
    const int members = static_cast<int>(state.range(0));
    moco_model* m = model(dtype).model();
    std::vector<std::unique_ptr<Batch>> caches;
    for (int i = 0; i < members; ++i) {
        caches.push_back(std::make_unique<Batch>(m, 1, kPromptTokens));
        if (!caches.back()->run()) {
            state.SkipWithError(moco_last_error());
            return;
        }
        caches.back()->entries[0].n_tokens = 1;
    }
    std::atomic<bool> failed{false};
    auto decode = [&](int i) {
        failed = failed || !caches[static_cast<size_t>(i)]->run();
        caches[static_cast<size_t>(i)]->truncate(kPromptTokens);
    };
    // Each step: every member waits for the start, decodes, waits for the others to finish.
    Barrier step(members);
    std::atomic<bool> stop{false};
    std::vector<std::thread> others;
    for (int i = 1; i < members; ++i) {
        others.emplace_back([&, i] {
            for (;;) {
                step.arrive_and_wait();
                if (stop) return;
                decode(i);
                step.arrive_and_wait();
            }
        });
    }
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        step.arrive_and_wait();
        decode(0);
        step.arrive_and_wait();
    }
    stop = true;
    step.arrive_and_wait();
    for (std::thread& t : others) t.join();
    if (failed) {
        state.SkipWithError(moco_last_error());
        return;
    }
    set_rates(state, "steps/s", 1, cpu_start);
}

BENCHMARK_CAPTURE(BM_DecodeLockStep, bf16, DType::BF16)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- GEMM: libmoco's fixed-order kernel vs OpenBLAS ------------------------------------------

struct GemmData {
    GemmData(int m, int n, int k) : x(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), y(static_cast<size_t>(m) * n) {
        uint32_t s = 1;
        auto next = [&] { s = s * 1664525u + 1013904223u; return static_cast<float>(s >> 8) / 8388608.0f - 1.0f; };
        for (float& v : x) v = next();
        for (float& v : w) v = next();
    }
    std::vector<float> x, w, y;
};

double gflop(const benchmark::State& state) {
    return 2e-9 * static_cast<double>(state.range(0)) * static_cast<double>(state.range(1)) *
           static_cast<double>(state.range(2));
}

void BM_Gemm(benchmark::State& state, DType dtype) {
    const int m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)), k = static_cast<int>(state.range(2));
    GemmData d(m, n, k);
    std::vector<uint16_t> bf16(d.w.size());
    for (size_t i = 0; i < d.w.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &d.w[i], 4);
        bf16[i] = static_cast<uint16_t>(bits >> 16);
    }
    const moco::cpu::PackedMatrix w = moco::cpu::pack_weights(
        dtype, n, k, dtype == DType::F32 ? static_cast<const void*>(d.w.data()) : bf16.data());
    moco::cpu::ThreadPool pool(threads());
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        moco::cpu::gemm(pool, d.x.data(), m, k, w, moco::cpu::OutRows{d.y.data(), n, nullptr});
        benchmark::ClobberMemory();
    }
    set_rates(state, "GFLOP/s", gflop(state), cpu_start);
}

#define GEMM_SHAPES                                                                              \
    Args({1, 2304, 768})->Args({32, 2304, 768})->Args({512, 2304, 768})->Args({1, 768, 2048})    \
        ->Args({32, 768, 2048})->Args({512, 768, 2048})->Args({1, 32000, 768})->Args({32, 32000, 768}) \
        ->UseRealTime()

BENCHMARK_CAPTURE(BM_Gemm, moco_f32, DType::F32)->GEMM_SHAPES;
BENCHMARK_CAPTURE(BM_Gemm, moco_bf16, DType::BF16)->GEMM_SHAPES;

#if MOCO_HAVE_OPENBLAS
void BM_GemmOpenBlas(benchmark::State& state) {
    const int m = static_cast<int>(state.range(0)), n = static_cast<int>(state.range(1)), k = static_cast<int>(state.range(2));
    GemmData d(m, n, k);
    openblas_set_num_threads(threads());
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, d.x.data(), k, d.w.data(), k,
                    0.0f, d.y.data(), n);
        benchmark::ClobberMemory();
    }
    set_rates(state, "GFLOP/s", gflop(state), cpu_start);
}
BENCHMARK(BM_GemmOpenBlas)->GEMM_SHAPES;
#endif

// ---- Attention softmax: libmoco's vector exp vs libm ---------------------------------------------

// The baseline: what a plain loop over std::exp costs (libmoco's softmax until it had its own exp).
void softmax_libm(float* p, int n, float scale) {
    float max_score = -INFINITY;
    for (int i = 0; i < n; ++i) {
        p[i] *= scale;
        max_score = p[i] > max_score ? p[i] : max_score;
    }
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) {
        p[i] = std::exp(p[i] - max_score);
        sum += p[i];
    }
    const float inv_sum = 1.0f / sum;
    for (int i = 0; i < n; ++i) p[i] *= inv_sum;
}

// A block of rows per iteration, refilled with the scores outside the timing (softmax works in place), so the copy
// and the timer's own cost stay out of the rate.
void BM_Softmax(benchmark::State& state, void (*softmax)(float*, int, float)) {
    const int n = static_cast<int>(state.range(0));
    const int rows = std::max(1, 65536 / n);
    std::vector<float> scores(static_cast<size_t>(n) * rows), p(scores.size());
    uint32_t s = 7;
    for (float& v : scores) {
        s = s * 1664525u + 1013904223u;
        v = static_cast<float>(s >> 8) / 1048576.0f - 8.0f;  // dot products of a 64-wide head: a few units
    }
    for (auto _ : state) {
        state.PauseTiming();
        std::memcpy(p.data(), scores.data(), scores.size() * sizeof(float));
        state.ResumeTiming();
        for (int r = 0; r < rows; ++r) softmax(p.data() + static_cast<size_t>(r) * n, n, 0.125f);
        benchmark::DoNotOptimize(p.data());
    }
    state.counters["scores/s"] = benchmark::Counter(static_cast<double>(n) * rows, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(BM_Softmax, libm, softmax_libm)->Arg(512)->Arg(4096);
BENCHMARK_CAPTURE(BM_Softmax, moco_scalar, moco::cpu::vec_ops_scalar().softmax_scaled)->Arg(512)->Arg(4096);
BENCHMARK_CAPTURE(BM_Softmax, moco_best, moco::cpu::vec_ops().softmax_scaled)->Arg(512)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
