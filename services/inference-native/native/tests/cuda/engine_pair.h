// The same checkpoint loaded on "cpu" and on "cuda:0" through the public API, with helpers to run
// identical forward calls on both and compare their outputs.
#pragma once

#include "moco.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace moco::cuda_test {

// One device's context, model and KV cache.
class Engine {
public:
    Engine(const char* device, const std::string& model_dir, const moco_kv_cache_options* kv = nullptr);
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;
    ~Engine();

    // MOCO_OK once everything is created; otherwise the failing call's status and message.
    moco_status status() const { return status_; }
    const std::string& error() const { return error_; }
    const moco_model_info& info() const { return info_; }
    moco_model* model() const { return model_; }
    moco_kv_cache* cache() const { return cache_; }

    int32_t new_sequence();
    int32_t fork(int32_t seq);
    // Appends `tokens` to `seq`; returns the logits of every new position (MOCO_OUTPUT_ALL) or the
    // last one (MOCO_OUTPUT_LAST). hidden (when not null) receives the final-norm hidden rows.
    std::vector<float> forward(int32_t seq, const std::vector<int32_t>& tokens, int mode = MOCO_OUTPUT_ALL,
                               std::vector<float>* hidden = nullptr, int attend_prefix = 0,
                               const moco_adapter* adapter = nullptr);

private:
    moco_status fail(moco_status status);

    moco_status status_ = MOCO_OK;
    std::string error_;
    moco_context* ctx_ = nullptr;
    moco_model* model_ = nullptr;
    moco_kv_cache* cache_ = nullptr;
    moco_model_info info_{};
};

// argmax and the margin between the two largest values of a row.
struct Top2 {
    int token;
    float margin;
};
Top2 top2(const float* row, int n);

// Greedy decoding of `steps` tokens after `prompt` on both engines (each with its adapter, or none),
// both following the CPU's token so that one near-tie does not end the comparison: every step whose
// CPU top-2 margin exceeds `margin` must pick the same token on the GPU (a test failure names the
// first step that does not, and the comparison stops there). Returns the steps compared.
int compare_greedy(Engine& cpu, Engine& gpu, const std::vector<int32_t>& prompt, int steps, float margin,
                   const moco_adapter* cpu_adapter = nullptr, const moco_adapter* gpu_adapter = nullptr);

}  // namespace moco::cuda_test
