// LoRA adapters on "cuda:0" (src/cuda/lora.cu, upload_adapter.cu) against the CPU backend, which
// applies them with its own GEMMs (cpu/forward.cpp Pass::lora). What each test would catch:
//
//  - CudaLoraRows.RowOrderGroupsEntriesByAdapter (host only, runs without a GPU too): the row
//    layout of a mixed batch - a wrong order or group bounds puts an adapter on another entry's rows.
//  - CudaLoraKernels.ApplyLoraMatchesHostProduct: one apply_lora over strided rows (ld_in > in,
//    ld_out > out, a column offset like q/k/v's) against a double product: a swapped transpose or
//    leading dimension, the scale on the wrong side, beta = 0 (base output lost), a group applied
//    to rows outside it, a module the adapter lacks applied anyway, writes into padding columns.
//  - CudaLora/*.PrefillDecodeMatchesCpu: every family and stored dtype (adapters in F32, BF16 and
//    F16; all seven modules, subsets, use_rslora) - a module added at the wrong column offset (k/v
//    after q, up after gate), to the wrong input (h vs attn vs act), before/after the wrong step, a
//    lost scale, the 16-bit stored A/B converted wrongly. The adapter is first checked to move the
//    CPU's logits by far more than the tolerance, so an adapter ignored on the GPU cannot pass.
//  - CudaLora/*.MixedBatchEqualsSingleEntries: entries {A, none, B, A} in one call equal each
//    entry run alone on the GPU and the CPU's batch: regrouping rows, per-row indices (positions,
//    block tables) in the new order, logits and hidden states copied back to the right entry.
//  - CudaLora/*.GreedyGenerationIdenticalToCpu: decode steps through the paged cache with an adapter
//    pick the CPU's tokens (F32: at least 12 of 24 steps have a clear margin).
//  - CudaLoraLifecycle.DestroyThenForwardWithoutIt: destroying an adapter frees its device memory
//    and leaves the other adapter, the base model and a sequence that used it working.
//  - CudaLoraLifecycle.UploadOutOfMemoryIsReportedAndLeavesModelUsable: with the GPU full, loading
//    is MOCO_ERR_OUT_OF_MEMORY naming the LoRA matrices, frees what it took, and the model still
//    runs and loads the adapter once memory is back.
//
// Tolerances: tolerance() of cuda_test_util.h (test_cuda_forward.cpp), by the base checkpoint's
// dtype, doubled for BF16/F16 checkpoints. A and B run in F32 on the GPU as on the CPU, but the
// adapters here move the logits by more than 10x the tolerance, so the activations that the base
// GEMMs round to 8 or 11 bits are larger than the base model's: under the CUDA emulator, which rounds
// the GEMM inputs as cuBLAS does, the F16 case's mixed batch differed from the CPU by 5.7e-3 (the
// plain forward's tolerance is 5e-3) and the BF16 case's by 2.2e-2 (of 3e-2).
#include "../support/hf_writer.h"
#include "cpu/forward.h"
#include "cuda/lora.h"
#include "cuda_test_util.h"
#include "engine_pair.h"

#include <cublas_v2.h>

#include <cstring>
#include <memory>

namespace moco::cuda_test {
namespace {

std::vector<int32_t> tokens(int n, int vocab, int salt) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) t[static_cast<size_t>(i)] = (i * 29 + salt * 13 + 5) % vocab;
    return t;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    float worst = 0.0f;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    return worst;
}

// An adapter loaded on one engine's model, destroyed with the object (before the engine).
class Adapter {
public:
    Adapter(const Engine& e, const std::string& dir) {
        status_ = moco_adapter_load(e.model(), dir.c_str(), &adapter_);
        if (status_ != MOCO_OK) error_ = moco_last_error();
    }
    Adapter(const Adapter&) = delete;
    Adapter& operator=(const Adapter&) = delete;
    ~Adapter() { moco_adapter_destroy(adapter_); }
    moco_status status() const { return status_; }
    const std::string& error() const { return error_; }
    const moco_adapter* get() const { return adapter_; }
    void destroy() {
        moco_adapter_destroy(adapter_);
        adapter_ = nullptr;
    }

private:
    moco_adapter* adapter_ = nullptr;
    moco_status status_ = MOCO_OK;
    std::string error_;
};

