// The definition behind the opaque moco_context handle. Internal: other parts of libmoco (models,
// sequences) read it; callers only ever see the pointer.
#pragma once

#include "cpu/host_compute.h"
#include "moco.h"

#include <memory>
#include <string>

struct moco_context {
    std::string device;             // canonical device string: "cpu" or "cuda:N"
    moco_device_kind kind = MOCO_DEVICE_CPU;
    int cuda_index = -1;            // N for "cuda:N", -1 on the CPU
    int threads = 1;                // resolved host thread count (>= 1)
    // The host threads CPU forwards and trainers take in turn; one worker-less thread on a CUDA
    // context, whose forwards run on the GPU.
    std::unique_ptr<moco::cpu::HostCompute> compute;
};

namespace moco {

// Sets the context's thread budget and the pool that carries it (after `kind`): context creation,
// and white-box tests and benches that build a context by hand.
inline void set_host_threads(moco_context& ctx, int threads) {
    ctx.threads = threads;
    ctx.compute = std::make_unique<cpu::HostCompute>(ctx.kind == MOCO_DEVICE_CPU ? threads : 1);
}

}  // namespace moco
