// The public moco_trainer_* ABI on checkpoints written by support/hf_writer: argument errors that
// name the field, loss that strictly decreases while over-fitting, SFT then greedy decoding through
// moco_forward reproducing the targets (full checkpoint and adapter), DPO raising the margin,
// policy gradient favouring the rewarded completion.
#include "../support/hf_writer.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <cstddef>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Loaded {
    explicit Loaded(const std::string& dir, const char* adapter_dir = nullptr) {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cpu";
        opts.threads = 2;
        EXPECT_EQ(moco_context_create(&opts, &ctx), MOCO_OK);
        EXPECT_EQ(moco_model_load(ctx, dir.c_str(), nullptr, &model), MOCO_OK) << moco_last_error();
        if (adapter_dir != nullptr) {
            EXPECT_EQ(moco_adapter_load(model, adapter_dir, &adapter), MOCO_OK) << moco_last_error();
        }
    }
    ~Loaded() {
        moco_adapter_destroy(adapter);
        moco_model_destroy(model);
        moco_context_destroy(ctx);
    }
    moco_context* ctx = nullptr;
    moco_model* model = nullptr;
    moco_adapter* adapter = nullptr;
};

hf::ModelSpec small_spec() {
    hf::ModelSpec spec;
    spec.vocab_size = 48;
    return spec;
}

moco_train_example example(const std::vector<int32_t>& tokens, const std::vector<uint8_t>* mask = nullptr) {
    moco_train_example e;
    std::memset(&e, 0, sizeof(e));
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.target_mask = mask == nullptr ? nullptr : mask->data();
    return e;
}

// Greedy continuation of `prompt` for n tokens through moco_forward.
std::vector<int32_t> greedy(moco_model* model, const moco_adapter* adapter, std::vector<int32_t> prompt, int n) {
    moco_kv_cache* cache = nullptr;
    EXPECT_EQ(moco_kv_cache_create(model, nullptr, &cache), MOCO_OK);
    int32_t seq = 0;
    EXPECT_EQ(moco_seq_create(cache, &seq), MOCO_OK);
    moco_model_info info;
    info.struct_size = sizeof(info);
    moco_model_get_info(model, &info);
    std::vector<float> logits(static_cast<size_t>(info.output_size));
    std::vector<int32_t> out;
    std::vector<int32_t> next = prompt;
    for (int i = 0; i < n; ++i) {
        moco_batch_entry e;
        std::memset(&e, 0, sizeof(e));
        e.seq = seq;
        e.tokens = next.data();
        e.n_tokens = static_cast<int32_t>(next.size());
        e.adapter = adapter;
        e.logits_mode = MOCO_OUTPUT_LAST;
        e.logits = logits.data();
        EXPECT_EQ(moco_forward(cache, &e, 1), MOCO_OK) << moco_last_error();
        int32_t best = 0;
        for (int v = 1; v < info.output_size; ++v) best = logits[static_cast<size_t>(v)] > logits[static_cast<size_t>(best)] ? v : best;
        out.push_back(best);
        next = {best};
    }
    moco_kv_cache_destroy(cache);
    return out;
}

// Sum of log p(tokens[t]) for t >= from, through moco_forward.
double sequence_logprob(moco_model* model, const moco_adapter* adapter, const std::vector<int32_t>& tokens, int from) {
    moco_kv_cache* cache = nullptr;
    EXPECT_EQ(moco_kv_cache_create(model, nullptr, &cache), MOCO_OK);
    int32_t seq = 0;
    EXPECT_EQ(moco_seq_create(cache, &seq), MOCO_OK);
    moco_model_info info;
    info.struct_size = sizeof(info);
    moco_model_get_info(model, &info);
    const int V = info.output_size;
    std::vector<float> logits(tokens.size() * static_cast<size_t>(V));
    moco_batch_entry e;
    std::memset(&e, 0, sizeof(e));
    e.seq = seq;
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.adapter = adapter;
    e.logits_mode = MOCO_OUTPUT_ALL;
    e.logits = logits.data();
    EXPECT_EQ(moco_forward(cache, &e, 1), MOCO_OK);
    EXPECT_EQ(moco_log_softmax(logits.data(), static_cast<int>(tokens.size()), V, logits.data()), MOCO_OK);
    double sum = 0.0;
    for (size_t t = static_cast<size_t>(from); t < tokens.size(); ++t) sum += logits[(t - 1) * static_cast<size_t>(V) + static_cast<size_t>(tokens[t])];
    moco_kv_cache_destroy(cache);
    return sum;
}

