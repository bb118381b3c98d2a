// White-box test support: the models of reference.h built in memory (no files) as the loader
// would hand them to the engine, and helpers around the public forward API. The weights are
// random multiples of a power of two with at most 7 significant bits, so they are exact in F32, F16
// and BF16 alike and the reference sees exactly what the engine computes with.
#pragma once

#include "context.h"
#include "model/model.h"
#include "moco.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace moco::test {

// Every family feature the engine supports, one spec each (tests are parameterised over them).
std::vector<TinySpec> all_specs();

class TinyModel {
public:
    TinyModel(const TinySpec& spec, uint32_t seed);
    // A model with explicit float weights (stored as F32), e.g. LoRA-merged ones.
    TinyModel(const TinySpec& spec, const FloatWeights& weights);
    ~TinyModel();
    TinyModel(const TinyModel&) = delete;
    TinyModel& operator=(const TinyModel&) = delete;

    moco_model* model() { return model_.get(); }
    const TinySpec& spec() const { return spec_; }
    const FloatWeights& weights() const { return weights_; }
    int output_size() const { return spec_.output_size(); }
    // The context's thread count (forwards and trainers run on its pool).
    void set_threads(int threads) { set_host_threads(ctx_, threads); }
    // Makes token's embedding row +Inf, so that any forward over it fails with MOCO_ERR_NUMERIC.
    void poison_token(int token);

    // A prepared adapter over `targets` (LoraTarget values), random A and B (B zero when zero_b).
    moco_adapter* make_adapter(const std::vector<int>& targets, int rank, float scale, bool zero_b,
                               uint32_t seed);
    const FloatLora& adapter_weights(const moco_adapter* adapter) const;

private:
    void build();
    const void* store(const std::vector<float>& values, int dtype);

    TinySpec spec_;
    FloatWeights weights_;
    moco_context ctx_;
    std::unique_ptr<moco_model> model_;
    std::vector<std::vector<unsigned char>> buffers_;
    std::vector<std::unique_ptr<moco_adapter>> adapters_;
    std::vector<FloatLora> adapter_weights_;
};

// Owns a KV cache of a model; forward helpers return logits (and hidden states) as vectors.
class Cache {
public:
    explicit Cache(moco_model* model, int block_tokens = 4, uint64_t memory_bytes = 0,
                   int max_sequences = 0);
    ~Cache();
    Cache(const Cache&) = delete;
    Cache& operator=(const Cache&) = delete;

    moco_kv_cache* get() { return cache_; }
    int32_t create();
    int32_t fork(int32_t src);
    int32_t length(int32_t seq);
    int free_blocks();

    // Appends tokens to seq; returns the logits of every new position (mode ALL) or the last.
    std::vector<float> append(int32_t seq, const std::vector<int32_t>& tokens,
                              int mode = MOCO_OUTPUT_ALL, const moco_adapter* adapter = nullptr,
                              std::vector<float>* hidden = nullptr);

private:
    moco_model* model_;
    moco_kv_cache* cache_ = nullptr;
};

// Bitwise equality of two float arrays, with the first difference in the failure message.
::testing::AssertionResult bits_equal(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace moco::test
