// The trainer against the inference engine and itself: a fresh LoRA (B = 0) changes nothing, the
// trainer's forward is the inference forward's bits, saved adapters and checkpoints reload to the
// trainer's own logits, and training is bit-reproducible for a seed whatever the thread count.
#include "../engine/tiny_model.h"
#include "../support/hf_writer.h"
#include "train/checkpoint.h"
#include "train/losses.h"
#include "train/optimizer.h"
#include "train/trainer.h"
#include "train_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace moco::test {
namespace {

constexpr uint32_t kAllTargets = (1u << kLoraModuleCount) - 1;

train::TrainerConfig lora_config(uint32_t targets, float dropout) {
    train::TrainerConfig c;
    c.lora_settings.rank = 4;
    c.lora_settings.scale = 2.0f;
    c.lora_settings.targets = targets;
    c.lora_settings.seed = 9;
    c.lora_alpha = 8.0f;
    c.lora_dropout = dropout;
    c.learning_rate = 1e-2;
    c.schedule = train::Schedule::Constant;
    return c;
}

train::TrainerConfig full_config() {
    train::TrainerConfig c;
    c.lora = false;
    c.learning_rate = 1e-3;
    c.schedule = train::Schedule::Cosine;
    c.warmup_steps = 1;
    c.total_steps = 4;
    c.weight_decay = 0.1f;
    return c;
}

void train_steps(train::Trainer& trainer, const std::vector<TrainExample>& examples, int steps) {
    const std::vector<moco_train_example> ex = views(examples);
    for (int s = 0; s < steps; ++s) {
        // Two micro-batches per step: gradient accumulation.
        ASSERT_EQ(trainer.add_batch("test", MOCO_LOSS_SFT, ex.data(), 2), MOCO_OK) << moco_last_error();
        ASSERT_EQ(trainer.add_batch("test", MOCO_LOSS_SFT, ex.data() + 2, static_cast<int>(ex.size()) - 2), MOCO_OK);
        ASSERT_EQ(trainer.step("test", nullptr), MOCO_OK) << moco_last_error();
    }
}

TEST(Trainer, FreshLoraLeavesOutputsUnchanged) {
    for (int dtype : {MOCO_DTYPE_F32, MOCO_DTYPE_BF16}) {
        TinySpec spec;
        spec.dtype = dtype;
        TinyModel tm(spec, 11);
        train::Trainer trainer(*tm.model(), lora_config(kAllTargets, 0.0f));
        const std::vector<int32_t> tokens = random_tokens(9, spec.vocab, 12);
        Cache cache(tm.model());
        const std::vector<float> base = cache.append(cache.create(), tokens);
        const std::vector<float> got = trainer.logits(tokens);
        ASSERT_EQ(got.size(), base.size());
        for (size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i], base[i]) << "logit " << i;  // equal values (y + 0 may turn -0 into +0)
        }
    }
}

TEST(Trainer, ForwardIsTheInferenceForwardBitForBit) {
    for (const TinySpec& spec : all_specs()) {
        if (spec.classifier()) continue;
        TinyModel tm(spec, 13);
        train::Trainer trainer(*tm.model(), full_config());
        const std::vector<int32_t> tokens = random_tokens(11, spec.vocab, 14);
        Cache cache(tm.model());
        EXPECT_TRUE(bits_equal(trainer.logits(tokens), cache.append(cache.create(), tokens))) << spec.name;
    }
}

