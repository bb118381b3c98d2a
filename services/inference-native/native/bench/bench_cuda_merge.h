// The device merge kernels' throughput (src/cuda/merge_kernels.h), part of moco_cuda_bench.
#pragma once

namespace moco::bench {

// Prints a markdown table: LINEAR, TIES and DARE_TIES merges of three BF16 tensors of 128 Mi
// elements onto a BF16 base (about 1.3 GB read and written) on CUDA device `device`, as tensor
// bytes (every operand read once, the output written once) per second against `copy_bandwidth`
// (bytes read + written per second of a device-to-device copy): the whole merge with its scan
// passes, and the apply kernel alone.
void bench_merges(int device, double copy_bandwidth);

}  // namespace moco::bench
