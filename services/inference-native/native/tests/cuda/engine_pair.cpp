#include "engine_pair.h"

#include <cstring>

namespace moco::cuda_test {

Engine::Engine(const char* device, const std::string& model_dir, const moco_kv_cache_options* kv) {
    moco_context_options o = moco_context_default_options();
    o.device = device;
    o.threads = 2;
    if (fail(moco_context_create(&o, &ctx_)) != MOCO_OK) return;
    if (fail(moco_model_load(ctx_, model_dir.c_str(), nullptr, &model_)) != MOCO_OK) return;
    info_.struct_size = sizeof(info_);
    if (fail(moco_model_get_info(model_, &info_)) != MOCO_OK) return;
    fail(moco_kv_cache_create(model_, kv, &cache_));
}

Engine::~Engine() {
    moco_kv_cache_destroy(cache_);
    moco_model_destroy(model_);
    moco_context_destroy(ctx_);
}

moco_status Engine::fail(moco_status status) {
    if (status != MOCO_OK) {
        status_ = status;
        error_ = moco_last_error();
    }
    return status;
}

int32_t Engine::new_sequence() {
    int32_t seq = -1;
    EXPECT_EQ(moco_seq_create(cache_, &seq), MOCO_OK) << moco_last_error();
    return seq;
}

int32_t Engine::fork(int32_t seq) {
    int32_t dst = -1;
    EXPECT_EQ(moco_seq_fork(cache_, seq, &dst), MOCO_OK) << moco_last_error();
    return dst;
}

std::vector<float> Engine::forward(int32_t seq, const std::vector<int32_t>& tokens, int mode,
                                   std::vector<float>* hidden, int attend_prefix, const moco_adapter* adapter) {
    const int rows = mode == MOCO_OUTPUT_ALL ? static_cast<int>(tokens.size()) : 1;
    std::vector<float> logits(static_cast<size_t>(rows) * info_.output_size);
    moco_batch_entry e;
    std::memset(&e, 0, sizeof(e));
    e.seq = seq;
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.adapter = adapter;
    e.logits_mode = mode;
    e.logits = logits.data();
    if (hidden != nullptr) {
        hidden->assign(static_cast<size_t>(rows) * info_.hidden_size, 0.0f);
        e.hidden_mode = mode;
        e.hidden = hidden->data();
    }
    e.attend_prefix = attend_prefix;
    EXPECT_EQ(moco_forward(cache_, &e, 1), MOCO_OK) << moco_last_error();
    return logits;
}

Top2 top2(const float* row, int n) {
    int best = 0;
    for (int i = 1; i < n; ++i) {
        if (row[i] > row[best]) best = i;
    }
    float second = -1e30f;
    for (int i = 0; i < n; ++i) {
        if (i != best && row[i] > second) second = row[i];
    }
    return {best, n > 1 ? row[best] - second : 1e30f};
}

int compare_greedy(Engine& cpu, Engine& gpu, const std::vector<int32_t>& prompt, int steps, float margin,
                   const moco_adapter* cpu_adapter, const moco_adapter* gpu_adapter) {
    const int out = cpu.info().output_size;
    const int32_t a = cpu.new_sequence(), b = gpu.new_sequence();
    std::vector<float> l_cpu = cpu.forward(a, prompt, MOCO_OUTPUT_LAST, nullptr, 0, cpu_adapter);
    std::vector<float> l_gpu = gpu.forward(b, prompt, MOCO_OUTPUT_LAST, nullptr, 0, gpu_adapter);
    int compared = 0;
    for (int step = 0; step < steps; ++step) {
        const Top2 c = top2(l_cpu.data(), out);
        if (c.margin > margin) {
            const int g = top2(l_gpu.data(), out).token;
            if (g != c.token) {
                ADD_FAILURE() << "step " << step << ": GPU token " << g << ", CPU token " << c.token
                              << " (CPU margin " << c.margin << ")";
                return compared;
            }
            ++compared;
        }
        l_cpu = cpu.forward(a, {c.token}, MOCO_OUTPUT_LAST, nullptr, 0, cpu_adapter);
        l_gpu = gpu.forward(b, {c.token}, MOCO_OUTPUT_LAST, nullptr, 0, gpu_adapter);
    }
    return compared;
}

}  // namespace moco::cuda_test