// --- the row layout (host only) ---------------------------------------------------------------

TEST(CudaLoraRows, RowOrderGroupsEntriesByAdapter) {
    cuda::DeviceAdapter first, second;  // only their addresses matter here
    first.max_rank = 4;
    second.max_rank = 7;
    std::vector<cpu::ForwardEntry> entries(5);  // value-initialised: null pointers, zeros
    const DeviceState* adapters[] = {&first, nullptr, &second, &first, nullptr};
    const int n_tokens[] = {3, 1, 2, 4, 5};
    for (size_t e = 0; e < entries.size(); ++e) {
        entries[e].lora_device = adapters[e];
        entries[e].n_tokens = n_tokens[e];
    }
    std::vector<cuda::LoraGroup> groups;
    EXPECT_EQ(cuda::lora_row_order(entries, &groups), (std::vector<int>{0, 3, 1, 4, 2}));
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].adapter, &first);
    EXPECT_EQ(groups[0].row0, 0);
    EXPECT_EQ(groups[0].rows, 7);   // entries 0 and 3
    EXPECT_EQ(groups[1].adapter, &second);
    EXPECT_EQ(groups[1].row0, 13);  // after entries 1 and 4, the base model's (6 rows)
    EXPECT_EQ(groups[1].rows, 2);
    EXPECT_EQ(cuda::lora_max_rank(groups), 7);

    std::vector<cpu::ForwardEntry> base(1);
    base[0].n_tokens = 2;
    EXPECT_EQ(cuda::lora_row_order(base, &groups), std::vector<int>{0});
    EXPECT_TRUE(groups.empty());
    EXPECT_EQ(cuda::lora_max_rank(groups), 0);
}

// --- apply_lora against a double product --------------------------------------------------------

