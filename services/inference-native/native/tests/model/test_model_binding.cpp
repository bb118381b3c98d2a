// What moco_model_load and moco_adapter_load bind (white-box): each TensorView points at the
// bytes the writer stored, with the stored dtype and shape; tied heads alias the embedding;
// optional tensors are present exactly when the architecture has them; misaligned tensors are
// realigned; adapters carry their rank, scale and A/B views.
#include "../support/hf_writer.h"
#include "model/model.h"
#include "model/weight_storage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

class Binding : public ::testing::Test {
protected:
    void SetUp() override {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cpu";
        ASSERT_EQ(moco_context_create(&opts, &ctx_), MOCO_OK) << moco_last_error();
    }
    void TearDown() override { moco_context_destroy(ctx_); }

    moco_model* load(const hf::ModelSpec& spec, int shards = 1) {
        hf::write_model(dir_.path(), spec, shards);
        moco_model* model = nullptr;
        EXPECT_EQ(moco_model_load(ctx_, dir_.path().c_str(), nullptr, &model), MOCO_OK)
            << moco_last_error();
        return model;
    }

    moco_context* ctx_ = nullptr;
    hf::TempDir dir_{"binding"};
};

// The view's bytes equal the tensor the writer stored.
void expect_same(const moco::TensorView& view, const hf::Tensor& t) {
    ASSERT_TRUE(view.present()) << t.name;
    EXPECT_EQ(view.shape, t.shape) << t.name;
    EXPECT_EQ(view.dtype, t.dtype == "F32" ? moco::DType::F32
                          : t.dtype == "F16" ? moco::DType::F16
                                             : moco::DType::BF16)
        << t.name;
    EXPECT_EQ(std::memcmp(view.data, t.bytes.data(), t.bytes.size()), 0) << t.name;
}

std::map<std::string, hf::Tensor> by_name(const std::vector<hf::Tensor>& tensors) {
    std::map<std::string, hf::Tensor> out;
    for (const hf::Tensor& t : tensors) out.emplace(t.name, t);
    return out;
}

TEST_F(Binding, EveryViewHoldsTheStoredBytes) {
    hf::ModelSpec spec;
    spec.architecture = "Qwen3ForCausalLM";
    spec.attention_bias = true;
    spec.dtype = "BF16";
    moco_model* model = load(spec, 2);
    ASSERT_NE(model, nullptr);
    auto t = by_name(hf::model_tensors(spec));
    const moco::ModelWeights& w = model->weights;
    expect_same(w.embed_tokens, t.at("model.embed_tokens.weight"));
    expect_same(w.final_norm, t.at("model.norm.weight"));
    expect_same(w.lm_head, t.at("lm_head.weight"));
    EXPECT_FALSE(w.score.present());
    ASSERT_EQ(w.layers.size(), 2u);
    for (int i = 0; i < 2; ++i) {
        const moco::LayerWeights& l = w.layers[static_cast<std::size_t>(i)];
        const std::string p = "model.layers." + std::to_string(i) + ".";
        expect_same(l.input_norm, t.at(p + "input_layernorm.weight"));
        expect_same(l.q_proj, t.at(p + "self_attn.q_proj.weight"));
        expect_same(l.k_proj, t.at(p + "self_attn.k_proj.weight"));
        expect_same(l.v_proj, t.at(p + "self_attn.v_proj.weight"));
        expect_same(l.q_bias, t.at(p + "self_attn.q_proj.bias"));
        expect_same(l.k_bias, t.at(p + "self_attn.k_proj.bias"));
        expect_same(l.v_bias, t.at(p + "self_attn.v_proj.bias"));
        expect_same(l.q_norm, t.at(p + "self_attn.q_norm.weight"));
        expect_same(l.k_norm, t.at(p + "self_attn.k_norm.weight"));
        expect_same(l.o_proj, t.at(p + "self_attn.o_proj.weight"));
        expect_same(l.post_attention_norm, t.at(p + "post_attention_layernorm.weight"));
        expect_same(l.gate_proj, t.at(p + "mlp.gate_proj.weight"));
        expect_same(l.up_proj, t.at(p + "mlp.up_proj.weight"));
        expect_same(l.down_proj, t.at(p + "mlp.down_proj.weight"));
    }
    EXPECT_EQ(model->stored_dtype, moco::DType::BF16);
    EXPECT_EQ(model->ctx, ctx_);
    moco_model_destroy(model);
}

TEST_F(Binding, OptionalTensorsFollowTheArchitecture) {
    hf::ModelSpec spec;
    spec.architecture = "MistralForSequenceClassification";
    spec.num_labels = 2;
    moco_model* model = load(spec);
    ASSERT_NE(model, nullptr);
    const moco::LayerWeights& l = model->weights.layers[0];
    EXPECT_FALSE(l.q_bias.present());
    EXPECT_FALSE(l.q_norm.present());
    EXPECT_FALSE(model->weights.lm_head.present());
    expect_same(model->weights.score, by_name(hf::model_tensors(spec)).at("score.weight"));
    EXPECT_TRUE(model->config.classifier);
    EXPECT_EQ(model->config.pad_token_id, 0);
    moco_model_destroy(model);
}

