#include "cuda/train/device_pass.h"

#include "cuda/cuda_check.h"
#include "cuda/gemm.h"
#include "cuda/kernels.h"
#include "cuda/train/pass_kernels.h"

#include <algorithm>
#include <cmath>

namespace moco::cuda::train {
namespace {

using moco::train::Dropout;
using moco::train::GradLayer;
using moco::train::PassBatch;
using moco::train::PassGrads;

// `floats` floats of `buffer` (grown when short; the contents are lost then).
float* floats(DeviceBuffer& buffer, size_t floats, const char* what) {
    buffer.reserve(floats * sizeof(float), what);
    return buffer.as<float>();
}

void copy_rows(const float* from, float* to, size_t floats, cudaStream_t stream) {
    check(cudaMemcpyAsync(to, from, floats * sizeof(float), cudaMemcpyDeviceToDevice, stream),
          "cudaMemcpyAsync (a saved activation)");
}

void zero(float* p, size_t floats, cudaStream_t stream) {
    check(cudaMemsetAsync(p, 0, floats * sizeof(float), stream), "cudaMemsetAsync");
}

DropoutKey key_of(const Dropout& d, int layer, int module) {
    return DropoutKey{d.p, d.seed, d.stream, layer, module};
}

}  // namespace

DevicePass::DevicePass(const ModelConfig& config, cudaStream_t stream, cublasHandle_t blas, bool keep_activations)
    : c_(config), stream_(stream), blas_(blas), keep_(keep_activations) {
    H_ = c_.hidden_size;
    hd_ = c_.head_dim;
    q_dim_ = c_.num_heads * hd_;
    kv_dim_ = c_.num_kv_heads * hd_;
    qkv_dim_ = q_dim_ + 2 * kv_dim_;
    I_ = c_.intermediate_size;
}

void DevicePass::upload_layout(const PassBatch& batch) {
    const moco::train::RowPlan plan = moco::train::plan_rows(c_, batch);
    R_ = static_cast<int>(batch.tokens.size());
    n_targets_ = static_cast<int>(batch.target_rows.size());
    max_span_ = plan.max_span;
    prob_total_ = plan.prob_total;
    const size_t R = static_cast<size_t>(R_), T = static_cast<size_t>(n_targets_);
    std::vector<int32_t> host;
    host.reserve(5 * R + 2 * T);
    host.insert(host.end(), batch.tokens.begin(), batch.tokens.end());
    host.insert(host.end(), plan.pos.begin(), plan.pos.end());
    host.insert(host.end(), plan.first.begin(), plan.first.end());
    host.insert(host.end(), plan.seq_end.begin(), plan.seq_end.end());
    host.insert(host.end(), batch.target_rows.begin(), batch.target_rows.end());
    host.insert(host.end(), batch.targets.begin(), batch.targets.end());
    ints_.reserve(host.size() * sizeof(int32_t), "the batch's row indices");
    prob_offset_.reserve(std::max<size_t>(R, 1) * sizeof(int64_t), "the batch's attention offsets");
    // Pageable host memory: the copies complete before cudaMemcpyAsync returns, so `host` may go.
    check(cudaMemcpyAsync(ints_.data(), host.data(), host.size() * sizeof(int32_t), cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync (the batch's rows)");
    check(cudaMemcpyAsync(prob_offset_.data(), plan.prob_offset.data(), R * sizeof(int64_t), cudaMemcpyHostToDevice,
                          stream_),
          "cudaMemcpyAsync (the attention offsets)");
    const int32_t* base = ints_.as<int32_t>();
    tokens_ = base;
    pos_ = base + R;
    first_ = base + 2 * R;
    seq_end_ = base + 3 * R;
    target_rows_ = base + 4 * R;
    targets_ = base + 4 * R + T;
}

const void* DevicePass::gemm_input(const float* x, int rows, int k, DType dtype) {
    if (dtype == DType::F32) {
        return x;
    }
    // cuBLAS multiplies operands of one dtype: a 16-bit weight (the LoRA base, the reference) takes
    // its input rounded to that dtype, as the inference forward does.
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(k);
    gemm_in_.reserve(n * 2, "the GEMM inputs");
    convert_f32(x, static_cast<int64_t>(n), dtype, gemm_in_.data(), stream_);
    return gemm_in_.data();
}

void DevicePass::project(const DeviceMatrix& w, const float* x, int rows, float* out, int ld_out, float beta) {
    gemm(blas_, w, gemm_input(x, rows, w.k, w.dtype), rows, w.k, out, ld_out, 1.0f, beta);
}

const float* DevicePass::dropped(const float* in, int ld_in, int cols, int l, int m, const Dropout& dropout) {
    float* out = floats(lora_in_, static_cast<size_t>(R_) * cols, "the LoRA dropout's input");
    dropout_rows(in, ld_in, R_, cols, key_of(dropout, l, m), out, stream_);
    return out;
}

void DevicePass::lora_forward(const PassWeights& w, int l, int m, const float* in, int ld_in, float* out,
                              int ld_out, const Dropout& dropout, DeviceBuffer& t_saved) {
    if (w.lora.empty() || !w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)].present()) {
        return;
    }
    const DeviceLoraPair& p = w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)];
    const int rank = p.a.n;
    const float* x = in;
    int ld_x = ld_in;
    if (dropout.p > 0.0f) {
        x = dropped(in, ld_in, p.a.k, l, m, dropout);
        ld_x = p.a.k;
    }
    float* t = floats(t_saved, static_cast<size_t>(R_) * rank, "the LoRA products A x");
    gemm(blas_, p.a, x, R_, ld_x, t, rank, 1.0f, 0.0f);
    gemm(blas_, p.b, t, R_, rank, out, ld_out, w.lora_scale, 1.0f);
}

