// config.json and adapter_config.json parsing (white-box): transformers' defaults per family, the
// family-specific keys, RoPE scaling, classifier labels, and the rejections.
#include "model/adapter_config.h"
#include "model/model_config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace {

using moco::Family;
using moco::ModelConfig;
using moco::RopeScaling;

ModelConfig parse(const std::string& json) {
    ModelConfig c;
    const moco_status status = moco::parse_model_config("test: config.json", json, &c);
    EXPECT_EQ(status, MOCO_OK) << moco_last_error();
    return c;
}

std::string rejection(const std::string& json) {
    ModelConfig c;
    EXPECT_EQ(moco::parse_model_config("test: config.json", json, &c), MOCO_ERR_INVALID_ARGUMENT)
        << json;
    return moco_last_error();
}

std::string arch(const char* name, const std::string& more = "") {
    return std::string("{\"architectures\": [\"") + name + "\"]" + (more.empty() ? "" : ", ") +
           more + "}";
}

TEST(ModelConfig, LlamaDefaults) {
    const ModelConfig c = parse(arch("LlamaForCausalLM"));
    EXPECT_EQ(c.family, Family::Llama);
    EXPECT_FALSE(c.classifier);
    EXPECT_EQ(c.vocab_size, 32000);
    EXPECT_EQ(c.hidden_size, 4096);
    EXPECT_EQ(c.intermediate_size, 11008);
    EXPECT_EQ(c.num_layers, 32);
    EXPECT_EQ(c.num_heads, 32);
    EXPECT_EQ(c.num_kv_heads, 32);
    EXPECT_EQ(c.head_dim, 128);
    EXPECT_EQ(c.max_position_embeddings, 2048);
    EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-6f);
    EXPECT_FLOAT_EQ(c.rope_theta, 10000.0f);
    EXPECT_EQ(c.rope_scaling.kind, RopeScaling::Kind::Default);
    EXPECT_FALSE(c.tie_word_embeddings);
    EXPECT_FALSE(c.attention_bias);
    EXPECT_FALSE(c.qk_norm);
    EXPECT_EQ(c.sliding_window, 0);
}

TEST(ModelConfig, LlamaKeys) {
    const ModelConfig c = parse(arch("LlamaForCausalLM",
                                     R"("hidden_size": 64, "num_attention_heads": 8,
                                        "num_key_value_heads": 2, "attention_bias": true,
                                        "tie_word_embeddings": true, "rms_norm_eps": 1e-5,
                                        "rope_theta": 500000.0, "max_position_embeddings": 4096)"));
    EXPECT_EQ(c.head_dim, 8);
    EXPECT_EQ(c.num_kv_heads, 2);
    EXPECT_TRUE(c.attention_bias);
    EXPECT_TRUE(c.tie_word_embeddings);
    EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-5f);
    EXPECT_FLOAT_EQ(c.rope_theta, 500000.0f);
    EXPECT_EQ(c.max_position_embeddings, 4096);
}

TEST(ModelConfig, NullKeyValueHeadsMeansAllHeads) {
    EXPECT_EQ(parse(arch("MistralForCausalLM", R"("num_key_value_heads": null)")).num_kv_heads, 32);
    EXPECT_EQ(parse(arch("MistralForCausalLM")).num_kv_heads, 8);
}

TEST(ModelConfig, MistralSlidingWindow) {
    EXPECT_EQ(parse(arch("MistralForCausalLM")).sliding_window, 4096);
    EXPECT_EQ(parse(arch("MistralForCausalLM", R"("sliding_window": null)")).sliding_window, 0);
    EXPECT_EQ(parse(arch("MistralForCausalLM", R"("sliding_window": 256)")).sliding_window, 256);
    EXPECT_FALSE(parse(arch("MistralForCausalLM", R"("attention_bias": true)")).attention_bias);
    EXPECT_EQ(parse(arch("MistralForCausalLM")).max_position_embeddings, 131072);
}

