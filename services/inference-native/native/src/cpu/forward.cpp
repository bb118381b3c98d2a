#include "cpu/forward.h"

#include "cpu/attention.h"
#include "cpu/dtype.h"
#include "cpu/gemm.h"
#include "cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace moco::cpu {
namespace {

template <class T>
T* sized(std::vector<T>& v, size_t n) {
    if (v.size() < n) {
        v.resize(n);
    }
    return v.data();
}

// The rows of the entries that use one adapter: contiguous, so one LoRA product covers them all.
struct LoraGroup {
    const PreparedWeights* lora;
    float scale;
    int row0;
    int rows;
};

// One forward call. The batch's new tokens are the rows of matrices x (the residual stream),
// h (normalised input of the next projection), qkv, attn, gate_up and act; entries sharing an
// adapter are laid out next to each other, each entry's tokens consecutive.
class Pass {
public:
    Pass(const moco_model& model, KvCache& kv, ThreadPool& pool, Workspace& ws,
         const std::vector<ForwardEntry>& entries)
        : c_(model.config), p_(*model.prepared), embed_(model.weights.embed_tokens), kv_(kv),
          pool_(pool), ws_(ws), entries_(entries) {
        H_ = c_.hidden_size;
        hd_ = c_.head_dim;
        q_dim_ = c_.num_heads * hd_;
        kv_dim_ = c_.num_kv_heads * hd_;
        qkv_dim_ = q_dim_ + 2 * kv_dim_;
        inter_ = c_.intermediate_size;
        lay_out_rows();
        allocate();
    }

    bool run() {
        embed();
        for (int l = 0; l < c_.num_layers; ++l) {
            attention_block(l);
            mlp_block(l);
        }
        return outputs();
    }

private:
    // fn(r) for every row, on the pool.
    template <class Fn>
    void each_row(Fn&& fn) {
        pool_.run(R_, [&](int r, int) { fn(r); });
    }

    const ForwardEntry& entry_of(int r) const {
        return entries_[static_cast<size_t>(ws_.row_entry[static_cast<size_t>(r)])];
    }
    int pos_of(int r) const { return ws_.row_pos[static_cast<size_t>(r)]; }

    void lay_out_rows() {
        std::unordered_map<const PreparedWeights*, size_t> group_of;
        std::vector<std::vector<int>> members;
        for (size_t e = 0; e < entries_.size(); ++e) {
            const auto it = group_of.emplace(entries_[e].lora, members.size()).first;
            if (it->second == members.size()) {
                members.emplace_back();
            }
            members[it->second].push_back(static_cast<int>(e));
        }
        first_row_.assign(entries_.size(), 0);
        ws_.row_entry.clear();
        ws_.row_pos.clear();
        for (const std::vector<int>& group : members) {
            const int row0 = R_;
            for (int e : group) {
                const ForwardEntry& entry = entries_[static_cast<size_t>(e)];
                first_row_[static_cast<size_t>(e)] = R_;
                for (int i = 0; i < entry.n_tokens; ++i) {
                    ws_.row_entry.push_back(e);
                    ws_.row_pos.push_back(entry.start + i);
                }
                R_ += entry.n_tokens;
                max_len_ = std::max(max_len_, entry.start + entry.n_tokens);
            }
            const ForwardEntry& head = entries_[static_cast<size_t>(group.front())];
            if (head.lora != nullptr) {
                groups_.push_back({head.lora, head.lora_scale, row0, R_ - row0});
            }
        }
    }

    void allocate() {
        const size_t R = static_cast<size_t>(R_);
        x_ = sized(ws_.x, R * H_);
        h_ = sized(ws_.h, R * H_);
        qkv_ = sized(ws_.qkv, R * qkv_dim_);
        attn_ = sized(ws_.attn, R * q_dim_);
        gate_up_ = sized(ws_.gate_up, R * 2 * inter_);
        act_ = sized(ws_.act, R * inter_);
        rope_ = sized(ws_.rope, R * hd_);
        scores_ = sized(ws_.scores, static_cast<size_t>(pool_.threads()) * max_len_);
    }

    // x = embed[token]; RoPE angles of every row (shared by all layers); h = first input norm.
    void embed() {
        each_row([&](int r) {
            const ForwardEntry& e = entry_of(r);
            const int token = e.tokens[pos_of(r) - e.start];
            load_row(embed_.data, embed_.dtype, static_cast<int64_t>(token) * H_, H_, x_ + r * H_);
            rope_cos_sin(p_.inv_freq, pos_of(r), rope_ + r * hd_, rope_ + r * hd_ + hd_ / 2);
            rmsnorm(x_ + r * H_, p_.layers[0].input_norm.data(), H_, c_.rms_norm_eps, h_ + r * H_);
        });
    }

