#include "cpu/kv_cache.h"

#include <cstring>

namespace moco::cpu {

KvCache::KvCache(const KvGeometry& geometry, int total_blocks, int max_sequences, Storage storage)
    : geometry_(geometry),
      storage_(storage),
      data_(storage == Storage::Host
                ? static_cast<size_t>(total_blocks) * static_cast<size_t>(geometry.floats_per_block())
                : 0),
      refcount_(static_cast<size_t>(total_blocks), 0),
      sequences_(static_cast<size_t>(max_sequences)) {
    free_.reserve(static_cast<size_t>(total_blocks));
    for (int b = total_blocks - 1; b >= 0; --b) {
        free_.push_back(b);  // block 0 is taken first
    }
}

int KvCache::create() {
    for (size_t id = 0; id < sequences_.size(); ++id) {
        if (!sequences_[id].live) {
            sequences_[id] = Sequence{true, 0, {}};
            ++live_;
            return static_cast<int>(id);
        }
    }
    return -1;
}

int KvCache::fork(int src) {
    const int id = create();
    if (id >= 0) {
        Sequence& dst = sequences_[static_cast<size_t>(id)];
        const Sequence& s = sequences_[static_cast<size_t>(src)];
        dst.length = s.length;
        dst.blocks = s.blocks;
        for (int b : dst.blocks) {
            ++refcount_[static_cast<size_t>(b)];
        }
    }
    return id;
}

void KvCache::truncate(int seq, int n) {
    Sequence& s = sequences_[static_cast<size_t>(seq)];
    const size_t keep = static_cast<size_t>(blocks_for(n));
    for (size_t i = keep; i < s.blocks.size(); ++i) {
        release(s.blocks[i]);
    }
    s.blocks.resize(keep);
    s.length = n;
}

void KvCache::free(int seq) {
    Sequence& s = sequences_[static_cast<size_t>(seq)];
    for (int b : s.blocks) {
        release(b);
    }
    s = Sequence{};
    --live_;
}

bool KvCache::needs_copy(const Sequence& s) const {
    return s.length % geometry_.block_tokens != 0 &&
           refcount_[static_cast<size_t>(s.blocks.back())] > 1;
}

int KvCache::blocks_needed(const std::vector<Growth>& growth) const {
    int needed = 0;
    for (const Growth& g : growth) {
        const Sequence& s = sequences_[static_cast<size_t>(g.seq)];
        needed += blocks_for(s.length + g.tokens) - static_cast<int>(s.blocks.size());
        // Every sharer writing in this batch copies (none writes in place, even the last one),
        // so that a rollback finds the shared block untouched.
        needed += needs_copy(s) ? 1 : 0;
    }
    return needed;
}

void KvCache::begin(const std::vector<Growth>& growth, Transaction& tx) {
    tx.growth = growth;
    tx.saved_tables.clear();
    tx.taken.clear();
    tx.replaced.clear();
    tx.copies.clear();
    for (const Growth& g : growth) {
        Sequence& s = sequences_[static_cast<size_t>(g.seq)];
        tx.saved_tables.push_back(s.blocks);
        if (needs_copy(s)) {
            const int shared = s.blocks.back();
            const int copy = take();
            tx.taken.push_back(copy);
            if (storage_ == Storage::Host) {
                std::memcpy(block(copy), block(shared),
                            static_cast<size_t>(geometry_.floats_per_block()) * sizeof(float));
            } else {
                tx.copies.push_back({shared, copy});
            }
            s.blocks.back() = copy;
            tx.replaced.push_back(shared);
        }
        while (static_cast<int>(s.blocks.size()) < blocks_for(s.length + g.tokens)) {
            const int b = take();
            tx.taken.push_back(b);
            s.blocks.push_back(b);
        }
    }
}

void KvCache::commit(Transaction& tx) {
    for (int b : tx.replaced) {
        release(b);
    }
    for (const Growth& g : tx.growth) {
        sequences_[static_cast<size_t>(g.seq)].length += g.tokens;
    }
}

void KvCache::rollback(Transaction& tx) {
    for (int b : tx.taken) {
        release(b);
    }
    for (size_t i = 0; i < tx.growth.size(); ++i) {
        sequences_[static_cast<size_t>(tx.growth[i].seq)].blocks = std::move(tx.saved_tables[i]);
    }
}

int KvCache::take() {
    const int b = free_.back();
    free_.pop_back();
    refcount_[static_cast<size_t>(b)] = 1;
    return b;
}

void KvCache::release(int b) {
    if (--refcount_[static_cast<size_t>(b)] == 0) {
        free_.push_back(b);
    }
}

}  // namespace moco::cpu