TEST(TrainApi, ErrorsNameTheField) {
    hf::TempDir dir("train_api_errors");
    hf::write_model(dir.path(), small_spec());
    Loaded m(dir.path());
    moco_trainer* trainer = reinterpret_cast<moco_trainer*>(&m);
    EXPECT_EQ(moco_trainer_create(m.model, nullptr, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    moco_trainer_options o = moco_trainer_default_options();
    o.lora_rank = 0;
    EXPECT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(trainer, nullptr);
    EXPECT_NE(std::string(moco_last_error()).find("lora_rank"), std::string::npos) << moco_last_error();
    o = moco_trainer_default_options();
    o.added_vocab_rows = 1;
    EXPECT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("added_vocab_rows"), std::string::npos);
    o.struct_size = 8;
    EXPECT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_ERR_INVALID_ARGUMENT);

    ASSERT_EQ(moco_trainer_create(m.model, nullptr, &trainer), MOCO_OK);
    EXPECT_EQ(moco_trainer_step(trainer, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    const std::vector<int32_t> bad = {1, 48, 3};
    moco_train_example e = example(bad);
    EXPECT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_SFT, &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("examples[0].tokens[1]"), std::string::npos) << moco_last_error();
    const std::vector<int32_t> good = {1, 2, 3};
    e = example(good);
    EXPECT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_POLICY_GRADIENT, &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("group"), std::string::npos);
    EXPECT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_DPO, &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_SFT, &e, 1), MOCO_OK);
    EXPECT_EQ(moco_trainer_add_batch(trainer, 7, &e, 1), MOCO_ERR_INVALID_ARGUMENT);
    moco_train_example pair[2] = {e, e};
    EXPECT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_DPO, pair, 2), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("moco_trainer_step first"), std::string::npos);
    moco_train_step_stats stats;
    stats.struct_size = 4;
    EXPECT_EQ(moco_trainer_step(trainer, &stats), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_trainer_save_model(trainer, dir.path().c_str(), nullptr), MOCO_ERR_INVALID_ARGUMENT);
    moco_trainer_destroy(trainer);
    moco_trainer_destroy(nullptr);
}

// SFT over-fitting 3 sequences (prompt masked): the loss falls at every step; then greedy decoding
// of the saved result reproduces every completion.
void overfit_then_decode(int mode) {
    hf::TempDir base("train_sft_base");
    hf::write_model(base.path(), small_spec());
    Loaded m(base.path());
    const std::vector<std::vector<int32_t>> seqs = {{5, 6, 10, 11, 12, 13, 14, 15},
                                                    {7, 8, 20, 21, 22, 23, 24, 25},
                                                    {9, 4, 30, 31, 32, 33, 34, 35}};
    const std::vector<uint8_t> mask = {0, 0, 1, 1, 1, 1, 1, 1};
    std::vector<moco_train_example> ex;
    for (const auto& s : seqs) ex.push_back(example(s, &mask));
    moco_trainer_options o = moco_trainer_default_options();
    o.mode = mode;
    o.lora_rank = 8;
    o.lora_alpha = 16.0f;
    o.lora_targets = 0x7Fu;
    o.learning_rate = mode == MOCO_TRAIN_FULL ? 3e-3f : 1e-2f;
    o.schedule = MOCO_LR_CONSTANT;
    o.total_steps = 60;
    moco_trainer* trainer = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK) << moco_last_error();
    float previous = INFINITY, first = 0.0f;
    moco_train_step_stats stats;
    for (int step = 0; step < o.total_steps; ++step) {
        ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_SFT, ex.data(), 2), MOCO_OK);
        ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_SFT, ex.data() + 2, 1), MOCO_OK);
        stats.struct_size = sizeof(stats);
        ASSERT_EQ(moco_trainer_step(trainer, &stats), MOCO_OK) << moco_last_error();
        EXPECT_EQ(stats.step, step + 1);
        EXPECT_EQ(stats.tokens, 24);
        EXPECT_EQ(stats.target_tokens, 18);
        if (step < 15) {
            EXPECT_LT(stats.loss, previous) << "step " << step;
        }
        first = step == 0 ? stats.loss : first;
        previous = stats.loss;
    }
    // Full fine-tuning drives the loss to ~0. A LoRA cannot touch the head or the final norm, and
    // with hidden 32 and head rows of norm ~0.6 the logits cannot grow far: it plateaus near 1.1,
    // still enough for every target to be the argmax.
    EXPECT_LT(stats.loss, mode == MOCO_TRAIN_FULL ? 0.05f : 0.5f * first);

    hf::TempDir out("train_sft_out");
    if (mode == MOCO_TRAIN_FULL) {
        ASSERT_EQ(moco_trainer_save_model(trainer, base.path().c_str(), out.path().c_str()), MOCO_OK) << moco_last_error();
    } else {
        ASSERT_EQ(moco_trainer_save_adapter(trainer, out.path().c_str()), MOCO_OK) << moco_last_error();
    }
    moco_trainer_destroy(trainer);
    Loaded trained(mode == MOCO_TRAIN_FULL ? out.path() : base.path(),
                   mode == MOCO_TRAIN_FULL ? nullptr : out.path().c_str());
    for (const auto& s : seqs) {
        const std::vector<int32_t> prompt(s.begin(), s.begin() + 2);
        const std::vector<int32_t> want(s.begin() + 2, s.end());
        EXPECT_EQ(greedy(trained.model, trained.adapter, prompt, 6), want);
    }
}