void DevicePass::lora_backward(const PassWeights& w, int l, int m, const float* in, int ld_in, const float* dy,
                               int ld_dy, float* dx, int ld_dx, const Dropout& dropout, const DeviceBuffer& t_saved,
                               const GradLayer& g) {
    if (w.lora.empty() || !w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)].present()) {
        return;
    }
    const DeviceLoraPair& p = w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)];
    const int rank = p.a.n, n = p.b.n, k = p.a.k;
    const float scale = w.lora_scale;
    const size_t mod = static_cast<size_t>(m);
    if (g.lora_b[mod] != nullptr) {
        gemm_weight_grad(blas_, dy, ld_dy, t_saved.as<float>(), rank, R_, n, rank, scale, g.lora_b[mod]);
    }
    float* dt = floats(lora_d_, static_cast<size_t>(R_) * rank, "the LoRA gradient of A x");
    gemm_input_grad(blas_, p.b, dy, R_, ld_dy, dt, rank, scale, 0.0f);
    const bool drop = dropout.p > 0.0f;
    const float* x = drop ? dropped(in, ld_in, k, l, m, dropout) : in;
    if (g.lora_a[mod] != nullptr) {
        gemm_weight_grad(blas_, dt, rank, x, drop ? k : ld_in, R_, rank, k, 1.0f, g.lora_a[mod]);
    }
    if (!drop) {
        gemm_input_grad(blas_, p.a, dt, R_, rank, dx, ld_dx, 1.0f, 1.0f);
        return;
    }
    // The dropped input's gradient goes through the same mask: into scratch, then masked and added.
    float* dxd = floats(lora_dx_, static_cast<size_t>(R_) * k, "the LoRA input gradient");
    gemm_input_grad(blas_, p.a, dt, R_, rank, dxd, k, 1.0f, 0.0f);
    const DropoutKey key = key_of(dropout, l, m);
    add_scaled_rows(dxd, k, R_, k, 1.0f, &key, dx, ld_dx, stream_);
}

size_t DevicePass::held_bytes() const {
    size_t bytes = 0;
    for (const Layer& a : layers_) {
        for (const DeviceBuffer* b : {&a.x_in, &a.h1, &a.qkv_raw, &a.qkv, &a.attn, &a.x_mid, &a.h2, &a.gate_up, &a.act}) {
            bytes += b->bytes();
        }
        for (const DeviceBuffer& t : a.lora_t) {
            bytes += t.bytes();
        }
    }
    for (const DeviceBuffer* b : {&ints_, &prob_offset_, &x_, &cos_, &sin_, &hidden_, &logits_, &gemm_in_, &lora_in_,
                                  &lora_d_, &lora_dx_, &probs_, &dx_, &dh_, &dbig_, &dmid_, &dw_rows_, &ds_}) {
        bytes += b->bytes();
    }
    return bytes;
}

