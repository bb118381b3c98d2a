#include "tiny_model.h"

#include "cpu/prepared_weights.h"
#include "model/weight_storage.h"  // complete types for constructing moco_model / moco_adapter

#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

namespace moco::test {
namespace {

// A random multiple of a power of two, |q| <= 127, scaled to about [-amp, amp]: exact in every
// stored dtype.
float quantized(std::mt19937& rng, float amp) {
    const int exponent = static_cast<int>(std::lround(std::log2(127.0 / amp)));
    std::uniform_int_distribution<int> q(-127, 127);
    return std::ldexp(static_cast<float>(q(rng)), -exponent);
}

std::vector<float> random_matrix(std::mt19937& rng, int rows, int cols, float amp) {
    std::vector<float> out(static_cast<size_t>(rows) * cols);
    for (float& v : out) {
        v = quantized(rng, amp);
    }
    return out;
}

std::vector<float> linear_weight(std::mt19937& rng, int out, int in) {
    return random_matrix(rng, out, in, 1.7f / std::sqrt(static_cast<float>(in)));
}

// RMSNorm weights near 1: (128 + q) / 128.
std::vector<float> norm_weight(std::mt19937& rng, int n) {
    std::uniform_int_distribution<int> q(-16, 16);
    std::vector<float> out(static_cast<size_t>(n));
    for (float& v : out) {
        v = static_cast<float>(128 + q(rng)) / 128.0f;
    }
    return out;
}

uint32_t float_bits(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    return bits;
}

// Exact F16 encoding of a value that F16 represents exactly (normal range or zero).
uint16_t to_f16(float v) {
    const uint32_t bits = float_bits(v);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    if ((bits & 0x7FFFFFFFu) == 0) {
        return sign;
    }
    if ((bits & 0x7F800000u) == 0x7F800000u) {
        return static_cast<uint16_t>(sign | 0x7C00u);
    }
    const int exponent = static_cast<int>((bits >> 23) & 0xFFu) - 127 + 15;
    if (exponent < 1 || exponent > 30 || (bits & 0x1FFFu) != 0) {
        throw std::logic_error("tiny model: value not exact in F16");
    }
    return static_cast<uint16_t>(sign | (exponent << 10) | ((bits >> 13) & 0x3FFu));
}

uint16_t to_bf16(float v) {
    const uint32_t bits = float_bits(v);
    if ((bits & 0xFFFFu) != 0) {
        throw std::logic_error("tiny model: value not exact in BF16");
    }
    return static_cast<uint16_t>(bits >> 16);
}

static_assert(static_cast<int>(kTargetQ) == kLoraQ && static_cast<int>(kTargetV) == kLoraV &&
                  static_cast<int>(kTargetDown) == kLoraDown &&
                  static_cast<int>(kTargetCount) == kLoraModuleCount,
              "reference.h's LoraTarget follows model.h's LoraModule");

Family family(const std::string& architecture) {
    for (const auto& [prefix, f] : {std::pair<const char*, Family>{"Mistral", Family::Mistral},
                                    {"Qwen2", Family::Qwen2}, {"Qwen3", Family::Qwen3}}) {
        if (architecture.rfind(prefix, 0) == 0) return f;
    }
    return Family::Llama;
}

RopeScaling rope_scaling(const TinyRope& r) {
    RopeScaling s;
    s.kind = r.kind == kRopeLinear   ? RopeScaling::Kind::Linear
             : r.kind == kRopeLlama3 ? RopeScaling::Kind::Llama3
                                     : RopeScaling::Kind::Default;
    s.factor = r.factor;
    s.low_freq_factor = r.low_freq_factor;
    s.high_freq_factor = r.high_freq_factor;
    s.original_max_position = r.original_max_position;
    return s;
}

TensorView view(int dtype, std::vector<int64_t> shape, const void* data) {
    TensorView t;
    t.dtype = static_cast<DType>(dtype);
    t.shape = std::move(shape);
    t.data = data;
    return t;
}

}  // namespace

std::vector<TinySpec> all_specs() {
    std::vector<TinySpec> specs;
    specs.push_back(TinySpec{});
    {
        TinySpec s;
        s.name = "mqa_head_dim_12";
        s.hidden = 48;
        s.kv_heads = 1;
        s.head_dim = 12;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "qwen2_qkv_bias";
        s.architecture = "Qwen2ForCausalLM";
        s.attention_bias = true;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "qwen3_qk_norm";
        s.architecture = "Qwen3ForCausalLM";
        s.qk_norm = true;
        s.head_dim = 32;  // heads * head_dim = 128 != hidden
        s.eps = 1e-6f;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "tied";
        s.tied = true;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "rope_linear";
        s.rope.kind = kRopeLinear;
        s.rope.factor = 4.0f;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "rope_llama3";
        s.rope.kind = kRopeLlama3;
        s.rope.factor = 8.0f;
        s.rope.low_freq_factor = 1.0f;
        s.rope.high_freq_factor = 4.0f;
        s.rope.original_max_position = 32;  // wavelengths 6, 20, 63, ...: all three llama3 bands
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "mistral_sliding_window";
        s.architecture = "MistralForCausalLM";
        s.sliding_window = 5;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "classifier";
        s.architecture = "LlamaForSequenceClassification";
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "f16";
        s.dtype = MOCO_DTYPE_F16;
        specs.push_back(s);
    }
    {
        TinySpec s;
        s.name = "bf16";
        s.dtype = MOCO_DTYPE_BF16;
        s.attention_bias = true;
        s.architecture = "Qwen2ForCausalLM";
        specs.push_back(s);
    }
    return specs;
}

TinyModel::TinyModel(const TinySpec& spec, uint32_t seed) : spec_(spec) {
    std::mt19937 rng(seed);
    const int q_dim = spec.heads * spec.head_dim;
    const int kv_dim = spec.kv_heads * spec.head_dim;
    FloatWeights& w = weights_;
    w.embed = random_matrix(rng, spec.vocab, spec.hidden, 1.0f);
    for (int l = 0; l < spec.layers; ++l) {
        FloatLayer L;
        L.input_norm = norm_weight(rng, spec.hidden);
        L.q = linear_weight(rng, q_dim, spec.hidden);
        L.k = linear_weight(rng, kv_dim, spec.hidden);
        L.v = linear_weight(rng, kv_dim, spec.hidden);
        if (spec.attention_bias) {
            L.q_bias = random_matrix(rng, 1, q_dim, 0.1f);
            L.k_bias = random_matrix(rng, 1, kv_dim, 0.1f);
            L.v_bias = random_matrix(rng, 1, kv_dim, 0.1f);
        }
        if (spec.qk_norm) {
            L.q_norm = norm_weight(rng, spec.head_dim);
            L.k_norm = norm_weight(rng, spec.head_dim);
        }
        L.o = linear_weight(rng, spec.hidden, q_dim);
        L.post_norm = norm_weight(rng, spec.hidden);
        L.gate = linear_weight(rng, spec.intermediate, spec.hidden);
        L.up = linear_weight(rng, spec.intermediate, spec.hidden);
        L.down = linear_weight(rng, spec.hidden, spec.intermediate);
        w.layers.push_back(std::move(L));
    }
    w.final_norm = norm_weight(rng, spec.hidden);
    w.head = spec.tied ? w.embed : linear_weight(rng, output_size(), spec.hidden);
    build();
}

TinyModel::TinyModel(const TinySpec& spec, const FloatWeights& weights) : spec_(spec), weights_(weights) {
    spec_.dtype = MOCO_DTYPE_F32;
    build();
}

TinyModel::~TinyModel() = default;

const void* TinyModel::store(const std::vector<float>& values, int dtype) {
    std::vector<unsigned char> bytes(values.size() * (dtype == MOCO_DTYPE_F32 ? 4 : 2));
    for (size_t i = 0; i < values.size(); ++i) {
        if (dtype == MOCO_DTYPE_F32) {
            std::memcpy(&bytes[i * 4], &values[i], 4);
        } else {
            const uint16_t h = dtype == MOCO_DTYPE_F16 ? to_f16(values[i]) : to_bf16(values[i]);
            std::memcpy(&bytes[i * 2], &h, 2);
        }
    }
    buffers_.push_back(std::move(bytes));  // moving a vector keeps its heap buffer: views stay valid
    return buffers_.back().data();
}

void TinyModel::build() {
    const TinySpec& s = spec_;
    const int dt = s.dtype;
    ctx_.device = "cpu";
    ctx_.kind = MOCO_DEVICE_CPU;
    set_host_threads(ctx_, 1);
    model_ = std::make_unique<moco_model>();
    moco_model& m = *model_;
    m.ctx = &ctx_;
    ModelConfig& c = m.config;
    c.architecture = s.architecture;
    c.family = family(s.architecture);
    c.classifier = s.classifier();
    c.num_labels = s.classifier() ? s.num_labels : 0;
    c.vocab_size = s.vocab;
    c.hidden_size = s.hidden;
    c.intermediate_size = s.intermediate;
    c.num_layers = s.layers;
    c.num_heads = s.heads;
    c.num_kv_heads = s.kv_heads;
    c.head_dim = s.head_dim;
    c.max_position_embeddings = s.max_positions;
    c.rms_norm_eps = s.eps;
    c.rope_theta = s.rope_theta;
    c.rope_scaling = rope_scaling(s.rope);
    c.tie_word_embeddings = s.tied;
    c.attention_bias = s.attention_bias;
    c.qk_norm = s.qk_norm;
    c.sliding_window = s.sliding_window;
    m.stored_dtype = static_cast<DType>(dt);

    const int q_dim = s.heads * s.head_dim;
    const int kv_dim = s.kv_heads * s.head_dim;
    const FloatWeights& w = weights_;
    ModelWeights& mw = m.weights;
    auto matrix = [&](const std::vector<float>& v, int rows, int cols) {
        return view(dt, {rows, cols}, store(v, dt));
    };
    auto vector = [&](const std::vector<float>& v) {
        return view(dt, {static_cast<int64_t>(v.size())}, store(v, dt));
    };
    mw.embed_tokens = matrix(w.embed, s.vocab, s.hidden);
    for (const FloatLayer& L : w.layers) {
        LayerWeights lw;
        lw.input_norm = vector(L.input_norm);
        lw.q_proj = matrix(L.q, q_dim, s.hidden);
        lw.k_proj = matrix(L.k, kv_dim, s.hidden);
        lw.v_proj = matrix(L.v, kv_dim, s.hidden);
        if (s.attention_bias) {
            lw.q_bias = vector(L.q_bias);
            lw.k_bias = vector(L.k_bias);
            lw.v_bias = vector(L.v_bias);
        }
        if (s.qk_norm) {
            lw.q_norm = vector(L.q_norm);
            lw.k_norm = vector(L.k_norm);
        }
        lw.o_proj = matrix(L.o, s.hidden, q_dim);
        lw.post_attention_norm = vector(L.post_norm);
        lw.gate_proj = matrix(L.gate, s.intermediate, s.hidden);
        lw.up_proj = matrix(L.up, s.intermediate, s.hidden);
        lw.down_proj = matrix(L.down, s.hidden, s.intermediate);
        mw.layers.push_back(lw);
    }
    mw.final_norm = vector(w.final_norm);
    if (s.classifier()) {
        mw.score = matrix(w.head, s.num_labels, s.hidden);
    } else {
        mw.lm_head = s.tied ? mw.embed_tokens : matrix(w.head, s.vocab, s.hidden);
    }
    if (prepare_weights(m) != MOCO_OK) {
        throw std::runtime_error(moco_last_error());
    }
}

void TinyModel::poison_token(int token) {
    const TensorView& e = model_->weights.embed_tokens;
    unsigned char* row = const_cast<unsigned char*>(static_cast<const unsigned char*>(e.data)) +
                         static_cast<size_t>(token) * spec_.hidden * (spec_.dtype == MOCO_DTYPE_F32 ? 4 : 2);
    for (int i = 0; i < spec_.hidden; ++i) {
        if (spec_.dtype == MOCO_DTYPE_F32) {
            const float inf = INFINITY;
            std::memcpy(row + 4 * i, &inf, 4);
        } else {
            const uint16_t inf = spec_.dtype == MOCO_DTYPE_F16 ? 0x7C00u : 0x7F80u;
            std::memcpy(row + 2 * i, &inf, 2);
        }
    }
}

moco_adapter* TinyModel::make_adapter(const std::vector<int>& targets, int rank, float scale,
                                      bool zero_b, uint32_t seed) {
    std::mt19937 rng(seed);
    auto adapter = std::make_unique<moco_adapter>();
    adapter->model = model_.get();
    adapter->rank = rank;
    adapter->scale = scale;
    adapter->layers.resize(static_cast<size_t>(spec_.layers));
    FloatLora fl;
    fl.rank = rank;
    fl.scale = scale;
    fl.a.assign(static_cast<size_t>(spec_.layers), std::vector<std::vector<float>>(kTargetCount));
    fl.b = fl.a;
    for (int l = 0; l < spec_.layers; ++l) {
        for (int module : targets) {
            int in = 0, out = 0;
            lora_dims(spec_, module, in, out);
            std::vector<float> a = linear_weight(rng, rank, in);
            std::vector<float> b = zero_b ? std::vector<float>(static_cast<size_t>(out) * rank, 0.0f)
                                          : linear_weight(rng, out, rank);
            LoraPair& pair = adapter->layers[static_cast<size_t>(l)].modules[module];
            pair.a = view(spec_.dtype, {rank, in}, store(a, spec_.dtype));
            pair.b = view(spec_.dtype, {out, rank}, store(b, spec_.dtype));
            fl.a[static_cast<size_t>(l)][static_cast<size_t>(module)] = std::move(a);
            fl.b[static_cast<size_t>(l)][static_cast<size_t>(module)] = std::move(b);
        }
    }
    if (prepare_adapter(*adapter) != MOCO_OK) {
        throw std::runtime_error(moco_last_error());
    }
    adapters_.push_back(std::move(adapter));
    adapter_weights_.push_back(std::move(fl));
    return adapters_.back().get();
}

const FloatLora& TinyModel::adapter_weights(const moco_adapter* adapter) const {
    for (size_t i = 0; i < adapters_.size(); ++i) {
        if (adapters_[i].get() == adapter) {
            return adapter_weights_[i];
        }
    }
    throw std::logic_error("tiny model: unknown adapter");
}

Cache::Cache(moco_model* model, int block_tokens, uint64_t memory_bytes, int max_sequences)
    : model_(model) {
    moco_kv_cache_options opts = moco_kv_cache_default_options();
    opts.block_tokens = block_tokens;
    opts.memory_bytes = memory_bytes;
    opts.max_sequences = max_sequences;
    if (moco_kv_cache_create(model, &opts, &cache_) != MOCO_OK) {
        throw std::runtime_error(moco_last_error());
    }
}

Cache::~Cache() {
    moco_kv_cache_destroy(cache_);
}

int32_t Cache::create() {
    int32_t seq = -1;
    EXPECT_EQ(moco_seq_create(cache_, &seq), MOCO_OK) << moco_last_error();
    return seq;
}

int32_t Cache::fork(int32_t src) {
    int32_t seq = -1;
    EXPECT_EQ(moco_seq_fork(cache_, src, &seq), MOCO_OK) << moco_last_error();
    return seq;
}

int32_t Cache::length(int32_t seq) {
    int32_t n = -1;
    EXPECT_EQ(moco_seq_length(cache_, seq, &n), MOCO_OK) << moco_last_error();
    return n;
}

int Cache::free_blocks() {
    moco_kv_cache_stats stats;
    stats.struct_size = sizeof(stats);
    EXPECT_EQ(moco_kv_cache_get_stats(cache_, &stats), MOCO_OK) << moco_last_error();
    return stats.free_blocks;
}

std::vector<float> Cache::append(int32_t seq, const std::vector<int32_t>& tokens, int mode,
                                 const moco_adapter* adapter, std::vector<float>* hidden) {
    const int out = model_->prepared->head.n;
    const int rows = mode == MOCO_OUTPUT_ALL ? static_cast<int>(tokens.size()) : 1;
    std::vector<float> logits(static_cast<size_t>(rows) * out);
    moco_batch_entry e{};
    e.seq = seq;
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.adapter = adapter;
    e.logits_mode = mode;
    e.logits = logits.data();
    if (hidden != nullptr) {
        hidden->assign(static_cast<size_t>(rows) * model_->config.hidden_size, 0.0f);
        e.hidden_mode = mode;
        e.hidden = hidden->data();
    }
    EXPECT_EQ(moco_forward(cache_, &e, 1), MOCO_OK) << moco_last_error();
    return logits;
}

::testing::AssertionResult bits_equal(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) {
        return ::testing::AssertionFailure() << "sizes differ: " << a.size() << " vs " << b.size();
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (float_bits(a[i]) != float_bits(b[i])) {
            return ::testing::AssertionFailure() << "first difference at [" << i << "]: " << a[i]
                                                 << " vs " << b[i] << " (of " << a.size() << ")";
        }
    }
    return ::testing::AssertionSuccess();
}

}  // namespace moco::test