TEST_F(Binding, TiedHeadAliasesTheEmbedding) {
    hf::ModelSpec spec;
    spec.architecture = "Qwen2ForCausalLM";
    spec.tie_word_embeddings = true;
    spec.dtype = "F16";
    moco_model* model = load(spec);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->weights.lm_head.data, model->weights.embed_tokens.data);
    EXPECT_EQ(model->weights.lm_head.shape, model->weights.embed_tokens.shape);
    EXPECT_TRUE(model->weights.layers[1].q_bias.present());
    EXPECT_TRUE(model->config.tie_word_embeddings);
    moco_model_destroy(model);
}

TEST_F(Binding, MisalignedTensorsAreRealigned) {
    hf::ModelSpec spec;
    std::vector<hf::Tensor> tensors = hf::model_tensors(spec);
    // A 1-byte tensor first puts every later F32 tensor at an odd offset.
    hf::Tensor odd = hf::make_tensor("odd.byte", "U8", {1}, 1);
    tensors.insert(tensors.begin(), odd);
    hf::write_model(dir_.path(), spec, tensors);
    for (int use_mmap : {1, 0}) {
        moco_model_options opts = moco_model_default_options();
        opts.use_mmap = use_mmap;
        moco_model* model = nullptr;
        ASSERT_EQ(moco_model_load(ctx_, dir_.path().c_str(), &opts, &model), MOCO_OK)
            << moco_last_error();
        const moco::TensorView& e = model->weights.embed_tokens;
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(e.data) % 4, 0u);
        expect_same(e, tensors[1]);
        EXPECT_FALSE(model->storage->realigned.empty());
        moco_model_destroy(model);
    }
}

TEST_F(Binding, AdapterViewsRankAndScale) {
    hf::ModelSpec spec;
    moco_model* model = load(spec);
    ASSERT_NE(model, nullptr);
    hf::LoraSpec lora;
    lora.r = 4;
    lora.lora_alpha = 16;
    lora.target_modules = {"o_proj", "down_proj"};
    lora.default_infix = true;
    hf::TempDir adir("binding-lora");
    hf::write_adapter(adir.path(), spec, lora);
    moco_adapter* adapter = nullptr;
    ASSERT_EQ(moco_adapter_load(model, adir.path().c_str(), &adapter), MOCO_OK)
        << moco_last_error();
    EXPECT_EQ(adapter->model, model);
    EXPECT_EQ(adapter->rank, 4);
    EXPECT_FLOAT_EQ(adapter->scale, 4.0f);
    ASSERT_EQ(adapter->layers.size(), 2u);
    auto t = by_name(hf::adapter_tensors(spec, lora));
    const std::string p = "base_model.model.model.layers.1.";
    const moco::LoraLayer& l = adapter->layers[1];
    expect_same(l.modules[moco::kLoraO].a, t.at(p + "self_attn.o_proj.lora_A.default.weight"));
    expect_same(l.modules[moco::kLoraO].b, t.at(p + "self_attn.o_proj.lora_B.default.weight"));
    expect_same(l.modules[moco::kLoraDown].a, t.at(p + "mlp.down_proj.lora_A.default.weight"));
    expect_same(l.modules[moco::kLoraDown].b, t.at(p + "mlp.down_proj.lora_B.default.weight"));
    EXPECT_EQ(l.modules[moco::kLoraDown].a.shape, (std::vector<int64_t>{4, 48}));
    EXPECT_FALSE(l.modules[moco::kLoraQ].present());
    EXPECT_FALSE(l.modules[moco::kLoraGate].present());

    lora.use_rslora = true;
    hf::TempDir rdir("binding-rslora");
    hf::write_adapter(rdir.path(), spec, lora);
    moco_adapter* rslora = nullptr;
    ASSERT_EQ(moco_adapter_load(model, rdir.path().c_str(), &rslora), MOCO_OK);
    EXPECT_FLOAT_EQ(rslora->scale, 8.0f);  // 16 / sqrt(4)
    moco_adapter_destroy(rslora);
    moco_adapter_destroy(adapter);
    moco_model_destroy(model);
}

TEST(HfWriter, HalfPrecisionRoundTrips) {
    for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.1f}) {
        EXPECT_EQ(hf::from_f16(hf::to_f16(v)), v == 0.1f ? 0.0999755859375f : v) << v;
    }
    EXPECT_TRUE(std::isinf(hf::from_f16(hf::to_f16(70000.0f))));
    EXPECT_EQ(hf::to_f16(1.0f + 1.0f / 2048), 0x3c00);          // tie to even: down
    EXPECT_EQ(hf::to_f16(1.0f + 3.0f / 2048), 0x3c02);          // tie to even: up
    EXPECT_EQ(hf::to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(hf::from_bf16(hf::to_bf16(-3.0f)), -3.0f);
    EXPECT_EQ(hf::to_bf16(1.0f + 1.0f / 256), 0x3f80);           // tie to even: down
    EXPECT_EQ(hf::to_bf16(1.0f + 3.0f / 256), 0x3f82);           // tie to even: up
}

}  // namespace