TEST(Trainer, SavedAdapterReproducesTrainerLogits) {
    TinySpec spec;
    spec.architecture = "Qwen2ForCausalLM";
    spec.attention_bias = true;
    TinyModel tm(spec, 15);
    train::TrainerConfig config = lora_config((1u << kLoraQ) | (1u << kLoraV) | (1u << kLoraO) | (1u << kLoraDown), 0.1f);
    train::Trainer trainer(*tm.model(), config);
    train_steps(trainer, random_examples(4, spec.vocab, 2, 16), 3);

    hf::TempDir dir("trained_adapter");
    ASSERT_EQ(train::save_adapter("test", trainer, dir.path()), MOCO_OK) << moco_last_error();
    moco_adapter* adapter = nullptr;
    ASSERT_EQ(moco_adapter_load(tm.model(), dir.path().c_str(), &adapter), MOCO_OK) << moco_last_error();
    const std::vector<int32_t> tokens = random_tokens(10, spec.vocab, 17);
    Cache cache(tm.model());
    const std::vector<float> loaded = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, adapter);
    EXPECT_TRUE(bits_equal(loaded, trainer.logits(tokens)));
    // And training changed something.
    Cache base_cache(tm.model());
    EXPECT_FALSE(bits_equal(loaded, base_cache.append(base_cache.create(), tokens)));
    moco_adapter_destroy(adapter);
}

// A checkpoint written by hf_writer, loaded through the public API.
struct LoadedModel {
    explicit LoadedModel(const std::string& dir) {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cpu";
        opts.threads = 2;
        EXPECT_EQ(moco_context_create(&opts, &ctx), MOCO_OK);
        EXPECT_EQ(moco_model_load(ctx, dir.c_str(), nullptr, &model), MOCO_OK) << moco_last_error();
    }
    ~LoadedModel() {
        moco_model_destroy(model);
        moco_context_destroy(ctx);
    }
    moco_context* ctx = nullptr;
    moco_model* model = nullptr;
};

TEST(Trainer, SavedCheckpointReloadsWithTheTrainersLogits) {
    for (bool lora : {false, true}) {
        hf::ModelSpec spec;
        spec.architecture = "Qwen3ForCausalLM";
        spec.tie_word_embeddings = !lora;
        hf::TempDir base("train_base");
        hf::write_model(base.path(), spec);
        hf::write_text(base / "tokenizer.json", "{}");
        LoadedModel model(base.path());
        train::Trainer trainer(*model.model, lora ? lora_config(kAllTargets, 0.0f) : full_config());
        train_steps(trainer, random_examples(4, spec.vocab_size, 1, 18), 2);

        hf::TempDir out("train_out");
        ASSERT_EQ(train::save_model("test", trainer, base.path(), out.path()), MOCO_OK) << moco_last_error();
        EXPECT_TRUE(std::ifstream(out / "tokenizer.json").good());
        LoadedModel reloaded(out.path());
        const std::vector<int32_t> tokens = random_tokens(8, spec.vocab_size, 19);
        Cache cache(reloaded.model);
        const std::vector<float> got = cache.append(cache.create(), tokens);
        const std::vector<float> want = trainer.logits(tokens);
        if (lora) {
            // Merged W + s B A is rounded once per weight: equal within float rounding.
            EXPECT_LT(relative_error(got, std::vector<double>(want.begin(), want.end())), 1e-5);
        } else {
            EXPECT_TRUE(bits_equal(got, want));  // F32 masters saved as F32
        }
    }
}

std::vector<float> train_and_read(int threads, bool lora, uint64_t seed) {
    TinySpec spec;
    spec.architecture = "Qwen3ForCausalLM";
    spec.qk_norm = true;
    spec.head_dim = 32;
    TinyModel tm(spec, 20);
    train::TrainerConfig config = lora ? lora_config(kAllTargets, 0.2f) : full_config();
    config.lora_settings.seed = config.seed = seed;
    tm.set_threads(threads);
    train::Trainer trainer(*tm.model(), config);
    train_steps(trainer, random_examples(5, spec.vocab, 2, 21), 3);
    return trainer.params().master;
}

TEST(Trainer, SameSeedBitIdenticalWeightsWhateverTheThreadCount) {
    for (bool lora : {false, true}) {
        const std::vector<float> one = train_and_read(1, lora, 5);
        EXPECT_TRUE(bits_equal(one, train_and_read(2, lora, 5))) << (lora ? "LoRA" : "full");
        EXPECT_TRUE(bits_equal(one, train_and_read(3, lora, 5))) << (lora ? "LoRA" : "full");
        if (lora) {
            EXPECT_FALSE(bits_equal(one, train_and_read(2, lora, 6)));  // the seed matters
        }
    }
}

