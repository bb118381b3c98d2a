// moco_forward on "cuda:0" against "cpu" through the public API, on checkpoints written by
// support/hf_writer (every family and stored dtype the loader supports) and on the golden HF
// fixtures: prefill, decode through the paged cache, chunked prefill, batches with a fork
// (copy-on-write on the device), long contexts (split-K attention), attend_prefix, greedy
// generation, and the errors a GPU adds (device memory exhaustion). LoRA: test_cuda_lora.cpp.
//
// Tolerances. F32 checkpoints run F32 GEMMs (no TF32) on both backends: outputs agree to float
// rounding (atol 1e-4 on logits of magnitude ~1). BF16/F16 checkpoints multiply in the weight's
// dtype on the GPU, so the activations entering each GEMM are rounded to 8 (BF16) or 11 (F16)
// significant bits, where the CPU keeps them in F32: atol 3e-2 (BF16) and 5e-3 (F16). Greedy tokens
// must be identical wherever the CPU's top-2 margin exceeds ten times the tolerance (random tiny
// models have near-ties where either token is right).
#include "../support/hf_writer.h"
#include "cuda_test_util.h"
#include "engine_pair.h"
#include "model/model.h"

#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>

namespace moco::cuda_test {
namespace {

struct Case {
    std::string name;
    hf::ModelSpec spec;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::vector<Case> cases() {
    std::vector<Case> out;
    auto add = [&](const std::string& name, hf::ModelSpec s) {
        s.vocab_size = 97;
        s.hidden_size = 64;
        s.intermediate_size = 96;
        s.num_layers = 2;
        s.num_heads = 4;
        s.num_kv_heads = 2;
        s.max_position_embeddings = 1024;
        out.push_back({name, s});
    };
    {
        hf::ModelSpec s;
        add("llama_f32", s);
    }
    {
        hf::ModelSpec s;
        s.architecture = "Qwen2ForCausalLM";
        s.tie_word_embeddings = true;
        add("qwen2_f32_bias_tied", s);
    }
    {
        hf::ModelSpec s;
        s.architecture = "Qwen3ForCausalLM";
        s.dtype = "BF16";
        s.head_dim = 32;
        s.rms_norm_eps = 1e-6;
        add("qwen3_bf16_qknorm", s);
    }
    {
        hf::ModelSpec s;
        s.dtype = "F16";
        s.rope_theta = 500000.0;
        s.rope_scaling = "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                         "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}";
        add("llama3_f16", s);
    }
    {
        hf::ModelSpec s;
        s.rope_scaling = "{\"type\": \"linear\", \"factor\": 2.0}";
        s.dtype = "BF16";
        add("llama_bf16_linear", s);
    }
    {
        hf::ModelSpec s;
        s.architecture = "MistralForCausalLM";
        s.config_overrides["sliding_window"] = "6";
        add("mistral_window", s);
    }
    {
        hf::ModelSpec s;
        s.architecture = "LlamaForSequenceClassification";
        s.num_labels = 3;
        add("llama_classifier", s);
    }
    return out;
}

std::vector<int32_t> tokens(int n, int vocab, int salt) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = (i * 37 + salt * 11 + 3) % vocab;
    return t;
}

class CudaForward : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible; run tools/cuda/device_check.sh on the GPU machine";
        hf::write_model(dir_.path(), GetParam().spec);
        moco_kv_cache_options kv = moco_kv_cache_default_options();
        kv.block_tokens = 4;  // several blocks per sequence, partially filled ones to copy on write
        cpu_ = std::make_unique<Engine>("cpu", dir_.path(), &kv);
        gpu_ = std::make_unique<Engine>("cuda:0", dir_.path(), &kv);
        ASSERT_EQ(cpu_->status(), MOCO_OK) << cpu_->error();
        ASSERT_EQ(gpu_->status(), MOCO_OK) << gpu_->error();
        tol_ = tolerance(cpu_->info().dtype);
    }

    // Runs the same append on both engines and compares logits and hidden states.
    void same(int32_t cpu_seq, int32_t gpu_seq, const std::vector<int32_t>& t, int mode, const std::string& what,
              int attend_prefix = 0) {
        std::vector<float> h_cpu, h_gpu;
        const std::vector<float> l_cpu = cpu_->forward(cpu_seq, t, mode, &h_cpu, attend_prefix);
        const std::vector<float> l_gpu = gpu_->forward(gpu_seq, t, mode, &h_gpu, attend_prefix);
        expect_close(l_gpu, l_cpu, tol_, tol_, what + "_logits");
        expect_close(h_gpu, h_cpu, tol_, tol_, what + "_hidden");
    }

    hf::TempDir dir_{"moco_cuda_forward"};
    std::unique_ptr<Engine> cpu_, gpu_;
    float tol_ = 0.0f;
};

