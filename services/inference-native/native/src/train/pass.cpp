#include "train/pass.h"

#include "cpu/dtype.h"
#include "cpu/ops.h"
#include "cpu/vec.h"
#include "kernels/philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace moco::train {
namespace {

template <class T>
T* sized(std::vector<T>& v, size_t n) {
    if (v.size() < n) {
        v.resize(n);
    }
    return v.data();
}

// The backward of cpu::rmsnorm for one row (see pass.h). dx is written (accumulate = false) or
// added to; dw_row, when given, accumulates dy x r. dx may be dy (in place).
void rmsnorm_backward(const float* x, const float* w, int n, float eps, const float* dy, float* dx,
                      bool accumulate, float* dw_row) {
    // The same r as the forward computed (cpu::rmsnorm), bit for bit.
    const float mean_square = cpu::vec_ops().dot(x, x, n) / static_cast<float>(n);
    const float r = 1.0f / std::sqrt(mean_square + eps);
    double dot = 0.0;  // sum(w dy x), in index order
    for (int i = 0; i < n; ++i) {
        dot += static_cast<double>(w[i]) * dy[i] * x[i];
    }
    const float coef = static_cast<float>(dot * static_cast<double>(r) * r * r / n);
    for (int i = 0; i < n; ++i) {
        if (dw_row != nullptr) {
            dw_row[i] += dy[i] * x[i] * r;
        }
        const float g = r * (w[i] * dy[i]) - x[i] * coef;
        dx[i] = accumulate ? dx[i] + g : g;
    }
}

// The transpose of cpu::rope_apply: the gradient rotated back by -angle.
void rope_backward(float* d, int head_dim, const float* cos, const float* sin) {
    const int half = head_dim / 2;
    for (int i = 0; i < half; ++i) {
        const float a = d[i];
        const float b = d[i + half];
        d[i] = a * cos[i] + b * sin[i];
        d[i + half] = b * cos[i] - a * sin[i];
    }
}

// out[c] += sum over r of m[r * ld + c], rows in order; columns split over the pool.
void add_column_sums(cpu::ThreadPool& pool, const float* m, int rows, int cols, int64_t ld, float* out) {
    constexpr int kBlock = 64;
    pool.run((cols + kBlock - 1) / kBlock, [&](int block, int) {
        const int c1 = std::min(cols, (block + 1) * kBlock);
        for (int r = 0; r < rows; ++r) {
            for (int c = block * kBlock; c < c1; ++c) {
                out[c] += m[r * ld + c];
            }
        }
    });
}

// 0 for a dropped element, 1 / (1 - p) for a kept one (see Dropout).
float dropout_factor(const Dropout& d, int l, int m, int64_t index) {
    const float u = kernels::lora_dropout_uniform(d.seed, d.stream, static_cast<uint32_t>(l * kLoraModuleCount + m),
                                                  static_cast<uint32_t>(index));
    return u >= d.p ? 1.0f / (1.0f - d.p) : 0.0f;
}

// One row's attention probabilities for one head over its n keys (rows of ld floats from k), into p:
// the inference kernel's arithmetic (cpu/attention.cpp: dot_rows, then softmax_scaled). The backward
// calls it again on the kept q and k rather than keeping every layer's probabilities (num_heads *
// T^2 / 2 floats per layer, the largest activation of a long sequence); the same calls on the same
// inputs give the same bits.
void attention_probs(const cpu::VecOps& vec, const float* q, const float* k, int64_t ld, int n, int head_dim,
                     float scale, float* p) {
    vec.dot_rows(q, k, ld, n, head_dim, p);
    cpu::softmax_scaled(p, n, scale);
}

}  // namespace

