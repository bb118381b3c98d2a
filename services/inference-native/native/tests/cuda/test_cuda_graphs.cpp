// Decode steps replayed from CUDA graphs (forward.cu) against the same steps run directly
// (MOCO_CUDA_GRAPHS=0): bit-identical logits and drawn tokens, step after step, over a batch whose
// sequences cross a length bucket (64 -> 128 keys), with a fork's copy-on-write before a replay and
// a sequence leaving the batch (a new shape); and the graphs are really used - one capture per
// shape, a replay for every other step.
#include "../support/hf_writer.h"
#include "cpu/kv_cache_handle.h"
#include "cuda/cache_state.h"
#include "cuda_test_util.h"
#include "engine_pair.h"

#include <cstdlib>
#include <cstring>

namespace moco::cuda_test {
namespace {

const cuda::CacheState& state_of(const Engine& e) {
    return static_cast<const cuda::CacheState&>(*e.cache()->device);
}

// One decode step of every sequence in `seqs` (token per sequence), logits of each, on `e`, with
// graphs on or off.
std::vector<float> step(Engine& e, const std::vector<int32_t>& seqs, const std::vector<int32_t>& tokens, bool graphs) {
    if (graphs) {
        unsetenv("MOCO_CUDA_GRAPHS");
    } else {
        setenv("MOCO_CUDA_GRAPHS", "0", 1);
    }
    const size_t vocab = static_cast<size_t>(e.info().output_size);
    std::vector<float> logits(seqs.size() * vocab);
    std::vector<moco_batch_entry> entries(seqs.size());
    for (size_t i = 0; i < seqs.size(); ++i) {
        entries[i] = {seqs[i], &tokens[i], 1, nullptr, MOCO_OUTPUT_LAST, logits.data() + i * vocab, MOCO_OUTPUT_NONE,
                      nullptr, 0};
    }
    EXPECT_EQ(moco_forward(e.cache(), entries.data(), static_cast<int>(entries.size())), MOCO_OK) << moco_last_error();
    unsetenv("MOCO_CUDA_GRAPHS");
    return logits;
}

TEST(CudaGraphs, ReplayedDecodeStepsEqualDirectOnesBitForBit) {
    MOCO_REQUIRE_GPU();
    hf::TempDir dir("moco_cuda_graphs");
    hf::ModelSpec spec;
    spec.vocab_size = 101;
    spec.max_position_embeddings = 256;
    hf::write_model(dir.path(), spec);
    moco_kv_cache_options kv = moco_kv_cache_default_options();
    kv.block_tokens = 8;
    Engine direct("cuda:0", dir.path(), &kv), graphed("cuda:0", dir.path(), &kv);
    ASSERT_EQ(direct.status(), MOCO_OK) << direct.error();
    ASSERT_EQ(graphed.status(), MOCO_OK) << graphed.error();
    const int vocab = direct.info().output_size;

    // Three prompts (prefills run directly), then a fork of the second one.
    std::vector<int32_t> d, g;
    const int lengths[] = {5, 21, 44};
    for (int i = 0; i < 3; ++i) {
        std::vector<int32_t> prompt(static_cast<size_t>(lengths[i]));
        for (int t = 0; t < lengths[i]; ++t) prompt[static_cast<size_t>(t)] = (t * 13 + i * 7 + 1) % vocab;
        d.push_back(direct.new_sequence());
        g.push_back(graphed.new_sequence());
        direct.forward(d.back(), prompt, MOCO_OUTPUT_LAST);
        graphed.forward(g.back(), prompt, MOCO_OUTPUT_LAST);
    }
    d.push_back(direct.fork(d[1]));
    g.push_back(graphed.fork(g[1]));
    const uint64_t captures_before = state_of(graphed).graph_captures;

    std::vector<int32_t> tokens = {3, 4, 5, 6};
    int steps = 0;
    for (; steps < 40; ++steps) {
        if (steps == 30) {  // the fork leaves the batch: a new shape (3 rows)
            d.pop_back();
            g.pop_back();
            tokens.pop_back();
        }
        const std::vector<float> want = step(direct, d, tokens, false);
        const std::vector<float> got = step(graphed, g, tokens, true);
        ASSERT_EQ(got.size(), want.size());
        ASSERT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0) << "step " << steps;
        for (size_t i = 0; i < tokens.size(); ++i) {
            tokens[i] = top2(want.data() + i * static_cast<size_t>(vocab), vocab).token;  // greedy, fed to both
        }
    }
    // Shapes: 4 rows up to 64 keys, 4 rows past 64 (the 44-token prompt reaches 65 at step 20), 3 rows.
    const cuda::CacheState& s = state_of(graphed);
    EXPECT_EQ(s.graph_captures - captures_before, 3u);
    EXPECT_EQ(s.graph_replays, 40u);
    EXPECT_EQ(state_of(direct).graph_replays, 0u);
}

TEST(CudaGraphs, DrawsFromAReplayedStepEqualDirectOnes) {
    MOCO_REQUIRE_GPU();
    hf::TempDir dir("moco_cuda_graphs_draw");
    hf::ModelSpec spec;
    spec.vocab_size = 89;
    hf::write_model(dir.path(), spec);
    Engine direct("cuda:0", dir.path()), graphed("cuda:0", dir.path());
    ASSERT_EQ(direct.status(), MOCO_OK) << direct.error();
    ASSERT_EQ(graphed.status(), MOCO_OK) << graphed.error();
    const int32_t a = direct.new_sequence(), b = graphed.new_sequence();
    direct.forward(a, {1, 2, 3}, MOCO_OUTPUT_LAST);
    graphed.forward(b, {1, 2, 3}, MOCO_OUTPUT_LAST);
    int32_t next_a = 4, next_b = 4;
    for (int i = 0; i < 12; ++i) {
        moco_sample_request r;
        std::memset(&r, 0, sizeof(r));
        r.draw = 1;
        r.options = moco_sampling_default_options();
        r.options.top_p = 0.9f;
        r.seed = 7;
        r.tokens_generated = static_cast<uint64_t>(i);
        moco_batch_entry ea = {a, &next_a, 1, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0};
        moco_batch_entry eb = {b, &next_b, 1, nullptr, MOCO_OUTPUT_NONE, nullptr, MOCO_OUTPUT_NONE, nullptr, 0};
        int32_t ta = -1, tb = -1;
        setenv("MOCO_CUDA_GRAPHS", "0", 1);
        ASSERT_EQ(moco_forward_sample(direct.cache(), &ea, 1, &r, &ta), MOCO_OK) << moco_last_error();
        unsetenv("MOCO_CUDA_GRAPHS");
        ASSERT_EQ(moco_forward_sample(graphed.cache(), &eb, 1, &r, &tb), MOCO_OK) << moco_last_error();
        ASSERT_EQ(tb, ta) << "step " << i;
        next_a = ta;
        next_b = tb;
    }
    EXPECT_EQ(state_of(graphed).graph_replays, 12u);
}

}  // namespace
}  // namespace moco::cuda_test
