#include "bench_model.h"

#include "cpu/cpu_device.h"
#include "cpu/prepared_weights.h"  // complete types for constructing moco_model
#include "model/weight_storage.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#    include "cuda/backend.h"
#endif

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace moco::bench {
namespace {

// Uniform values in [-amp, amp) from a 32-bit LCG: fast enough for 100M+ weights.
struct Random {
    uint32_t state = 12345;
    float next(float amp) {
        state = state * 1664525u + 1013904223u;
        return amp * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
    }
};

}  // namespace

BenchModel::BenchModel(const BenchShape& s, DType dtype, int threads, const char* device) {
    ctx_.device = device;
    ctx_.kind = ctx_.device == "cpu" ? MOCO_DEVICE_CPU : MOCO_DEVICE_CUDA;
    ctx_.cuda_index = ctx_.kind == MOCO_DEVICE_CUDA ? std::stoi(ctx_.device.substr(5)) : -1;
    set_host_threads(ctx_, threads > 0 ? threads : cpu::info().logical_cores);
    model_ = std::make_unique<moco_model>();
    moco_model& m = *model_;
    m.ctx = &ctx_;
    ModelConfig& c = m.config;
    c.architecture = "LlamaForCausalLM";
    c.vocab_size = s.vocab;
    c.hidden_size = s.hidden;
    c.intermediate_size = s.intermediate;
    c.num_layers = s.layers;
    c.num_heads = s.heads;
    c.num_kv_heads = s.kv_heads;
    c.head_dim = s.hidden / s.heads;
    c.max_position_embeddings = s.max_positions;
    m.stored_dtype = dtype;

    Random rng;
    auto tensor = [&](std::vector<int64_t> shape, float amp, bool ones) {
        TensorView t;
        t.dtype = dtype;
        t.shape = std::move(shape);
        const int64_t n = t.numel();
        std::vector<unsigned char> bytes(static_cast<size_t>(n) * (dtype == DType::F32 ? 4 : 2));
        for (int64_t i = 0; i < n; ++i) {
            const float v = ones ? 1.0f : rng.next(amp);
            uint32_t bits;
            std::memcpy(&bits, &v, 4);
            if (dtype == DType::F32) {
                std::memcpy(&bytes[static_cast<size_t>(i) * 4], &bits, 4);
            } else {  // BF16 by truncation; F16 as 1.0 +- a little (the value does not matter)
                const uint16_t h = dtype == DType::BF16 ? static_cast<uint16_t>(bits >> 16)
                                                        : static_cast<uint16_t>(0x3C00u | ((bits >> 13) & 0x3FFu));
                std::memcpy(&bytes[static_cast<size_t>(i) * 2], &h, 2);
            }
        }
        m.parameter_count += static_cast<uint64_t>(n);
        buffers_.push_back(std::move(bytes));
        t.data = buffers_.back().data();
        return t;
    };
    const int q_dim = s.heads * c.head_dim;
    const int kv_dim = s.kv_heads * c.head_dim;
    const float a = 0.05f;
    ModelWeights& w = m.weights;
    w.embed_tokens = tensor({s.vocab, s.hidden}, 1.0f, false);
    for (int l = 0; l < s.layers; ++l) {
        LayerWeights L;
        L.input_norm = tensor({s.hidden}, 0, true);
        L.q_proj = tensor({q_dim, s.hidden}, a, false);
        L.k_proj = tensor({kv_dim, s.hidden}, a, false);
        L.v_proj = tensor({kv_dim, s.hidden}, a, false);
        L.o_proj = tensor({s.hidden, q_dim}, a, false);
        L.post_attention_norm = tensor({s.hidden}, 0, true);
        L.gate_proj = tensor({s.intermediate, s.hidden}, a, false);
        L.up_proj = tensor({s.intermediate, s.hidden}, a, false);
        L.down_proj = tensor({s.hidden, s.intermediate}, a, false);
        w.layers.push_back(L);
    }
    w.final_norm = tensor({s.hidden}, 0, true);
    w.lm_head = tensor({s.vocab, s.hidden}, a, false);
    if (prepare_weights(m) != MOCO_OK) {
        throw std::runtime_error(moco_last_error());
    }
    if (ctx_.kind == MOCO_DEVICE_CUDA) {
#if MOCO_HAVE_CUDA
        if (cuda::upload_model(m) != MOCO_OK) {
            throw std::runtime_error(moco_last_error());
        }
#else
        throw std::runtime_error("BenchModel: " + ctx_.device + " needs a CUDA build");
#endif
    }
}

BenchModel::~BenchModel() = default;

TrainBatch random_train_batch(int count, int tokens, int vocab) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int32_t> token(0, vocab - 1);
    TrainBatch batch;
    batch.sequences.resize(static_cast<size_t>(count));
    for (std::vector<int32_t>& s : batch.sequences) {
        for (int t = 0; t < tokens; ++t) s.push_back(token(rng));
        moco_train_example e{};
        e.tokens = s.data();
        e.n_tokens = tokens;
        batch.examples.push_back(e);
    }
    return batch;
}

}  // namespace moco::bench
