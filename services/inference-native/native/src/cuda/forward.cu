// cuda::forward: one moco_forward on the GPU, the same pass as cpu::forward (cpu/forward.h):
//
//   x = embed[token];  per layer:  h = rmsnorm(x);  qkv = h Wqkv^T;  bias, q/k norm, RoPE, k/v ->
//   cache;  a = attention;  x += a Wo^T (cuBLAS beta = 1);  h = rmsnorm(x);  g = h Wgu^T;
//   x += (silu(g) * u) Wd^T;  outputs: rmsnorm of the requested rows, logits = . Whead^T.
//   LoRA (lora.h): after each adapted projection's GEMM, += scale * B (A x) per adapter group.
//
// The batch's new tokens are the rows of every matrix, entry after entry, the entries that share an
// adapter next to each other (the CPU's layout, lora_row_order). The per-call indices
// (tokens, positions, block tables, output rows) go to the GPU in one upload; everything else stays
// on the device until the outputs are copied into the callers' buffers.
// A decode step (one new token per entry, no adapter, no hidden states) runs as a CUDA graph: its
// launches, about a dozen per layer, become one (MOCO_CUDA_GRAPHS=0 turns that off).
#include "cuda/backend.h"

#include "common.h"
#include "cpu/kv_cache_handle.h"
#include "cuda/cache_state.h"
#include "cuda/cuda_check.h"
#include "cuda/device_weights.h"
#include "cuda/gemm.h"
#include "cuda/kernels.h"
#include "cuda/lora.h"
#include "cuda/sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace moco::cuda {
namespace {

using cpu::all_finite;
using cpu::ForwardEntry;
using cpu::output_rows;

// The length the attention plans its split-K chunks for: max_len rounded up to a power of two (at
// least 64, at most the model's max_position_embeddings). Every step of a decode graph's bucket then
// splits the same way, graph or not, so a replayed step computes exactly what a direct one does.
int attention_length(int max_len, int max_positions) {
    int len = 64;
    while (len < max_len) {
        len *= 2;
    }
    return std::max(max_len, std::min(len, max_positions));
}

// MOCO_CUDA_GRAPHS=0 runs every decode step directly (read at each call).
bool graphs_enabled() {
    const char* v = std::getenv("MOCO_CUDA_GRAPHS");
    return v == nullptr || std::strcmp(v, "0") != 0;
}

class Pass {
public:
    Pass(moco_kv_cache& cache, const std::vector<ForwardEntry>& entries, const cpu::ForwardDraws* draws)
        : c_(cache.model->config), w_(static_cast<const DeviceWeights&>(*cache.model->device)),
          kv_(cache.kv), s_(static_cast<CacheState&>(*cache.device)), entries_(entries), draws_(draws) {
        H_ = c_.hidden_size;
        hd_ = c_.head_dim;
        q_dim_ = c_.num_heads * hd_;
        kv_dim_ = c_.num_kv_heads * hd_;
        qkv_dim_ = q_dim_ + 2 * kv_dim_;
        inter_ = c_.intermediate_size;
        vocab_ = w_.head.n;
    }

    bool run(const cpu::KvCache::Transaction& tx) {
        use_device(s_.device);
        plan();
        allocate();
        copy_on_write(tx);
        upload_indices();
        if (graph_) {
            replay_graph();
        } else {
            compute();
        }
        return outputs();
    }

private:
    static float* f(const DeviceBuffer& b) { return b.as<float>(); }
    // The logits rows an entry's block holds: its mode's, or its last row alone when only drawn from.
    static int logits_mode(const ForwardEntry& e) { return e.sample_last ? MOCO_OUTPUT_LAST : e.logits_mode; }
    const int32_t* ints(size_t offset) const { return s_.scratch.ints.as<int32_t>() + offset; }

