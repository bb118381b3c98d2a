// The definition behind the opaque moco_kv_cache handle: the paged cache of one model plus what
// its forward calls run on (a thread pool sized by the context, reusable scratch memory). One
// thread at a time per cache (moco.h), so none of it is locked.
#pragma once

#include "cpu/forward.h"
#include "cpu/kv_cache.h"
#include "cpu/thread_pool.h"
#include "model/model.h"

struct moco_kv_cache {
    moco_kv_cache(const moco_model* m, const moco::cpu::KvGeometry& geometry, int total_blocks,
                  int max_sequences, int threads)
        : model(m), kv(geometry, total_blocks, max_sequences), pool(threads) {}

    const moco_model* model;
    moco::cpu::KvCache kv;
    moco::cpu::ThreadPool pool;
    moco::cpu::Workspace workspace;
    moco::cpu::KvCache::Transaction transaction;
};
