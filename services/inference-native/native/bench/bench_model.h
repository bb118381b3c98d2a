// A Llama model with random weights built in memory for the benchmarks (no checkpoint on disk):
// the shapes decide the speed, the values do not.
#pragma once

#include "context.h"
#include "model/model.h"
#include "moco.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moco::bench {

struct BenchShape {
    int vocab = 32000;
    int hidden = 768;
    int intermediate = 2048;
    int layers = 12;
    int heads = 12;
    int kv_heads = 12;
    int max_positions = 4096;
};

class BenchModel {
public:
    // device "cpu", or "cuda:N" in a CUDA build (the weights are then uploaded to that GPU too).
    BenchModel(const BenchShape& shape, DType dtype, int threads, const char* device = "cpu");
    ~BenchModel();
    moco_model* model() { return model_.get(); }
    uint64_t parameters() const { return model_->parameter_count; }

private:
    moco_context ctx_;
    std::unique_ptr<moco_model> model_;
    std::vector<std::vector<unsigned char>> buffers_;
};

// `count` sequences of `tokens` random token ids below `vocab` as moco_train_examples (every token
// after the first a target), for the training benchmarks.
struct TrainBatch {
    std::vector<std::vector<int32_t>> sequences;
    std::vector<moco_train_example> examples;  // point into sequences
};
TrainBatch random_train_batch(int count, int tokens, int vocab);

}  // namespace moco::bench
