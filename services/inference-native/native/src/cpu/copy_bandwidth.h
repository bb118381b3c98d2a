// The host memory's copy bandwidth as the CPU backend's kernels see it (moco_context_copy_bandwidth).
#pragma once

#include <cstdint>

namespace moco::cpu {

// Copies `bytes` between two freshly allocated buffers with `threads` threads, each its own slice
// (one thread cannot saturate a server's memory channels; the forward's GEMMs run on all of them).
// Returns bytes read plus written per second, best of three timed copies after an untimed one.
// Throws std::bad_alloc when the buffers do not fit.
double copy_bandwidth(int threads, uint64_t bytes);

}  // namespace moco::cpu
