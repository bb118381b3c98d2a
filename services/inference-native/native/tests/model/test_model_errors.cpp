// moco_model_load on broken checkpoints: each must fail with the documented status and a message
// that names the file, the tensor or key, and what is wrong - never crash.
#include "../support/hf_writer.h"
#include "load_helpers.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using model_test::load_fails;

class ModelErrors : public model_test::ModelTest {
protected:
    // A valid checkpoint in dir_, then the test breaks it.
    void write(const hf::ModelSpec& spec = {}, int shards = 1) {
        hf::write_model(dir_.path(), spec, shards);
    }
    void write(const std::vector<hf::Tensor>& tensors, const hf::ModelSpec& spec = {}) {
        hf::write_model(dir_.path(), spec, tensors);
    }
    std::string fails(moco_status status) { return load_fails(ctx_, dir_.path(), status); }

    // The tensor list with `name` replaced.
    static std::vector<hf::Tensor> replaced(std::vector<hf::Tensor> tensors, const hf::Tensor& t) {
        for (hf::Tensor& x : tensors) {
            if (x.name == t.name) x = t;
        }
        return tensors;
    }

    hf::TempDir dir_{"errors"};
};

TEST_F(ModelErrors, MissingDirectory) {
    EXPECT_MESSAGE_HAS(load_fails(ctx_, dir_ / "nope", MOCO_ERR_NOT_FOUND), "moco_model_load",
                       "nope", "does not exist");
    write();
    EXPECT_MESSAGE_HAS(load_fails(ctx_, dir_ / "config.json", MOCO_ERR_NOT_FOUND),
                       "is not a directory");
}

TEST_F(ModelErrors, MissingConfig) {
    write();
    fs::remove(dir_ / "config.json");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "moco_model_load", "config.json",
                       "does not exist");
}

TEST_F(ModelErrors, MalformedConfigJson) {
    write();
    hf::write_text(dir_ / "config.json", "{\"architectures\": [\"LlamaForCausalLM\"],");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "config.json", "malformed JSON");
}

TEST_F(ModelErrors, UnsupportedArchitectureListsTheSupportedOnes) {
    hf::ModelSpec spec;
    spec.config_overrides["architectures"] = "[\"GPT2LMHeadModel\"]";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "config.json", "\"GPT2LMHeadModel\"",
                       "not supported", "LlamaForCausalLM", "MistralForCausalLM",
                       "Qwen2ForCausalLM", "Qwen3ForCausalLM", "LlamaForSequenceClassification",
                       "MistralForSequenceClassification", "Qwen2ForSequenceClassification",
                       "Qwen3ForSequenceClassification");
}

TEST_F(ModelErrors, MissingArchitectures) {
    hf::ModelSpec spec;
    spec.config_overrides["architectures"] = "";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "\"architectures\"", "LlamaForCausalLM");
}

TEST_F(ModelErrors, UnsupportedRopeType) {
    hf::ModelSpec spec;
    spec.rope_scaling = R"({"rope_type": "yarn", "factor": 4.0})";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "config.json", "rope_scaling", "\"yarn\"",
                       "linear", "llama3");
}

TEST_F(ModelErrors, IncompleteLlama3Rope) {
    hf::ModelSpec spec;
    spec.rope_scaling = R"({"rope_type": "llama3", "factor": 8.0})";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "low_freq_factor", "llama3");
}

TEST_F(ModelErrors, UnsupportedActivation) {
    hf::ModelSpec spec;
    spec.config_overrides["hidden_act"] = "\"gelu\"";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "hidden_act", "gelu", "silu");
}

TEST_F(ModelErrors, InconsistentConfig) {
    hf::ModelSpec spec;
    spec.config_overrides["num_key_value_heads"] = "3";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "num_key_value_heads", "is 3",
                       "divisor of num_attention_heads");
}

TEST_F(ModelErrors, WrongTypeInConfig) {
    hf::ModelSpec spec;
    spec.config_overrides["hidden_size"] = "\"32\"";
    write(spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "hidden_size", "\"32\"", "integer");
}

TEST_F(ModelErrors, NoWeights) {
    write();
    fs::remove(dir_ / "model.safetensors");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "model.safetensors",
                       "model.safetensors.index.json");
    hf::write_text(dir_ / "pytorch_model.bin", "not really");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "pytorch_model.bin", "safe_serialization");
}

TEST_F(ModelErrors, TruncatedFile) {
    write();
    const std::string path = dir_ / "model.safetensors";
    fs::resize_file(path, fs::file_size(path) - 100);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors", "beyond", "data section",
                       "truncated");
}

TEST_F(ModelErrors, EmptyFile) {
    write();
    fs::resize_file(dir_ / "model.safetensors", 0);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors", "0 bytes");
}

TEST_F(ModelErrors, HeaderLengthBeyondFile) {
    write();
    hf::write_raw_safetensors(dir_ / "model.safetensors", std::string(16, ' '), {});
    fs::resize_file(dir_ / "model.safetensors", 20);  // the length says 16, only 12 follow
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "header length", "16 bytes", "truncated");
}

