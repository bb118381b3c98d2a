// The device sampler against the CPU one on Qwen2.5-sized rows (vocab 151936), batch 1 and 32: what
// a decode step spends choosing its tokens either way. The CPU column is the baseline, measured in
// the same run on the same rows: the logits' device-to-host copy plus moco_sample per row; the
// device column is sample_rows plus the copy of the token ids.
#include "bench_cuda_sampling.h"

#include "cuda/sampling.h"
#include "moco.h"

#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace moco::bench {
namespace {

using Clock = std::chrono::steady_clock;

void check(cudaError_t err, const char* what) {
    if (err != cudaSuccess) {
        std::fprintf(stderr, "moco_cuda_bench: %s: %s\n", what, cudaGetErrorString(err));
        std::exit(1);
    }
}

struct Workload {
    const char* name;
    moco_sampling_options opts;
};

moco_sampling_options options(float temperature, int top_k, float top_p, float penalty) {
    moco_sampling_options o = moco_sampling_default_options();
    o.temperature = temperature;
    o.top_k = top_k;
    o.top_p = top_p;
    o.repetition_penalty = penalty;
    return o;
}

}  // namespace

void print_sampling_table() {
    constexpr int kVocab = 151936;
    constexpr int kHistory = 512;
    constexpr int kCalls = 50;
    const Workload workloads[] = {{"greedy", options(0.0f, 0, 1.0f, 1.0f)},
                                  {"top-p 0.9", options(1.0f, 0, 0.9f, 1.0f)},
                                  {"T 0.8, top-k 50, top-p 0.9, penalty 1.1", options(0.8f, 50, 0.9f, 1.1f)}};
    std::printf("\n| sampling, vocab %d, history %d | rows | device us/call | CPU us/call (copy + moco_sample) "
                "| CPU / device |\n|---|---|---|---|---|\n",
                kVocab, kHistory);
    for (const int rows : {1, 32}) {
        // Peaked rows like a language model's: N(0, 2) plus a few strong candidates.
        std::mt19937 rng(7);
        std::normal_distribution<float> normal(0.0f, 2.0f);
        std::vector<float> logits(static_cast<size_t>(rows) * kVocab);
        for (float& x : logits) x = normal(rng);
        for (int i = 0; i < 20 * rows; ++i) logits[rng() % logits.size()] += 10.0f;
        std::vector<int32_t> history(static_cast<size_t>(rows) * kHistory);
        for (int32_t& h : history) h = static_cast<int32_t>(rng() % kVocab);

        float* d_logits = nullptr;
        float* d_processed = nullptr;
        int32_t* d_history = nullptr;
        int32_t* d_tokens = nullptr;
        cuda::SamplingRow* d_params = nullptr;
        check(cudaMalloc(&d_logits, logits.size() * sizeof(float)), "cudaMalloc");
        check(cudaMalloc(&d_processed, logits.size() * sizeof(float)), "cudaMalloc");
        check(cudaMalloc(&d_history, history.size() * sizeof(int32_t)), "cudaMalloc");
        check(cudaMalloc(&d_tokens, static_cast<size_t>(rows) * sizeof(int32_t)), "cudaMalloc");
        check(cudaMalloc(&d_params, static_cast<size_t>(rows) * sizeof(cuda::SamplingRow)), "cudaMalloc");
        check(cudaMemcpy(d_logits, logits.data(), logits.size() * sizeof(float), cudaMemcpyHostToDevice), "upload");
        check(cudaMemcpy(d_history, history.data(), history.size() * sizeof(int32_t), cudaMemcpyHostToDevice),
              "upload");
        std::vector<float> host_logits(logits.size());
        std::vector<int32_t> tokens(static_cast<size_t>(rows));

        for (const Workload& w : workloads) {
            std::vector<cuda::SamplingRow> params(static_cast<size_t>(rows));
            for (int r = 0; r < rows; ++r) {
                if (cuda::prepare_sampling_row(&w.opts, kVocab, history.data() + static_cast<size_t>(r) * kHistory,
                                               kHistory, static_cast<int64_t>(r) * kHistory, 42, 0,
                                               static_cast<uint64_t>(r), &params[static_cast<size_t>(r)]) != MOCO_OK) {
                    std::fprintf(stderr, "moco_cuda_bench: prepare_sampling_row: %s\n", moco_last_error());
                    std::exit(1);
                }
            }
            check(cudaMemcpy(d_params, params.data(), params.size() * sizeof(cuda::SamplingRow),
                             cudaMemcpyHostToDevice),
                  "upload");

            double device_s = 0.0;
            for (int call = 0; call <= kCalls; ++call) {  // call 0 warms up
                const auto start = Clock::now();
                cuda::sample_rows(d_logits, rows, kVocab, d_params, d_history, d_processed, d_tokens, nullptr);
                check(cudaMemcpy(tokens.data(), d_tokens, tokens.size() * sizeof(int32_t), cudaMemcpyDeviceToHost),
                      "sample_rows");
                if (call > 0) device_s += std::chrono::duration<double>(Clock::now() - start).count();
            }
            double cpu_s = 0.0;
            for (int call = 0; call <= kCalls / 5; ++call) {
                const auto start = Clock::now();
                check(cudaMemcpy(host_logits.data(), d_logits, host_logits.size() * sizeof(float),
                                 cudaMemcpyDeviceToHost),
                      "copy of the logits");
                for (int r = 0; r < rows; ++r) {
                    const size_t i = static_cast<size_t>(r);
                    if (moco_sample(host_logits.data() + i * kVocab, kVocab, &w.opts, history.data() + i * kHistory,
                                    kHistory, 42, 0, i, nullptr, &tokens[i]) != MOCO_OK) {
                        std::fprintf(stderr, "moco_cuda_bench: moco_sample: %s\n", moco_last_error());
                        std::exit(1);
                    }
                }
                if (call > 0) cpu_s += std::chrono::duration<double>(Clock::now() - start).count();
            }
            const double device_us = 1e6 * device_s / kCalls;
            const double cpu_us = 1e6 * cpu_s / (kCalls / 5);
            std::printf("| %s | %d | %.1f | %.1f | %.2f |\n", w.name, rows, device_us, cpu_us, cpu_us / device_us);
            std::fflush(stdout);
        }
        cudaFree(d_logits);
        cudaFree(d_processed);
        cudaFree(d_history);
        cudaFree(d_tokens);
        cudaFree(d_params);
    }
}

}  // namespace moco::bench