    // The host-side index arrays, laid out one after the other in scratch.host_ints. A decode step
    // replayed from a graph needs the same layout at every step of its shape: each entry's block
    // table then takes the room of the longest sequence of its length bucket.
    void plan() {
        std::vector<int32_t>& hi = s_.scratch.host_ints;
        hi.clear();
        order_ = lora_row_order(entries_, &lora_groups_);
        first_row_.assign(entries_.size(), 0);
        bool decode = lora_groups_.empty();
        for (int e : order_) {
            const ForwardEntry& entry = entries_[static_cast<size_t>(e)];
            first_row_[static_cast<size_t>(e)] = R_;
            R_ += entry.n_tokens;
            max_len_ = std::max(max_len_, entry.start + entry.n_tokens);
            decode = decode && entry.n_tokens == 1 && entry.hidden_mode == MOCO_OUTPUT_NONE;
        }
        attention_len_ = attention_length(max_len_, c_.max_position_embeddings);
        graph_ = decode && graphs_enabled();
        const int bt = kv_.geometry().block_tokens;
        auto each_row = [&](auto&& fn) {
            for (int e : order_) {
                const ForwardEntry& entry = entries_[static_cast<size_t>(e)];
                for (int i = 0; i < entry.n_tokens; ++i) {
                    hi.push_back(fn(entry, i));
                }
            }
        };
        tokens_ = hi.size();
        each_row([](const ForwardEntry& e, int i) { return e.tokens[i]; });
        pos_ = hi.size();
        each_row([](const ForwardEntry& e, int i) { return e.start + i; });
        kv_block_ = hi.size();
        each_row([&](const ForwardEntry& e, int i) {
            return kv_.blocks(e.seq)[static_cast<size_t>((e.start + i) / bt)];
        });
        key_limit_ = hi.size();
        each_row([](const ForwardEntry& e, int) { return e.attend_prefix; });
        std::vector<int32_t> entry_table(entries_.size());
        tables_ = hi.size();
        const size_t table_room = static_cast<size_t>((attention_len_ + bt - 1) / bt);
        for (size_t e = 0; e < entries_.size(); ++e) {
            entry_table[e] = static_cast<int32_t>(hi.size() - tables_);
            const std::vector<int>& blocks = kv_.blocks(entries_[e].seq);
            hi.insert(hi.end(), blocks.begin(), blocks.end());
            if (graph_) {
                hi.resize(tables_ + (e + 1) * table_room, 0);
            }
        }
        table_start_ = hi.size();
        for (int e : order_) {
            hi.insert(hi.end(), static_cast<size_t>(entries_[static_cast<size_t>(e)].n_tokens),
                      entry_table[static_cast<size_t>(e)]);
        }
        logit_rows_ = hi.size();
        n_logits_ = append_output_rows(&Pass::logits_mode);
        hidden_rows_ = hi.size();
        n_hidden_ = append_output_rows([](const ForwardEntry& e) { return e.hidden_mode; });
    }

    // Appends the row index of every position an output `mode` asks for (each entry's last rows),
    // entry after entry; returns how many.
    template <class Mode>
    int append_output_rows(Mode mode) {
        int count = 0;
        for (size_t e = 0; e < entries_.size(); ++e) {
            const int rows = output_rows(mode(entries_[e]), entries_[e].n_tokens);
            for (int i = 0; i < rows; ++i) {
                s_.scratch.host_ints.push_back(first_row_[e] + entries_[e].n_tokens - rows + i);
            }
            count += rows;
        }
        return count;
    }

    void allocate() {
        ForwardScratch& s = s_.scratch;
        const size_t R = static_cast<size_t>(R_);
        const size_t fl = sizeof(float);
        s.ints.reserve(s.host_ints.size() * sizeof(int32_t), "the forward's indices");
        s.x.reserve(R * H_ * fl, "the forward's activations");
        s.h.reserve(R * H_ * fl, "the forward's activations");
        s.qkv.reserve(R * qkv_dim_ * fl, "the forward's q/k/v");
        s.attn.reserve(R * q_dim_ * fl, "the forward's attention output");
        s.gate_up.reserve(R * 2 * inter_ * fl, "the forward's MLP activations");
        s.act.reserve(R * inter_ * fl, "the forward's MLP activations");
        s.cos.reserve(R * (hd_ / 2) * fl, "the RoPE tables");
        s.sin.reserve(R * (hd_ / 2) * fl, "the RoPE tables");
        s.partial.reserve(attention_partial_floats(R_, c_.num_heads, hd_, attention_len_) * fl,
                          "the attention's split-K partial results");
        const size_t widest = static_cast<size_t>(std::max({H_, q_dim_, inter_}));
        s.gemm_in.reserve(R * widest * fl, "the GEMM inputs");
        const size_t out_rows = static_cast<size_t>(std::max(n_logits_, n_hidden_));
        s.normed.reserve(std::max<size_t>(1, out_rows * H_ * fl), "the output rows");
        s.logits.reserve(std::max<size_t>(1, static_cast<size_t>(n_logits_) * vocab_ * fl), "the logits");
        if (!lora_groups_.empty()) {
            s.lora.reserve(R * static_cast<size_t>(lora_max_rank(lora_groups_)) * fl, "the LoRA products A x");
        }
    }

