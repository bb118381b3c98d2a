// Training throughput on the GPU against the CPU trainer, in one run: a ~110M-parameter Llama
// (hidden 768, 12 layers, vocab 32000; random BF16 weights built in memory), one micro-batch of 4
// sequences of 128 tokens with the SFT loss on every token, one optimizer step per call:
//
//   full   every tensor trained on F32 masters (F32 GEMMs: CUBLAS_COMPUTE_32F, no TF32)
//   LoRA   rank 16 on q/k/v/o over the frozen BF16 base
//
// The GPU's rate is the mean of 5 steps after a warm-up step; the CPU's (all cores) of one step
// after its warm-up: it is the baseline, not the subject (and must fit device_check.sh's budget).
// "activations" is what the GPU trainer's passes hold (Trainer::activation_bytes): no layer keeps
// its attention probabilities, so it grows linearly with the tokens but for one layer's scratch.
#include "bench_cuda_train.h"

#include "bench_model.h"
#include "train/trainer.h"

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace moco::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSequences = 4;
constexpr int kTokens = 128;

struct StepCost {
    double seconds = -1.0;  // per optimizer step; negative when a step failed
    size_t activation_bytes = 0;
};

// The cost of an optimizer step of a trainer on `model`, over `steps` steps after one warm-up step.
StepCost step_cost(moco_model* model, bool lora, int steps) {
    train::TrainerConfig config;
    config.lora = lora;
    config.lora_settings.rank = 16;
    config.lora_settings.scale = 2.0f;
    config.lora_settings.targets = 0xFu;  // q, k, v, o
    config.learning_rate = 1e-5;
    train::Trainer trainer(*model, config);
    const TrainBatch data = random_train_batch(kSequences, kTokens, model->config.vocab_size);
    auto one_step = [&] {
        return trainer.add_batch("bench", MOCO_LOSS_SFT, data.examples.data(), kSequences) == MOCO_OK &&
               trainer.step("bench", nullptr) == MOCO_OK;
    };
    if (!one_step()) return {};
    const auto start = Clock::now();
    for (int i = 0; i < steps; ++i) {
        if (!one_step()) return {};
    }
    return {std::chrono::duration<double>(Clock::now() - start).count() / steps, trainer.activation_bytes()};
}

}  // namespace

void print_train_table(const char* device) {
    const int threads = static_cast<int>(std::thread::hardware_concurrency());
    BenchShape shape;  // ~110M
    std::printf("\n### Training: ~110M Llama (BF16), %d x %d tokens per step, SFT\n\n", kSequences, kTokens);
    std::printf("| mode | %s tokens/s | cpu (%d threads) tokens/s | GPU vs CPU | %s activations MiB |\n"
                "|---|---|---|---|---|\n",
                device, threads, device);
    for (bool lora : {false, true}) {
        StepCost gpu, cpu;
        {
            BenchModel model(shape, DType::BF16, 0, device);
            gpu = step_cost(model.model(), lora, 5);
        }
        {
            BenchModel model(shape, DType::BF16, threads, "cpu");
            cpu = step_cost(model.model(), lora, 1);
        }
        const double tokens = static_cast<double>(kSequences) * kTokens;
        if (gpu.seconds <= 0.0 || cpu.seconds <= 0.0) {
            std::printf("| %s | step failed: %s | | | |\n", lora ? "LoRA r16 qkvo" : "full", moco_last_error());
            continue;
        }
        std::printf("| %s | %.0f | %.0f | %.1fx | %.0f |\n", lora ? "LoRA r16 qkvo" : "full", tokens / gpu.seconds,
                    tokens / cpu.seconds, cpu.seconds / gpu.seconds,
                    static_cast<double>(gpu.activation_bytes) / (1024.0 * 1024.0));
    }
}

}  // namespace moco::bench
