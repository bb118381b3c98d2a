// Training throughput of the CPU trainer (src/train) on Llama models with random weights built in
// memory (bench_model.h), BF16 storage as real checkpoints ship:
//
//   BM_Train/<size>/<mode>/<tokens>
//                            one optimizer step (forward, backward, AdamW) over one micro-batch of
//                            `batch` sequences of `tokens` tokens (128, and 1024 in LoRA where
//                            attention's share of time and memory grows), SFT loss on every
//                            token                                                       tokens/s
//                            and the trainer's activation and scratch memory       activation_MiB
//     size  0: ~10M parameters  (vocab 8192, hidden 256, intermediate 688, 8 layers, 8 heads,
//              4 K/V heads), batch 4
//           1: ~110M parameters (vocab 32000, hidden 768, intermediate 2048, 12 layers, 12 heads),
//              batch 2
//     mode  0: full fine-tuning (F32 masters of every tensor)
//           1: LoRA rank 16 on q/k/v/o (frozen BF16 base)
//
// Threads: every usable core, or MOCO_BENCH_THREADS. Each rate also comes per CPU-second of the
// process ("_per_cpu_s"), which stays meaningful on a shared machine.
//
//   moco_train_bench
#include "bench_model.h"
#include "cpu/cpu_device.h"
#include "train/trainer.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace {

using moco::bench::BenchModel;
using moco::bench::BenchShape;

int threads() {
    const char* env = std::getenv("MOCO_BENCH_THREADS");
    return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : moco::cpu::info().logical_cores;
}

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

BenchShape shape(int size) {
    if (size == 1) {
        return BenchShape{};
    }
    BenchShape s;
    s.vocab = 8192;
    s.hidden = 256;
    s.intermediate = 688;
    s.layers = 8;
    s.heads = 8;
    s.kv_heads = 4;
    return s;
}

void BM_Train(benchmark::State& state) {
    const int size = static_cast<int>(state.range(0));
    const bool lora = state.range(1) == 1;
    const int batch = size == 0 ? 4 : 2;
    const int tokens_per_sequence = static_cast<int>(state.range(2));
    BenchModel model(shape(size), moco::DType::BF16, threads());
    moco::train::TrainerConfig config;
    config.lora = lora;
    config.lora_settings.rank = 16;
    config.lora_settings.scale = 2.0f;
    config.lora_settings.targets = 0xFu;  // q, k, v, o
    config.learning_rate = 1e-5;
    moco::train::Trainer trainer(*model.model(), config);

    const moco::bench::TrainBatch data = moco::bench::random_train_batch(batch, tokens_per_sequence, shape(size).vocab);
    const double cpu_start = process_cpu_seconds();
    for (auto _ : state) {
        if (trainer.add_batch("bench", MOCO_LOSS_SFT, data.examples.data(), batch) != MOCO_OK ||
            trainer.step("bench", nullptr) != MOCO_OK) {
            state.SkipWithError("training step failed");
            break;
        }
    }
    const double tokens = static_cast<double>(state.iterations()) * batch * tokens_per_sequence;
    state.counters["tokens/s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
    state.counters["tokens/s_per_cpu_s"] = tokens / (process_cpu_seconds() - cpu_start);
    state.counters["params_M"] = static_cast<double>(model.parameters()) / 1e6;
    state.counters["activation_MiB"] = static_cast<double>(trainer.activation_bytes()) / (1024.0 * 1024.0);
    state.SetLabel(std::string(size == 0 ? "~10M" : "~110M") + (lora ? " LoRA r16 qkvo" : " full"));
}

BENCHMARK(BM_Train)
    ->ArgsProduct({{0, 1}, {0, 1}, {128}})
    ->Args({0, 1, 1024})
    ->Args({1, 1, 1024})
    ->ArgNames({"size", "mode", "tokens"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
