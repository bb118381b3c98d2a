// moco_cuda_bench's training table (bench_cuda_train.cpp).
#pragma once

namespace moco::bench {

// Prints a markdown table: optimizer steps (forward, backward, AdamW) of the trainer on `device`
// against the CPU trainer on the same model and batch, measured in the same run.
void print_train_table(const char* device);

}  // namespace moco::bench