TEST_F(ModelErrors, BadHeaderJson) {
    write();
    hf::write_raw_safetensors(dir_ / "model.safetensors", "{\"a\": {\"dtype\": ", {});
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors", "not valid JSON");
}

TEST_F(ModelErrors, OffsetsOutOfRange) {
    write();
    hf::write_raw_safetensors(
        dir_ / "model.safetensors",
        R"({"model.norm.weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
        std::vector<uint8_t>(8));
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"model.norm.weight\"", "[0, 16]", "beyond");
}

TEST_F(ModelErrors, OverlappingOffsets) {
    write();
    hf::write_raw_safetensors(
        dir_ / "model.safetensors",
        R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
            "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
        std::vector<uint8_t>(24));
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"a\"", "\"b\"", "overlap");
}

TEST_F(ModelErrors, SizeDisagreesWithShape) {
    write();
    hf::write_raw_safetensors(
        dir_ / "model.safetensors",
        R"({"a": {"dtype": "BF16", "shape": [4, 4], "data_offsets": [0, 16]}})",
        std::vector<uint8_t>(16));
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"a\"", "spans 16 bytes", "needs 32 bytes");
}

TEST_F(ModelErrors, ShapeDisagreesWithConfig) {
    hf::ModelSpec spec;
    const std::string name = "model.layers.1.self_attn.k_proj.weight";
    write(replaced(hf::model_tensors(spec), hf::make_tensor(name, "F32", {32, 32}, 1)), spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors", name.c_str(), "[32, 32]",
                       "requires [16, 32]", "num_key_value_heads * head_dim");
}

TEST_F(ModelErrors, UnsupportedDtype) {
    hf::ModelSpec spec;
    write(replaced(hf::model_tensors(spec), hf::make_tensor("model.norm.weight", "I8", {32}, 1)),
          spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"model.norm.weight\"", "dtype I8", "F32, F16 and BF16");
}

TEST_F(ModelErrors, UnknownDtypeString) {
    write();
    hf::write_raw_safetensors(
        dir_ / "model.safetensors",
        R"({"a": {"dtype": "Q4_K", "shape": [4], "data_offsets": [0, 4]}})",
        std::vector<uint8_t>(4));
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"a\"", "\"Q4_K\"", "does not define");
}

TEST_F(ModelErrors, MissingTensor) {
    hf::ModelSpec spec;
    spec.architecture = "Qwen2ForCausalLM";
    std::vector<hf::Tensor> tensors = hf::model_tensors(spec);
    const std::string name = "model.layers.1.self_attn.v_proj.bias";
    tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                                 [&](const hf::Tensor& t) { return t.name == name; }),
                  tensors.end());
    write(tensors, spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), name.c_str(), "missing", "model.safetensors",
                       "Qwen2ForCausalLM");
}

TEST_F(ModelErrors, MissingLmHeadSuggestsTying) {
    hf::ModelSpec spec;
    spec.tie_word_embeddings = true;
    std::vector<hf::Tensor> tensors = hf::model_tensors(spec);  // no lm_head.weight
    spec.tie_word_embeddings = false;
    write(tensors, spec);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "lm_head.weight", "tie_word_embeddings");
}

TEST_F(ModelErrors, MissingShard) {
    write({}, 3);
    fs::remove(dir_ / "model-00002-of-00003.safetensors");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "model-00002-of-00003.safetensors",
                       "model.safetensors.index.json", "missing");
}

TEST_F(ModelErrors, MalformedIndex) {
    write({}, 2);
    hf::write_text(dir_ / "model.safetensors.index.json", "{\"weight_map\": [1, 2]}");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors.index.json", "weight_map");
    hf::write_text(dir_ / "model.safetensors.index.json", "{\"weight_map\": ");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "model.safetensors.index.json", "not a JSON object");
}

TEST_F(ModelErrors, IndexMayNotLeaveTheDirectory) {
    write({}, 2);
    hf::write_text(dir_ / "model.safetensors.index.json",
                   R"({"weight_map": {"model.norm.weight": "../elsewhere.safetensors"}})");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"../elsewhere.safetensors\"", "plain file names");
}

TEST_F(ModelErrors, TensorInTwoShards) {
    hf::ModelSpec spec;
    write(spec, 2);
    // Shard 2 gets a copy of a tensor shard 1 holds.
    std::vector<hf::Tensor> shard2;
    const std::vector<hf::Tensor> all = hf::model_tensors(spec);
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i % 2 == 1 || i == 0) shard2.push_back(all[i]);
    }
    hf::write_safetensors(dir_ / "model-00002-of-00002.safetensors", shard2);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "\"model.embed_tokens.weight\"", "stored in both");
}

TEST_F(ModelErrors, NotARegularFile) {
    write();
    fs::remove(dir_ / "model.safetensors");
    fs::create_directory(dir_ / "model.safetensors");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "model.safetensors");
}

}  // namespace