const float* DevicePass::forward(const PassWeights& w, const PassBatch& batch, const Dropout& dropout) {
    upload_layout(batch);
    vocab_ = w.head.n;
    const float eps = c_.rms_norm_eps;
    const size_t R = static_cast<size_t>(R_);
    const int L = c_.num_layers;
    layers_.resize(keep_ ? static_cast<size_t>(L) : 1);
    const int half = hd_ / 2;
    float* x = floats(x_, R * H_, "the residual stream");
    float* cos = floats(cos_, R * half, "the RoPE table");
    float* sin = floats(sin_, R * half, "the RoPE table");
    embed_rows(tokens_, R_, w.embed.data, w.embed.dtype, H_, x, stream_);
    rope_tables(pos_, R_, w.inv_freq, half, cos, sin, stream_);
    const RowLayout layout{R_, first_, prob_offset_.as<int64_t>(), seq_end_, max_span_};
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
    float* probs = floats(probs_, static_cast<size_t>(std::max<int64_t>(prob_total_, 1)),
                          "the attention probabilities");
    for (int l = 0; l < L; ++l) {
        const DeviceLayer& P = w.layers[static_cast<size_t>(l)];
        Layer& a = slot(l);
        float* x_in = floats(a.x_in, R * H_, "a saved activation");
        copy_rows(x, x_in, R * H_, stream_);
        float* h1 = floats(a.h1, R * H_, "a saved activation");
        float* qkv = floats(a.qkv, R * qkv_dim_, "a saved activation");
        rmsnorm_rows(x, nullptr, R_, P.input_norm, H_, eps, h1, stream_);
        project(P.qkv, h1, R_, qkv, qkv_dim_, 0.0f);
        if (P.qkv_bias != nullptr) {
            add_bias_rows(P.qkv_bias, R_, qkv_dim_, qkv, qkv_dim_, stream_);
        }
        lora_forward(w, l, kLoraQ, h1, H_, qkv, qkv_dim_, dropout, a.lora_t[kLoraQ]);
        lora_forward(w, l, kLoraK, h1, H_, qkv + q_dim_, qkv_dim_, dropout, a.lora_t[kLoraK]);
        lora_forward(w, l, kLoraV, h1, H_, qkv + q_dim_ + kv_dim_, qkv_dim_, dropout, a.lora_t[kLoraV]);
        if (P.q_norm != nullptr) {
            copy_rows(qkv, floats(a.qkv_raw, R * qkv_dim_, "a saved activation"), R * qkv_dim_, stream_);
        }
        QkvArgs qk;  // no cache: the keys are rows of qkv
        qk.qkv = qkv;
        qk.rows = R_;
        qk.heads = c_.num_heads;
        qk.kv_heads = c_.num_kv_heads;
        qk.head_dim = hd_;
        qk.q_norm = P.q_norm;
        qk.k_norm = P.k_norm;
        qk.eps = eps;
        qk.cos = cos;
        qk.sin = sin;
        qkv_finish(qk, stream_);
        float* attn = floats(a.attn, R * q_dim_, "a saved activation");
        attention_forward(qkv, layout, c_.num_heads, c_.num_kv_heads, hd_, scale, probs, attn, stream_);

        project(P.o, attn, R_, x, H_, 1.0f);
        lora_forward(w, l, kLoraO, attn, q_dim_, x, H_, dropout, a.lora_t[kLoraO]);
        float* x_mid = floats(a.x_mid, R * H_, "a saved activation");
        copy_rows(x, x_mid, R * H_, stream_);
        float* h2 = floats(a.h2, R * H_, "a saved activation");
        rmsnorm_rows(x, nullptr, R_, P.post_attention_norm, H_, eps, h2, stream_);

        const int two_i = 2 * I_;
        float* gu = floats(a.gate_up, R * two_i, "a saved activation");
        float* act = floats(a.act, R * I_, "a saved activation");
        project(P.gate_up, h2, R_, gu, two_i, 0.0f);
        lora_forward(w, l, kLoraGate, h2, H_, gu, two_i, dropout, a.lora_t[kLoraGate]);
        lora_forward(w, l, kLoraUp, h2, H_, gu + I_, two_i, dropout, a.lora_t[kLoraUp]);
        silu_mul_rows(gu, R_, I_, act, stream_);
        project(P.down, act, R_, x, H_, 1.0f);
        lora_forward(w, l, kLoraDown, act, I_, x, H_, dropout, a.lora_t[kLoraDown]);
    }
    const size_t T = static_cast<size_t>(n_targets_);
    float* hidden = floats(hidden_, std::max<size_t>(T, 1) * H_, "the final hidden rows");
    float* logits = floats(logits_, std::max<size_t>(T, 1) * vocab_, "the logits");
    rmsnorm_rows(x, target_rows_, n_targets_, w.final_norm, H_, eps, hidden, stream_);
    project(w.head, hidden, n_targets_, logits, vocab_, 0.0f);
    check_launch("the training forward");
    if (keep_) {
        reserve_backward(w);
    }
    return logits;
}