    void copy_on_write(const cpu::KvCache::Transaction& tx) {
        const size_t block_bytes = static_cast<size_t>(kv_.geometry().floats_per_block()) * sizeof(float);
        for (const cpu::KvCache::BlockCopy& copy : tx.copies) {
            check(cudaMemcpyAsync(s_.blocks.as<char>() + copy.to * block_bytes,
                                  s_.blocks.as<char>() + copy.from * block_bytes, block_bytes,
                                  cudaMemcpyDeviceToDevice, s_.stream),
                  "copy-on-write of a shared KV block");
        }
    }

    void upload_indices() {
        const std::vector<int32_t>& hi = s_.scratch.host_ints;
        check(cudaMemcpyAsync(s_.scratch.ints.data(), hi.data(), hi.size() * sizeof(int32_t),
                              cudaMemcpyHostToDevice, s_.stream),
              "upload of the forward's indices");
    }

    // The GEMM input for `act` (rows x k floats): itself for an F32 weight, else a 16-bit copy.
    const void* gemm_input(const float* act, int rows, int k, DType dtype) {
        if (dtype == DType::F32) {
            return act;
        }
        convert_f32(act, static_cast<int64_t>(rows) * k, dtype, s_.scratch.gemm_in.data(), s_.stream);
        return s_.scratch.gemm_in.data();
    }

    // out += the LoRA delta of `module` for the rows of every adapter group targeting it (lora.h);
    // `in` is the F32 input of the projection, as on the CPU.
    void lora(int l, LoraModule module, const float* in, int ld_in, float* out, int ld_out) {
        apply_lora(s_.blas, lora_groups_, l, module, in, ld_in, out, ld_out, f(s_.scratch.lora));
    }