TEST(CudaLoraKernels, ApplyLoraMatchesHostProduct) {
    MOCO_REQUIRE_GPU();
    const int rows = 9, in = 24, ld_in = 30, out = 20, ld_out = 33, col = 5;
    const std::vector<float> x = random_floats(static_cast<size_t>(rows) * ld_in, 11);
    const std::vector<float> y0 = random_floats(static_cast<size_t>(rows) * ld_out, 12);
    struct Spec {
        int rank;
        float scale;
        bool has_module;
        int row0, rows;
    };
    // Rows 5-6 belong to no group (the base model); the second group's adapter lacks the module.
    const Spec specs[] = {{3, 0.5f, true, 0, 3}, {2, 4.0f, false, 3, 2}, {5, 2.0f, true, 7, 2}};
    std::vector<std::unique_ptr<cuda::DeviceAdapter>> adapters;
    std::vector<std::unique_ptr<DeviceArray<float>>> matrices;
    std::vector<cuda::LoraGroup> groups;
    std::vector<double> want(y0.begin(), y0.end());
    uint32_t seed = 20;
    for (const Spec& s : specs) {
        auto a = std::make_unique<cuda::DeviceAdapter>();
        a->scale = s.scale;
        a->max_rank = s.rank;
        a->layers.resize(2);
        if (s.has_module) {
            const std::vector<float> A = random_floats(static_cast<size_t>(s.rank) * in, seed++);
            const std::vector<float> B = random_floats(static_cast<size_t>(out) * s.rank, seed++);
            matrices.push_back(std::make_unique<DeviceArray<float>>(A));
            const float* dA = matrices.back()->get();
            matrices.push_back(std::make_unique<DeviceArray<float>>(B));
            const float* dB = matrices.back()->get();
            cuda::DeviceLoraPair& pair = a->layers[1][kLoraV];
            pair.a = {dA, DType::F32, s.rank, in};
            pair.b = {dB, DType::F32, out, s.rank};
            for (int r = s.row0; r < s.row0 + s.rows; ++r) {
                for (int o = 0; o < out; ++o) {
                    double d = 0.0;
                    for (int j = 0; j < s.rank; ++j) {
                        double t = 0.0;
                        for (int i = 0; i < in; ++i) t += double(x[r * ld_in + i]) * A[j * in + i];
                        d += t * B[o * s.rank + j];
                    }
                    want[static_cast<size_t>(r * ld_out + col + o)] += s.scale * d;
                }
            }
        }
        groups.push_back({a.get(), s.row0, s.rows});
        adapters.push_back(std::move(a));
    }
    DeviceArray<float> dx(x), dy(y0), t(static_cast<size_t>(rows) * 5);
    cublasHandle_t blas = nullptr;
    ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
    cuda::apply_lora(blas, groups, 1, kLoraV, dx.get(), ld_in, dy.get() + col, ld_out, t.get());
    // The same groups on a module none of them targets change nothing.
    cuda::apply_lora(blas, groups, 0, kLoraV, dx.get(), ld_in, dy.get() + col, ld_out, t.get());
    (void)cublasDestroy(blas);
    const std::vector<float> got = dy.host();
    // F32 products of ~30 terms of magnitude ~1 against double: a few 1e-6; a bug is off by ~1.
    expect_close(got, std::vector<float>(want.begin(), want.end()), 5e-5f, 1e-5f, "apply_lora");
    for (int r = 0; r < rows; ++r) {  // outside [col, col + out) every value is untouched, bit for bit
        for (int c = 0; c < ld_out; ++c) {
            if (c >= col && c < col + out) continue;
            const size_t i = static_cast<size_t>(r * ld_out + c);
            ASSERT_EQ(got[i], y0[i]) << "row " << r << " column " << c;
        }
    }
    for (int r = 3; r < 7; ++r) {  // the group without the module and the base rows: untouched
        for (int c = 0; c < ld_out; ++c) {
            const size_t i = static_cast<size_t>(r * ld_out + c);
            ASSERT_EQ(got[i], y0[i]) << "row " << r << " column " << c;
        }
    }
}

// --- cuda:0 against cpu through the public API ------------------------------------------------

