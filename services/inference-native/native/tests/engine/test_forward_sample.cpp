// moco_forward_sample through the public API: its tokens and processed rows are moco_sample's on the
// logits moco_forward gives for the same batch, whatever each entry asks for itself (no logits, the
// last row, every row; no draw at all); its sequences advance exactly as moco_forward's; and every
// failure - a bad request, a classifier, a draw moco_sample refuses - changes no sequence.
#include "../support/hf_writer.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace moco::test {
namespace {

// A model and cache on the CPU; a second cache replays each batch through moco_forward.
class ForwardSample : public ::testing::Test {
protected:
    void SetUp() override {
        hf::ModelSpec spec;
        spec.vocab_size = 97;
        hf::write_model(dir_.path(), spec);
        moco_context_options co = moco_context_default_options();
        ASSERT_EQ(moco_context_create(&co, &ctx_), MOCO_OK) << moco_last_error();
        ASSERT_EQ(moco_model_load(ctx_, dir_.path().c_str(), nullptr, &model_), MOCO_OK) << moco_last_error();
        moco_kv_cache_options ko = moco_kv_cache_default_options();
        ko.memory_bytes = 8 << 20;
        ASSERT_EQ(moco_kv_cache_create(model_, &ko, &drawn_), MOCO_OK) << moco_last_error();
        ASSERT_EQ(moco_kv_cache_create(model_, &ko, &plain_), MOCO_OK) << moco_last_error();
    }
    void TearDown() override {
        moco_kv_cache_destroy(drawn_);
        moco_kv_cache_destroy(plain_);
        moco_model_destroy(model_);
        moco_context_destroy(ctx_);
    }

    static int32_t new_seq(moco_kv_cache* cache) {
        int32_t seq = -1;
        EXPECT_EQ(moco_seq_create(cache, &seq), MOCO_OK) << moco_last_error();
        return seq;
    }
    static int length(moco_kv_cache* cache, int32_t seq) {
        int32_t n = -1;
        EXPECT_EQ(moco_seq_length(cache, seq, &n), MOCO_OK);
        return n;
    }

    static moco_sample_request request(float temperature, uint64_t seed, const std::vector<int32_t>* history) {
        moco_sample_request r;
        std::memset(&r, 0, sizeof(r));
        r.draw = 1;
        r.options = moco_sampling_default_options();
        r.options.temperature = temperature;
        r.options.top_k = 20;
        r.options.top_p = 0.9f;
        r.options.repetition_penalty = 1.3f;
        r.history = history->data();
        r.n_history = static_cast<int32_t>(history->size());
        r.seed = seed;
        r.tokens_generated = seed % 7;
        r.sample_index = seed % 3;
        return r;
    }

