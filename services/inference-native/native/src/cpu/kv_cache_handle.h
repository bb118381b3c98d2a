// The definition behind the opaque moco_kv_cache handle: the paged cache of one model plus what
// its forward calls keep between calls (reusable scratch memory); the threads are the context's
// (HostCompute), leased per forward. One thread at a time per cache (moco.h), so none of it is
// locked. On a CUDA context the block data lives on the GPU (`device`, src/cuda/) and `kv` keeps
// only the tables (KvCache::Storage::External).
#pragma once

#include "cpu/forward.h"
#include "cpu/kv_cache.h"
#include "model/model.h"

#include <memory>

struct moco_kv_cache {
    moco_kv_cache(const moco_model* m, const moco::cpu::KvGeometry& geometry, int total_blocks,
                  int max_sequences,
                  moco::cpu::KvCache::Storage storage = moco::cpu::KvCache::Storage::Host)
        : model(m), kv(geometry, total_blocks, max_sequences, storage) {}

    const moco_model* model;
    moco::cpu::KvCache kv;
    moco::cpu::Workspace workspace;
    moco::cpu::KvCache::Transaction transaction;
    std::unique_ptr<moco::DeviceState> device;  // CUDA: device blocks, stream, cuBLAS, scratch
};
