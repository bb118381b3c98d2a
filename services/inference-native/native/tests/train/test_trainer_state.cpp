// moco_trainer_save_state / moco_trainer_load_state through the public ABI: a trainer that loads a
// state continues bit for bit where the saving trainer was at its last step (full fine-tuning, and
// LoRA with dropout, whose mask stream the state carries), a save with micro-batches pending keeps
// the last step's state, and a state that is not this trainer's is refused naming what differs,
// with the trainer left usable.
#include "../support/hf_writer.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Loaded {
    explicit Loaded(const std::string& dir) {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cpu";
        opts.threads = 2;
        EXPECT_EQ(moco_context_create(&opts, &ctx), MOCO_OK);
        EXPECT_EQ(moco_model_load(ctx, dir.c_str(), nullptr, &model), MOCO_OK) << moco_last_error();
    }
    ~Loaded() {
        moco_model_destroy(model);
        moco_context_destroy(ctx);
    }
    moco_context* ctx = nullptr;
    moco_model* model = nullptr;
};

// Micro-batch `i`: two sequences of 6 tokens that differ from one micro-batch to the next.
std::vector<std::vector<int32_t>> sequences(int i) {
    return {{1 + i, 5, 9, 13 + i, 17, 21}, {2, 6 + i, 10, 14, 18 + i, 22}};
}

void add(moco_trainer* trainer, int i) {
    const std::vector<std::vector<int32_t>> seqs = sequences(i);
    std::vector<moco_train_example> ex;
    for (const auto& s : seqs) {
        moco_train_example e;
        std::memset(&e, 0, sizeof(e));
        e.tokens = s.data();
        e.n_tokens = static_cast<int32_t>(s.size());
        ex.push_back(e);
    }
    ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_SFT, ex.data(), 2), MOCO_OK) << moco_last_error();
}

moco_train_step_stats step(moco_trainer* trainer) {
    moco_train_step_stats stats;
    std::memset(&stats, 0, sizeof(stats));
    stats.struct_size = sizeof(stats);
    EXPECT_EQ(moco_trainer_step(trainer, &stats), MOCO_OK) << moco_last_error();
    return stats;
}

std::string bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

moco_trainer_options options(int mode) {
    moco_trainer_options o = moco_trainer_default_options();
    o.mode = mode;
    o.lora_rank = 4;
    o.lora_targets = MOCO_LORA_Q_PROJ | MOCO_LORA_V_PROJ | MOCO_LORA_DOWN_PROJ;
    o.lora_dropout = 0.3f;
    o.learning_rate = 1e-2f;
    o.weight_decay = 0.1f;
    o.warmup_steps = 1;
    o.schedule = MOCO_LR_COSINE;
    o.total_steps = 4;
    return o;
}

class TrainerState : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        hf::ModelSpec spec;
        spec.vocab_size = 32;
        hf::write_model(dir_.path(), spec);
    }
    hf::TempDir dir_{"trainer_state"};
};

TEST_P(TrainerState, ResumedTrainerContinuesBitForBit) {
    Loaded m(dir_.path());
    const moco_trainer_options o = options(GetParam());
    hf::TempDir out("trainer_state_out");
    const std::string saved = out / "step2.safetensors";

    moco_trainer* a = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &a), MOCO_OK) << moco_last_error();
    for (int s = 0; s < 2; ++s) {
        add(a, 2 * s);
        add(a, 2 * s + 1);
        step(a);
    }
    add(a, 4);  // pending: not part of the state saved now
    ASSERT_EQ(moco_trainer_save_state(a, saved.c_str()), MOCO_OK) << moco_last_error();
    add(a, 5);
    const moco_train_step_stats a3 = step(a);
    add(a, 6);
    add(a, 7);
    const moco_train_step_stats a4 = step(a);
    ASSERT_EQ(moco_trainer_save_state(a, (out / "a4.safetensors").c_str()), MOCO_OK) << moco_last_error();

    moco_trainer* b = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &b), MOCO_OK) << moco_last_error();
    ASSERT_EQ(moco_trainer_load_state(b, saved.c_str()), MOCO_OK) << moco_last_error();
    add(b, 4);
    add(b, 5);
    const moco_train_step_stats b3 = step(b);
    add(b, 6);
    add(b, 7);
    const moco_train_step_stats b4 = step(b);
    ASSERT_EQ(moco_trainer_save_state(b, (out / "b4.safetensors").c_str()), MOCO_OK) << moco_last_error();

    EXPECT_EQ(b3.step, 3);
    EXPECT_EQ(b4.step, 4);
    EXPECT_EQ(b3.loss, a3.loss);
    EXPECT_EQ(b3.grad_norm, a3.grad_norm);
    EXPECT_EQ(b3.learning_rate, a3.learning_rate);
    EXPECT_EQ(b4.loss, a4.loss);
    EXPECT_EQ(b4.grad_norm, a4.grad_norm);
    const std::string want = bytes(out / "a4.safetensors");
    EXPECT_GT(want.size(), 1000u);
    EXPECT_TRUE(want == bytes(out / "b4.safetensors")) << "the resumed trainer's masters or moments differ";
    EXPECT_FALSE(want == bytes(saved)) << "steps 3 and 4 changed nothing";
    moco_trainer_destroy(a);
    moco_trainer_destroy(b);
}