RowPlan plan_rows(const ModelConfig& c, const PassBatch& batch) {
    const size_t rows = batch.tokens.size();
    RowPlan plan;
    plan.pos.assign(rows, 0);
    plan.seq.assign(rows, 0);
    plan.first.assign(rows, 0);
    plan.seq_end.assign(rows, 0);
    plan.prob_offset.assign(rows, 0);
    for (size_t s = 0; s + 1 < batch.seq_start.size(); ++s) {
        const int row0 = batch.seq_start[s];
        for (int r = row0; r < batch.seq_start[s + 1]; ++r) {
            const int pos = r - row0;
            const int first = c.sliding_window > 0 ? std::max(0, pos - c.sliding_window + 1) : 0;
            const int span = pos - first + 1;
            const size_t i = static_cast<size_t>(r);
            plan.pos[i] = pos;
            plan.seq[i] = static_cast<int>(s);
            plan.first[i] = row0 + first;
            plan.seq_end[i] = batch.seq_start[s + 1];
            plan.prob_offset[i] = plan.prob_total;
            plan.prob_total += static_cast<int64_t>(span) * c.num_heads;
            plan.max_span = std::max(plan.max_span, span);
        }
    }
    return plan;
}

PassBatch whole_sequence(const std::vector<int32_t>& tokens) {
    PassBatch batch;
    batch.tokens = tokens;
    batch.seq_start = {0, static_cast<int>(tokens.size())};
    for (size_t r = 0; r < tokens.size(); ++r) {
        batch.target_rows.push_back(static_cast<int>(r));
        batch.targets.push_back(0);
    }
    return batch;
}

Pass::Pass(const ModelConfig& config, cpu::ThreadPool& pool, bool keep_activations)
    : c_(config), pool_(pool), keep_(keep_activations) {
    H_ = c_.hidden_size;
    hd_ = c_.head_dim;
    q_dim_ = c_.num_heads * hd_;
    kv_dim_ = c_.num_kv_heads * hd_;
    qkv_dim_ = q_dim_ + 2 * kv_dim_;
    I_ = c_.intermediate_size;
}

const float* Pass::dropped(const float* in, int64_t ld_in, int cols, int l, int m, const Dropout& dropout) {
    float* out = sized(lora_in_, static_cast<size_t>(R_) * cols);
    pool_.run(R_, [&](int r, int) {
        for (int c = 0; c < cols; ++c) {
            out[r * cols + c] = in[r * ld_in + c] * dropout_factor(dropout, l, m, static_cast<int64_t>(r) * cols + c);
        }
    });
    return out;
}

void Pass::lora_forward(const PassWeights& w, int l, int m, const float* in, int64_t ld_in, float* out,
                        int64_t ld_out, const Dropout& dropout, std::vector<float>& t_saved) {
    if (w.lora.empty() || w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)].a == nullptr) {
        return;
    }
    const PassLoraPair& p = w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)];
    const int rank = p.a->n, n = p.b->n;
    const float* x = in;
    int64_t ldx = ld_in;
    if (dropout.p > 0.0f) {
        x = dropped(in, ld_in, p.a->k, l, m, dropout);
        ldx = p.a->k;
    }
    float* t = sized(t_saved, static_cast<size_t>(R_) * rank);
    float* d = sized(lora_dd_, static_cast<size_t>(R_) * n);
    cpu::gemm(pool_, x, R_, ldx, *p.a, cpu::OutRows{t, rank, nullptr});
    cpu::gemm(pool_, t, R_, rank, *p.b, cpu::OutRows{d, n, nullptr});
    const float scale = w.lora_scale;
    pool_.run(R_, [&](int r, int) {
        for (int i = 0; i < n; ++i) {
            out[r * ld_out + i] += scale * d[static_cast<int64_t>(r) * n + i];
        }
    });
}

