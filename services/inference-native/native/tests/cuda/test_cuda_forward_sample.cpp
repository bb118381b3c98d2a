// moco_forward_sample on cuda:0: the draw runs on the GPU (cuda::sample_rows on the forward's own
// logits rows), so its tokens must be moco_sample's on the logits moco_forward returns for the same
// batch on the same GPU - for entries asking for no logits, the last row or every row, next to
// entries drawing nothing - and its processed rows moco_sample's bit for bit. (The device sampler
// may differ from the CPU's only within ~1e-8 of a top-p or draw threshold, sampling.h; these rows
// are nowhere near.) A draw moco_sample refuses is MOCO_ERR_NUMERIC naming the entry, and no
// sequence changes.
#include "../support/hf_writer.h"
#include "cuda_test_util.h"
#include "engine_pair.h"

#include <cstring>
#include <limits>
#include <memory>

namespace moco::cuda_test {
namespace {

class CudaForwardSample : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible; run tools/cuda/device_check.sh on the GPU machine";
        hf::ModelSpec spec;
        spec.vocab_size = 211;
        spec.dtype = GetParam();
        hf::write_model(dir_.path(), spec);
        gpu_ = std::make_unique<Engine>("cuda:0", dir_.path());
        ASSERT_EQ(gpu_->status(), MOCO_OK) << gpu_->error();
        vocab_ = gpu_->info().vocab_size;
    }

    static moco_sample_request request(float temperature, uint64_t seed, const std::vector<int32_t>& history) {
        moco_sample_request r;
        std::memset(&r, 0, sizeof(r));
        r.draw = 1;
        r.options = moco_sampling_default_options();
        r.options.temperature = temperature;
        r.options.top_k = 50;
        r.options.min_p = 0.01f;
        r.options.repetition_penalty = 1.2f;
        r.history = history.data();
        r.n_history = static_cast<int32_t>(history.size());
        r.seed = seed;
        r.tokens_generated = seed % 5;
        r.sample_index = seed % 2;
        return r;
    }

    int32_t length(int32_t seq) const {
        int32_t n = -1;
        EXPECT_EQ(moco_seq_length(gpu_->cache(), seq, &n), MOCO_OK);
        return n;
    }

    hf::TempDir dir_{"moco_cuda_forward_sample"};
    std::unique_ptr<Engine> gpu_;
    int vocab_ = 0;
};

TEST_P(CudaForwardSample, TokensAreMocoSampleOnTheGpusLogits) {
    const std::vector<std::vector<int32_t>> prompts = {{3, 9, 27}, {5}, {11, 12, 13, 14, 15}, {40, 41}, {7}};
    const int modes[] = {MOCO_OUTPUT_NONE, MOCO_OUTPUT_LAST, MOCO_OUTPUT_ALL, MOCO_OUTPUT_NONE, MOCO_OUTPUT_NONE};
    const int n = 5;
    std::vector<int32_t> drawn, plain;
    for (int i = 0; i < n; ++i) {
        drawn.push_back(gpu_->new_sequence());
        plain.push_back(gpu_->new_sequence());
    }
    int compared = 0;
    for (int step = 0; step < 3; ++step) {
        std::vector<std::vector<float>> own(n), processed(n, std::vector<float>(static_cast<size_t>(vocab_)));
        std::vector<moco_batch_entry> entries(n);
        std::vector<moco_sample_request> requests(n);
        for (int i = 0; i < n; ++i) {
            const size_t u = static_cast<size_t>(i);
            own[u].resize(prompts[u].size() * static_cast<size_t>(vocab_));
            entries[u] = {drawn[u], prompts[u].data(), static_cast<int32_t>(prompts[u].size()), nullptr, modes[i],
                          own[u].data(), MOCO_OUTPUT_NONE, nullptr, 0};
            requests[u] = request(i == 1 ? 0.0f : 0.9f, 10 * step + i, prompts[u]);
            requests[u].processed = i % 2 == 0 ? processed[u].data() : nullptr;
            requests[u].draw = i == 3 ? 0 : 1;
        }
        std::vector<int32_t> tokens(n, 777);
        ASSERT_EQ(moco_forward_sample(gpu_->cache(), entries.data(), n, requests.data(), tokens.data()), MOCO_OK)
            << moco_last_error();
        for (int i = 0; i < n; ++i) {
            const size_t u = static_cast<size_t>(i);
            const std::vector<float> all = gpu_->forward(plain[u], prompts[u], MOCO_OUTPUT_ALL);
            EXPECT_EQ(length(drawn[u]), length(plain[u]));
            const float* last = all.data() + (prompts[u].size() - 1) * static_cast<size_t>(vocab_);
            if (modes[i] == MOCO_OUTPUT_ALL) {
                EXPECT_EQ(own[u], all) << "entry " << i;
            } else if (modes[i] == MOCO_OUTPUT_LAST) {
                EXPECT_EQ(std::vector<float>(own[u].begin(), own[u].begin() + vocab_),
                          std::vector<float>(last, last + vocab_));
            }
            if (requests[u].draw == 0) {
                EXPECT_EQ(tokens[u], -1);
                continue;
            }
            const moco_sample_request& r = requests[u];
            std::vector<float> want_processed(static_cast<size_t>(vocab_));
            int32_t want = -1;
            ASSERT_EQ(moco_sample(last, vocab_, &r.options, r.history, r.n_history, r.seed, r.tokens_generated,
                                  r.sample_index, want_processed.data(), &want),
                      MOCO_OK);
            EXPECT_EQ(tokens[u], want) << "entry " << i << ", step " << step;
            if (r.processed != nullptr) {
                EXPECT_EQ(std::memcmp(processed[u].data(), want_processed.data(), want_processed.size() * sizeof(float)), 0)
                    << "entry " << i << ", step " << step;
            }
            ++compared;
        }
    }
    EXPECT_EQ(compared, 12);
}

TEST_P(CudaForwardSample, NumericDrawNamesTheEntryAndChangesNoSequence) {
    const std::vector<int32_t> prompt = {1, 2, 3};
    const int32_t a = gpu_->new_sequence(), b = gpu_->new_sequence();
    moco_batch_entry e[2] = {{a, prompt.data(), 3, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0},
                             {b, prompt.data(), 3, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0}};
    moco_sample_request r[2] = {request(1.0f, 1, prompt), request(1.0f, 2, prompt)};
    r[1].options.temperature = std::numeric_limits<float>::denorm_min();  // z / temperature overflows
    int32_t tokens[2] = {0, 0};
    EXPECT_EQ(moco_forward_sample(gpu_->cache(), e, 2, r, tokens), MOCO_ERR_NUMERIC);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("moco_forward_sample: requests[1]"), std::string::npos) << message;
    EXPECT_EQ(length(a), 0);
    EXPECT_EQ(length(b), 0);
    r[1] = request(1.0f, 2, prompt);
    ASSERT_EQ(moco_forward_sample(gpu_->cache(), e, 2, r, tokens), MOCO_OK) << moco_last_error();
    EXPECT_EQ(length(a), 3);
    EXPECT_EQ(length(b), 3);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CudaForwardSample, ::testing::Values("F32", "BF16"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace moco::cuda_test
