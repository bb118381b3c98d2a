// Kernel benchmarks: merge throughput against a memcpy of the same bytes measured in the same run
// (counter memcpy_ratio = merge GB/s / memcpy GB/s), fusions of 2 and 3 vocabulary-size
// distributions per second, and sampling throughput.
//
//   <build>/bin/moco_bench_kernels [--benchmark_filter=Merge]
#include "moco.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

constexpr int kVocab = 151936;                   // Qwen2's head: a realistic vocabulary width
constexpr int64_t kElements = int64_t{1} << 23;  // 8 Mi elements per tensor: far beyond the caches

// Roughly normal values (a sum of four uniforms) with standard deviation `scale`, from a 64-bit
// LCG: cheap, so setting up the 8 Mi-element tensors does not dominate a profile, and shaped like
// real logits rather than a flat row.
std::vector<float> random_floats(std::size_t n, uint32_t seed, float scale) {
    uint64_t state = 0x9E3779B97F4A7C15ull * (seed + 1);
    std::vector<float> v(n);
    for (float& x : v) {
        float sum = 0.0f;
        for (int k = 0; k < 4; ++k) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            sum += static_cast<float>(state >> 40) / 16777216.0f - 0.5f;
        }
        x = scale * sum * 1.7320508f;  // a sum of four U(-1/2, 1/2) has variance 1/3
    }
    return v;
}

std::vector<uint16_t> random_bf16(std::size_t n, uint32_t seed) {
    std::vector<uint16_t> out(n);
    const std::vector<float> v = random_floats(n, seed, 0.05f);
    for (std::size_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &v[i], 4);
        out[i] = static_cast<uint16_t>(bits >> 16);
    }
    return out;
}

// memcpy bandwidth for moving `bytes` (read + written), best of three, in bytes per second.
double memcpy_rate(std::size_t bytes) {
    std::vector<uint8_t> src(bytes / 2, 1), dst(bytes / 2);
    double best = 0.0;
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        std::memcpy(dst.data(), src.data(), src.size());
        benchmark::DoNotOptimize(dst.data());
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, static_cast<double>(bytes) / seconds);
    }
    return best;
}