    void layer(const DeviceLayer& L, int l) {
        ForwardScratch& s = s_.scratch;
        const float eps = c_.rms_norm_eps;
        rmsnorm_rows(f(s.x), nullptr, R_, L.input_norm, H_, eps, f(s.h), s_.stream);
        gemm(s_.blas, L.qkv, gemm_input(f(s.h), R_, H_, L.qkv.dtype), R_, H_, f(s.qkv), qkv_dim_, 1.0f, 0.0f);
        lora(l, kLoraQ, f(s.h), H_, f(s.qkv), qkv_dim_);
        lora(l, kLoraK, f(s.h), H_, f(s.qkv) + q_dim_, qkv_dim_);
        lora(l, kLoraV, f(s.h), H_, f(s.qkv) + q_dim_ + kv_dim_, qkv_dim_);

        const cpu::KvGeometry& g = kv_.geometry();
        QkvArgs q;
        q.qkv = f(s.qkv);
        q.rows = R_;
        q.heads = c_.num_heads;
        q.kv_heads = c_.num_kv_heads;
        q.head_dim = hd_;
        q.bias = L.qkv_bias;
        q.q_norm = L.q_norm;
        q.k_norm = L.k_norm;
        q.eps = eps;
        q.cos = f(s.cos);
        q.sin = f(s.sin);
        q.kv_blocks = s_.blocks.as<float>();
        q.floats_per_block = g.floats_per_block();
        q.block_tokens = g.block_tokens;
        q.layer = l;
        q.kv_block = ints(kv_block_);
        q.pos = ints(pos_);
        qkv_finish(q, s_.stream);

        // Every row's K/V is stored (above, same stream) before any row attends.
        AttentionArgs a;
        a.q = f(s.qkv);
        a.ld_q = qkv_dim_;
        a.kv_blocks = s_.blocks.as<float>();
        a.floats_per_block = g.floats_per_block();
        a.block_tokens = g.block_tokens;
        a.layer = l;
        a.tables = ints(tables_);
        a.table_start = ints(table_start_);
        a.pos = ints(pos_);
        a.key_limit = ints(key_limit_);
        a.rows = R_;
        a.heads = c_.num_heads;
        a.kv_heads = c_.num_kv_heads;
        a.head_dim = hd_;
        a.sliding_window = c_.sliding_window;
        a.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd_)));
        a.max_len = attention_len_;
        a.partial = f(s.partial);
        a.out = f(s.attn);
        a.ld_out = q_dim_;
        attention(a, s_.stream);

        gemm(s_.blas, L.o, gemm_input(f(s.attn), R_, q_dim_, L.o.dtype), R_, q_dim_, f(s.x), H_, 1.0f, 1.0f);
        lora(l, kLoraO, f(s.attn), q_dim_, f(s.x), H_);
        rmsnorm_rows(f(s.x), nullptr, R_, L.post_attention_norm, H_, eps, f(s.h), s_.stream);
        gemm(s_.blas, L.gate_up, gemm_input(f(s.h), R_, H_, L.gate_up.dtype), R_, H_, f(s.gate_up), 2 * inter_,
             1.0f, 0.0f);
        lora(l, kLoraGate, f(s.h), H_, f(s.gate_up), 2 * inter_);
        lora(l, kLoraUp, f(s.h), H_, f(s.gate_up) + inter_, 2 * inter_);
        silu_mul_rows(f(s.gate_up), R_, inter_, f(s.act), s_.stream);
        gemm(s_.blas, L.down, gemm_input(f(s.act), R_, inter_, L.down.dtype), R_, inter_, f(s.x), H_, 1.0f, 1.0f);
        lora(l, kLoraDown, f(s.act), inter_, f(s.x), H_);
    }

    // The model on the device, up to the logits of the rows that need them: all a decode graph holds.
    void compute() {
        ForwardScratch& s = s_.scratch;
        embed_rows(ints(tokens_), R_, w_.embed.data, w_.embed.dtype, H_, f(s.x), s_.stream);
        rope_tables(ints(pos_), R_, w_.inv_freq, hd_ / 2, f(s.cos), f(s.sin), s_.stream);
        for (int l = 0; l < c_.num_layers; ++l) {
            layer(w_.layers[static_cast<size_t>(l)], l);
            check_launch("the forward's kernels");
        }
        if (n_logits_ > 0) {
            rmsnorm_rows(f(s.x), ints(logit_rows_), n_logits_, w_.final_norm, H_, c_.rms_norm_eps, f(s.normed),
                         s_.stream);
            gemm(s_.blas, w_.head, gemm_input(f(s.normed), n_logits_, H_, w_.head.dtype), n_logits_, H_,
                 f(s.logits), vocab_, 1.0f, 0.0f);
        }
    }

    // A decode step from its graph: captured on the first step of its shape (and again when a scratch
    // buffer it uses has been reallocated since), replayed after. The per-step data - tokens,
    // positions, block tables - was uploaded into the same places before.
    void replay_graph() {
        ForwardScratch& s = s_.scratch;
        const std::vector<const void*> buffers = {s.ints.data(), s.x.data(), s.h.data(), s.qkv.data(),
                                                  s.attn.data(), s.gate_up.data(), s.act.data(), s.cos.data(),
                                                  s.sin.data(), s.partial.data(), s.gemm_in.data(),
                                                  s.normed.data(), s.logits.data()};
        std::vector<DecodeGraph>& graphs = s_.graphs;
        auto same_shape = [&](const DecodeGraph& g) {
            return g.rows == R_ && g.logits_rows == n_logits_ && g.attention_len == attention_len_;
        };
        auto found = std::find_if(graphs.begin(), graphs.end(),
                                  [&](const DecodeGraph& g) { return same_shape(g) && g.buffers == buffers; });
        if (found == graphs.end()) {
            for (auto it = graphs.begin(); it != graphs.end();) {
                const bool stale = same_shape(*it) || graphs.size() >= kMaxDecodeGraphs;
                if (stale) {
                    (void)cudaGraphExecDestroy(it->exec);
                    it = graphs.erase(it);
                } else {
                    ++it;
                }
            }
            graphs.push_back({R_, n_logits_, attention_len_, buffers, capture()});
            ++s_.graph_captures;
            found = graphs.end() - 1;
        }
        check(cudaGraphLaunch(found->exec, s_.stream), "cudaGraphLaunch of the decode step");
        ++s_.graph_replays;
    }

    cudaGraphExec_t capture() {
        check(cudaStreamBeginCapture(s_.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
        try {
            compute();
        } catch (...) {
            cudaGraph_t partial = nullptr;
            if (cudaStreamEndCapture(s_.stream, &partial) == cudaSuccess && partial != nullptr) {
                (void)cudaGraphDestroy(partial);
            }
            throw;
        }
        cudaGraph_t graph = nullptr;
        check(cudaStreamEndCapture(s_.stream, &graph), "cudaStreamEndCapture of the decode step");
        cudaGraphExec_t exec = nullptr;
        const cudaError_t err = cudaGraphInstantiateWithFlags(&exec, graph, 0);
        (void)cudaGraphDestroy(graph);
        check(err, "cudaGraphInstantiate of the decode step");
        return exec;
    }

    // The copies into the callers' buffers, the draws, and the hidden states.
    bool outputs() {
        ForwardScratch& s = s_.scratch;
        const float eps = c_.rms_norm_eps;
        if (n_logits_ > 0) {
            copy_out(f(s.logits), vocab_, &Pass::logits_mode, [](const ForwardEntry& e) { return e.logits; });
            if (draws_ != nullptr) {
                draw(f(s.logits));
            }
        }
        if (n_hidden_ > 0) {
            rmsnorm_rows(f(s.x), ints(hidden_rows_), n_hidden_, w_.final_norm, H_, eps, f(s.normed), s_.stream);
            copy_out(f(s.normed), H_, [](const ForwardEntry& e) { return e.hidden_mode; },
                     [](const ForwardEntry& e) { return e.hidden; });
        }
        check_launch("the forward's output kernels");
        check(cudaStreamSynchronize(s_.stream), "the forward on the GPU");
        for (size_t k = 0; k < drawn_.size(); ++k) {
            if (drawn_tokens_[k] == kSampleNumericError) {
                throw Error(MOCO_ERR_NUMERIC,
                            "requests[" + std::to_string(drawn_[k]) +
                                "]: no token can be drawn (moco_sample's MOCO_ERR_NUMERIC: NaN or +inf logits, "
                                "none finite, or the repetition penalty or temperature overflowing one)");
            }
            draws_->tokens[drawn_[k]] = drawn_tokens_[k];
        }
        bool finite = true;
        for (const ForwardEntry& e : entries_) {
            finite = finite &&
                     all_finite(e.logits, static_cast<int64_t>(output_rows(e.logits_mode, e.n_tokens)) * vocab_) &&
                     all_finite(e.hidden, static_cast<int64_t>(output_rows(e.hidden_mode, e.n_tokens)) * H_);
        }
        return finite;
    }

    // Each entry's output rows are consecutive in `device_rows` (width floats each); an entry without
    // a destination (its rows only drawn from) is skipped.
    template <class Mode, class Dest>
    void copy_out(const float* device_rows, int width, Mode mode, Dest dest) {
        int64_t row = 0;
        for (const ForwardEntry& e : entries_) {
            const int rows = output_rows(mode(e), e.n_tokens);
            if (rows > 0 && dest(e) != nullptr) {
                check(cudaMemcpyAsync(dest(e), device_rows + row * width,
                                      static_cast<size_t>(rows) * width * sizeof(float), cudaMemcpyDeviceToHost,
                                      s_.stream),
                      "copy of the outputs to the host");
            }
            row += rows;
        }
    }

    // moco_forward_sample: samples every drawn entry's last logits row on the device (sample_rows)
    // and queues the copies of the tokens and of the `processed` rows asked for.
    void draw(const float* logits) {
        ForwardScratch& s = s_.scratch;
        std::vector<int32_t> logit_rows;
        int64_t row = 0;
        for (size_t e = 0; e < entries_.size(); ++e) {
            const int block = output_rows(logits_mode(entries_[e]), entries_[e].n_tokens);
            if (draws_->requests[e].draw != 0) {
                drawn_.push_back(static_cast<int>(e));
                logit_rows.push_back(static_cast<int32_t>(row + block - 1));
            }
            row += block;
        }
        const size_t n = drawn_.size();
        if (n == 0) {
            return;
        }
        // draw_ints: [logit rows (n) | tokens (n) | the histories, one after the other]
        std::vector<int32_t> ints(logit_rows);
        ints.resize(2 * n, 0);
        std::vector<SamplingRow> params(n);
        for (size_t k = 0; k < n; ++k) {
            const size_t e = static_cast<size_t>(drawn_[k]);
            const moco_sample_request& r = draws_->requests[e];
            params[k] = sampling_row(draws_->configs[e], r.n_history, static_cast<int64_t>(ints.size() - 2 * n), r.seed,
                                     r.tokens_generated, r.sample_index);
            ints.insert(ints.end(), r.history, r.history + r.n_history);
        }
        const size_t fl = sizeof(float);
        s.draw_params.reserve(n * sizeof(SamplingRow), "the draws' arguments");
        s.draw_ints.reserve(ints.size() * sizeof(int32_t), "the draws' histories");
        s.draw_processed.reserve(n * static_cast<size_t>(vocab_) * fl, "the draws' processed logits");
        check(cudaMemcpyAsync(s.draw_params.data(), params.data(), n * sizeof(SamplingRow), cudaMemcpyHostToDevice,
                              s_.stream),
              "copy of the draws' arguments");
        check(cudaMemcpyAsync(s.draw_ints.data(), ints.data(), ints.size() * sizeof(int32_t), cudaMemcpyHostToDevice,
                              s_.stream),
              "copy of the draws' histories");
        const int32_t* d_ints = s.draw_ints.as<int32_t>();
        int32_t* d_tokens = s.draw_ints.as<int32_t>() + n;
        sample_rows(logits, static_cast<int>(n), vocab_, s.draw_params.as<SamplingRow>(), d_ints + 2 * n,
                    f(s.draw_processed), d_tokens, s_.stream, d_ints);
        drawn_tokens_.resize(n);
        check(cudaMemcpyAsync(drawn_tokens_.data(), d_tokens, n * sizeof(int32_t), cudaMemcpyDeviceToHost, s_.stream),
              "copy of the drawn tokens");
        for (size_t k = 0; k < n; ++k) {
            if (float* processed = draws_->requests[drawn_[k]].processed) {
                check(cudaMemcpyAsync(processed, f(s.draw_processed) + k * static_cast<size_t>(vocab_),
                                      static_cast<size_t>(vocab_) * fl, cudaMemcpyDeviceToHost, s_.stream),
                      "copy of the processed logits");
            }
        }
    }

    const ModelConfig& c_;
    const DeviceWeights& w_;
    const cpu::KvCache& kv_;
    CacheState& s_;
    const std::vector<ForwardEntry>& entries_;
    const cpu::ForwardDraws* draws_;       // moco_forward_sample's, checked; nullptr otherwise
    std::vector<int> drawn_;               // the entries drawn from, in entry order
    std::vector<int32_t> drawn_tokens_;    // their tokens, copied back from the device

    int H_ = 0, hd_ = 0, q_dim_ = 0, kv_dim_ = 0, qkv_dim_ = 0, inter_ = 0, vocab_ = 0;
    int R_ = 0;
    int max_len_ = 0;
    int attention_len_ = 0;  // max_len_ rounded up (attention_length): the attention's split-K plan
    bool graph_ = false;     // a decode step that runs from a CUDA graph
    int n_logits_ = 0;
    int n_hidden_ = 0;
    std::vector<int> order_;      // entry indices in row order
    std::vector<int> first_row_;  // per entry
    std::vector<LoraGroup> lora_groups_;
    // Offsets of the index arrays in scratch.ints.
    size_t tokens_ = 0, pos_ = 0, kv_block_ = 0, key_limit_ = 0, tables_ = 0, table_start_ = 0;
    size_t logit_rows_ = 0, hidden_rows_ = 0;
};

}  // namespace

moco_status forward(moco_kv_cache& cache, const std::vector<ForwardEntry>& entries,
                    const cpu::KvCache::Transaction& tx, const cpu::ForwardDraws* draws, bool* finite) {
    return run(draws != nullptr ? "moco_forward_sample" : "moco_forward", [&]() -> moco_status {
        try {
            *finite = Pass(cache, entries, draws).run(tx);
        } catch (const Error&) {
            // A failure mid-pass may leave copies into the caller's buffers queued; they must not land after the
            // caller has been told the forward failed (and perhaps freed or reused those buffers).
            (void)cudaStreamSynchronize(static_cast<CacheState&>(*cache.device).stream);
            throw;
        }
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