TEST(TrainApi, FullSftOverfitsAndGreedyDecodeReproducesTargets) {
    overfit_then_decode(MOCO_TRAIN_FULL);
}

TEST(TrainApi, LoraSftOverfitsAndGreedyDecodeReproducesTargets) {
    overfit_then_decode(MOCO_TRAIN_LORA);
}

TEST(TrainApi, DpoRaisesTheChosenOverRejectedMargin) {
    hf::TempDir base("train_dpo_base");
    hf::write_model(base.path(), small_spec());
    Loaded m(base.path());
    const std::vector<int32_t> chosen = {3, 4, 10, 11, 12}, rejected = {3, 4, 20, 21, 22};
    const std::vector<uint8_t> mask = {0, 0, 1, 1, 1};
    const moco_train_example pair[2] = {example(chosen, &mask), example(rejected, &mask)};
    moco_trainer_options o = moco_trainer_default_options();
    o.learning_rate = 5e-3f;
    o.schedule = MOCO_LR_CONSTANT;
    moco_trainer* trainer = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK);
    std::vector<float> margins;
    for (int step = 0; step < 8; ++step) {
        ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_DPO, pair, 2), MOCO_OK) << moco_last_error();
        moco_train_step_stats stats;
        stats.struct_size = sizeof(stats);
        ASSERT_EQ(moco_trainer_step(trainer, &stats), MOCO_OK);
        margins.push_back(stats.dpo_margin);
        if (step == 0) {
            EXPECT_EQ(stats.dpo_margin, 0.0f);  // B = 0: the policy is the reference
            EXPECT_NEAR(stats.loss, std::log(2.0), 1e-6);
        }
    }
    for (size_t i = 1; i < margins.size(); ++i) EXPECT_GT(margins[i], margins[i - 1]) << "step " << i;
    hf::TempDir out("train_dpo_out");
    ASSERT_EQ(moco_trainer_save_adapter(trainer, out.path().c_str()), MOCO_OK);
    moco_trainer_destroy(trainer);
    Loaded trained(base.path(), out.path().c_str());
    const double after = sequence_logprob(trained.model, trained.adapter, chosen, 2) -
                         sequence_logprob(trained.model, trained.adapter, rejected, 2);
    const double before = sequence_logprob(trained.model, nullptr, chosen, 2) -
                          sequence_logprob(trained.model, nullptr, rejected, 2);
    EXPECT_GT(after, before);
}

