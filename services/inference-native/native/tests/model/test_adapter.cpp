// moco_adapter_load / moco_adapter_destroy: PEFT LoRA adapters on a resident base, several at
// once, and every way an adapter directory can be wrong.
#include "../support/hf_writer.h"
#include "load_helpers.h"

#include <deque>
#include <filesystem>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

class Adapter : public model_test::ModelTest {
protected:
    void SetUp() override {
        model_test::ModelTest::SetUp();
        base_.architecture = "Qwen2ForCausalLM";
        base_.num_heads = 4;
        base_.num_kv_heads = 2;
        hf::write_model(model_dir_.path(), base_);
        model_ = model_test::load_ok(ctx_, model_dir_.path());
        ASSERT_NE(model_, nullptr);
    }
    void TearDown() override {
        moco_model_destroy(model_);
        model_test::ModelTest::TearDown();
    }

    std::string fails(moco_status status, const std::string& dir) {
        moco_adapter* adapter = reinterpret_cast<moco_adapter*>(0x1);
        const moco_status got = moco_adapter_load(model_, dir.c_str(), &adapter);
        EXPECT_EQ(got, status) << moco_status_name(got) << ": " << moco_last_error();
        EXPECT_EQ(adapter, nullptr);
        if (got == MOCO_OK) moco_adapter_destroy(adapter);
        return moco_last_error();
    }
    std::string fails(moco_status status) { return fails(status, adapter_dir_.path()); }

    moco_adapter* loads(const std::string& dir) {
        moco_adapter* adapter = nullptr;
        EXPECT_EQ(moco_adapter_load(model_, dir.c_str(), &adapter), MOCO_OK) << moco_last_error();
        return adapter;
    }

    hf::ModelSpec base_;
    hf::TempDir model_dir_{"adapter-base"};
    hf::TempDir adapter_dir_{"adapter"};
    moco_model* model_ = nullptr;
};

TEST_F(Adapter, LoadsEveryTargetModuleAndNamingVariant) {
    hf::LoraSpec lora;
    lora.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                           "down_proj"};
    for (bool infix : {false, true}) {
        for (const char* dtype : {"F32", "F16", "BF16"}) {
            lora.default_infix = infix;
            lora.dtype = dtype;
            hf::TempDir dir("lora");
            hf::write_adapter(dir.path(), base_, lora);
            moco_adapter* adapter = loads(dir.path());
            EXPECT_NE(adapter, nullptr) << dtype << (infix ? " .default" : "");
            moco_adapter_destroy(adapter);
        }
    }
}

TEST_F(Adapter, SeveralAdaptersShareOneBase) {
    std::deque<hf::TempDir> dirs;  // TempDir does not move
    std::vector<moco_adapter*> adapters;
    for (int i = 0; i < 4; ++i) {
        hf::LoraSpec lora;
        lora.r = 2 + 2 * i;
        lora.use_rslora = i % 2 == 1;
        lora.seed = 100 + static_cast<uint64_t>(i);
        dirs.emplace_back("multi");
        hf::write_adapter(dirs.back().path(), base_, lora);
        adapters.push_back(loads(dirs.back().path()));
        ASSERT_NE(adapters.back(), nullptr);
    }
    // Destroying one in the middle leaves the others and the base usable.
    moco_adapter_destroy(adapters[1]);
    moco_adapter* again = loads(dirs[1].path());
    EXPECT_NE(again, nullptr);
    EXPECT_EQ(model_test::info_of(model_).hidden_size, base_.hidden_size);
    moco_adapter_destroy(again);
    for (std::size_t i = 0; i < adapters.size(); ++i) {
        if (i != 1) moco_adapter_destroy(adapters[i]);
    }
}

TEST_F(Adapter, ConcurrentLoadsOnOneModel) {
    hf::write_adapter(adapter_dir_.path(), base_, hf::LoraSpec{});
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                moco_adapter* adapter = nullptr;
                if (moco_adapter_load(model_, adapter_dir_.path().c_str(), &adapter) != MOCO_OK) {
                    ++failures[static_cast<std::size_t>(t)];
                }
                moco_adapter_destroy(adapter);
            }
        });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST_F(Adapter, RejectsBadArguments) {
    moco_adapter* adapter = nullptr;
    EXPECT_EQ(moco_adapter_load(model_, adapter_dir_.path().c_str(), nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "moco_adapter_load", "out is NULL");
    EXPECT_EQ(moco_adapter_load(nullptr, adapter_dir_.path().c_str(), &adapter),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "model is NULL");
    EXPECT_EQ(moco_adapter_load(model_, nullptr, &adapter), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE_HAS(std::string(moco_last_error()), "directory is NULL");
}

TEST_F(Adapter, MissingFiles) {
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND, adapter_dir_ / "nope"), "moco_adapter_load",
                       "does not exist");
    hf::write_adapter(adapter_dir_.path(), base_, hf::LoraSpec{});
    fs::remove(adapter_dir_ / "adapter_config.json");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "adapter_config.json", "does not exist");
    hf::write_adapter(adapter_dir_.path(), base_, hf::LoraSpec{});
    fs::remove(adapter_dir_ / "adapter_model.safetensors");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "adapter_model.safetensors", "does not exist");
    hf::write_text(adapter_dir_ / "adapter_model.bin", "pickle");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_NOT_FOUND), "adapter_model.bin", "safe_serialization");
}

