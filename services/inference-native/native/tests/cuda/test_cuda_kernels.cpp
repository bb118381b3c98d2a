// Every CUDA kernel of the forward against the CPU backend's kernel on the same inputs
// (src/cuda/kernels.h vs src/cpu/ops.h, attention.h). Tolerances: the elementwise kernels follow the
// CPU formula in F32, so they differ only by summation order and libm vs CUDA math (~1e-6
// relative); attention uses an online softmax (rescaled partial sums), ~1e-5; the GEMM is checked
// against a double-precision product of the same (rounded) operands.
#include "cpu/attention.h"
#include "cpu/kv_cache.h"
#include "cpu/ops.h"
#include "cuda/cuda_check.h"
#include "cuda/device_weights.h"
#include "cuda/gemm.h"
#include "cuda/kernels.h"
#include "cuda_test_util.h"
#include "kernels/dtype_convert.h"

#include <cublas_v2.h>

#include <cstring>

namespace moco::cuda_test {
namespace {

using moco::DType;

// The errors the backend reports (no GPU needed): the call, the status by name, the moco status.
TEST(CudaKernels, CheckNamesTheFailedCallAndItsStatus) {
    auto message_of = [](auto status, moco_status* code) {
        try {
            cuda::check(status, "cublasGemmEx of q/k/v");
        } catch (const cuda::Error& e) {
            *code = e.status();
            return std::string(e.what());
        }
        return std::string("no error thrown");
    };
    moco_status code = MOCO_OK;
    std::string m = message_of(CUBLAS_STATUS_NOT_INITIALIZED, &code);
    EXPECT_EQ(code, MOCO_ERR_INTERNAL);
    EXPECT_NE(m.find("cublasGemmEx of q/k/v: cuBLAS error CUBLAS_STATUS_NOT_INITIALIZED"), std::string::npos) << m;
    m = message_of(CUBLAS_STATUS_ALLOC_FAILED, &code);
    EXPECT_EQ(code, MOCO_ERR_OUT_OF_MEMORY) << m;
    m = message_of(cudaErrorInvalidValue, &code);
    EXPECT_EQ(code, MOCO_ERR_INTERNAL);
    EXPECT_NE(m.find("CUDA error cudaErrorInvalidValue"), std::string::npos) << m;
    m = message_of(cudaErrorMemoryAllocation, &code);
    EXPECT_EQ(code, MOCO_ERR_OUT_OF_MEMORY);
    EXPECT_NE(m.find("out of device memory"), std::string::npos) << m;
    EXPECT_NO_THROW(cuda::check(cudaSuccess, "nothing"));
    EXPECT_NO_THROW(cuda::check(CUBLAS_STATUS_SUCCESS, "nothing"));
}

TEST(CudaKernels, RmsNormMatchesCpu) {
    MOCO_REQUIRE_GPU();
    const int rows = 5, n = 300;
    const std::vector<float> x = random_floats(static_cast<size_t>(rows) * n, 1, -3.0f, 3.0f);
    const std::vector<float> w = random_floats(n, 2, 0.5f, 1.5f);
    std::vector<float> expected(x.size());
    for (int r = 0; r < rows; ++r) cpu::rmsnorm(&x[r * n], w.data(), n, 1e-5f, &expected[r * n]);
    DeviceArray<float> dx(x), dw(w), out(x.size());
    cuda::rmsnorm_rows(dx.get(), nullptr, rows, dw.get(), n, 1e-5f, out.get(), nullptr);
    expect_close(out.host(), expected, 1e-6f, 2e-6f, "rmsnorm");

    // Selected rows (the final norm of the output rows): rows 4 and 1, in that order.
    DeviceArray<int32_t> index(std::vector<int32_t>{4, 1});
    DeviceArray<float> picked(2 * static_cast<size_t>(n));
    cuda::rmsnorm_rows(dx.get(), index.get(), 2, dw.get(), n, 1e-5f, picked.get(), nullptr);
    std::vector<float> want(expected.begin() + 4 * n, expected.begin() + 5 * n);
    want.insert(want.end(), expected.begin() + n, expected.begin() + 2 * n);
    expect_close(picked.host(), want, 1e-6f, 2e-6f, "rmsnorm_rows_indexed");
}

TEST(CudaKernels, RopeTablesMatchCpu) {
    MOCO_REQUIRE_GPU();
    moco::ModelConfig c;
    c.head_dim = 64;
    c.rope_theta = 500000.0f;
    c.rope_scaling.kind = moco::RopeScaling::Kind::Llama3;
    c.rope_scaling.factor = 8.0f;
    c.rope_scaling.original_max_position = 64;
    const std::vector<float> inv_freq = cpu::rope_inv_freq(c);
    const std::vector<int32_t> pos = {0, 1, 7, 300, 4095, 131071};
    const int half = c.head_dim / 2;
    std::vector<float> cos_want(pos.size() * half), sin_want(pos.size() * half);
    for (size_t r = 0; r < pos.size(); ++r) cpu::rope_cos_sin(inv_freq, pos[r], &cos_want[r * half], &sin_want[r * half]);
    DeviceArray<int32_t> dpos(pos);
    DeviceArray<float> dfreq(inv_freq), dcos(cos_want.size()), dsin(sin_want.size());
    cuda::rope_tables(dpos.get(), static_cast<int>(pos.size()), dfreq.get(), half, dcos.get(), dsin.get(), nullptr);
    // The same float angle, cos/sin in double on both sides: equal up to the last bit of the
    // double results' rounding to float.
    expect_close(dcos.host(), cos_want, 1e-7f, 0.0f, "rope_cos");
    expect_close(dsin.host(), sin_want, 1e-7f, 0.0f, "rope_sin");
}

TEST(CudaKernels, SiluMulMatchesCpu) {
    MOCO_REQUIRE_GPU();
    const int rows = 3, inter = 1000;
    const std::vector<float> gate_up = random_floats(static_cast<size_t>(rows) * 2 * inter, 3, -8.0f, 8.0f);
    std::vector<float> expected(static_cast<size_t>(rows) * inter);
    for (int r = 0; r < rows; ++r) {
        cpu::silu_mul(&gate_up[r * 2 * inter], &gate_up[r * 2 * inter + inter], inter, &expected[r * inter]);
    }
    DeviceArray<float> dgu(gate_up), out(expected.size());
    cuda::silu_mul_rows(dgu.get(), rows, inter, out.get(), nullptr);
    expect_close(out.host(), expected, 1e-6f, 1e-6f, "silu_mul");
}

TEST(CudaKernels, EmbedReadsEveryDtypeExactly) {
    MOCO_REQUIRE_GPU();
    const int vocab = 10, hidden = 40;
    const std::vector<float> table = random_floats(static_cast<size_t>(vocab) * hidden, 4);
    std::vector<uint16_t> bf16(table.size()), f16(table.size());
    for (size_t i = 0; i < table.size(); ++i) {
        bf16[i] = kernels::f32_to_bf16(table[i]);
        f16[i] = kernels::f32_to_f16(table[i]);
    }
    const std::vector<int32_t> tokens = {3, 0, 9, 3};
    DeviceArray<int32_t> dtok(tokens);
    DeviceArray<float> d32(table), out(tokens.size() * hidden);
    DeviceArray<uint16_t> dbf(bf16), dhf(f16);
    struct Case {
        const void* table;
        DType dtype;
    };
    for (const Case& c : {Case{d32.get(), DType::F32}, Case{dbf.get(), DType::BF16}, Case{dhf.get(), DType::F16}}) {
        cuda::embed_rows(dtok.get(), static_cast<int>(tokens.size()), c.table, c.dtype, hidden, out.get(), nullptr);
        const std::vector<float> got = out.host();
        for (size_t r = 0; r < tokens.size(); ++r) {
            for (int i = 0; i < hidden; ++i) {
                const size_t src = static_cast<size_t>(tokens[r]) * hidden + i;
                const float want = c.dtype == DType::F32    ? table[src]
                                   : c.dtype == DType::BF16 ? kernels::bf16_to_f32(bf16[src])
                                                            : kernels::f16_to_f32(f16[src]);
                ASSERT_EQ(got[r * hidden + i], want) << "dtype " << static_cast<int>(c.dtype) << " row " << r;
            }
        }
    }
}

TEST(CudaKernels, ConvertRoundsToNearestEvenLikeTheCpu) {
    MOCO_REQUIRE_GPU();
    std::vector<float> in = random_floats(1000, 5, -100.0f, 100.0f);
    in.push_back(1.0f + 1.0f / 256.0f);  // a bf16 tie
    in.push_back(0.0f);
    DeviceArray<float> din(in);
    DeviceArray<uint16_t> out(in.size());
    cuda::convert_f32(din.get(), static_cast<int64_t>(in.size()), DType::BF16, out.get(), nullptr);
    std::vector<uint16_t> got = out.host();
    for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(got[i], kernels::f32_to_bf16(in[i])) << "bf16 " << in[i];
    cuda::convert_f32(din.get(), static_cast<int64_t>(in.size()), DType::F16, out.get(), nullptr);
    got = out.host();
    for (size_t i = 0; i < in.size(); ++i) ASSERT_EQ(got[i], kernels::f32_to_f16(in[i])) << "f16 " << in[i];
}

// The q/k/v epilogue: bias, per-head RMSNorm (Qwen3; both optional, absent for Llama), RoPE, and
// k/v stored at the right cache slot.
void check_qkv_finish(int hd, bool bias_and_norm) {
    const int rows = 3, heads = 4, kv_heads = 2, half = hd / 2;
    const int qkv_dim = (heads + 2 * kv_heads) * hd;
    cpu::KvGeometry g{2, kv_heads, hd, 4};
    const int layer = 1, blocks = 3;
    const std::vector<float> qkv = random_floats(static_cast<size_t>(rows) * qkv_dim, 6);
    const std::vector<float> bias = random_floats(qkv_dim, 7, -0.1f, 0.1f);
    const std::vector<float> q_norm = random_floats(hd, 8, 0.5f, 1.5f);
    const std::vector<float> k_norm = random_floats(hd, 9, 0.5f, 1.5f);
    const std::vector<int32_t> pos = {5, 6, 11};
    const std::vector<int32_t> kv_block = {2, 2, 0};
    moco::ModelConfig c;
    c.head_dim = hd;
    const std::vector<float> inv_freq = cpu::rope_inv_freq(c);
    std::vector<float> cos(static_cast<size_t>(rows) * half), sin(cos.size());
    for (int r = 0; r < rows; ++r) cpu::rope_cos_sin(inv_freq, pos[r], &cos[r * half], &sin[r * half]);

    std::vector<float> want_q(qkv);
    std::vector<float> want_cache(static_cast<size_t>(blocks) * g.floats_per_block(), 0.0f);
    for (int r = 0; r < rows; ++r) {
        float* row = &want_q[static_cast<size_t>(r) * qkv_dim];
        if (bias_and_norm) {
            for (int i = 0; i < qkv_dim; ++i) row[i] += bias[i];
        }
        for (int h = 0; h < heads; ++h) {
            if (bias_and_norm) cpu::rmsnorm(row + h * hd, q_norm.data(), hd, 1e-6f, row + h * hd);
            cpu::rope_apply(row + h * hd, hd, &cos[r * half], &sin[r * half]);
        }
        float* block = &want_cache[static_cast<size_t>(kv_block[r]) * g.floats_per_block()];
        const int64_t slot = static_cast<int64_t>(pos[r] % g.block_tokens) * hd;
        for (int h = 0; h < kv_heads; ++h) {
            float* k = row + heads * hd + h * hd;
            if (bias_and_norm) cpu::rmsnorm(k, k_norm.data(), hd, 1e-6f, k);
            cpu::rope_apply(k, hd, &cos[r * half], &sin[r * half]);
            std::memcpy(block + g.offset(layer, 0, h) + slot, k, sizeof(float) * hd);
            std::memcpy(block + g.offset(layer, 1, h) + slot, row + (heads + kv_heads) * hd + h * hd,
                        sizeof(float) * hd);
        }
    }

    DeviceArray<float> dqkv(qkv), dbias(bias), dqn(q_norm), dkn(k_norm), dcos(cos), dsin(sin);
    DeviceArray<float> dcache(want_cache.size());
    DeviceArray<int32_t> dpos(pos), dblock(kv_block);
    cuda::QkvArgs a;
    a.qkv = dqkv.get();
    a.rows = rows;
    a.heads = heads;
    a.kv_heads = kv_heads;
    a.head_dim = hd;
    a.bias = bias_and_norm ? dbias.get() : nullptr;
    a.q_norm = bias_and_norm ? dqn.get() : nullptr;
    a.k_norm = bias_and_norm ? dkn.get() : nullptr;
    a.eps = 1e-6f;
    a.cos = dcos.get();
    a.sin = dsin.get();
    a.kv_blocks = dcache.get();
    a.floats_per_block = g.floats_per_block();
    a.block_tokens = g.block_tokens;
    a.layer = layer;
    a.kv_block = dblock.get();
    a.pos = dpos.get();
    cuda::qkv_finish(a, nullptr);
    const std::vector<float> got_qkv = dqkv.host();
    for (int r = 0; r < rows; ++r) {  // the q heads, rotated in place
        const std::vector<float> got(got_qkv.begin() + r * qkv_dim, got_qkv.begin() + r * qkv_dim + heads * hd);
        const std::vector<float> want(want_q.begin() + r * qkv_dim, want_q.begin() + r * qkv_dim + heads * hd);
        expect_close(got, want, 2e-6f, 2e-6f, "q_row" + std::to_string(r));
    }
    expect_close(dcache.host(), want_cache, 2e-6f, 2e-6f, "kv_cache");
}

TEST(CudaKernels, QkvFinishMatchesCpuOps) {
    MOCO_REQUIRE_GPU();
    check_qkv_finish(64, true);
    // head_dim 80: the rotation's 40 pairs take a second, partial pass of the warp's lanes.
    check_qkv_finish(80, true);
    check_qkv_finish(128, false);
}

// Fills a host KvCache with random K/V for `lengths` sequences; returns their block tables.
std::vector<std::vector<int>> filled_cache(cpu::KvCache& kv, const std::vector<int>& lengths, uint32_t seed) {
    std::vector<std::vector<int>> tables;
    for (int len : lengths) {
        const int seq = kv.create();
        cpu::KvCache::Transaction tx;
        kv.begin({{seq, len}}, tx);
        kv.commit(tx);
        tables.push_back(kv.blocks(seq));
    }
    const std::vector<float> data =
        random_floats(static_cast<size_t>(kv.total_blocks()) * kv.geometry().floats_per_block(), seed);
    for (int b = 0; b < kv.total_blocks(); ++b) {
        std::memcpy(kv.block(b), &data[static_cast<size_t>(b) * kv.geometry().floats_per_block()],
                    sizeof(float) * kv.geometry().floats_per_block());
    }
    return tables;
}

struct AttentionCase {
    const char* name;
    std::vector<int> lengths;   // per sequence; every position of every sequence is a query row
    int sliding_window;
    int key_limit;              // per row: 0 causal, else min(key_limit, pos) as attend_prefix
    int head_dim;
    int block_tokens;
    bool decode = false;        // true: only each sequence's last position is a query row
};

void check_attention(const AttentionCase& t) {
    const int heads = 8, kv_heads = 2, layers = 2, layer = 1;
    cpu::KvGeometry g{layers, kv_heads, t.head_dim, t.block_tokens};
    int blocks = 0;
    for (int len : t.lengths) blocks += (len + t.block_tokens - 1) / t.block_tokens;
    cpu::KvCache kv(g, blocks + 1, static_cast<int>(t.lengths.size()));
    const std::vector<std::vector<int>> tables = filled_cache(kv, t.lengths, 11);

    std::vector<int32_t> pos, table_start, key_limit, flat_tables;
    std::vector<int> row_seq;
    for (size_t s = 0; s < t.lengths.size(); ++s) {
        const int start = static_cast<int>(flat_tables.size());
        flat_tables.insert(flat_tables.end(), tables[s].begin(), tables[s].end());
        for (int p = t.decode ? t.lengths[s] - 1 : 0; p < t.lengths[s]; ++p) {
            pos.push_back(p);
            table_start.push_back(start);
            key_limit.push_back(t.key_limit > 0 && p >= t.key_limit ? t.key_limit : 0);
            row_seq.push_back(static_cast<int>(s));
        }
    }
    const int rows = static_cast<int>(pos.size());
    const int max_len = *std::max_element(t.lengths.begin(), t.lengths.end());
    const std::vector<float> q = random_floats(static_cast<size_t>(rows) * heads * t.head_dim, 12, -2.0f, 2.0f);
    const float scale = 1.0f / std::sqrt(static_cast<float>(t.head_dim));

    std::vector<float> want(q.size());
    std::vector<float> scores(static_cast<size_t>(max_len));
    for (int r = 0; r < rows; ++r) {
        for (int h = 0; h < heads; ++h) {
            cpu::AttentionQuery query;
            query.q = &q[(static_cast<size_t>(r) * heads + h) * t.head_dim];
            query.layer = layer;
            query.kv_head = h / (heads / kv_heads);
            query.pos = pos[r];
            query.sliding_window = t.sliding_window;
            query.key_limit = key_limit[r];
            query.scale = scale;
            cpu::attend(kv, tables[static_cast<size_t>(row_seq[r])], query, scores.data(),
                        &want[(static_cast<size_t>(r) * heads + h) * t.head_dim]);
        }
    }

    std::vector<float> host_blocks(static_cast<size_t>(kv.total_blocks()) * g.floats_per_block());
    std::memcpy(host_blocks.data(), kv.block(0), host_blocks.size() * sizeof(float));
    DeviceArray<float> dblocks(host_blocks), dq(q), out(q.size());
    DeviceArray<float> partial(cuda::attention_partial_floats(rows, heads, t.head_dim, max_len));
    DeviceArray<int32_t> dtables(flat_tables), dstart(table_start), dpos(pos), dlimit(key_limit);
    cuda::AttentionArgs a;
    a.q = dq.get();
    a.ld_q = heads * t.head_dim;
    a.kv_blocks = dblocks.get();
    a.floats_per_block = g.floats_per_block();
    a.block_tokens = g.block_tokens;
    a.layer = layer;
    a.tables = dtables.get();
    a.table_start = dstart.get();
    a.pos = dpos.get();
    a.key_limit = dlimit.get();
    a.rows = rows;
    a.heads = heads;
    a.kv_heads = kv_heads;
    a.head_dim = t.head_dim;
    a.sliding_window = t.sliding_window;
    a.scale = scale;
    a.max_len = max_len;
    a.partial = partial.get();
    a.out = out.get();
    a.ld_out = heads * t.head_dim;
    cuda::attention(a, nullptr);
    ASSERT_EQ(cudaGetLastError(), cudaSuccess);
    expect_close(out.host(), want, 1e-5f, 1e-4f, t.name);
}

TEST(CudaKernels, AttentionMatchesCpuPrefill) {
    MOCO_REQUIRE_GPU();
    check_attention({"prefill", {37}, 0, 0, 64, 16});
}

TEST(CudaKernels, AttentionMatchesCpuBatchOfUnequalSequences) {
    MOCO_REQUIRE_GPU();
    check_attention({"batch", {1, 20, 5}, 0, 0, 128, 8});
}

TEST(CudaKernels, AttentionMatchesCpuSlidingWindowAndPrefixLimit) {
    MOCO_REQUIRE_GPU();
    check_attention({"window", {40}, 7, 0, 32, 4});
    check_attention({"prefix", {30}, 0, 12, 32, 4});
}

TEST(CudaKernels, AttentionSplitKMatchesCpuOnALongContext) {
    MOCO_REQUIRE_GPU();
    // A 1500-token prefill (1500 rows x 8 heads fill the GPU: one split, 1500 keys per block)
    // and a prefill batch of unequal sequences (703 rows: one split too).
    ASSERT_EQ(cuda::attention_splits(1500, 8, 1500), 1);
    check_attention({"long", {1500}, 0, 0, 64, 16});
    ASSERT_EQ(cuda::attention_splits(703, 8, 700), 1);
    check_attention({"mixed", {2, 700, 1}, 0, 0, 64, 16});
}

TEST(CudaKernels, AttentionSplitKDecodeBatchWithEmptyChunksMatchesCpu) {
    MOCO_REQUIRE_GPU();
    // A decode step of a batch: one query row per sequence, so 3 rows x 8 heads split the 700-key
    // range into 3 chunks of 234 keys. The 2- and 1-key rows (and the window and prefix rows
    // below) leave whole chunks empty (a partial state m = -inf, l = 0 that the combine must
    // weigh 0) and, in their one busy chunk, warps without a key. head_dim 80: lanes past it idle.
    ASSERT_EQ(cuda::attention_splits(3, 8, 700), 3);
    check_attention({"decode_batch", {2, 700, 1}, 0, 0, 80, 16, true});
    check_attention({"decode_window", {300, 700, 5}, 40, 0, 64, 16, true});
    check_attention({"decode_prefix", {600, 700, 3}, 0, 3, 64, 8, true});
}

TEST(CudaKernels, AttentionSplitKDecodeRowMatchesCpu) {
    MOCO_REQUIRE_GPU();
    // Decode shape: a single query row at position 2999 over 3000 cached keys, head_dim 256.
    const int heads = 8, kv_heads = 2, hd = 256, len = 3000;
    cpu::KvGeometry g{1, kv_heads, hd, 16};
    cpu::KvCache kv(g, (len + 15) / 16, 1);
    const std::vector<std::vector<int>> tables = filled_cache(kv, {len}, 13);
    const std::vector<float> q = random_floats(static_cast<size_t>(heads) * hd, 14, -2.0f, 2.0f);
    const float scale = 1.0f / 16.0f;
    std::vector<float> want(q.size()), scores(len);
    for (int h = 0; h < heads; ++h) {
        cpu::attend(kv, tables[0], cpu::AttentionQuery{&q[h * hd], 0, h / 4, len - 1, 0, 0, scale}, scores.data(),
                    &want[h * hd]);
    }
    std::vector<float> host_blocks(static_cast<size_t>(kv.total_blocks()) * g.floats_per_block());
    std::memcpy(host_blocks.data(), kv.block(0), host_blocks.size() * sizeof(float));
    DeviceArray<float> dblocks(host_blocks), dq(q), out(q.size());
    DeviceArray<float> partial(cuda::attention_partial_floats(1, heads, hd, len));
    DeviceArray<int32_t> dtables(std::vector<int32_t>(tables[0].begin(), tables[0].end()));
    DeviceArray<int32_t> dstart(std::vector<int32_t>{0}), dpos(std::vector<int32_t>{len - 1}),
        dlimit(std::vector<int32_t>{0});
    cuda::AttentionArgs a;
    a.q = dq.get();
    a.ld_q = heads * hd;
    a.kv_blocks = dblocks.get();
    a.floats_per_block = g.floats_per_block();
    a.block_tokens = g.block_tokens;
    a.tables = dtables.get();
    a.table_start = dstart.get();
    a.pos = dpos.get();
    a.key_limit = dlimit.get();
    a.rows = 1;
    a.heads = heads;
    a.kv_heads = kv_heads;
    a.head_dim = hd;
    a.scale = scale;
    a.max_len = len;
    a.partial = partial.get();
    a.out = out.get();
    a.ld_out = heads * hd;
    ASSERT_GE(cuda::attention_splits(1, heads, len), 12);
    cuda::attention(a, nullptr);
    expect_close(out.host(), want, 1e-5f, 1e-4f, "decode_split_k");
}

// out = in . W^T against a double-precision product of the same operands.
void check_gemm(DType dtype, float beta) {
    const int rows = 7, n = 50, k = 96;
    std::vector<float> w = random_floats(static_cast<size_t>(n) * k, 21);
    std::vector<float> in = random_floats(static_cast<size_t>(rows) * k, 22);
    const std::vector<float> start = random_floats(static_cast<size_t>(rows) * n, 23);
    std::vector<uint16_t> w16(w.size()), in16(in.size());
    if (dtype != DType::F32) {
        for (size_t i = 0; i < w.size(); ++i) {
            w16[i] = dtype == DType::BF16 ? kernels::f32_to_bf16(w[i]) : kernels::f32_to_f16(w[i]);
            w[i] = dtype == DType::BF16 ? kernels::bf16_to_f32(w16[i]) : kernels::f16_to_f32(w16[i]);
        }
        for (size_t i = 0; i < in.size(); ++i) {
            in16[i] = dtype == DType::BF16 ? kernels::f32_to_bf16(in[i]) : kernels::f32_to_f16(in[i]);
            in[i] = dtype == DType::BF16 ? kernels::bf16_to_f32(in16[i]) : kernels::f16_to_f32(in16[i]);
        }
    }
    std::vector<float> want(start.size());
    for (int r = 0; r < rows; ++r) {
        for (int j = 0; j < n; ++j) {
            double sum = 0.0;
            for (int i = 0; i < k; ++i) sum += static_cast<double>(in[r * k + i]) * w[j * k + i];
            want[r * n + j] = static_cast<float>(sum + beta * start[r * n + j]);
        }
    }
    DeviceArray<float> w32(w), in32(in), out(start);
    DeviceArray<uint16_t> dw16(w16), din16(in16);
    cuda::DeviceMatrix m;
    m.data = dtype == DType::F32 ? static_cast<const void*>(w32.get()) : dw16.get();
    m.dtype = dtype;
    m.n = n;
    m.k = k;
    cublasHandle_t blas = nullptr;
    ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
    cuda::gemm(blas, m, dtype == DType::F32 ? static_cast<const void*>(in32.get()) : din16.get(), rows, k,
               out.get(), n, 1.0f, beta);
    const std::vector<float> got = out.host();
    (void)cublasDestroy(blas);
    expect_close(got, want, 1e-5f, 1e-5f, "gemm");
}

TEST(CudaKernels, GemmF32MatchesDoubleProduct) {
    MOCO_REQUIRE_GPU();
    check_gemm(DType::F32, 0.0f);
    check_gemm(DType::F32, 1.0f);
}

TEST(CudaKernels, GemmBf16AndF16AccumulateInF32) {
    MOCO_REQUIRE_GPU();
    check_gemm(DType::BF16, 1.0f);
    check_gemm(DType::F16, 0.0f);
}

}  // namespace
}  // namespace moco::cuda_test