TEST(TrainApi, PolicyGradientFavoursTheRewardedCompletion) {
    hf::TempDir base("train_pg_base");
    hf::write_model(base.path(), small_spec());
    Loaded m(base.path());
    const std::vector<int32_t> good = {3, 4, 10, 11, 12}, bad = {3, 4, 20, 21, 22};
    const std::vector<uint8_t> mask = {0, 0, 1, 1, 1};
    moco_train_example group[2] = {example(good, &mask), example(bad, &mask)};
    group[0].reward = 1.0f;
    group[1].reward = 0.0f;
    moco_trainer_options o = moco_trainer_default_options();
    o.mode = MOCO_TRAIN_FULL;
    o.learning_rate = 1e-3f;
    o.schedule = MOCO_LR_CONSTANT;
    moco_trainer* trainer = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK);
    for (int step = 0; step < 5; ++step) {
        ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_POLICY_GRADIENT, group, 2), MOCO_OK) << moco_last_error();
        ASSERT_EQ(moco_trainer_step(trainer, nullptr), MOCO_OK);
    }
    hf::TempDir out("train_pg_out");
    ASSERT_EQ(moco_trainer_save_model(trainer, base.path().c_str(), out.path().c_str()), MOCO_OK);
    moco_trainer_destroy(trainer);
    Loaded trained(out.path());
    EXPECT_GT(sequence_logprob(trained.model, nullptr, good, 2) - sequence_logprob(trained.model, nullptr, bad, 2),
              sequence_logprob(m.model, nullptr, good, 2) - sequence_logprob(m.model, nullptr, bad, 2));
}

TEST(TrainApi, PolicyGradientOptionsAreCheckedAndOptionalForOlderCallers) {
    hf::TempDir base("train_pg_options");
    hf::write_model(base.path(), small_spec());
    Loaded m(base.path());
    moco_trainer_options o = moco_trainer_default_options();
    EXPECT_EQ(o.pg_temperature, 1.0f);
    EXPECT_EQ(o.pg_token_mean, 0);
    moco_trainer* trainer = nullptr;
    o.pg_temperature = 0.0f;
    EXPECT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("pg_temperature"), std::string::npos) << moco_last_error();
    o.pg_temperature = 1.0f;
    o.pg_token_mean = 2;
    EXPECT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("pg_token_mean"), std::string::npos) << moco_last_error();
    // A caller compiled before the v2 fields existed: whatever lies past its struct is not read.
    o.pg_temperature = -1.0f;
    o.struct_size = static_cast<int>(offsetof(moco_trainer_options, pg_temperature));
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK) << moco_last_error();
    moco_trainer_destroy(trainer);
}

TEST(TrainApi, DeferralAddsOneVocabularyRow) {
    hf::TempDir base("train_defer_base");
    hf::ModelSpec spec = small_spec();
    hf::write_model(base.path(), spec);
    Loaded m(base.path());
    std::vector<float> g(static_cast<size_t>(spec.hidden_size), 0.25f);
    moco_trainer_options o = moco_trainer_default_options();
    o.mode = MOCO_TRAIN_FULL;
    o.added_vocab_rows = 1;
    o.added_output_row = g.data();
    o.learning_rate = 1e-3f;
    moco_trainer* trainer = nullptr;
    ASSERT_EQ(moco_trainer_create(m.model, &o, &trainer), MOCO_OK) << moco_last_error();
    const std::vector<int32_t> tokens = {1, 2, 3, 4};
    const std::vector<float> mentor = {0.0f, -0.5f, -0.25f, -2.0f};
    moco_train_example e = example(tokens);
    e.mentor_logprobs = mentor.data();
    ASSERT_EQ(moco_trainer_add_batch(trainer, MOCO_LOSS_DEFER, &e, 1), MOCO_OK) << moco_last_error();
    ASSERT_EQ(moco_trainer_step(trainer, nullptr), MOCO_OK);
    hf::TempDir out("train_defer_out");
    ASSERT_EQ(moco_trainer_save_model(trainer, base.path().c_str(), out.path().c_str()), MOCO_OK) << moco_last_error();
    moco_trainer_destroy(trainer);
    Loaded trained(out.path());
    moco_model_info info;
    info.struct_size = sizeof(info);
    ASSERT_EQ(moco_model_get_info(trained.model, &info), MOCO_OK);
    EXPECT_EQ(info.vocab_size, spec.vocab_size + 1);
}

}  // namespace
