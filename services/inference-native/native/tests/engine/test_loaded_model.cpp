// The engine through the public API only, on checkpoints written to disk (support/hf_writer) and
// loaded by moco_model_load / moco_adapter_load: the outputs agree with the naive reference for
// each family, decoding with the cache equals a full recompute bit for bit, and a PEFT adapter
// applies as the reference says.
#include "../support/hf_writer.h"
#include "moco.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

namespace moco::test {
namespace {

struct Case {
    std::string name;
    hf::ModelSpec spec;
    TinySpec tiny;  // the same model for the reference
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::vector<Case> cases() {
    std::vector<Case> out;
    auto add = [&](const std::string& name, hf::ModelSpec s, TinySpec t) {
        s.vocab_size = 61;
        s.hidden_size = 32;
        s.intermediate_size = 48;
        s.num_layers = 2;
        s.num_heads = 4;
        s.num_kv_heads = 2;
        t.name = name;
        t.architecture = s.architecture;
        t.dtype = s.dtype == "F32" ? MOCO_DTYPE_F32 : s.dtype == "F16" ? MOCO_DTYPE_F16 : MOCO_DTYPE_BF16;
        t.vocab = s.vocab_size;
        t.hidden = s.hidden_size;
        t.intermediate = s.intermediate_size;
        t.layers = s.num_layers;
        t.heads = s.num_heads;
        t.kv_heads = s.num_kv_heads;
        t.head_dim = s.resolved_head_dim();
        t.max_positions = s.max_position_embeddings;
        t.attention_bias = s.has_bias();
        t.qk_norm = s.has_qk_norm();
        t.tied = s.tie_word_embeddings;
        t.num_labels = s.num_labels;
        t.eps = static_cast<float>(s.rms_norm_eps);
        t.rope_theta = static_cast<float>(s.rope_theta);
        out.push_back({name, s, t});
    };
    {
        hf::ModelSpec s;
        s.architecture = "Qwen2ForCausalLM";
        add("qwen2_f32", s, TinySpec{});
    }
    {
        hf::ModelSpec s;
        s.architecture = "Qwen3ForCausalLM";
        s.dtype = "BF16";
        s.head_dim = 16;  // heads * head_dim = 64 != hidden
        s.tie_word_embeddings = true;
        s.rms_norm_eps = 1e-6;
        add("qwen3_bf16_tied", s, TinySpec{});
    }
    {
        hf::ModelSpec s;
        s.dtype = "F16";
        s.rope_theta = 500000.0;
        s.rope_scaling = "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                         "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}";
        TinySpec t;
        t.rope.kind = kRopeLlama3;
        t.rope.factor = 8.0f;
        t.rope.original_max_position = 16;
        add("llama3_f16", s, t);
    }
    {
        hf::ModelSpec s;
        s.architecture = "MistralForCausalLM";
        s.config_overrides["sliding_window"] = "4";
        TinySpec t;
        t.sliding_window = 4;
        add("mistral_window", s, t);
    }
    {
        hf::ModelSpec s;
        s.architecture = "LlamaForSequenceClassification";
        s.num_labels = 2;
        add("llama_classifier", s, TinySpec{});
    }
    return out;
}

FloatWeights float_weights(const Case& c) {
    std::map<std::string, std::vector<float>> t;
    for (const hf::Tensor& tensor : hf::model_tensors(c.spec)) t[tensor.name] = tensor.values;
    FloatWeights w;
    w.embed = t.at("model.embed_tokens.weight");
    for (int i = 0; i < c.tiny.layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        FloatLayer L;
        L.input_norm = t.at(p + "input_layernorm.weight");
        L.q = t.at(p + "self_attn.q_proj.weight");
        L.k = t.at(p + "self_attn.k_proj.weight");
        L.v = t.at(p + "self_attn.v_proj.weight");
        if (c.tiny.attention_bias) {
            L.q_bias = t.at(p + "self_attn.q_proj.bias");
            L.k_bias = t.at(p + "self_attn.k_proj.bias");
            L.v_bias = t.at(p + "self_attn.v_proj.bias");
        }
        if (c.tiny.qk_norm) {
            L.q_norm = t.at(p + "self_attn.q_norm.weight");
            L.k_norm = t.at(p + "self_attn.k_norm.weight");
        }
        L.o = t.at(p + "self_attn.o_proj.weight");
        L.post_norm = t.at(p + "post_attention_layernorm.weight");
        L.gate = t.at(p + "mlp.gate_proj.weight");
        L.up = t.at(p + "mlp.up_proj.weight");
        L.down = t.at(p + "mlp.down_proj.weight");
        w.layers.push_back(L);
    }
    w.final_norm = t.at("model.norm.weight");
    w.head = c.tiny.classifier() ? t.at("score.weight") : c.tiny.tied ? w.embed : t.at("lm_head.weight");
    return w;
}

class LoadedModel : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        moco_context_options o = moco_context_default_options();
        o.device = "cpu";
        o.threads = 2;
        ASSERT_EQ(moco_context_create(&o, &ctx_), MOCO_OK) << moco_last_error();
        hf::write_model(dir_.path(), GetParam().spec);
        ASSERT_EQ(moco_model_load(ctx_, dir_.path().c_str(), nullptr, &model_), MOCO_OK) << moco_last_error();
        moco_kv_cache_options k = moco_kv_cache_default_options();
        k.block_tokens = 4;
        ASSERT_EQ(moco_kv_cache_create(model_, &k, &cache_), MOCO_OK) << moco_last_error();
    }
    void TearDown() override {
        moco_kv_cache_destroy(cache_);
        moco_model_destroy(model_);
        moco_context_destroy(ctx_);
    }