struct Case {
    std::string name;
    hf::ModelSpec spec;
    hf::LoraSpec lora;   // adapter "A"; adapter "B" targets q_proj and down_proj only
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

const std::vector<std::string> kAllModules = {"q_proj", "k_proj", "v_proj", "o_proj",
                                              "gate_proj", "up_proj", "down_proj"};

std::vector<Case> cases() {
    std::vector<Case> out;
    auto add = [&](const std::string& name, hf::ModelSpec s, hf::LoraSpec l) {
        s.vocab_size = 97;
        s.hidden_size = 64;
        s.intermediate_size = 96;
        s.num_layers = 2;
        s.num_heads = 4;
        s.num_kv_heads = 2;
        s.max_position_embeddings = 1024;
        out.push_back({name, s, l});
    };
    {
        hf::LoraSpec l;
        l.target_modules = kAllModules;
        add("llama_f32_all_modules", hf::ModelSpec{}, l);
    }
    {
        hf::ModelSpec s;
        s.architecture = "Qwen2ForCausalLM";
        s.tie_word_embeddings = true;
        hf::LoraSpec l;
        l.r = 8;
        l.lora_alpha = 16.0;
        l.use_rslora = true;
        l.target_modules = {"q_proj", "k_proj", "v_proj"};
        add("qwen2_f32_bias_qkv_rslora", s, l);
    }
    {
        hf::ModelSpec s;
        s.architecture = "Qwen3ForCausalLM";
        s.dtype = "BF16";
        s.head_dim = 32;
        hf::LoraSpec l;
        l.dtype = "BF16";
        l.target_modules = kAllModules;
        add("qwen3_bf16_qknorm_bf16_adapter", s, l);
    }
    {
        hf::ModelSpec s;
        s.dtype = "F16";
        hf::LoraSpec l;
        l.dtype = "F16";
        l.r = 2;
        l.target_modules = {"o_proj", "gate_proj", "down_proj"};
        add("llama_f16_o_gate_down", s, l);
    }
    {
        hf::ModelSpec s;
        s.architecture = "LlamaForSequenceClassification";
        s.num_labels = 3;
        hf::LoraSpec l;
        l.dtype = "BF16";  // a 16-bit adapter on an F32 model: widened exactly on both backends
        l.target_modules = {"v_proj", "up_proj"};
        add("llama_classifier_bf16_adapter", s, l);
    }
    return out;
}

// The same checkpoint and adapters A and B on "cpu" (index 0) and "cuda:0" (index 1).
class CudaLora : public ::testing::TestWithParam<Case> {
protected:
    void SetUp() override {
        if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible; run tools/cuda/device_check.sh on the GPU machine";
        const Case& c = GetParam();
        hf::write_model(model_dir_.path(), c.spec);
        hf::write_adapter(a_dir_.path(), c.spec, c.lora);
        hf::LoraSpec b;
        b.r = 3;
        b.lora_alpha = 6.0;
        b.seed = 99;
        b.target_modules = {"q_proj", "down_proj"};
        hf::write_adapter(b_dir_.path(), c.spec, b);
        moco_kv_cache_options kv = moco_kv_cache_default_options();
        kv.block_tokens = 4;
        const char* devices[2] = {"cpu", "cuda:0"};
        for (int d = 0; d < 2; ++d) {
            engines_[d] = std::make_unique<Engine>(devices[d], model_dir_.path(), &kv);
            ASSERT_EQ(engines_[d]->status(), MOCO_OK) << engines_[d]->error();
            a_[d] = std::make_unique<Adapter>(*engines_[d], a_dir_.path());
            ASSERT_EQ(a_[d]->status(), MOCO_OK) << a_[d]->error();
            b_[d] = std::make_unique<Adapter>(*engines_[d], b_dir_.path());
            ASSERT_EQ(b_[d]->status(), MOCO_OK) << b_[d]->error();
        }
        const int dtype = engines_[0]->info().dtype;
        tol_ = dtype == MOCO_DTYPE_F32 ? tolerance(dtype) : 2.0f * tolerance(dtype);
    }

    Engine& cpu() { return *engines_[0]; }
    Engine& gpu() { return *engines_[1]; }

