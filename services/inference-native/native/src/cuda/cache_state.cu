// cuda::create_cache and the teardown of a cache's device state.
#include "cuda/cache_state.h"

#include "context.h"
#include "cpu/kv_cache_handle.h"
#include "cuda/backend.h"
#include "cuda/cuda_check.h"

#include <memory>

namespace moco::cuda {

CacheState::~CacheState() {
    // Teardown cannot report errors; a failure here means the context is already gone.
    if (device >= 0) {
        (void)cudaSetDevice(device);
    }
    if (stream != nullptr) {
        (void)cudaStreamSynchronize(stream);
    }
    for (const DecodeGraph& g : graphs) {
        (void)cudaGraphExecDestroy(g.exec);
    }
    if (blas != nullptr) {
        (void)cublasDestroy(blas);
    }
    if (stream != nullptr) {
        (void)cudaStreamDestroy(stream);
    }
}

moco_status create_cache(moco_kv_cache& cache) {
    return run("moco_kv_cache_create", [&]() -> moco_status {
        const int device = cache.model->ctx->cuda_index;
        use_device(device);
        auto state = std::make_unique<CacheState>();
        state->device = device;
        check(cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking), "cudaStreamCreate");
        check(cublasCreate(&state->blas), "cublasCreate");
        check(cublasSetStream(state->blas, state->stream), "cublasSetStream");
        // The size cuBLAS recommends for Hopper; its GEMMs then never allocate, which a decode step being
        // captured as a graph (forward.cu) requires.
        constexpr size_t kBlasWorkspace = size_t{32} << 20;
        state->blas_workspace.reserve(kBlasWorkspace, "cuBLAS' workspace");
        check(cublasSetWorkspace(state->blas, state->blas_workspace.data(), kBlasWorkspace), "cublasSetWorkspace");
        const cpu::KvGeometry& g = cache.kv.geometry();
        const size_t bytes = static_cast<size_t>(cache.kv.total_blocks()) *
                             static_cast<size_t>(g.floats_per_block()) * sizeof(float);
        state->blocks.reserve(bytes, "the KV cache blocks");
        // Zeroed like the CPU's blocks, so that nothing ever reads uninitialised memory.
        check(cudaMemsetAsync(state->blocks.data(), 0, bytes, state->stream), "cudaMemset of the KV cache");
        check(cudaStreamSynchronize(state->stream), "cudaStreamSynchronize");
        cache.device = std::move(state);
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
