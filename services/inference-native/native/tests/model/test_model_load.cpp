// moco_model_load / moco_model_get_info / moco_model_destroy on well-formed checkpoints: every
// architecture, tied and untied heads, dtypes, shards, mmap or not, and the argument checks.
#include "../support/hf_writer.h"
#include "load_helpers.h"

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using model_test::info_of;
using model_test::load_fails;
using model_test::load_ok;

uint64_t parameters_of(const std::vector<hf::Tensor>& tensors) {
    uint64_t total = 0;
    for (const hf::Tensor& t : tensors) {
        uint64_t n = 1;
        for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
        total += n;
    }
    return total;
}

class LoadArchitecture : public model_test::ModelTest,
                         public ::testing::WithParamInterface<const char*> {};

TEST_P(LoadArchitecture, LoadsAndReportsEveryField) {
    hf::ModelSpec spec;
    spec.architecture = GetParam();
    spec.num_labels = 3;
    hf::TempDir dir("arch");
    hf::write_model(dir.path(), spec);

    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);
    const moco_model_info info = info_of(model);
    EXPECT_STREQ(info.architecture, spec.architecture.c_str());
    EXPECT_EQ(info.vocab_size, spec.vocab_size);
    EXPECT_EQ(info.hidden_size, spec.hidden_size);
    EXPECT_EQ(info.intermediate_size, spec.intermediate_size);
    EXPECT_EQ(info.num_layers, spec.num_layers);
    EXPECT_EQ(info.num_heads, spec.num_heads);
    EXPECT_EQ(info.num_kv_heads, spec.num_kv_heads);
    EXPECT_EQ(info.head_dim, spec.hidden_size / spec.num_heads);
    EXPECT_EQ(info.max_position_embeddings, spec.max_position_embeddings);
    EXPECT_EQ(info.is_classifier, spec.classifier() ? 1 : 0);
    EXPECT_EQ(info.output_size, spec.classifier() ? 3 : spec.vocab_size);
    EXPECT_EQ(info.dtype, MOCO_DTYPE_F32);
    EXPECT_EQ(info.parameter_count, parameters_of(hf::model_tensors(spec)));
    moco_model_destroy(model);
}

INSTANTIATE_TEST_SUITE_P(
    Model, LoadArchitecture,
    ::testing::Values("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
                      "Qwen3ForCausalLM", "LlamaForSequenceClassification",
                      "MistralForSequenceClassification", "Qwen2ForSequenceClassification",
                      "Qwen3ForSequenceClassification"),
    [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

using ModelLoad = model_test::ModelTest;

TEST_F(ModelLoad, TiedEmbeddingsCountOnce) {
    hf::ModelSpec spec;
    spec.tie_word_embeddings = true;
    hf::TempDir dir("tied");
    hf::write_model(dir.path(), spec);
    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);
    const uint64_t tied = info_of(model).parameter_count;
    EXPECT_EQ(tied, parameters_of(hf::model_tensors(spec)));
    moco_model_destroy(model);

    spec.tie_word_embeddings = false;
    hf::TempDir untied_dir("untied");
    hf::write_model(untied_dir.path(), spec);
    model = load_ok(ctx_, untied_dir.path());
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(info_of(model).parameter_count,
              tied + static_cast<uint64_t>(spec.vocab_size * spec.hidden_size));
    moco_model_destroy(model);
}

TEST_F(ModelLoad, TiedConfigIgnoresASavedLmHead) {
    hf::ModelSpec spec;
    spec.tie_word_embeddings = true;
    std::vector<hf::Tensor> tensors = hf::model_tensors(spec);
    const uint64_t expected = parameters_of(tensors);
    tensors.push_back(hf::make_tensor("lm_head.weight", "F32", {spec.vocab_size, spec.hidden_size}, 9));
    hf::TempDir dir("tied-saved");
    hf::write_model(dir.path(), spec, tensors);
    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(info_of(model).parameter_count, expected);
    moco_model_destroy(model);
}

TEST_F(ModelLoad, ReportsTheStoredDtype) {
    for (const auto& [dtype, expected] : {std::pair<const char*, int>{"F32", MOCO_DTYPE_F32},
                                          {"F16", MOCO_DTYPE_F16},
                                          {"BF16", MOCO_DTYPE_BF16}}) {
        hf::ModelSpec spec;
        spec.architecture = "Qwen3ForCausalLM";
        spec.dtype = dtype;
        hf::TempDir dir(dtype);
        hf::write_model(dir.path(), spec);
        moco_model* model = load_ok(ctx_, dir.path());
        ASSERT_NE(model, nullptr) << dtype;
        EXPECT_EQ(info_of(model).dtype, expected) << dtype;
        moco_model_destroy(model);
    }
}

TEST_F(ModelLoad, ShardedEqualsSingleFile) {
    hf::ModelSpec spec;
    spec.architecture = "Qwen2ForCausalLM";
    hf::TempDir single("single");
    hf::TempDir sharded("sharded");
    hf::write_model(single.path(), spec);
    hf::write_model(sharded.path(), spec, 3);
    ASSERT_FALSE(std::filesystem::exists(sharded / "model.safetensors"));

    moco_model* a = load_ok(ctx_, single.path());
    moco_model* b = load_ok(ctx_, sharded.path());
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(info_of(a).parameter_count, info_of(b).parameter_count);
    moco_model_destroy(a);
    moco_model_destroy(b);
}

TEST_F(ModelLoad, ReadsWithoutMmap) {
    hf::ModelSpec spec;
    hf::TempDir dir("read");
    hf::write_model(dir.path(), spec, 2);
    moco_model_options opts = moco_model_default_options();
    EXPECT_EQ(opts.use_mmap, 1);
    opts.use_mmap = 0;
    moco_model* model = load_ok(ctx_, dir.path(), &opts);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(info_of(model).parameter_count, parameters_of(hf::model_tensors(spec)));
    moco_model_destroy(model);
}

TEST_F(ModelLoad, ExplicitHeadDimAndGroupedQueryAttention) {
    hf::ModelSpec spec;
    spec.architecture = "Qwen3ForCausalLM";
    spec.num_heads = 8;
    spec.num_kv_heads = 2;
    spec.head_dim = 16;  // 8 * 16 = 128 != hidden_size 32, as in real Qwen3 checkpoints
    hf::TempDir dir("head-dim");
    hf::write_model(dir.path(), spec);
    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);
    const moco_model_info info = info_of(model);
    EXPECT_EQ(info.head_dim, 16);
    EXPECT_EQ(info.num_kv_heads, 2);
    moco_model_destroy(model);
}