void Pass::lora_backward(const PassWeights& w, int l, int m, const float* in, int64_t ld_in,
                         const float* dy, int64_t ld_dy, float* dx, int64_t ld_dx,
                         const Dropout& dropout, const std::vector<float>& t_saved,
                         const GradLayer& g) {
    if (w.lora.empty() || w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)].a == nullptr) {
        return;
    }
    const PassLoraPair& p = w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)];
    const int rank = p.a->n, n = p.b->n, k = p.a->k;
    float* dd = sized(lora_dd_, static_cast<size_t>(R_) * n);
    const float scale = w.lora_scale;
    pool_.run(R_, [&](int r, int) {
        for (int i = 0; i < n; ++i) {
            dd[static_cast<int64_t>(r) * n + i] = scale * dy[r * ld_dy + i];
        }
    });
    if (g.lora_b[static_cast<size_t>(m)] != nullptr) {
        wgrad_.accumulate(pool_, dd, n, t_saved.data(), rank, R_, n, rank, g.lora_b[static_cast<size_t>(m)]);
    }
    float* dt = sized(lora_dt_, static_cast<size_t>(R_) * rank);
    cpu::gemm(pool_, dd, R_, n, *p.b_t, cpu::OutRows{dt, rank, nullptr});
    const float* x = in;
    int64_t ldx = ld_in;
    if (dropout.p > 0.0f) {
        x = dropped(in, ld_in, k, l, m, dropout);
        ldx = k;
    }
    if (g.lora_a[static_cast<size_t>(m)] != nullptr) {
        wgrad_.accumulate(pool_, dt, rank, x, ldx, R_, rank, k, g.lora_a[static_cast<size_t>(m)]);
    }
    float* dxd = sized(lora_dx_, static_cast<size_t>(R_) * k);
    cpu::gemm(pool_, dt, R_, rank, *p.a_t, cpu::OutRows{dxd, k, nullptr});
    const bool drop = dropout.p > 0.0f;
    pool_.run(R_, [&](int r, int) {
        for (int i = 0; i < k; ++i) {
            const float v = dxd[static_cast<int64_t>(r) * k + i];
            dx[r * ld_dx + i] += drop ? v * dropout_factor(dropout, l, m, static_cast<int64_t>(r) * k + i) : v;
        }
    });
}

void Pass::attention_forward(Layer& a) {
    const cpu::VecOps& vec = cpu::vec_ops();
    const int heads = c_.num_heads;
    const int group = heads / c_.num_kv_heads;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
    const float* qkv = a.qkv.data();
    float* attn = a.attn.data();
    float* scratch = sized(scratch_, static_cast<size_t>(pool_.threads()) * plan_.max_span);
    pool_.run(R_ * heads, [&](int task, int thread) {
        const int r = task / heads;
        const int head = task % heads;
        const int first = plan_.first[static_cast<size_t>(r)];
        const int n = r - first + 1;
        const float* q = qkv + static_cast<int64_t>(r) * qkv_dim_ + head * hd_;
        const float* k = qkv + static_cast<int64_t>(first) * qkv_dim_ + q_dim_ + (head / group) * hd_;
        const float* v = k + kv_dim_;
        float* p = scratch + static_cast<int64_t>(thread) * plan_.max_span;
        attention_probs(vec, q, k, qkv_dim_, n, hd_, scale, p);
        float* out = attn + static_cast<int64_t>(r) * q_dim_ + head * hd_;
        std::memset(out, 0, sizeof(float) * static_cast<size_t>(hd_));
        vec.axpy_rows(p, v, qkv_dim_, n, hd_, out);
    });
}

void Pass::attention_backward(const Layer& a, const float* dattn, float* dqkv) {
    const cpu::VecOps& vec = cpu::vec_ops();
    const int kv_heads = c_.num_kv_heads;
    const int group = c_.num_heads / kv_heads;
    const int n_seqs = R_ == 0 ? 0 : plan_.seq.back() + 1;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
    // Per thread: the recomputed probabilities, then dS.
    float* scratch = sized(scratch_, static_cast<size_t>(pool_.threads()) * 2 * plan_.max_span);
    const float* qkv = a.qkv.data();
    // One task per (sequence, K/V head): it alone writes that head's dk, dv and its group's dq.
    std::vector<int> seq_row0(static_cast<size_t>(n_seqs) + 1, R_);
    for (int r = R_ - 1; r >= 0; --r) {
        seq_row0[static_cast<size_t>(plan_.seq[static_cast<size_t>(r)])] = r;
    }
    pool_.run(n_seqs * kv_heads, [&](int task, int thread) {
        const int s = task / kv_heads;
        const int g = task % kv_heads;
        float* p = scratch + static_cast<int64_t>(thread) * 2 * plan_.max_span;
        float* ds = p + plan_.max_span;
        for (int head = g * group; head < (g + 1) * group; ++head) {
            for (int r = seq_row0[static_cast<size_t>(s)]; r < seq_row0[static_cast<size_t>(s) + 1]; ++r) {
                const int first = plan_.first[static_cast<size_t>(r)];
                const int n = r - first + 1;
                const float* d_out = dattn + static_cast<int64_t>(r) * q_dim_ + head * hd_;
                const float* q = qkv + static_cast<int64_t>(r) * qkv_dim_ + head * hd_;
                const float* k = qkv + static_cast<int64_t>(first) * qkv_dim_ + q_dim_ + g * hd_;
                const float* v = k + kv_dim_;
                attention_probs(vec, q, k, qkv_dim_, n, hd_, scale, p);
                vec.dot_rows(d_out, v, qkv_dim_, n, hd_, ds);  // dP
                float pdp = 0.0f;
                for (int j = 0; j < n; ++j) {
                    pdp += p[j] * ds[j];
                }
                for (int j = 0; j < n; ++j) {
                    ds[j] = p[j] * (ds[j] - pdp) * scale;
                }
                vec.axpy_rows(ds, k, qkv_dim_, n, hd_, dqkv + static_cast<int64_t>(r) * qkv_dim_ + head * hd_);
                for (int j = 0; j < n; ++j) {
                    float* dk = dqkv + static_cast<int64_t>(first + j) * qkv_dim_ + q_dim_ + g * hd_;
                    float* dv = dk + kv_dim_;
                    for (int d = 0; d < hd_; ++d) {
                        dk[d] += ds[j] * q[d];
                        dv[d] += p[j] * d_out[d];
                    }
                }
            }
        }
    });
}