    hf::TempDir model_dir_{"moco_cuda_lora_model"}, a_dir_{"moco_cuda_lora_a"}, b_dir_{"moco_cuda_lora_b"};
    std::unique_ptr<Engine> engines_[2];
    std::unique_ptr<Adapter> a_[2], b_[2];  // declared after the engines: destroyed before their models
    float tol_ = 0.0f;
};

TEST_P(CudaLora, PrefillDecodeMatchesCpu) {
    const int vocab = cpu().info().vocab_size;
    const std::vector<int32_t> prompt = tokens(9, vocab, 1);
    // The adapter must matter: on the CPU it moves the logits by far more than the tolerance.
    const std::vector<float> base = cpu().forward(cpu().new_sequence(), prompt);
    const int32_t c = cpu().new_sequence(), g = gpu().new_sequence();
    std::vector<float> h_cpu, h_gpu;
    const std::vector<float> l_cpu = cpu().forward(c, prompt, MOCO_OUTPUT_ALL, &h_cpu, 0, a_[0]->get());
    const std::vector<float> l_gpu = gpu().forward(g, prompt, MOCO_OUTPUT_ALL, &h_gpu, 0, a_[1]->get());
    ASSERT_GT(max_abs_diff(l_cpu, base), 10.0f * tol_) << "the adapter barely changes the logits";
    expect_close(l_gpu, l_cpu, tol_, tol_, "prefill_logits");
    expect_close(h_gpu, h_cpu, tol_, tol_, "prefill_hidden");
    for (int step = 0; step < 4; ++step) {
        const std::vector<int32_t> t = {static_cast<int32_t>((step * 7 + 3) % vocab)};
        expect_close(gpu().forward(g, t, MOCO_OUTPUT_LAST, nullptr, 0, a_[1]->get()),
                     cpu().forward(c, t, MOCO_OUTPUT_LAST, nullptr, 0, a_[0]->get()), tol_, tol_,
                     "decode" + std::to_string(step));
    }
    const std::vector<int32_t> chunk = tokens(5, vocab, 2);
    expect_close(gpu().forward(g, chunk, MOCO_OUTPUT_ALL, nullptr, 0, a_[1]->get()),
                 cpu().forward(c, chunk, MOCO_OUTPUT_ALL, nullptr, 0, a_[0]->get()), tol_, tol_, "chunk");
}

TEST_P(CudaLora, MixedBatchEqualsSingleEntries) {
    const int vocab = cpu().info().vocab_size;
    const int out = cpu().info().output_size;
    const int hidden = cpu().info().hidden_size;
    const int n = 4;
    const int lengths[n] = {5, 3, 6, 2};
    std::vector<std::vector<int32_t>> prompts;
    for (int i = 0; i < n; ++i) prompts.push_back(tokens(lengths[i], vocab, 30 + i));
    std::vector<float> batched[2];
    for (int d = 0; d < 2; ++d) {
        Engine& e = *engines_[d];
        const moco_adapter* per_entry[n] = {a_[d]->get(), nullptr, b_[d]->get(), a_[d]->get()};
        std::vector<std::vector<float>> logits, states;
        std::vector<moco_batch_entry> entries(n);
        for (int i = 0; i < n; ++i) {
            logits.emplace_back(static_cast<size_t>(lengths[i]) * out);
            states.emplace_back(static_cast<size_t>(lengths[i]) * hidden);
        }
        for (int i = 0; i < n; ++i) {
            std::memset(&entries[static_cast<size_t>(i)], 0, sizeof(moco_batch_entry));
            moco_batch_entry& entry = entries[static_cast<size_t>(i)];
            entry.seq = e.new_sequence();
            entry.tokens = prompts[static_cast<size_t>(i)].data();
            entry.n_tokens = lengths[i];
            entry.adapter = per_entry[i];
            entry.logits_mode = MOCO_OUTPUT_ALL;
            entry.logits = logits[static_cast<size_t>(i)].data();
            entry.hidden_mode = MOCO_OUTPUT_ALL;
            entry.hidden = states[static_cast<size_t>(i)].data();
        }
        ASSERT_EQ(moco_forward(e.cache(), entries.data(), n), MOCO_OK) << moco_last_error();
        for (int i = 0; i < n; ++i) {
            const size_t u = static_cast<size_t>(i);
            std::vector<float> alone_states;
            const std::vector<float> alone =
                e.forward(e.new_sequence(), prompts[u], MOCO_OUTPUT_ALL, &alone_states, 0, per_entry[i]);
            // CPU: bit-identical (moco.h). GPU: cuBLAS may pick another kernel for another row count.
            const float t = d == 0 ? 0.0f : tol_;
            const std::string what = std::string(d == 0 ? "cpu" : "gpu") + "_batch_vs_alone" + std::to_string(i);
            expect_close(logits[u], alone, t, t, what + "_logits");
            expect_close(states[u], alone_states, t, t, what + "_hidden");
            batched[d].insert(batched[d].end(), logits[u].begin(), logits[u].end());
            batched[d].insert(batched[d].end(), states[u].begin(), states[u].end());
        }
    }
    expect_close(batched[1], batched[0], tol_, tol_, "mixed_batch");
}

TEST_P(CudaLora, GreedyGenerationIdenticalToCpu) {
    if (cpu().info().is_classifier) GTEST_SKIP() << "a classifier does not generate";
    // A clear margin is 10x the plain forward's tolerance: the doubled one leaves the BF16 case none.
    const float margin = 10.0f * tolerance(cpu().info().dtype);
    const int compared = compare_greedy(cpu(), gpu(), tokens(6, cpu().info().output_size, 9), 24, margin,
                                        a_[0]->get(), a_[1]->get());
    EXPECT_GE(compared, cpu().info().dtype == MOCO_DTYPE_F32 ? 12 : 1) << "too few steps had a clear margin";
}

INSTANTIATE_TEST_SUITE_P(Families, CudaLora, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// --- lifetime and device memory ---------------------------------------------------------------

class CudaLoraLifecycle : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible; run tools/cuda/device_check.sh on the GPU machine";
        hf::write_model(model_dir_.path(), spec_);
    }
    hf::ModelSpec spec_;
    hf::TempDir model_dir_{"moco_cuda_lora_life"};
};