    // out[r][0..) += LoRA delta of `module` for the rows of every adapter group that targets it.
    void lora(int layer, LoraModule module, const float* in, int ld_in, float* out, int ld_out) {
        for (const LoraGroup& g : groups_) {
            const PreparedLora& pl = g.lora->lora[static_cast<size_t>(layer)][module];
            if (!pl.present()) {
                continue;
            }
            // PEFT's order: the delta B (A x) is scaled, then added to the base output.
            const int rank = pl.a.n;
            const int n = pl.b.n;
            float* t = sized(ws_.lora_t, static_cast<size_t>(g.rows) * rank);
            float* d = sized(ws_.lora_d, static_cast<size_t>(g.rows) * n);
            gemm(pool_, in + g.row0 * ld_in, g.rows, ld_in, pl.a, OutRows{t, rank, nullptr});
            gemm(pool_, t, g.rows, rank, pl.b, OutRows{d, n, nullptr});
            pool_.run(g.rows, [&](int r, int) {
                float* y = out + (g.row0 + r) * ld_out;
                const float* dr = d + r * n;
                for (int i = 0; i < n; ++i) {
                    y[i] += g.scale * dr[i];
                }
            });
        }
    }

    // h (normalised) -> q, k, v (+ bias, LoRA, q/k norm, RoPE); k, v -> cache; attention;
    // x += o_proj; h = post-attention norm of x.
    void attention_block(int l) {
        const PreparedLayer& L = p_.layers[static_cast<size_t>(l)];
        const float eps = c_.rms_norm_eps;
        gemm(pool_, h_, R_, H_, L.qkv, OutRows{qkv_, qkv_dim_, nullptr});
        if (!L.qkv_bias.empty()) {
            each_row([&](int r) {
                for (int i = 0; i < qkv_dim_; ++i) {
                    qkv_[r * qkv_dim_ + i] += L.qkv_bias[static_cast<size_t>(i)];
                }
            });
        }
        lora(l, kLoraQ, h_, H_, qkv_, qkv_dim_);
        lora(l, kLoraK, h_, H_, qkv_ + q_dim_, qkv_dim_);
        lora(l, kLoraV, h_, H_, qkv_ + q_dim_ + kv_dim_, qkv_dim_);

        const KvGeometry& geo = kv_.geometry();
        each_row([&](int r) {
            float* q = qkv_ + r * qkv_dim_;
            float* k = q + q_dim_;
            const float* v = k + kv_dim_;
            const float* cos = rope_ + r * hd_;
            const float* sin = cos + hd_ / 2;
            for (int i = 0; i < c_.num_heads; ++i) {
                if (!L.q_norm.empty()) {
                    rmsnorm(q + i * hd_, L.q_norm.data(), hd_, eps, q + i * hd_);
                }
                rope_apply(q + i * hd_, hd_, cos, sin);
            }
            const int pos = pos_of(r);
            const std::vector<int>& blocks = kv_.blocks(entry_of(r).seq);
            float* block = kv_.block(blocks[static_cast<size_t>(pos / geo.block_tokens)]);
            const int64_t slot = static_cast<int64_t>(pos % geo.block_tokens) * hd_;
            for (int i = 0; i < c_.num_kv_heads; ++i) {
                if (!L.k_norm.empty()) {
                    rmsnorm(k + i * hd_, L.k_norm.data(), hd_, eps, k + i * hd_);
                }
                rope_apply(k + i * hd_, hd_, cos, sin);
                std::memcpy(block + geo.offset(l, 0, i) + slot, k + i * hd_, sizeof(float) * hd_);
                std::memcpy(block + geo.offset(l, 1, i) + slot, v + i * hd_, sizeof(float) * hd_);
            }
        });

        // Every row's K/V is stored before any row attends: a prefill reads its own new keys.
        const int heads = c_.num_heads;
        const int group_size = heads / c_.num_kv_heads;
        const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
        pool_.run(R_ * heads, [&](int task, int thread) {
            const int r = task / heads;
            const int head = task % heads;
            AttentionQuery query;
            query.q = qkv_ + r * qkv_dim_ + head * hd_;
            query.layer = l;
            query.kv_head = head / group_size;
            query.pos = pos_of(r);
            query.sliding_window = c_.sliding_window;
            query.key_limit = entry_of(r).attend_prefix;
            query.scale = scale;
            attend(kv_, kv_.blocks(entry_of(r).seq), query, scores_ + static_cast<int64_t>(thread) * max_len_,
                   attn_ + r * q_dim_ + head * hd_);
        });

        gemm(pool_, attn_, R_, q_dim_, L.o, OutRows{h_, H_, nullptr});
        lora(l, kLoraO, attn_, q_dim_, h_, H_);
        each_row([&](int r) {
            for (int i = 0; i < H_; ++i) {
                x_[r * H_ + i] += h_[r * H_ + i];
            }
            rmsnorm(x_ + r * H_, L.post_attention_norm.data(), H_, eps, h_ + r * H_);
        });
    }