    std::vector<float> append(int32_t seq, const std::vector<int32_t>& tokens, int mode,
                              const moco_adapter* adapter = nullptr) {
        const int out = GetParam().tiny.output_size();
        std::vector<float> logits((mode == MOCO_OUTPUT_ALL ? tokens.size() : 1) * out);
        moco_batch_entry e{};
        e.seq = seq;
        e.tokens = tokens.data();
        e.n_tokens = static_cast<int32_t>(tokens.size());
        e.adapter = adapter;
        e.logits_mode = mode;
        e.logits = logits.data();
        EXPECT_EQ(moco_forward(cache_, &e, 1), MOCO_OK) << moco_last_error();
        return logits;
    }
    int32_t new_seq() {
        int32_t seq = -1;
        EXPECT_EQ(moco_seq_create(cache_, &seq), MOCO_OK) << moco_last_error();
        return seq;
    }

    hf::TempDir dir_{"moco_engine"};
    moco_context* ctx_ = nullptr;
    moco_model* model_ = nullptr;
    moco_kv_cache* cache_ = nullptr;
};

TEST_P(LoadedModel, MatchesTheReferenceAndDecodesBitExactly) {
    const Case& c = GetParam();
    moco_model_info info;
    info.struct_size = sizeof(info);
    ASSERT_EQ(moco_model_get_info(model_, &info), MOCO_OK) << moco_last_error();
    ASSERT_EQ(info.output_size, c.tiny.output_size());

    const std::vector<int32_t> tokens = random_tokens(10, c.tiny.vocab, 3);
    const std::vector<float> all = append(new_seq(), tokens, MOCO_OUTPUT_ALL);
    EXPECT_LT(relative_error(all, reference_forward(c.tiny, float_weights(c), tokens).logits), 1e-5);

    const int32_t seq = new_seq();
    append(seq, {tokens[0]}, MOCO_OUTPUT_NONE);
    const int out = c.tiny.output_size();
    for (size_t i = 1; i < tokens.size(); ++i) {
        const std::vector<float> step = append(seq, {tokens[i]}, MOCO_OUTPUT_LAST);
        EXPECT_EQ(std::memcmp(step.data(), all.data() + i * out, step.size() * sizeof(float)), 0)
            << "position " << i;
    }
}

TEST_P(LoadedModel, AppliesAPeftAdapter) {
    const Case& c = GetParam();
    hf::LoraSpec lora;
    lora.r = 4;
    lora.lora_alpha = 8.0;
    lora.target_modules = {"q_proj", "v_proj", "gate_proj", "down_proj"};
    lora.dtype = c.spec.dtype;
    hf::TempDir adapter_dir("moco_engine_lora");
    hf::write_adapter(adapter_dir.path(), c.spec, lora);
    moco_adapter* adapter = nullptr;
    ASSERT_EQ(moco_adapter_load(model_, adapter_dir.path().c_str(), &adapter), MOCO_OK) << moco_last_error();

    FloatLora fl;
    fl.rank = lora.r;
    fl.scale = static_cast<float>(lora.lora_alpha / lora.r);
    fl.a.assign(static_cast<size_t>(c.tiny.layers), std::vector<std::vector<float>>(kTargetCount));
    fl.b = fl.a;
    const std::map<std::string, int> target = {{"q_proj", kTargetQ}, {"v_proj", kTargetV},
                                               {"gate_proj", kTargetGate}, {"down_proj", kTargetDown}};
    for (const hf::Tensor& t : hf::adapter_tensors(c.spec, lora)) {
        const size_t layer = std::stoul(t.name.substr(std::strlen("base_model.model.model.layers.")));
        for (const auto& [module, index] : target) {
            if (t.name.find("." + module + ".") != std::string::npos) {
                auto& slot = t.name.find("lora_A") != std::string::npos ? fl.a : fl.b;
                slot[layer][static_cast<size_t>(index)] = t.values;
            }
        }
    }
    const std::vector<int32_t> tokens = random_tokens(7, c.tiny.vocab, 4);
    const std::vector<float> got = append(new_seq(), tokens, MOCO_OUTPUT_ALL, adapter);
    EXPECT_LT(relative_error(got, reference_forward(c.tiny, float_weights(c), tokens, &fl).logits), 1e-5);
    moco_adapter_destroy(adapter);
}

INSTANTIATE_TEST_SUITE_P(Families, LoadedModel, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace moco::test