TEST_F(CudaLoraLifecycle, DestroyThenForwardWithoutIt) {
    hf::TempDir a_dir("moco_cuda_lora_a"), b_dir("moco_cuda_lora_b");
    hf::LoraSpec la;
    la.r = 1024;  // 3.6 MiB of F32 A and B: their allocation shows in the device's free memory
    la.target_modules = kAllModules;
    hf::write_adapter(a_dir.path(), spec_, la);
    hf::LoraSpec lb;
    lb.seed = 31;
    hf::write_adapter(b_dir.path(), spec_, lb);
    Engine cpu("cpu", model_dir_.path()), gpu("cuda:0", model_dir_.path());
    ASSERT_EQ(cpu.status(), MOCO_OK) << cpu.error();
    ASSERT_EQ(gpu.status(), MOCO_OK) << gpu.error();
    const float tol = tolerance(cpu.info().dtype);
    const int vocab = cpu.info().vocab_size;
    Adapter b_cpu(cpu, b_dir.path()), b_gpu(gpu, b_dir.path());
    ASSERT_EQ(b_gpu.status(), MOCO_OK) << b_gpu.error();
    const size_t two_mib = size_t{2} << 20;
    const size_t free_before_load = free_device_bytes();
    Adapter a_cpu(cpu, a_dir.path()), a_gpu(gpu, a_dir.path());
    ASSERT_EQ(a_cpu.status(), MOCO_OK) << a_cpu.error();
    ASSERT_EQ(a_gpu.status(), MOCO_OK) << a_gpu.error();
    EXPECT_LE(free_device_bytes() + two_mib, free_before_load) << "A and B of the adapter are not on the GPU";

    const int32_t s_cpu = cpu.new_sequence(), s_gpu = gpu.new_sequence();
    const std::vector<int32_t> prompt = tokens(7, vocab, 40);
    expect_close(gpu.forward(s_gpu, prompt, MOCO_OUTPUT_ALL, nullptr, 0, a_gpu.get()),
                 cpu.forward(s_cpu, prompt, MOCO_OUTPUT_ALL, nullptr, 0, a_cpu.get()), tol, tol, "with_a");
    // Measured after the forward, whose scratch (kept by the cache) is allocated by then.
    const size_t free_before_destroy = free_device_bytes();
    a_gpu.destroy();
    a_cpu.destroy();
    EXPECT_GE(free_device_bytes(), free_before_destroy + two_mib) << "the adapter's device memory leaked";

    // The sequence that used the adapter continues on the base model; another adapter and the base
    // model still run, in one batch.
    const int out = cpu.info().output_size;
    std::vector<float> results[2];
    Engine* engines[2] = {&cpu, &gpu};
    const int32_t continued[2] = {s_cpu, s_gpu};
    const moco_adapter* b[2] = {b_cpu.get(), b_gpu.get()};
    for (int d = 0; d < 2; ++d) {
        Engine& e = *engines[d];
        const std::vector<int32_t> t0 = {3}, t1 = tokens(4, vocab, 41), t2 = tokens(3, vocab, 42);
        std::vector<float> l0(static_cast<size_t>(out)), l1(4 * static_cast<size_t>(out)), l2(static_cast<size_t>(out));
        moco_batch_entry entries[3];
        std::memset(entries, 0, sizeof(entries));
        entries[0] = {continued[d], t0.data(), 1, nullptr, MOCO_OUTPUT_LAST, l0.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        entries[1] = {e.new_sequence(), t1.data(), 4, b[d], MOCO_OUTPUT_ALL, l1.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        entries[2] = {e.new_sequence(), t2.data(), 3, nullptr, MOCO_OUTPUT_LAST, l2.data(), MOCO_OUTPUT_NONE, nullptr, 0};
        ASSERT_EQ(moco_forward(e.cache(), entries, 3), MOCO_OK) << moco_last_error();
        for (const std::vector<float>* v : {&l0, &l1, &l2}) results[d].insert(results[d].end(), v->begin(), v->end());
    }
    expect_close(results[1], results[0], tol, tol, "after_destroy");
}

TEST_F(CudaLoraLifecycle, UploadOutOfMemoryIsReportedAndLeavesModelUsable) {
    hf::TempDir a_dir("moco_cuda_lora_big");
    hf::LoraSpec la;
    la.r = 4096;  // 3.5 MiB of F32 A and B (q and v): far more than the < 256 KiB left below
    hf::write_adapter(a_dir.path(), spec_, la);
    Engine cpu("cpu", model_dir_.path()), gpu("cuda:0", model_dir_.path());
    ASSERT_EQ(cpu.status(), MOCO_OK) << cpu.error();
    ASSERT_EQ(gpu.status(), MOCO_OK) << gpu.error();
    const int32_t warm = gpu.new_sequence();
    gpu.forward(warm, {1, 2}, MOCO_OUTPUT_LAST);  // cuBLAS' and the forward's own allocations happen first
    const size_t free_before = free_device_bytes();

    {
        FilledDevice fill;
        moco_adapter* adapter = reinterpret_cast<moco_adapter*>(0x1);
        const moco_status status = moco_adapter_load(gpu.model(), a_dir.path().c_str(), &adapter);
        const std::string message = moco_last_error();
        fill.release();
        ASSERT_EQ(status, MOCO_ERR_OUT_OF_MEMORY) << message;
        EXPECT_EQ(adapter, nullptr);
        EXPECT_NE(message.find("moco_adapter_load"), std::string::npos) << message;
        EXPECT_NE(message.find("LoRA adapter"), std::string::npos) << message;
        EXPECT_NE(message.find("out of device memory"), std::string::npos) << message;
    }
    EXPECT_GE(free_device_bytes() + (1u << 20), free_before) << "the failed upload kept device memory";

    // The model still runs, and loads the adapter now that there is room.
    const std::vector<int32_t> prompt = tokens(5, cpu.info().vocab_size, 50);
    const float tol = tolerance(cpu.info().dtype);
    expect_close(gpu.forward(gpu.new_sequence(), prompt), cpu.forward(cpu.new_sequence(), prompt), tol, tol, "base");
    Adapter a_cpu(cpu, a_dir.path()), a_gpu(gpu, a_dir.path());
    ASSERT_EQ(a_gpu.status(), MOCO_OK) << a_gpu.error();
    expect_close(gpu.forward(gpu.new_sequence(), prompt, MOCO_OUTPUT_ALL, nullptr, 0, a_gpu.get()),
                 cpu.forward(cpu.new_sequence(), prompt, MOCO_OUTPUT_ALL, nullptr, 0, a_cpu.get()), tol, tol,
                 "after_oom");
}

}  // namespace
}  // namespace moco::cuda_test