INSTANTIATE_TEST_SUITE_P(Modes, TrainerState, ::testing::Values(MOCO_TRAIN_FULL, MOCO_TRAIN_LORA),
                         [](const ::testing::TestParamInfo<int>& info) {
                             return std::string(info.param == MOCO_TRAIN_FULL ? "full" : "lora_dropout");
                         });

TEST(TrainerStateErrors, RefusedStatesNameWhatDiffersAndLeaveTheTrainerUsable) {
    hf::TempDir dir("trainer_state_errors");
    hf::ModelSpec spec;
    spec.vocab_size = 32;
    hf::write_model(dir.path(), spec);
    Loaded m(dir.path());
    hf::TempDir out("trainer_state_errors_out");
    const std::string saved = out / "state.safetensors";
    const moco_trainer_options o = options(MOCO_TRAIN_LORA);
    moco_trainer* trainer = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK);
    ASSERT_EQ(moco_trainer_save_state(trainer, saved.c_str()), MOCO_OK) << moco_last_error();

    EXPECT_EQ(moco_trainer_save_state(nullptr, saved.c_str()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_trainer_load_state(trainer, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_trainer_save_state(trainer, (out / "missing_dir/state.safetensors").c_str()), MOCO_ERR_IO);
    EXPECT_EQ(moco_trainer_load_state(trainer, (out / "absent.safetensors").c_str()), MOCO_ERR_NOT_FOUND);

    // A checkpoint is not a state.
    EXPECT_EQ(moco_trainer_load_state(trainer, (dir / "model.safetensors").c_str()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("is not a moco trainer state"), std::string::npos)
        << moco_last_error();

    // Another LoRA rank: the first tensor's shape is named.
    moco_trainer_options rank8 = o;
    rank8.lora_rank = 8;
    moco_trainer* other = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &rank8, &other), MOCO_OK);
    EXPECT_EQ(moco_trainer_load_state(other, saved.c_str()), MOCO_ERR_INVALID_ARGUMENT);
    const std::string shape_error = moco_last_error();
    EXPECT_NE(shape_error.find("master.base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"),
              std::string::npos) << shape_error;
    EXPECT_NE(shape_error.find("[4, 32]"), std::string::npos) << shape_error;
    moco_trainer_destroy(other);

    // Full fine-tuning: its tensors are not in a LoRA state.
    moco_trainer_options full = options(MOCO_TRAIN_FULL);
    ASSERT_EQ(moco_trainer_create(m.model, &full, &other), MOCO_OK);
    EXPECT_EQ(moco_trainer_load_state(other, saved.c_str()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("has no tensor master.model.embed_tokens.weight"), std::string::npos)
        << moco_last_error();
    moco_trainer_destroy(other);

    // Half a file.
    const std::string whole = bytes(saved);
    const std::string cut = out / "cut.safetensors";
    std::ofstream(cut, std::ios::binary).write(whole.data(), static_cast<std::streamsize>(whole.size() / 2));
    EXPECT_EQ(moco_trainer_load_state(trainer, cut.c_str()), MOCO_ERR_INVALID_ARGUMENT);

    // Pending micro-batches: refused, and the step still runs with them.
    add(trainer, 0);
    EXPECT_EQ(moco_trainer_load_state(trainer, saved.c_str()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("micro-batches were added"), std::string::npos) << moco_last_error();
    EXPECT_EQ(step(trainer).step, 1);
    moco_trainer_destroy(trainer);
}

}  // namespace