// A pass keeps no attention probabilities - the backward recomputes them - so what a micro-batch
// holds grows linearly with its length. Keeping them (heads x T^2 / 2 floats per layer) made twice
// the length cost about 2.5 times as much here.
TEST(Trainer, ActivationMemoryGrowsLinearlyWithTheSequence) {
    TinySpec spec;
    spec.heads = 8;
    spec.kv_heads = 2;
    spec.head_dim = 8;
    TinyModel tm(spec, 11);
    auto bytes_for = [&](int length) {
        train::Trainer trainer(*tm.model(), lora_config(kAllTargets, 0.1f));
        std::vector<TrainExample> one(1);
        for (int t = 0; t < length; ++t) {
            one[0].tokens.push_back((t * 7) % spec.vocab);
        }
        const std::vector<moco_train_example> v = views(one);
        EXPECT_EQ(trainer.add_batch("test", MOCO_LOSS_SFT, v.data(), 1), MOCO_OK) << moco_last_error();
        return static_cast<double>(trainer.activation_bytes());
    };
    const double growth = bytes_for(240) / bytes_for(120);
    std::printf("[ memory  ] twice the length: %.2fx the activation bytes\n", growth);
    EXPECT_GT(growth, 1.5);
    EXPECT_LT(growth, 2.1);
}

TEST(TrainLosses, DeferralLimitsAreCrossEntropyAndMentor) {
    cpu::ThreadPool pool(1);
    const int vocab = 6;  // 5 tokens + the deferral entry
    const int32_t target = 2;
    const float mentor = -1.25f;
    std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.25f, 1.0f, 0.0f};
    std::vector<float> d(vocab);
    double lp = 0.0;
    train::target_logprobs(pool, logits.data(), 1, vocab, vocab - 1, &target, 1.0, &lp);
    logits[5] = -60.0f;  // never defer: the loss is the cross-entropy of the other entries
    EXPECT_NEAR(train::defer_loss(pool, logits.data(), 1, vocab, &target, &mentor, d.data()), -lp, 1e-12);
    logits[5] = 60.0f;   // always defer: the mentor's negative log-likelihood
    EXPECT_NEAR(train::defer_loss(pool, logits.data(), 1, vocab, &target, &mentor, d.data()), 1.25, 1e-12);
}

TEST(TrainSchedule, WarmupThenDecayAsTransformers) {
    using train::Schedule;
    EXPECT_EQ(train::schedule_factor(Schedule::Cosine, 0, 2, 10), 0.0);
    EXPECT_EQ(train::schedule_factor(Schedule::Cosine, 1, 2, 10), 0.5);
    EXPECT_EQ(train::schedule_factor(Schedule::Cosine, 2, 2, 10), 1.0);
    EXPECT_NEAR(train::schedule_factor(Schedule::Cosine, 6, 2, 10), 0.5, 1e-15);
    EXPECT_NEAR(train::schedule_factor(Schedule::Cosine, 10, 2, 10), 0.0, 1e-15);
    EXPECT_EQ(train::schedule_factor(Schedule::Linear, 6, 2, 10), 0.5);
    EXPECT_EQ(train::schedule_factor(Schedule::Constant, 6, 2, 10), 1.0);
    EXPECT_EQ(train::schedule_factor(Schedule::Linear, 12, 2, 10), 0.0);
}

TEST(TrainLosses, GroupAdvantagesAreNormalisedPerGroup) {
    const std::vector<double> adv = train::group_advantages({1.0f, 3.0f, 5.0f, 5.0f}, {0, 0, 1, 1});
    EXPECT_NEAR(adv[0], -1.0 / (std::sqrt(2.0) + 1e-4), 1e-12);
    EXPECT_NEAR(adv[1], 1.0 / (std::sqrt(2.0) + 1e-4), 1e-12);
    EXPECT_EQ(adv[2], 0.0);
    EXPECT_EQ(adv[3], 0.0);
}

}  // namespace
}  // namespace moco::test