size_t Pass::held_bytes() const {
    size_t floats = 0;
    for (const Layer& a : layers_) {
        for (const std::vector<float>* v : {&a.x_in, &a.h1, &a.qkv_raw, &a.qkv, &a.attn, &a.x_mid, &a.h2, &a.gate_up,
                                            &a.act}) {
            floats += v->capacity();
        }
        for (const std::vector<float>& t : a.lora_t) {
            floats += t.capacity();
        }
    }
    for (const std::vector<float>* v : {&rope_, &x_final_, &hidden_, &logits_, &dx_, &dh_, &dbig_, &dw_rows_, &dmid_,
                                        &lora_dd_, &lora_dt_, &lora_dx_, &lora_in_, &scratch_}) {
        floats += v->capacity();
    }
    return floats * sizeof(float) + wgrad_.held_bytes();
}

float* Pass::forward(const PassWeights& w, const PassBatch& batch, const Dropout& dropout) {
    R_ = static_cast<int>(batch.tokens.size());
    plan_ = plan_rows(c_, batch);
    vocab_ = w.head->n;
    const float eps = c_.rms_norm_eps;
    const size_t R = static_cast<size_t>(R_);
    const int L = c_.num_layers;
    layers_.resize(keep_ ? static_cast<size_t>(L) : 1);
    rope_.resize(R * static_cast<size_t>(hd_));
    float* x = sized(x_final_, R * H_);
    float* tmp = sized(dh_, R * H_);
    pool_.run(R_, [&](int r, int) {
        const int32_t token = batch.tokens[static_cast<size_t>(r)];
        cpu::load_row(w.embed.data, w.embed.dtype, static_cast<int64_t>(token) * H_, H_, x + static_cast<int64_t>(r) * H_);
        cpu::rope_cos_sin(*w.inv_freq, plan_.pos[static_cast<size_t>(r)], rope_.data() + r * hd_,
                          rope_.data() + r * hd_ + hd_ / 2);
    });
    for (int l = 0; l < L; ++l) {
        const PassLayer& P = w.layers[static_cast<size_t>(l)];
        Layer& a = slot(l);
        a.x_in.assign(x, x + R * H_);
        float* h1 = sized(a.h1, R * H_);
        float* qkv = sized(a.qkv, R * qkv_dim_);
        pool_.run(R_, [&](int r, int) {
            cpu::rmsnorm(x + static_cast<int64_t>(r) * H_, P.input_norm, H_, eps, h1 + static_cast<int64_t>(r) * H_);
        });
        cpu::gemm(pool_, h1, R_, H_, *P.qkv, cpu::OutRows{qkv, qkv_dim_, nullptr});
        if (P.qkv_bias != nullptr) {
            pool_.run(R_, [&](int r, int) {
                for (int i = 0; i < qkv_dim_; ++i) {
                    qkv[static_cast<int64_t>(r) * qkv_dim_ + i] += P.qkv_bias[i];
                }
            });
        }
        lora_forward(w, l, kLoraQ, h1, H_, qkv, qkv_dim_, dropout, a.lora_t[kLoraQ]);
        lora_forward(w, l, kLoraK, h1, H_, qkv + q_dim_, qkv_dim_, dropout, a.lora_t[kLoraK]);
        lora_forward(w, l, kLoraV, h1, H_, qkv + q_dim_ + kv_dim_, qkv_dim_, dropout, a.lora_t[kLoraV]);
        if (P.q_norm != nullptr) {
            a.qkv_raw.assign(qkv, qkv + R * qkv_dim_);
        }
        pool_.run(R_, [&](int r, int) {
            float* q = qkv + static_cast<int64_t>(r) * qkv_dim_;
            const float* cos = rope_.data() + r * hd_;
            const float* sin = cos + hd_ / 2;
            for (int i = 0; i < c_.num_heads + c_.num_kv_heads; ++i) {
                const float* norm = i < c_.num_heads ? P.q_norm : P.k_norm;
                if (norm != nullptr) {
                    cpu::rmsnorm(q + i * hd_, norm, hd_, eps, q + i * hd_);
                }
                cpu::rope_apply(q + i * hd_, hd_, cos, sin);
            }
        });
        sized(a.attn, R * q_dim_);
        attention_forward(a);

        cpu::gemm(pool_, a.attn.data(), R_, q_dim_, *P.o, cpu::OutRows{tmp, H_, nullptr});
        lora_forward(w, l, kLoraO, a.attn.data(), q_dim_, tmp, H_, dropout, a.lora_t[kLoraO]);
        float* h2 = sized(a.h2, R * H_);
        pool_.run(R_, [&](int r, int) {
            for (int i = 0; i < H_; ++i) {
                x[static_cast<int64_t>(r) * H_ + i] += tmp[static_cast<int64_t>(r) * H_ + i];
            }
            cpu::rmsnorm(x + static_cast<int64_t>(r) * H_, P.post_norm, H_, eps, h2 + static_cast<int64_t>(r) * H_);
        });
        a.x_mid.assign(x, x + R * H_);

        const int two_i = 2 * I_;
        float* gu = sized(a.gate_up, R * two_i);
        float* act = sized(a.act, R * I_);
        cpu::gemm(pool_, h2, R_, H_, *P.gate_up, cpu::OutRows{gu, two_i, nullptr});
        lora_forward(w, l, kLoraGate, h2, H_, gu, two_i, dropout, a.lora_t[kLoraGate]);
        lora_forward(w, l, kLoraUp, h2, H_, gu + I_, two_i, dropout, a.lora_t[kLoraUp]);
        pool_.run(R_, [&](int r, int) {
            const float* g = gu + static_cast<int64_t>(r) * two_i;
            cpu::silu_mul(g, g + I_, I_, act + static_cast<int64_t>(r) * I_);
        });
        cpu::gemm(pool_, act, R_, I_, *P.down, cpu::OutRows{tmp, H_, nullptr});
        lora_forward(w, l, kLoraDown, act, I_, tmp, H_, dropout, a.lora_t[kLoraDown]);
        pool_.run(R_, [&](int r, int) {
            for (int i = 0; i < H_; ++i) {
                x[static_cast<int64_t>(r) * H_ + i] += tmp[static_cast<int64_t>(r) * H_ + i];
            }
        });
    }
    const int n = static_cast<int>(batch.target_rows.size());
    float* hidden = sized(hidden_, static_cast<size_t>(n) * H_);
    float* logits = sized(logits_, static_cast<size_t>(n) * vocab_);
    pool_.run(n, [&](int i, int) {
        cpu::rmsnorm(x + static_cast<int64_t>(batch.target_rows[static_cast<size_t>(i)]) * H_, w.final_norm,
                     H_, eps, hidden + static_cast<int64_t>(i) * H_);
    });
    cpu::gemm(pool_, hidden, n, H_, *w.head, cpu::OutRows{logits, vocab_, nullptr});
    return logits;
}