TEST_F(ModelLoad, PaddedVocabularyAndExtraTensorsAreFine) {
    hf::ModelSpec spec;
    spec.vocab_size = 72;  // padded embedding rows: the tokenizer may know fewer
    std::vector<hf::Tensor> tensors = hf::model_tensors(spec);
    const uint64_t expected = parameters_of(tensors);
    tensors.push_back(hf::make_tensor("model.layers.0.self_attn.rotary_emb.inv_freq", "F32", {4}, 1));
    hf::TempDir dir("extra");
    hf::write_model(dir.path(), spec, tensors);
    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(info_of(model).vocab_size, 72);
    EXPECT_EQ(info_of(model).parameter_count, expected);
    moco_model_destroy(model);
}

TEST_F(ModelLoad, RopeScalingVariantsLoad) {
    for (const char* rope : {"null", R"({"rope_type": "default"})",
                             R"({"type": "linear", "factor": 2.0})",
                             R"({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 8192})"}) {
        hf::ModelSpec spec;
        spec.rope_scaling = rope;
        hf::TempDir dir("rope");
        hf::write_model(dir.path(), spec);
        moco_model* model = load_ok(ctx_, dir.path());
        EXPECT_NE(model, nullptr) << rope;
        moco_model_destroy(model);
    }
}

TEST_F(ModelLoad, GetInfoWritesOnlyWithinStructSize) {
    hf::ModelSpec spec;
    hf::TempDir dir("info");
    hf::write_model(dir.path(), spec);
    moco_model* model = load_ok(ctx_, dir.path());
    ASSERT_NE(model, nullptr);

    // A newer caller's bigger struct: the bytes beyond this library's struct stay untouched.
    unsigned char buffer[sizeof(moco_model_info) + 16];
    std::memset(buffer, 0xAB, sizeof(buffer));
    moco_model_info head;
    head.struct_size = static_cast<int>(sizeof(buffer));
    std::memcpy(buffer, &head.struct_size, sizeof(int));
    ASSERT_EQ(moco_model_get_info(model, reinterpret_cast<moco_model_info*>(buffer)), MOCO_OK);
    for (std::size_t i = sizeof(moco_model_info); i < sizeof(buffer); ++i) {
        EXPECT_EQ(buffer[i], 0xAB) << i;
    }
    std::memcpy(&head, buffer, sizeof(head));
    EXPECT_EQ(head.struct_size, static_cast<int>(sizeof(buffer)));
    EXPECT_EQ(head.hidden_size, spec.hidden_size);

    moco_model_info small{};
    small.struct_size = static_cast<int>(sizeof(moco_model_info)) - 8;
    EXPECT_EQ(moco_model_get_info(model, &small), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "moco_model_get_info", "struct_size");
    EXPECT_EQ(moco_model_get_info(model, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_model_get_info(nullptr, &small), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "model is NULL");
    moco_model_destroy(model);
}

TEST_F(ModelLoad, RejectsBadArguments) {
    hf::ModelSpec spec;
    hf::TempDir dir("args");
    hf::write_model(dir.path(), spec);

    EXPECT_EQ(moco_model_load(ctx_, dir.path().c_str(), nullptr, nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "moco_model_load", "out is NULL");

    moco_model* model = nullptr;
    EXPECT_EQ(moco_model_load(nullptr, dir.path().c_str(), nullptr, &model),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "ctx is NULL");
    EXPECT_EQ(moco_model_load(ctx_, nullptr, nullptr, &model), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "directory is NULL");

    moco_model_options opts = moco_model_default_options();
    opts.struct_size = 2;
    EXPECT_MESSAGE_HAS(load_fails(ctx_, dir.path(), MOCO_ERR_INVALID_ARGUMENT, &opts),
                       "struct_size is 2");
    opts = moco_model_default_options();
    opts.use_mmap = 2;
    EXPECT_MESSAGE_HAS(load_fails(ctx_, dir.path(), MOCO_ERR_INVALID_ARGUMENT, &opts),
                       "use_mmap is 2");
}

TEST_F(ModelLoad, DestroyAcceptsNull) {
    moco_model_destroy(nullptr);
    moco_adapter_destroy(nullptr);
}

}  // namespace