void DevicePass::reserve_backward(const PassWeights& w) {
    const size_t R = static_cast<size_t>(R_), T = static_cast<size_t>(n_targets_);
    const size_t rows = std::max(R, T);
    floats(dx_, R * H_, "the residual gradient");
    floats(dh_, rows * H_, "a hidden gradient");
    floats(dw_rows_, rows * std::max(H_, 2 * hd_), "the norm weights' row gradients");
    floats(dbig_, R * std::max(I_, q_dim_), "an activation gradient");
    floats(dmid_, R * std::max(2 * I_, qkv_dim_), "an activation gradient");
    floats(ds_, static_cast<size_t>(std::max<int64_t>(prob_total_, 1)), "the attention score gradients");
    if (!w.lora.empty()) {
        int rank = 1, widest = 1;
        for (const auto& layer : w.lora) {
            for (const DeviceLoraPair& p : layer) {
                if (!p.present()) continue;
                rank = std::max(rank, p.a.n);
                widest = std::max(widest, p.a.k);
            }
        }
        floats(lora_d_, R * rank, "the LoRA gradient of A x");
        floats(lora_dx_, R * widest, "the LoRA input gradient");
        floats(lora_in_, R * widest, "the LoRA dropout's input");
    }
    if (w.head.dtype != DType::F32 || w.layers.front().qkv.dtype != DType::F32) {
        // The 16-bit copies of the gradients the backward multiplies with the frozen base.
        const size_t widest = std::max({T * vocab_, R * H_, R * 2 * I_, R * qkv_dim_});
        gemm_in_.reserve(widest * 2, "the GEMM inputs");
    }
}