void Pass::backward(const PassWeights& w, const PassBatch& batch, const Dropout& dropout,
                    const float* dlogits, const PassGrads& g) {
    const float eps = c_.rms_norm_eps;
    const size_t R = static_cast<size_t>(R_);
    const int n = static_cast<int>(batch.target_rows.size());
    const int two_i = 2 * I_;
    float* dx = sized(dx_, R * H_);
    std::fill(dx, dx + R * H_, 0.0f);
    float* dh = sized(dh_, R * H_);
    float* dw_rows = sized(dw_rows_, R * std::max(H_, 2 * hd_));

    // Head and final norm: only the target rows have a gradient.
    cpu::gemm(pool_, dlogits, n, vocab_, *w.head_t, cpu::OutRows{dh, H_, nullptr});
    if (g.head != nullptr) {
        wgrad_.accumulate(pool_, dlogits, vocab_, hidden_.data(), H_, n, vocab_, H_, g.head);
    }
    std::fill(dw_rows, dw_rows + static_cast<size_t>(n) * H_, 0.0f);
    pool_.run(n, [&](int i, int) {
        const int64_t r = batch.target_rows[static_cast<size_t>(i)];
        rmsnorm_backward(x_final_.data() + r * H_, w.final_norm, H_, eps, dh + static_cast<int64_t>(i) * H_,
                         dx + r * H_, true, dw_rows + static_cast<int64_t>(i) * H_);
    });
    if (g.final_norm != nullptr) {
        add_column_sums(pool_, dw_rows, n, H_, H_, g.final_norm);
    }

    for (int l = c_.num_layers - 1; l >= 0; --l) {
        const PassLayer& P = w.layers[static_cast<size_t>(l)];
        const GradLayer& G = g.layers[static_cast<size_t>(l)];
        const Layer& a = layers_[static_cast<size_t>(l)];

        // MLP: x_out = x_mid + down(silu(gate(h2)) * up(h2)).
        float* dact = sized(dbig_, R * I_);
        cpu::gemm(pool_, dx, R_, H_, *P.down_t, cpu::OutRows{dact, I_, nullptr});
        lora_backward(w, l, kLoraDown, a.act.data(), I_, dx, H_, dact, I_, dropout, a.lora_t[kLoraDown], G);
        if (G.down != nullptr) {
            wgrad_.accumulate(pool_, dx, H_, a.act.data(), I_, R_, H_, I_, G.down);
        }
        float* dgu = sized(dmid_, R * std::max(two_i, qkv_dim_));
        pool_.run(R_, [&](int r, int) {
            const float* gu = a.gate_up.data() + static_cast<int64_t>(r) * two_i;
            const float* da = dact + static_cast<int64_t>(r) * I_;
            float* d = dgu + static_cast<int64_t>(r) * two_i;
            for (int i = 0; i < I_; ++i) {
                const float gate = gu[i];
                const float s = 1.0f / (1.0f + std::exp(-gate));
                d[i] = da[i] * gu[I_ + i] * s * (1.0f + gate * (1.0f - s));
                d[I_ + i] = da[i] * gate * s;
            }
        });
        cpu::gemm(pool_, dgu, R_, two_i, *P.gate_up_t, cpu::OutRows{dh, H_, nullptr});
        lora_backward(w, l, kLoraGate, a.h2.data(), H_, dgu, two_i, dh, H_, dropout, a.lora_t[kLoraGate], G);
        lora_backward(w, l, kLoraUp, a.h2.data(), H_, dgu + I_, two_i, dh, H_, dropout, a.lora_t[kLoraUp], G);
        if (G.gate_up != nullptr) {
            wgrad_.accumulate(pool_, dgu, two_i, a.h2.data(), H_, R_, two_i, H_, G.gate_up);
        }
        std::fill(dw_rows, dw_rows + R * H_, 0.0f);
        pool_.run(R_, [&](int r, int) {
            const int64_t o = static_cast<int64_t>(r) * H_;
            rmsnorm_backward(a.x_mid.data() + o, P.post_norm, H_, eps, dh + o, dx + o, true, dw_rows + o);
        });
        if (G.post_norm != nullptr) {
            add_column_sums(pool_, dw_rows, R_, H_, H_, G.post_norm);
        }

        // Attention: x_mid = x_in + o(attention(rope(norm(qkv(h1))))).
        float* dattn = sized(dbig_, R * std::max(I_, q_dim_));
        cpu::gemm(pool_, dx, R_, H_, *P.o_t, cpu::OutRows{dattn, q_dim_, nullptr});
        lora_backward(w, l, kLoraO, a.attn.data(), q_dim_, dx, H_, dattn, q_dim_, dropout, a.lora_t[kLoraO], G);
        if (G.o != nullptr) {
            wgrad_.accumulate(pool_, dx, H_, a.attn.data(), q_dim_, R_, H_, q_dim_, G.o);
        }
        float* dqkv = dgu;
        std::fill(dqkv, dqkv + R * qkv_dim_, 0.0f);
        attention_backward(a, dattn, dqkv);
        const bool qk_norm = P.q_norm != nullptr;
        if (qk_norm) {
            std::fill(dw_rows, dw_rows + R * 2 * hd_, 0.0f);
        }
        pool_.run(R_, [&](int r, int) {
            float* d = dqkv + static_cast<int64_t>(r) * qkv_dim_;
            const float* cos = rope_.data() + r * hd_;
            const float* sin = cos + hd_ / 2;
            for (int i = 0; i < c_.num_heads + c_.num_kv_heads; ++i) {
                rope_backward(d + i * hd_, hd_, cos, sin);
                if (qk_norm) {
                    const bool is_q = i < c_.num_heads;
                    rmsnorm_backward(a.qkv_raw.data() + static_cast<int64_t>(r) * qkv_dim_ + i * hd_,
                                     is_q ? P.q_norm : P.k_norm, hd_, eps, d + i * hd_, d + i * hd_, false,
                                     dw_rows + static_cast<int64_t>(r) * 2 * hd_ + (is_q ? 0 : hd_));
                }
            }
        });
        if (qk_norm && G.q_norm != nullptr) {
            add_column_sums(pool_, dw_rows, R_, hd_, 2 * hd_, G.q_norm);
            add_column_sums(pool_, dw_rows + hd_, R_, hd_, 2 * hd_, G.k_norm);
        }
        if (G.qkv_bias != nullptr) {
            add_column_sums(pool_, dqkv, R_, qkv_dim_, qkv_dim_, G.qkv_bias);
        }
        cpu::gemm(pool_, dqkv, R_, qkv_dim_, *P.qkv_t, cpu::OutRows{dh, H_, nullptr});
        lora_backward(w, l, kLoraQ, a.h1.data(), H_, dqkv, qkv_dim_, dh, H_, dropout, a.lora_t[kLoraQ], G);
        lora_backward(w, l, kLoraK, a.h1.data(), H_, dqkv + q_dim_, qkv_dim_, dh, H_, dropout, a.lora_t[kLoraK], G);
        lora_backward(w, l, kLoraV, a.h1.data(), H_, dqkv + q_dim_ + kv_dim_, qkv_dim_, dh, H_, dropout,
                      a.lora_t[kLoraV], G);
        if (G.qkv != nullptr) {
            wgrad_.accumulate(pool_, dqkv, qkv_dim_, a.h1.data(), H_, R_, qkv_dim_, H_, G.qkv);
        }
        std::fill(dw_rows, dw_rows + R * H_, 0.0f);
        pool_.run(R_, [&](int r, int) {
            const int64_t o = static_cast<int64_t>(r) * H_;
            rmsnorm_backward(a.x_in.data() + o, P.input_norm, H_, eps, dh + o, dx + o, true, dw_rows + o);
        });
        if (G.input_norm != nullptr) {
            add_column_sums(pool_, dw_rows, R_, H_, H_, G.input_norm);
        }
    }

    // Embedding: rows sharing a token add up in row order; columns split over the pool.
    if (g.embed != nullptr) {
        constexpr int kBlock = 64;
        pool_.run((H_ + kBlock - 1) / kBlock, [&](int block, int) {
            const int c1 = std::min(H_, (block + 1) * kBlock);
            for (int r = 0; r < R_; ++r) {
                float* e = g.embed + static_cast<int64_t>(batch.tokens[static_cast<size_t>(r)]) * H_;
                for (int c = block * kBlock; c < c1; ++c) {
                    e[c] += dx[static_cast<int64_t>(r) * H_ + c];
                }
            }
        });
    }
}

}  // namespace moco::train
