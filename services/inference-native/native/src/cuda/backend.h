// The CUDA backend's entry points, called by the C ABI's functions when the context is "cuda:N"
// (CUDA builds only). Each returns a status with moco_last_error set, never throws a CUDA error.
#pragma once

#include "cpu/forward.h"
#include "cpu/kv_cache.h"
#include "moco.h"

#include <vector>

struct moco_kv_cache;

namespace moco::cuda {

// moco_model_load: copies the bound weights to the context's GPU (moco_model::device).
moco_status upload_model(moco_model& model);

// moco_adapter_load on a model whose weights are on a GPU: copies the adapter's A and B matrices
// there (moco_adapter::device, cuda/device_adapter.h). MOCO_ERR_OUT_OF_MEMORY when they do not fit;
// nothing stays allocated then.
moco_status upload_adapter(moco_adapter& adapter);

// moco_kv_cache_create: allocates the cache's blocks on the model's GPU, its stream and cuBLAS
// handle (moco_kv_cache::device). MOCO_ERR_OUT_OF_MEMORY when the device cannot hold the blocks.
moco_status create_cache(moco_kv_cache& cache);

// moco_forward after KvCache::begin: performs the transaction's copy-on-write copies, runs the model
// over `entries` on the GPU and copies the requested outputs to the callers' host buffers.
// *finite tells whether they are free of NaN and Inf. On an error the caller rolls back.
// moco_forward_sample passes its checked `draws` (nullptr otherwise): each drawn entry's token is
// sampled on the GPU from its last logits row (cuda/sampling.h); a draw that moco_sample would
// refuse is MOCO_ERR_NUMERIC naming the entry.
moco_status forward(moco_kv_cache& cache, const std::vector<cpu::ForwardEntry>& entries,
                    const cpu::KvCache::Transaction& tx, const cpu::ForwardDraws* draws, bool* finite);

}  // namespace moco::cuda