void DevicePass::backward(const PassWeights& w, const Dropout& dropout, const float* dlogits, const PassGrads& g) {
    const float eps = c_.rms_norm_eps;
    const size_t R = static_cast<size_t>(R_);
    const int n = n_targets_;
    const int two_i = 2 * I_;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
    const RowLayout layout{R_, first_, prob_offset_.as<int64_t>(), seq_end_, max_span_};
    // Every buffer below was sized by the forward (reserve_backward): the backward allocates nothing,
    // so it cannot run out of memory halfway through adding to the gradients.
    float* dx = dx_.as<float>();
    zero(dx, R * H_, stream_);
    float* dh = dh_.as<float>();
    float* dw_rows = dw_rows_.as<float>();
    float* dbig = dbig_.as<float>();
    float* dmid = dmid_.as<float>();
    float* ds = ds_.as<float>();

    // Head and final norm: only the target rows have a gradient.
    gemm_input_grad(blas_, w.head, gemm_input(dlogits, n, vocab_, w.head.dtype), n, vocab_, dh, H_, 1.0f, 0.0f);
    if (g.head != nullptr) {
        gemm_weight_grad(blas_, dlogits, vocab_, hidden_.as<float>(), H_, n, vocab_, H_, 1.0f, g.head);
    }
    rmsnorm_backward(x_.as<float>(), target_rows_, H_, n, w.final_norm, H_, eps, dh, H_, dx, true, dw_rows, H_,
                     stream_);
    if (g.final_norm != nullptr) {
        add_column_sums(dw_rows, n, H_, H_, g.final_norm, stream_);
    }

    for (int l = c_.num_layers - 1; l >= 0; --l) {
        const DeviceLayer& P = w.layers[static_cast<size_t>(l)];
        const GradLayer& G = g.layers[static_cast<size_t>(l)];
        const Layer& a = layers_[static_cast<size_t>(l)];
        const float* act = a.act.as<float>();
        const float* h2 = a.h2.as<float>();
        const float* h1 = a.h1.as<float>();
        const float* attn = a.attn.as<float>();

        // MLP: x_out = x_mid + down(silu(gate(h2)) * up(h2)).
        float* dact = dbig;
        gemm_input_grad(blas_, P.down, gemm_input(dx, R_, H_, P.down.dtype), R_, H_, dact, I_, 1.0f, 0.0f);
        lora_backward(w, l, kLoraDown, act, I_, dx, H_, dact, I_, dropout, a.lora_t[kLoraDown], G);
        if (G.down != nullptr) {
            gemm_weight_grad(blas_, dx, H_, act, I_, R_, H_, I_, 1.0f, G.down);
        }
        float* dgu = dmid;
        swiglu_backward(a.gate_up.as<float>(), dact, R_, I_, dgu, stream_);
        gemm_input_grad(blas_, P.gate_up, gemm_input(dgu, R_, two_i, P.gate_up.dtype), R_, two_i, dh, H_, 1.0f, 0.0f);
        lora_backward(w, l, kLoraGate, h2, H_, dgu, two_i, dh, H_, dropout, a.lora_t[kLoraGate], G);
        lora_backward(w, l, kLoraUp, h2, H_, dgu + I_, two_i, dh, H_, dropout, a.lora_t[kLoraUp], G);
        if (G.gate_up != nullptr) {
            gemm_weight_grad(blas_, dgu, two_i, h2, H_, R_, two_i, H_, 1.0f, G.gate_up);
        }
        rmsnorm_backward(a.x_mid.as<float>(), nullptr, H_, R_, P.post_attention_norm, H_, eps, dh, H_, dx, true,
                         dw_rows, H_, stream_);
        if (G.post_norm != nullptr) {
            add_column_sums(dw_rows, R_, H_, H_, G.post_norm, stream_);
        }

        // Attention: x_mid = x_in + o(attention(rope(norm(qkv(h1))))).
        float* dattn = dbig;
        gemm_input_grad(blas_, P.o, gemm_input(dx, R_, H_, P.o.dtype), R_, H_, dattn, q_dim_, 1.0f, 0.0f);
        lora_backward(w, l, kLoraO, attn, q_dim_, dx, H_, dattn, q_dim_, dropout, a.lora_t[kLoraO], G);
        if (G.o != nullptr) {
            gemm_weight_grad(blas_, dx, H_, attn, q_dim_, R_, H_, q_dim_, 1.0f, G.o);
        }
        float* dqkv = dmid;
        attention_backward(a.qkv.as<float>(), dattn, layout, c_.num_heads, c_.num_kv_heads, hd_, scale,
                           probs_.as<float>(), ds, dqkv, stream_);
        const bool qk_norm = P.q_norm != nullptr;
        qk_backward(dqkv, qk_norm ? a.qkv_raw.as<float>() : nullptr, R_, c_.num_heads, c_.num_kv_heads, hd_, P.q_norm,
                    P.k_norm, eps, cos_.as<float>(), sin_.as<float>(), dw_rows, stream_);
        if (qk_norm && G.q_norm != nullptr) {
            add_column_sums(dw_rows, R_, hd_, 2 * hd_, G.q_norm, stream_);
            add_column_sums(dw_rows + hd_, R_, hd_, 2 * hd_, G.k_norm, stream_);
        }
        if (G.qkv_bias != nullptr) {
            add_column_sums(dqkv, R_, qkv_dim_, qkv_dim_, G.qkv_bias, stream_);
        }
        gemm_input_grad(blas_, P.qkv, gemm_input(dqkv, R_, qkv_dim_, P.qkv.dtype), R_, qkv_dim_, dh, H_, 1.0f, 0.0f);
        lora_backward(w, l, kLoraQ, h1, H_, dqkv, qkv_dim_, dh, H_, dropout, a.lora_t[kLoraQ], G);
        lora_backward(w, l, kLoraK, h1, H_, dqkv + q_dim_, qkv_dim_, dh, H_, dropout, a.lora_t[kLoraK], G);
        lora_backward(w, l, kLoraV, h1, H_, dqkv + q_dim_ + kv_dim_, qkv_dim_, dh, H_, dropout, a.lora_t[kLoraV], G);
        if (G.qkv != nullptr) {
            gemm_weight_grad(blas_, dqkv, qkv_dim_, h1, H_, R_, qkv_dim_, H_, 1.0f, G.qkv);
        }
        rmsnorm_backward(a.x_in.as<float>(), nullptr, H_, R_, P.input_norm, H_, eps, dh, H_, dx, true, dw_rows, H_,
                         stream_);
        if (G.input_norm != nullptr) {
            add_column_sums(dw_rows, R_, H_, H_, G.input_norm, stream_);
        }
    }
    if (g.embed != nullptr) {
        embedding_backward(tokens_, dx, R_, H_, g.embed, stream_);
    }
    check_launch("the training backward");
}

}  // namespace moco::cuda::train