    // h -> down(silu(gate(h)) * up(h)) (+ LoRA); x += it; h = next layer's input norm of x.
    void mlp_block(int l) {
        const PreparedLayer& L = p_.layers[static_cast<size_t>(l)];
        const int two_inter = 2 * inter_;
        gemm(pool_, h_, R_, H_, L.gate_up, OutRows{gate_up_, two_inter, nullptr});
        lora(l, kLoraGate, h_, H_, gate_up_, two_inter);
        lora(l, kLoraUp, h_, H_, gate_up_ + inter_, two_inter);
        each_row([&](int r) {
            const float* g = gate_up_ + r * two_inter;
            silu_mul(g, g + inter_, inter_, act_ + r * inter_);
        });
        gemm(pool_, act_, R_, inter_, L.down, OutRows{h_, H_, nullptr});
        lora(l, kLoraDown, act_, inter_, h_, H_);
        const bool last = l + 1 == c_.num_layers;
        each_row([&](int r) {
            for (int i = 0; i < H_; ++i) {
                x_[r * H_ + i] += h_[r * H_ + i];
            }
            if (!last) {
                rmsnorm(x_ + r * H_, p_.layers[static_cast<size_t>(l) + 1].input_norm.data(), H_,
                        c_.rms_norm_eps, h_ + r * H_);
            }
        });
    }

    // Final norm of the rows that want an output; one head GEMM for every logits row of the batch,
    // written straight into the callers' buffers. Whether every output is finite.
    bool outputs() {
        const int out_size = p_.head.n;
        const float* norm = p_.final_norm.data();
        const float eps = c_.rms_norm_eps;
        std::vector<int> logit_rows;
        ws_.logits_rows.clear();
        for (size_t e = 0; e < entries_.size(); ++e) {
            const ForwardEntry& entry = entries_[e];
            const int rows = output_rows(entry.logits_mode, entry.n_tokens);
            for (int i = 0; i < rows; ++i) {
                logit_rows.push_back(first_row_[e] + entry.n_tokens - rows + i);
                ws_.logits_rows.push_back(entry.logits + static_cast<int64_t>(i) * out_size);
            }
        }
        const int n_logits = static_cast<int>(logit_rows.size());
        float* normed = sized(ws_.final_rows, static_cast<size_t>(n_logits) * H_);
        pool_.run(n_logits, [&](int i, int) {
            rmsnorm(x_ + logit_rows[static_cast<size_t>(i)] * H_, norm, H_, eps, normed + i * H_);
        });
        gemm(pool_, normed, n_logits, H_, p_.head, OutRows{nullptr, 0, ws_.logits_rows.data()});

        bool finite = true;
        for (size_t e = 0; e < entries_.size(); ++e) {
            const ForwardEntry& entry = entries_[e];
            const int rows = output_rows(entry.hidden_mode, entry.n_tokens);
            const int row0 = first_row_[e] + entry.n_tokens - rows;
            pool_.run(rows, [&](int i, int) {
                rmsnorm(x_ + (row0 + i) * H_, norm, H_, eps, entry.hidden + static_cast<int64_t>(i) * H_);
            });
            finite = finite && all_finite(entry.hidden, static_cast<int64_t>(rows) * H_) &&
                     all_finite(entry.logits,
                                static_cast<int64_t>(output_rows(entry.logits_mode, entry.n_tokens)) * out_size);
        }
        return finite;
    }

    const ModelConfig& c_;
    const PreparedWeights& p_;
    const TensorView& embed_;
    KvCache& kv_;
    ThreadPool& pool_;
    Workspace& ws_;
    const std::vector<ForwardEntry>& entries_;

    int H_ = 0, hd_ = 0, q_dim_ = 0, kv_dim_ = 0, qkv_dim_ = 0, inter_ = 0;
    int R_ = 0;        // rows (new tokens) of the batch
    int max_len_ = 0;  // the longest sequence after this call
    std::vector<int> first_row_;  // per entry
    std::vector<LoraGroup> groups_;
    float *x_ = nullptr, *h_ = nullptr, *qkv_ = nullptr, *attn_ = nullptr, *gate_up_ = nullptr;
    float *act_ = nullptr, *rope_ = nullptr, *scores_ = nullptr;
};

}  // namespace

bool forward(const moco_model& model, KvCache& kv, ThreadPool& pool, Workspace& ws,
             const std::vector<ForwardEntry>& entries) {
    return Pass(model, kv, pool, ws, entries).run();
}

}  // namespace moco::cpu