TEST(ModelConfig, Qwen2) {
    const ModelConfig c = parse(arch("Qwen2ForCausalLM", R"("sliding_window": 131072)"));
    EXPECT_EQ(c.family, Family::Qwen2);
    EXPECT_TRUE(c.attention_bias);  // always, whatever the config says
    EXPECT_EQ(c.vocab_size, 151936);
    EXPECT_EQ(c.num_kv_heads, 32);
    EXPECT_EQ(c.sliding_window, 0);  // use_sliding_window defaults to false
    EXPECT_EQ(parse(arch("Qwen2ForCausalLM", R"("num_hidden_layers": 4, "use_sliding_window": true,
                                               "max_window_layers": 0, "sliding_window": 64)"))
                  .sliding_window,
              64);
    EXPECT_EQ(parse(arch("Qwen2ForCausalLM", R"("num_hidden_layers": 4, "use_sliding_window": true,
                                               "max_window_layers": 4)"))
                  .sliding_window,
              0);
    EXPECT_NE(rejection(arch("Qwen2ForCausalLM", R"("num_hidden_layers": 4,
                                                   "use_sliding_window": true,
                                                   "max_window_layers": 2)"))
                  .find("max_window_layers"),
              std::string::npos);
}

TEST(ModelConfig, Qwen3) {
    const ModelConfig c = parse(arch("Qwen3ForCausalLM", R"("hidden_size": 1024)"));
    EXPECT_TRUE(c.qk_norm);
    EXPECT_FALSE(c.attention_bias);
    EXPECT_EQ(c.head_dim, 128);  // Qwen3Config's default, not hidden_size / heads
    EXPECT_TRUE(parse(arch("Qwen3ForCausalLM", R"("attention_bias": true)")).attention_bias);
    EXPECT_EQ(parse(arch("Qwen3ForCausalLM", R"("num_hidden_layers": 2,
                        "layer_types": ["sliding_attention", "sliding_attention"],
                        "sliding_window": 32)"))
                  .sliding_window,
              32);
    EXPECT_NE(rejection(arch("Qwen3ForCausalLM", R"("num_hidden_layers": 2,
                           "layer_types": ["full_attention", "sliding_attention"])"))
                  .find("layer_types"),
              std::string::npos);
}

TEST(ModelConfig, RopeScaling) {
    RopeScaling r = parse(arch("LlamaForCausalLM", R"("rope_scaling": {"type": "linear",
                                                                       "factor": 4})"))
                        .rope_scaling;
    EXPECT_EQ(r.kind, RopeScaling::Kind::Linear);
    EXPECT_FLOAT_EQ(r.factor, 4.0f);

    r = parse(arch("LlamaForCausalLM", R"("rope_scaling": {"rope_type": "llama3", "factor": 32.0,
              "low_freq_factor": 1.0, "high_freq_factor": 4.0,
              "original_max_position_embeddings": 8192})"))
            .rope_scaling;
    EXPECT_EQ(r.kind, RopeScaling::Kind::Llama3);
    EXPECT_FLOAT_EQ(r.factor, 32.0f);
    EXPECT_FLOAT_EQ(r.low_freq_factor, 1.0f);
    EXPECT_FLOAT_EQ(r.high_freq_factor, 4.0f);
    EXPECT_EQ(r.original_max_position, 8192);

    // transformers 5 writes rope_parameters, carrying rope_theta too.
    const ModelConfig c = parse(arch("Qwen3ForCausalLM", R"("rope_parameters": {"rope_type":
                                     "default", "rope_theta": 1000000.0})"));
    EXPECT_EQ(c.rope_scaling.kind, RopeScaling::Kind::Default);
    EXPECT_FLOAT_EQ(c.rope_theta, 1000000.0f);

    for (const char* type : {"yarn", "dynamic", "longrope"}) {
        const std::string message = rejection(arch(
            "LlamaForCausalLM", std::string(R"("rope_scaling": {"rope_type": ")") + type +
                                    R"(", "factor": 2.0})"));
        EXPECT_NE(message.find(std::string("\"") + type + "\""), std::string::npos) << message;
        EXPECT_NE(message.find("rope_scaling"), std::string::npos) << message;
    }
    EXPECT_NE(rejection(arch("LlamaForCausalLM", R"("rope_scaling": {"type": "linear"})"))
                  .find("factor"),
              std::string::npos);
    EXPECT_NE(rejection(arch("LlamaForCausalLM", R"("rope_scaling": 2)")).find("rope_scaling"),
              std::string::npos);
}

TEST(ModelConfig, ClassifierLabels) {
    ModelConfig c = parse(arch("Qwen2ForSequenceClassification",
                               R"("id2label": {"0": "a", "1": "b", "2": "c"}, "num_labels": 7,
                                  "pad_token_id": 5)"));
    EXPECT_TRUE(c.classifier);
    EXPECT_EQ(c.num_labels, 3);  // id2label wins, as in transformers
    EXPECT_EQ(c.pad_token_id, 5);
    EXPECT_EQ(parse(arch("LlamaForSequenceClassification", R"("num_labels": 1)")).num_labels, 1);
    c = parse(arch("MistralForSequenceClassification"));
    EXPECT_EQ(c.num_labels, 2);
    EXPECT_EQ(c.pad_token_id, -1);
}

TEST(ModelConfig, Rejections) {
    struct Case {
        std::string json;
        const char* words;
    };
    const Case cases[] = {
        {"not json", "malformed JSON"},
        {"[]", "malformed JSON"},
        {"{}", "no \"architectures\""},
        {R"({"architectures": []})", "no \"architectures\""},
        {arch("BertModel"), "\"BertModel\" is not supported; supported architectures: "
                            "LlamaForCausalLM"},
        {arch("LlamaForCausalLM", R"("hidden_act": "gelu")"), "\"hidden_act\" is \"gelu\""},
        {arch("LlamaForCausalLM", R"("mlp_bias": true)"), "mlp_bias"},
        {arch("LlamaForCausalLM", R"("quantization_config": {"bits": 4})"), "quantized"},
        {arch("LlamaForCausalLM", R"("hidden_size": 0)"), "\"hidden_size\" is 0"},
        {arch("LlamaForCausalLM", R"("hidden_size": 12.5)"), "\"hidden_size\" is 12.5"},
        {arch("LlamaForCausalLM", R"("num_hidden_layers": 99999999999)"), "num_hidden_layers"},
        {arch("LlamaForCausalLM", R"("rms_norm_eps": -1)"), "rms_norm_eps"},
        {arch("LlamaForCausalLM", R"("tie_word_embeddings": "yes")"), "true or false"},
        {arch("LlamaForCausalLM", R"("hidden_size": 100, "num_attention_heads": 8)"),
         "divisor of hidden_size"},
        {arch("LlamaForCausalLM", R"("head_dim": 7)"), "even"},
        {arch("LlamaForCausalLM", R"("num_key_value_heads": 5)"), "divisor of num_attention_heads"},
        {arch("LlamaForSequenceClassification", R"("id2label": {})"), "id2label"},
    };
    for (const Case& c : cases) {
        const std::string message = rejection(c.json);
        EXPECT_NE(message.find(c.words), std::string::npos) << c.json << "\n -> " << message;
        EXPECT_EQ(message.rfind("test: config.json", 0), 0u) << message;
    }
}

TEST(ModelConfig, DeeplyNestedValueIsRejectedWithoutRecursion) {
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    EXPECT_NE(rejection(arch("LlamaForCausalLM", "\"hidden_size\": " + deep)).find("an array of 1"),
              std::string::npos);
}

TEST(AdapterConfig, ScaleAndDefaults) {
    moco::AdapterConfig c;
    ASSERT_EQ(moco::parse_adapter_config("test", R"({"peft_type": "LORA", "r": 16,
              "lora_alpha": 32, "target_modules": "all-linear"})", &c),
              MOCO_OK) << moco_last_error();
    EXPECT_EQ(c.r, 16);
    EXPECT_FLOAT_EQ(c.scale(), 2.0f);
    ASSERT_EQ(moco::parse_adapter_config("test", R"({"peft_type": "LORA", "r": 16,
              "lora_alpha": 32, "use_rslora": true,
              "target_modules": ["model.layers.0.self_attn.q_proj", "down_proj"]})", &c),
              MOCO_OK) << moco_last_error();
    EXPECT_FLOAT_EQ(c.scale(), 8.0f);
    ASSERT_EQ(moco::parse_adapter_config("test", R"({"peft_type": "LORA"})", &c), MOCO_OK);
    EXPECT_EQ(c.r, 8);
    EXPECT_FLOAT_EQ(c.scale(), 1.0f);
}

TEST(AdapterConfig, Rejections) {
    moco::AdapterConfig c;
    for (const char* json : {R"({"r": 8})", R"({"peft_type": "LORA", "target_modules": 5})",
                             R"({"peft_type": "LORA", "target_modules": ["embed_tokens"]})",
                             R"({"peft_type": "LORA", "alpha_pattern": {"q_proj": 2}})",
                             R"({"peft_type": "LORA", "lora_bias": true})"}) {
        EXPECT_EQ(moco::parse_adapter_config("test", json, &c), MOCO_ERR_INVALID_ARGUMENT) << json;
        EXPECT_EQ(std::string(moco_last_error()).rfind("test: key", 0), 0u) << moco_last_error();
    }
}

}  // namespace