TEST_P(CudaForward, PrefillDecodeAndChunksMatchCpu) {
    const int vocab = cpu_->info().vocab_size;
    const int32_t a = cpu_->new_sequence(), b = gpu_->new_sequence();
    same(a, b, tokens(9, vocab, 1), MOCO_OUTPUT_ALL, "prefill");
    for (int step = 0; step < 6; ++step) {
        same(a, b, {static_cast<int32_t>((step * 5 + 2) % vocab)}, MOCO_OUTPUT_LAST, "decode" + std::to_string(step));
    }
    same(a, b, tokens(5, vocab, 2), MOCO_OUTPUT_ALL, "chunk");
}

TEST_P(CudaForward, BatchWithForkCopiesOnWriteLikeCpu) {
    const int vocab = cpu_->info().vocab_size;
    Engine* engines[2] = {cpu_.get(), gpu_.get()};
    std::vector<float> logits[2];
    for (int d = 0; d < 2; ++d) {
        Engine& e = *engines[d];
        const int32_t a = e.new_sequence();
        e.forward(a, tokens(10, vocab, 3), MOCO_OUTPUT_LAST);  // 10 tokens: the third block is half full
        const int32_t b = e.fork(a);
        const int32_t c = e.new_sequence();
        const std::vector<int32_t> ta = tokens(3, vocab, 4), tb = tokens(2, vocab, 5), tc = tokens(7, vocab, 6);
        const int out = e.info().output_size;
        std::vector<float> la(3 * static_cast<size_t>(out)), lb(2 * static_cast<size_t>(out)), lc(out);
        moco_batch_entry entries[3];
        std::memset(entries, 0, sizeof(entries));
        entries[0] = {a, ta.data(), 3, nullptr, MOCO_OUTPUT_ALL, la.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        entries[1] = {b, tb.data(), 2, nullptr, MOCO_OUTPUT_ALL, lb.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        entries[2] = {c, tc.data(), 7, nullptr, MOCO_OUTPUT_LAST, lc.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        ASSERT_EQ(moco_forward(e.cache(), entries, 3), MOCO_OK) << moco_last_error();
        // After the batch, b continues on its own copy of the shared block; a is untouched by it.
        const std::vector<float> lb2 = e.forward(b, {1}, MOCO_OUTPUT_LAST);
        const std::vector<float> la2 = e.forward(a, {2}, MOCO_OUTPUT_LAST);
        for (const std::vector<float>* v : std::initializer_list<const std::vector<float>*>{&la, &lb, &lc, &lb2, &la2}) {
            logits[d].insert(logits[d].end(), v->begin(), v->end());
        }
    }
    expect_close(logits[1], logits[0], tol_, tol_, "batch_fork");
}

TEST_P(CudaForward, LongContextSplitKMatchesCpu) {
    const int vocab = cpu_->info().vocab_size;
    const int32_t a = cpu_->new_sequence(), b = gpu_->new_sequence();
    for (int chunk = 0; chunk < 3; ++chunk) {
        same(a, b, tokens(200, vocab, 10 + chunk), MOCO_OUTPUT_LAST, "long_prefill" + std::to_string(chunk));
    }
    for (int step = 0; step < 3; ++step) {  // 600+ keys, one row: several attention splits
        same(a, b, {static_cast<int32_t>(step + 1)}, MOCO_OUTPUT_LAST, "long_decode" + std::to_string(step));
    }
}

TEST_P(CudaForward, AttendPrefixMatchesCpu) {
    const int vocab = cpu_->info().vocab_size;
    const int32_t a = cpu_->new_sequence(), b = gpu_->new_sequence();
    same(a, b, tokens(5, vocab, 7), MOCO_OUTPUT_LAST, "prefix_text");
    same(a, b, tokens(3, vocab, 8), MOCO_OUTPUT_ALL, "prefix_padding", 5);
}

TEST_P(CudaForward, GreedyGenerationIdenticalToCpu) {
    if (cpu_->info().is_classifier) GTEST_SKIP() << "a classifier does not generate";
    const int compared = compare_greedy(*cpu_, *gpu_, tokens(6, cpu_->info().output_size, 9), 24, 10.0f * tol_);
    // F32: nearly every step has a margin above 1e-3; 16-bit thresholds (0.05 to 0.3) leave fewer.
    EXPECT_GE(compared, cpu_->info().dtype == MOCO_DTYPE_F32 ? 12 : 1) << "too few steps had a clear margin";
}

INSTANTIATE_TEST_SUITE_P(Families, CudaForward, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// --- errors a GPU adds ------------------------------------------------------------------------

class CudaErrors : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible; run tools/cuda/device_check.sh on the GPU machine";
        hf::write_model(dir_.path(), spec_);
    }
    hf::ModelSpec spec_;
    hf::TempDir dir_{"moco_cuda_errors"};
};

TEST_F(CudaErrors, KvCacheBeyondDeviceMemoryIsOutOfMemoryNotAHang) {
    Engine e("cuda:0", dir_.path());
    ASSERT_EQ(e.status(), MOCO_OK) << e.error();
    moco_kv_cache_options o = moco_kv_cache_default_options();
    o.block_tokens = 1024;
    o.memory_bytes = 1ull << 40;  // 1 TiB: more than any GPU holds
    moco_kv_cache* cache = reinterpret_cast<moco_kv_cache*>(0x1);
    EXPECT_EQ(moco_kv_cache_create(e.model(), &o, &cache), MOCO_ERR_OUT_OF_MEMORY);
    EXPECT_EQ(cache, nullptr);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("out of device memory"), std::string::npos) << message;
    EXPECT_NE(message.find("KV cache"), std::string::npos) << message;
    // The device is still usable afterwards.
    const int32_t seq = e.new_sequence();
    EXPECT_EQ(e.forward(seq, {1, 2, 3}, MOCO_OUTPUT_LAST).size(), static_cast<size_t>(e.info().output_size));
}

TEST_F(CudaErrors, ModelOnTheGpuKeepsNoPackedHostCopy) {
    // The forward multiplies from the device copy; a packed host copy would double the model's memory.
    Engine gpu("cuda:0", dir_.path()), cpu("cpu", dir_.path());
    ASSERT_EQ(gpu.status(), MOCO_OK) << gpu.error();
    ASSERT_EQ(cpu.status(), MOCO_OK) << cpu.error();
    EXPECT_EQ(gpu.model()->prepared, nullptr);
    EXPECT_NE(gpu.model()->device, nullptr);
    EXPECT_NE(cpu.model()->prepared, nullptr);
    // The forward still runs: its batch-size limit comes from the config, not from the packed head.
    const int32_t seq = gpu.new_sequence();
    EXPECT_EQ(gpu.forward(seq, {1, 2, 3}, MOCO_OUTPUT_LAST).size(), static_cast<size_t>(gpu.info().output_size));
}

// --- the golden HF fixtures: greedy generation on cuda:0 identical to the CPU's -----------------
// (Their logits against HF are checked by moco_tests' Golden suite with MOCO_GOLDEN_DEVICE=cuda:0.)

TEST(CudaGolden, GreedyGenerationIdenticalToCpuForEveryFixture) {
    MOCO_REQUIRE_GPU();
    int fixtures = 0;
    for (const auto& entry : std::filesystem::directory_iterator(MOCO_TEST_GOLDEN_DIR)) {
        if (!std::filesystem::exists(entry.path() / "config.json")) continue;
        SCOPED_TRACE(entry.path().filename().string());
        Engine cpu("cpu", entry.path().string());
        Engine gpu("cuda:0", entry.path().string());
        ASSERT_EQ(cpu.status(), MOCO_OK) << cpu.error();
        ASSERT_EQ(gpu.status(), MOCO_OK) << gpu.error();
        ++fixtures;
        const int out = cpu.info().output_size;
        const float tol = tolerance(cpu.info().dtype);
        const int32_t a = cpu.new_sequence(), b = gpu.new_sequence();
        const std::vector<int32_t> prompt = tokens(7, cpu.info().vocab_size, 1);
        std::vector<float> l_cpu = cpu.forward(a, prompt, MOCO_OUTPUT_LAST);
        std::vector<float> l_gpu = gpu.forward(b, prompt, MOCO_OUTPUT_LAST);
        expect_close(l_gpu, l_cpu, tol, tol, entry.path().filename().string() + "_prefill");
        if (cpu.info().is_classifier) continue;
        for (int step = 0; step < 16; ++step) {
            const Top2 c = top2(l_cpu.data(), out);
            if (c.margin > 10.0f * tol) {
                ASSERT_EQ(top2(l_gpu.data(), out).token, c.token) << "step " << step;
            }
            l_cpu = cpu.forward(a, {c.token}, MOCO_OUTPUT_LAST);
            l_gpu = gpu.forward(b, {c.token}, MOCO_OUTPUT_LAST);
        }
    }
    EXPECT_GE(fixtures, 8);
}

}  // namespace
}  // namespace moco::cuda_test