// One BF16 tensor merge over kElements elements: the base (when the method has one) plus
// n_inputs fine-tunes, written to BF16.
void merge(benchmark::State& state, int method, int n_inputs, double density) {
    const std::size_t n = static_cast<std::size_t>(kElements);
    std::vector<std::vector<uint16_t>> tensors;
    for (int i = 0; i < n_inputs; ++i)
        tensors.push_back(random_bf16(n, static_cast<uint32_t>(i + 1)));
    const std::vector<uint16_t> base = random_bf16(n, 99);
    std::vector<uint16_t> out(n);

    moco_merge_spec spec = moco_merge_default_spec();
    spec.method = method;
    spec.tensor_name = "model.layers.0.mlp.up_proj.weight";
    spec.out_dtype = MOCO_DTYPE_BF16;
    spec.seed = 1;
    if (method == MOCO_MERGE_EXTRAPOLATE) spec.alpha = 0.3f;
    std::vector<moco_merge_input> inputs(static_cast<std::size_t>(n_inputs));
    std::vector<const void*> pointers;
    for (int i = 0; i < n_inputs; ++i) {
        moco_merge_input& in = inputs[static_cast<std::size_t>(i)];
        in.tensor.dtype = MOCO_DTYPE_BF16;
        in.tensor.ndim = 1;
        in.tensor.shape[0] = kElements;
        in.weight = 1.0f / static_cast<float>(n_inputs);
        in.density = density;
        in.model_index = i;
        pointers.push_back(tensors[static_cast<std::size_t>(i)].data());
    }
    moco_tensor_desc base_desc = inputs[0].tensor;
    spec.n_inputs = n_inputs;
    spec.inputs = inputs.data();
    spec.base = method == MOCO_MERGE_LINEAR ? nullptr : &base_desc;

    // Bytes a single pass touches: every operand read once, the output written once (scan passes
    // of TIES / DARE read more; the counter reports the merge against this one-pass volume).
    const std::size_t bytes =
        n * 2 * (static_cast<std::size_t>(n_inputs) + (spec.base != nullptr ? 1 : 0) + 1);
    const double copy = memcpy_rate(bytes);
    for (auto _ : state) {
        if (moco_merge_tensor(&spec, pointers.data(), base.data(), out.data()) != MOCO_OK) {
            state.SkipWithError(moco_last_error());
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
    state.counters["merge_GBps"] = benchmark::Counter(
        static_cast<double>(bytes) * 1e-9 * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
    state.counters["memcpy_GBps"] = copy * 1e-9;
    state.counters["memcpy_ratio"] = benchmark::Counter(
        static_cast<double>(bytes) / copy * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
}

void BM_MemcpyOf4Tensors(benchmark::State& state) {  // the raw copy behind memcpy_ratio
    const std::size_t bytes = static_cast<std::size_t>(kElements) * 2 * 4;
    std::vector<uint8_t> src(bytes / 2, 1), dst(bytes / 2);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), src.size());
        benchmark::DoNotOptimize(dst.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_MemcpyOf4Tensors)->Unit(benchmark::kMillisecond);

void BM_MergeLinear2(benchmark::State& state) {
    merge(state, MOCO_MERGE_LINEAR, 2, 1.0);
}
void BM_MergeTaskArithmetic3(benchmark::State& state) {
    merge(state, MOCO_MERGE_TASK_ARITHMETIC, 3, 1.0);
}
void BM_MergeTies3(benchmark::State& state) {
    merge(state, MOCO_MERGE_TIES, 3, 0.5);
}
void BM_MergeDareTies3(benchmark::State& state) {
    merge(state, MOCO_MERGE_DARE_TIES, 3, 0.3);
}
void BM_MergeExtrapolate(benchmark::State& state) {
    merge(state, MOCO_MERGE_EXTRAPOLATE, 1, 1.0);
}
BENCHMARK(BM_MergeLinear2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MergeTaskArithmetic3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MergeTies3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MergeDareTies3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MergeExtrapolate)->Unit(benchmark::kMillisecond);

// L2 fusion of n vocabulary-size rows: fusions per second (items).
void BM_Fuse(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    std::vector<std::vector<float>> rows;
    std::vector<const float*> inputs;
    for (int i = 0; i < n; ++i)
        rows.push_back(random_floats(kVocab, static_cast<uint32_t>(i + 1), 3.0f));
    for (const std::vector<float>& r : rows) inputs.push_back(r.data());
    std::vector<float> out(kVocab);
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            moco_logits_fuse(inputs.data(), nullptr, nullptr, n, 1, kVocab, out.data()));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Fuse)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond);

// Fusion followed by the L5 draw, as GenerateEnsemble does per step.
void BM_FuseAndSample(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    std::vector<std::vector<float>> rows;
    std::vector<const float*> inputs;
    for (int i = 0; i < n; ++i)
        rows.push_back(random_floats(kVocab, static_cast<uint32_t>(i + 1), 3.0f));
    for (const std::vector<float>& r : rows) inputs.push_back(r.data());
    std::vector<float> out(kVocab);
    moco_sampling_options opts = moco_sampling_default_options();
    opts.temperature = 0.7f;
    uint64_t step = 0;
    for (auto _ : state) {
        int32_t token = 0;
        moco_logits_fuse(inputs.data(), nullptr, nullptr, n, 1, kVocab, out.data());
        benchmark::DoNotOptimize(
            moco_sample(out.data(), kVocab, &opts, nullptr, 0, 7, step++, 0, nullptr, &token));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FuseAndSample)->Arg(2)->Arg(3)->Unit(benchmark::kMicrosecond);

// Sampling one token from a vocabulary-size row: samples per second (items).
void sample(benchmark::State& state, float temperature, int top_k, float top_p, float penalty) {
    const std::vector<float> logits = random_floats(kVocab, 5, 3.0f);
    std::vector<int32_t> history(512);
    for (std::size_t i = 0; i < history.size(); ++i)
        history[i] = static_cast<int32_t>((i * 7919) % kVocab);
    moco_sampling_options opts = moco_sampling_default_options();
    opts.temperature = temperature;
    opts.top_k = top_k;
    opts.top_p = top_p;
    opts.repetition_penalty = penalty;
    uint64_t step = 0;
    for (auto _ : state) {
        int32_t token = 0;
        benchmark::DoNotOptimize(moco_sample(logits.data(), kVocab, &opts, history.data(),
                                             static_cast<int>(history.size()), 7, step++, 0,
                                             nullptr, &token));
    }
    state.SetItemsProcessed(state.iterations());
}
void BM_SampleGreedy(benchmark::State& state) {
    sample(state, 0.0f, 0, 1.0f, 1.0f);
}
void BM_SampleTemperature(benchmark::State& state) {
    sample(state, 0.7f, 0, 1.0f, 1.0f);
}
void BM_SampleHfDefaults(benchmark::State& state) {
    sample(state, 0.7f, 50, 0.9f, 1.1f);
}  // top-k 50, top-p 0.9
void BM_SampleTopPOnly(benchmark::State& state) {
    sample(state, 0.7f, 0, 0.9f, 1.0f);
}
BENCHMARK(BM_SampleGreedy)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SampleTemperature)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SampleHfDefaults)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SampleTopPOnly)->Unit(benchmark::kMicrosecond);

void BM_LogSoftmax(benchmark::State& state) {
    const std::vector<float> logits = random_floats(kVocab, 6, 3.0f);
    std::vector<float> out(kVocab);
    for (auto _ : state) {
        benchmark::DoNotOptimize(moco_log_softmax(logits.data(), 1, kVocab, out.data()));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LogSoftmax)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