    const int vocab_ = 97;
    hf::TempDir dir_{"moco_forward_sample"};
    moco_context* ctx_ = nullptr;
    moco_model* model_ = nullptr;
    moco_kv_cache* drawn_ = nullptr;
    moco_kv_cache* plain_ = nullptr;
};

TEST_F(ForwardSample, TokensAreMocoSampleOnMocoForwardsLogits) {
    const std::vector<std::vector<int32_t>> prompts = {{3, 9, 27}, {5}, {11, 12, 13, 14}, {40, 41}};
    const int modes[] = {MOCO_OUTPUT_NONE, MOCO_OUTPUT_LAST, MOCO_OUTPUT_ALL, MOCO_OUTPUT_NONE};
    const int n = 4;
    std::vector<int32_t> seq_d, seq_p;
    for (int i = 0; i < n; ++i) {
        seq_d.push_back(new_seq(drawn_));
        seq_p.push_back(new_seq(plain_));
    }
    for (int step = 0; step < 3; ++step) {
        std::vector<std::vector<int32_t>> feed(prompts);
        std::vector<std::vector<float>> own(n), all_rows(n), processed(n, std::vector<float>(vocab_));
        std::vector<moco_batch_entry> d(n), p(n);
        std::vector<moco_sample_request> requests(n);
        for (int i = 0; i < n; ++i) {
            const size_t u = static_cast<size_t>(i);
            own[u].resize(feed[u].size() * vocab_);
            all_rows[u].resize(feed[u].size() * vocab_);
            d[u] = {seq_d[u], feed[u].data(), static_cast<int32_t>(feed[u].size()), nullptr, modes[i], own[u].data(),
                    MOCO_OUTPUT_NONE, nullptr, 0};
            p[u] = {seq_p[u], feed[u].data(), static_cast<int32_t>(feed[u].size()), nullptr, MOCO_OUTPUT_ALL,
                    all_rows[u].data(), MOCO_OUTPUT_NONE, nullptr, 0};
            // greedy, sampled, sampled with a processed row, and no draw
            requests[u] = request(i == 0 ? 0.0f : 0.8f, 100 * step + i, &prompts[u]);
            requests[u].processed = i == 2 ? processed[u].data() : nullptr;
            requests[u].draw = i == 3 ? 0 : 1;
        }
        std::vector<int32_t> tokens(n, 12345);
        ASSERT_EQ(moco_forward_sample(drawn_, d.data(), n, requests.data(), tokens.data()), MOCO_OK) << moco_last_error();
        ASSERT_EQ(moco_forward(plain_, p.data(), n), MOCO_OK) << moco_last_error();
        for (int i = 0; i < n; ++i) {
            const size_t u = static_cast<size_t>(i);
            EXPECT_EQ(length(drawn_, seq_d[u]), length(plain_, seq_p[u])) << i;
            const float* last = all_rows[u].data() + (feed[u].size() - 1) * vocab_;
            if (modes[i] == MOCO_OUTPUT_LAST) {
                EXPECT_EQ(std::vector<float>(own[u].begin(), own[u].begin() + vocab_), std::vector<float>(last, last + vocab_));
            }
            if (modes[i] == MOCO_OUTPUT_ALL) {
                EXPECT_EQ(own[u], all_rows[u]) << i;
            }
            if (requests[u].draw == 0) {
                EXPECT_EQ(tokens[u], -1) << "no draw";
                continue;
            }
            std::vector<float> want_processed(vocab_);
            int32_t want = -1;
            const moco_sample_request& r = requests[u];
            ASSERT_EQ(moco_sample(last, vocab_, &r.options, r.history, r.n_history, r.seed, r.tokens_generated,
                                  r.sample_index, want_processed.data(), &want),
                      MOCO_OK);
            EXPECT_EQ(tokens[u], want) << "entry " << i << " step " << step;
            if (r.processed != nullptr) {
                EXPECT_EQ(processed[u], want_processed) << i;
            }
        }
    }
}

TEST_F(ForwardSample, FailuresChangeNoSequence) {
    const std::vector<int32_t> prompt = {1, 2, 3};
    const int32_t a = new_seq(drawn_), b = new_seq(drawn_);
    std::vector<moco_batch_entry> e(2);
    e[0] = {a, prompt.data(), 3, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0};
    e[1] = {b, prompt.data(), 3, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0};
    std::vector<moco_sample_request> r = {request(1.0f, 1, &prompt), request(1.0f, 2, &prompt)};
    std::vector<int32_t> tokens(2);

    EXPECT_EQ(moco_forward_sample(drawn_, e.data(), 2, nullptr, tokens.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("requests and tokens"), std::string::npos) << moco_last_error();

    r[1].options.top_p = 1.5f;
    EXPECT_EQ(moco_forward_sample(drawn_, e.data(), 2, r.data(), tokens.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("requests[1]"), std::string::npos) << moco_last_error();
    r[1] = request(1.0f, 2, &prompt);
    const std::vector<int32_t> bad_history = {3, 97};
    r[0].history = bad_history.data();
    r[0].n_history = 2;
    EXPECT_EQ(moco_forward_sample(drawn_, e.data(), 2, r.data(), tokens.data()), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("requests[0]: history[1] = 97"), std::string::npos)
        << moco_last_error();
    r[0] = request(1.0f, 1, &prompt);

    // A temperature so small that z / temperature overflows: moco_sample's MOCO_ERR_NUMERIC, after the
    // forward ran - which is rolled back.
    r[1].options.temperature = std::numeric_limits<float>::denorm_min();
    EXPECT_EQ(moco_forward_sample(drawn_, e.data(), 2, r.data(), tokens.data()), MOCO_ERR_NUMERIC);
    EXPECT_NE(std::string(moco_last_error()).find("moco_forward_sample: requests[1]"), std::string::npos)
        << moco_last_error();
    EXPECT_EQ(length(drawn_, a), 0);
    EXPECT_EQ(length(drawn_, b), 0);

    r[1] = request(1.0f, 2, &prompt);
    ASSERT_EQ(moco_forward_sample(drawn_, e.data(), 2, r.data(), tokens.data()), MOCO_OK) << moco_last_error();
    EXPECT_EQ(length(drawn_, a), 3);
    EXPECT_GE(tokens[0], 0);
    EXPECT_LT(tokens[0], vocab_);
}

TEST(ForwardSampleClassifier, AClassifierHasNoNextToken) {
    hf::TempDir dir("moco_forward_sample_classifier");
    hf::ModelSpec spec;
    spec.architecture = "LlamaForSequenceClassification";
    spec.num_labels = 3;
    hf::write_model(dir.path(), spec);
    moco_context_options co = moco_context_default_options();
    moco_context* ctx = nullptr;
    moco_model* model = nullptr;
    moco_kv_cache* cache = nullptr;
    ASSERT_EQ(moco_context_create(&co, &ctx), MOCO_OK);
    ASSERT_EQ(moco_model_load(ctx, dir.path().c_str(), nullptr, &model), MOCO_OK) << moco_last_error();
    moco_kv_cache_options ko = moco_kv_cache_default_options();
    ko.memory_bytes = 4 << 20;
    ASSERT_EQ(moco_kv_cache_create(model, &ko, &cache), MOCO_OK);
    int32_t seq = -1;
    ASSERT_EQ(moco_seq_create(cache, &seq), MOCO_OK);
    const int32_t tokens_in[] = {1, 2};
    moco_batch_entry e = {seq, tokens_in, 2, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0};
    moco_sample_request r;
    std::memset(&r, 0, sizeof(r));
    r.draw = 1;
    r.options = moco_sampling_default_options();
    int32_t token = 0;
    EXPECT_EQ(moco_forward_sample(cache, &e, 1, &r, &token), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("sequence classifier"), std::string::npos) << moco_last_error();
    int32_t length = -1;
    ASSERT_EQ(moco_seq_length(cache, seq, &length), MOCO_OK);
    EXPECT_EQ(length, 0);
    moco_kv_cache_destroy(cache);
    moco_model_destroy(model);
    moco_context_destroy(ctx);
}

}  // namespace
}  // namespace moco::test
