// The paged KV cache: a fixed pool of blocks allocated up front, each holding the K and V of
// `block_tokens` consecutive positions for every layer; sequences own block tables. Blocks are
// reference-counted so that a fork shares its source's blocks; the first write into a shared block
// copies it (copy-on-write). Only the last, partially filled block of a sequence is ever written,
// so that is the only block a write can have to copy.
//
// Block layout (floats): [layer][K or V][kv_head][slot][head_dim]; the keys of one kv head in one
// block are contiguous, which is what attention reads.
//
// The block data lives in host memory (Storage::Host, the CPU backend) or elsewhere
// (Storage::External: the CUDA backend keeps the blocks on the device and only this bookkeeping on
// the host); in the latter case begin() records the copy-on-write copies in the transaction for the
// owner of the data to perform, instead of copying.
//
// A forward is a transaction: begin() takes every block the batch needs (copies and new ones)
// before any computation, commit() makes the new lengths official and drops the replaced shared
// blocks, rollback() returns the taken blocks and restores the tables. A write lands only in a
// block the sequence owns alone and only at positions past its old length, so a rollback leaves
// every sequence exactly as it was.
#pragma once

#include "cpu/aligned_buffer.h"

#include <cstdint>
#include <vector>

namespace moco::cpu {

struct KvGeometry {
    int layers = 0;
    int kv_heads = 0;
    int head_dim = 0;
    int block_tokens = 0;

    int64_t floats_per_block() const {
        return static_cast<int64_t>(layers) * 2 * kv_heads * block_tokens * head_dim;
    }
    // First float of (layer, K = 0 / V = 1, kv head) within a block.
    int64_t offset(int layer, int kv, int head) const {
        return ((static_cast<int64_t>(layer) * 2 + kv) * kv_heads + head) * block_tokens * head_dim;
    }
};

class KvCache {
public:
    // Appending `tokens` positions to sequence `seq` in one forward.
    struct Growth {
        int seq;
        int tokens;
    };
    // Copy-on-write of a shared block: block `to` gets block `from`'s data.
    struct BlockCopy {
        int from;
        int to;
    };
    struct Transaction {
        std::vector<std::vector<int>> saved_tables;  // per growth, before begin()
        std::vector<int> taken;                      // blocks begin() took
        std::vector<int> replaced;                   // shared blocks a copy replaced
        std::vector<Growth> growth;
        std::vector<BlockCopy> copies;               // Storage::External: copies still to make
    };
    enum class Storage { Host, External };

    KvCache(const KvGeometry& geometry, int total_blocks, int max_sequences,
            Storage storage = Storage::Host);

    const KvGeometry& geometry() const { return geometry_; }
    int total_blocks() const { return static_cast<int>(refcount_.size()); }
    int free_blocks() const { return static_cast<int>(free_.size()); }
    int max_sequences() const { return static_cast<int>(sequences_.size()); }
    int live_sequences() const { return live_; }

    bool live(int seq) const {
        return seq >= 0 && seq < max_sequences() && sequences_[static_cast<size_t>(seq)].live;
    }
    int length(int seq) const { return sequences_[static_cast<size_t>(seq)].length; }
    const std::vector<int>& blocks(int seq) const { return sequences_[static_cast<size_t>(seq)].blocks; }

    // Storage::Host only.
    float* block(int b) { return data_.data() + b * geometry_.floats_per_block(); }
    const float* block(int b) const { return data_.data() + b * geometry_.floats_per_block(); }

    // The lowest free id, or -1 when max_sequences are live.
    int create();
    // A new sequence sharing src's blocks; -1 when max_sequences are live. src must be live.
    int fork(int src);
    // Keeps the first n <= length tokens.
    void truncate(int seq, int n);
    void free(int seq);

    // Blocks begin() would take for `growth` (distinct live sequences).
    int blocks_needed(const std::vector<Growth>& growth) const;
    // Requires blocks_needed(growth) <= free_blocks().
    void begin(const std::vector<Growth>& growth, Transaction& tx);
    void commit(Transaction& tx);
    void rollback(Transaction& tx);

private:
    struct Sequence {
        bool live = false;
        int length = 0;
        std::vector<int> blocks;
    };

    int blocks_for(int tokens) const { return (tokens + geometry_.block_tokens - 1) / geometry_.block_tokens; }
    // Whether appending to `s` writes into a block another sequence also holds.
    bool needs_copy(const Sequence& s) const;
    int take();
    void release(int b);

    KvGeometry geometry_;
    Storage storage_;
    AlignedBuffer<float> data_;  // empty with Storage::External
    std::vector<int> refcount_;
    std::vector<int> free_;  // a stack of free block ids
    std::vector<Sequence> sequences_;
    int live_ = 0;
};

}  // namespace moco::cpu