TEST_F(Adapter, UnsupportedConfigValuesAreNamed) {
    struct Case {
        const char* key;
        const char* value;
        std::vector<const char*> words;
    };
    const std::vector<Case> cases = {
        {"peft_type", "\"IA3\"", {"peft_type", "\"IA3\"", "LORA"}},
        {"bias", "\"all\"", {"bias", "\"all\"", "none"}},
        {"modules_to_save", "[\"score\"]", {"modules_to_save", "score"}},
        {"fan_in_fan_out", "true", {"fan_in_fan_out"}},
        {"use_dora", "true", {"use_dora", "DoRA"}},
        {"rank_pattern", "{\"q_proj\": 8}", {"rank_pattern"}},
        {"target_modules", "[\"q_proj\", \"lm_head\"]", {"target_modules", "\"lm_head\""}},
        {"r", "0", {"\"r\"", "is 0"}},
        {"lora_alpha", "\"16\"", {"lora_alpha", "positive number"}},
    };
    for (const Case& c : cases) {
        hf::LoraSpec lora;
        lora.config_overrides[c.key] = c.value;
        hf::write_adapter(adapter_dir_.path(), base_, lora);
        const std::string message = fails(MOCO_ERR_INVALID_ARGUMENT);
        EXPECT_NE(message.find("adapter_config.json"), std::string::npos) << message;
        for (const char* word : c.words) {
            EXPECT_NE(message.find(word), std::string::npos) << c.key << ": " << message;
        }
    }
    hf::write_text(adapter_dir_ / "adapter_config.json", "{\"peft_type\": ");
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "adapter_config.json", "malformed JSON");
}

TEST_F(Adapter, RankDisagreesWithTensors) {
    hf::LoraSpec lora;
    lora.r = 8;
    std::vector<hf::Tensor> tensors = hf::adapter_tensors(base_, lora);
    lora.r = 4;  // adapter_config.json says 4, the tensors have 8
    hf::write_adapter(adapter_dir_.path(), lora, tensors);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "adapter_model.safetensors", "lora_A", "[8, 32]",
                       "requires [4, 32]");
}

TEST_F(Adapter, ShapeDisagreesWithBase) {
    hf::ModelSpec other = base_;
    other.hidden_size = 48;
    other.num_heads = 6;
    other.num_kv_heads = 2;
    hf::write_adapter(adapter_dir_.path(), other, hf::LoraSpec{});
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "base_model.model.model.layers.0.self_attn.",
                       "base model");
}

TEST_F(Adapter, LayerBeyondTheBase) {
    hf::ModelSpec deeper = base_;
    deeper.num_layers = 3;
    hf::write_adapter(adapter_dir_.path(), deeper, hf::LoraSpec{});
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "layer 2", "2 layers", "another base model");
}

TEST_F(Adapter, HalfAPair) {
    hf::LoraSpec lora;
    std::vector<hf::Tensor> tensors = hf::adapter_tensors(base_, lora);
    tensors.pop_back();  // the last lora_B
    hf::write_adapter(adapter_dir_.path(), lora, tensors);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "layer 1", "self_attn.v_proj", "lora_A but no lora_B");
}

TEST_F(Adapter, UnknownTensor) {
    hf::LoraSpec lora;
    std::vector<hf::Tensor> tensors = hf::adapter_tensors(base_, lora);
    tensors.push_back(hf::make_tensor("base_model.model.lm_head.lora_A.weight", "F32", {4, 32}, 1));
    hf::write_adapter(adapter_dir_.path(), lora, tensors);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_INVALID_ARGUMENT), "\"base_model.model.lm_head.lora_A.weight\"",
                       "not a LoRA matrix");
}

TEST_F(Adapter, EmptyAdapter) {
    hf::write_adapter(adapter_dir_.path(), hf::LoraSpec{}, {});
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "no LoRA tensors");
}

TEST_F(Adapter, MalformedSafetensors) {
    hf::write_adapter(adapter_dir_.path(), base_, hf::LoraSpec{});
    fs::resize_file(adapter_dir_ / "adapter_model.safetensors", 5);
    EXPECT_MESSAGE_HAS(fails(MOCO_ERR_IO), "adapter_model.safetensors", "5 bytes");
}

}  // namespace
