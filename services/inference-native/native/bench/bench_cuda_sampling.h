// moco_cuda_bench's sampling table (bench_cuda_sampling.cpp).
#pragma once

namespace moco::bench {

// Prints a markdown table: the device sampler (cuda::sample_rows, token ids copied back) against
// moco_sample on the CPU (logits copied back first, as a decode loop without it must), per call.
void print_sampling_table();

}  // namespace moco::bench
