// moco_context_copy_bandwidth: the copy bandwidth of a context's device, the baseline that decode and
// merge benchmarks divide by (a batch-1 decode step reads every weight once, a merge streams its
// inputs). Argument checks here; the copies themselves in the CPU and CUDA backends.
#include "common.h"
#include "context.h"
#include "cpu/copy_bandwidth.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#include "cuda/cuda_device.h"
#endif

#include <cstdint>

namespace {

constexpr uint64_t kMinBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxBytes = uint64_t{64} << 30;

}  // namespace

extern "C" {

moco_status moco_context_copy_bandwidth(const moco_context* ctx, uint64_t bytes, double* out_bytes_per_s) {
    return moco::guard("moco_context_copy_bandwidth", [&]() -> moco_status {
        if (ctx == nullptr || out_bytes_per_s == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_context_copy_bandwidth: %s is NULL; pass a context from "
                                   "moco_context_create and a double that receives the bandwidth",
                                   ctx == nullptr ? "ctx" : "out_bytes_per_s");
        }
        if (bytes < kMinBytes || bytes > kMaxBytes) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_context_copy_bandwidth: bytes is %llu; use 1 MiB to 64 GiB "
                                   "(larger than the last-level cache, e.g. 256 MiB, to measure memory "
                                   "rather than cache bandwidth)",
                                   static_cast<unsigned long long>(bytes));
        }
#if MOCO_HAVE_CUDA
        if (ctx->kind == MOCO_DEVICE_CUDA) {
            return moco::cuda::copy_bandwidth(ctx->cuda_index, bytes, out_bytes_per_s);
        }
#endif
        *out_bytes_per_s = moco::cpu::copy_bandwidth(ctx->threads, bytes);
        return MOCO_OK;
    });
}

}  // extern "C"
