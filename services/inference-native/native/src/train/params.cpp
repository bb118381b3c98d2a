#include "train/params.h"

#include "cpu/dtype.h"
#include "cpu/prepared_weights.h"
#include "kernels/philox.h"
#include "train/linear.h"

#include <cmath>

namespace moco::train {
namespace {

const char* const kModulePaths[kLoraModuleCount] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

std::string layer_name(int l, const char* rest) {
    return "model.layers." + std::to_string(l) + "." + rest;
}

void copy_in(const TensorView& t, float* dst) {
    cpu::load_row(t.data, t.dtype, 0, t.numel(), dst);
}

TensorView f32_view(const float* data, int64_t rows, int64_t cols) {
    return TensorView{DType::F32, {rows, cols}, data};
}

const float* vec_or_null(const std::vector<float>& v) {
    return v.empty() ? nullptr : v.data();
}

}  // namespace

void lora_module_dims(const ModelConfig& c, int m, int* in, int* out) {
    const int q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
    const int ins[kLoraModuleCount] = {c.hidden_size, c.hidden_size, c.hidden_size, q_dim,
                                       c.hidden_size, c.hidden_size, c.intermediate_size};
    const int outs[kLoraModuleCount] = {q_dim, kv_dim, kv_dim, c.hidden_size,
                                        c.intermediate_size, c.intermediate_size, c.hidden_size};
    *in = ins[m];
    *out = outs[m];
}

const char* lora_module_path(int m) {
    return kModulePaths[m];
}

size_t Params::add(const std::string& name, std::vector<int64_t> shape, bool decay) {
    Param p;
    p.name = name;
    p.numel = 1;
    for (int64_t d : shape) p.numel *= static_cast<size_t>(d);
    p.shape = std::move(shape);
    p.offset = size_;
    p.decay = decay;
    size_ += p.numel;
    params_.push_back(std::move(p));
    return params_.back().offset;
}

const Param* Params::find(const std::string& name) const {
    for (const Param& p : params_) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

std::vector<std::pair<size_t, size_t>> Params::decay_ranges() const {
    std::vector<std::pair<size_t, size_t>> out;
    for (const Param& p : params_) {
        if (!p.decay) continue;
        if (!out.empty() && out.back().second == p.offset) {
            out.back().second += p.numel;
        } else {
            out.push_back({p.offset, p.offset + p.numel});
        }
    }
    return out;
}

Params Params::full(const moco_model& model, int extra_vocab) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    Params p;
    p.config_ = c;
    p.vocab_ = c.vocab_size + extra_vocab;
    const int64_t H = c.hidden_size, V = p.vocab_;
    const int64_t q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
    const int64_t I = c.intermediate_size;
    p.embed_ = p.add("model.embed_tokens.weight", {V, H}, true);
    p.slots_.resize(static_cast<size_t>(c.num_layers));
    for (int l = 0; l < c.num_layers; ++l) {
        LayerSlots& s = p.slots_[static_cast<size_t>(l)];
        s.input_norm = p.add(layer_name(l, "input_layernorm.weight"), {H}, false);
        s.qkv = p.add(layer_name(l, "self_attn.q_proj.weight"), {q_dim, H}, true);
        p.add(layer_name(l, "self_attn.k_proj.weight"), {kv_dim, H}, true);
        p.add(layer_name(l, "self_attn.v_proj.weight"), {kv_dim, H}, true);
        if (c.attention_bias) {
            s.qkv_bias = p.add(layer_name(l, "self_attn.q_proj.bias"), {q_dim}, false);
            p.add(layer_name(l, "self_attn.k_proj.bias"), {kv_dim}, false);
            p.add(layer_name(l, "self_attn.v_proj.bias"), {kv_dim}, false);
        }
        if (c.qk_norm) {
            s.q_norm = p.add(layer_name(l, "self_attn.q_norm.weight"), {c.head_dim}, false);
            s.k_norm = p.add(layer_name(l, "self_attn.k_norm.weight"), {c.head_dim}, false);
        }
        s.o = p.add(layer_name(l, "self_attn.o_proj.weight"), {H, q_dim}, true);
        s.post_norm = p.add(layer_name(l, "post_attention_layernorm.weight"), {H}, false);
        s.gate_up = p.add(layer_name(l, "mlp.gate_proj.weight"), {I, H}, true);
        p.add(layer_name(l, "mlp.up_proj.weight"), {I, H}, true);
        s.down = p.add(layer_name(l, "mlp.down_proj.weight"), {H, I}, true);
    }
    p.final_norm_ = p.add("model.norm.weight", {H}, false);
    p.head_ = c.tie_word_embeddings ? p.embed_ : p.add("lm_head.weight", {V, H}, true);

    p.master.assign(p.size_, 0.0f);
    float* m = p.master.data();
    copy_in(w.embed_tokens, m + p.embed_);
    for (int l = 0; l < c.num_layers; ++l) {
        const LayerWeights& lw = w.layers[static_cast<size_t>(l)];
        const LayerSlots& s = p.slots_[static_cast<size_t>(l)];
        copy_in(lw.input_norm, m + s.input_norm);
        copy_in(lw.q_proj, m + s.qkv);
        copy_in(lw.k_proj, m + s.qkv + q_dim * H);
        copy_in(lw.v_proj, m + s.qkv + (q_dim + kv_dim) * H);
        if (c.attention_bias) {
            copy_in(lw.q_bias, m + s.qkv_bias);
            copy_in(lw.k_bias, m + s.qkv_bias + q_dim);
            copy_in(lw.v_bias, m + s.qkv_bias + q_dim + kv_dim);
        }
        if (c.qk_norm) {
            copy_in(lw.q_norm, m + s.q_norm);
            copy_in(lw.k_norm, m + s.k_norm);
        }
        copy_in(lw.o_proj, m + s.o);
        copy_in(lw.post_attention_norm, m + s.post_norm);
        copy_in(lw.gate_proj, m + s.gate_up);
        copy_in(lw.up_proj, m + s.gate_up + I * H);
        copy_in(lw.down_proj, m + s.down);
    }
    copy_in(w.final_norm, m + p.final_norm_);
    if (!c.tie_word_embeddings) {
        copy_in(w.lm_head, m + p.head_);
    }
    // Added rows start at the mean of the existing rows (in row order, double sums).
    for (size_t table : {p.embed_, p.head_}) {
        for (int64_t row = c.vocab_size; row < V; ++row) {
            for (int64_t i = 0; i < H; ++i) {
                double sum = 0.0;
                for (int64_t r = 0; r < c.vocab_size; ++r) sum += m[table + static_cast<size_t>(r * H + i)];
                m[table + static_cast<size_t>(row * H + i)] = static_cast<float>(sum / c.vocab_size);
            }
        }
    }
    p.packs_.resize(static_cast<size_t>(c.num_layers));
    return p;
}

Params Params::lora(const moco_model& model, const LoraSettings& lora) {
    const ModelConfig& c = model.config;
    Params p;
    p.lora_ = true;
    p.lora_settings_ = lora;
    p.config_ = c;
    p.vocab_ = c.vocab_size;
    p.slots_.resize(static_cast<size_t>(c.num_layers));
    for (int l = 0; l < c.num_layers; ++l) {
        LayerSlots& s = p.slots_[static_cast<size_t>(l)];
        for (int m = 0; m < kLoraModuleCount; ++m) {
            s.lora_a[static_cast<size_t>(m)] = s.lora_b[static_cast<size_t>(m)] = kAbsent;
            if ((lora.targets >> m & 1u) == 0) continue;
            int in = 0, out = 0;
            lora_module_dims(c, m, &in, &out);
            const std::string base = "base_model.model.model.layers." + std::to_string(l) + "." + kModulePaths[m];
            s.lora_a[static_cast<size_t>(m)] = p.add(base + ".lora_A.weight", {lora.rank, in}, true);
            s.lora_b[static_cast<size_t>(m)] = p.add(base + ".lora_B.weight", {out, lora.rank}, true);
        }
    }
    p.master.assign(p.size_, 0.0f);
    // A: uniform(-1/sqrt(in), 1/sqrt(in)), element e of parameter i drawn with counter
    // {e, i, "LORA", 0}; B stays zero, so the adapter starts as the identity.
    for (size_t i = 0; i < p.params_.size(); ++i) {
        const Param& param = p.params_[i];
        if (param.name.find(".lora_A.") == std::string::npos) continue;
        const double bound = 1.0 / std::sqrt(static_cast<double>(param.shape[1]));
        for (size_t e = 0; e < param.numel; ++e) {
            const kernels::Philox4 ctr = {{static_cast<uint32_t>(e), static_cast<uint32_t>(i), 0x4C4F5241u, 0u}};
            const uint32_t bits = kernels::philox4x32_10(ctr, static_cast<uint32_t>(lora.seed),
                                                         static_cast<uint32_t>(lora.seed >> 32)).v[0];
            const double u = kernels::uniform_from_bits(bits);
            p.master[param.offset + e] = static_cast<float>((2.0 * u - 1.0) * bound);
        }
    }
    p.packs_.resize(static_cast<size_t>(c.num_layers));
    return p;
}

void Params::pack(cpu::ThreadPool& pool, const moco_model& model) {
    const ModelConfig& c = config_;
    const int H = c.hidden_size, I = c.intermediate_size;
    const int q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
    const int qkv_dim = q_dim + 2 * kv_dim;
    const float* m = master.data();
    if (!lora_) {
        for (int l = 0; l < c.num_layers; ++l) {
            const LayerSlots& s = slots_[static_cast<size_t>(l)];
            LayerPacks& k = packs_[static_cast<size_t>(l)];
            for (bool t : {false, true}) {
                repack_f32(pool, m + s.qkv, qkv_dim, H, H, t, t ? &k.qkv_t : &k.qkv);
                repack_f32(pool, m + s.o, H, q_dim, q_dim, t, t ? &k.o_t : &k.o);
                repack_f32(pool, m + s.gate_up, 2 * I, H, H, t, t ? &k.gate_up_t : &k.gate_up);
                repack_f32(pool, m + s.down, H, I, I, t, t ? &k.down_t : &k.down);
            }
        }
        repack_f32(pool, m + head_, vocab_, H, H, false, &head_pack_);
        repack_f32(pool, m + head_, vocab_, H, H, true, &head_t_);
        return;
    }
    if (!base_packed_) {
        // The frozen base's transposes, in its stored dtype, for the backward through it.
        for (int l = 0; l < c.num_layers; ++l) {
            const LayerWeights& lw = model.weights.layers[static_cast<size_t>(l)];
            LayerPacks& k = packs_[static_cast<size_t>(l)];
            const TensorView* qkv[] = {&lw.q_proj, &lw.k_proj, &lw.v_proj};
            k.qkv_t = pack_transposed_stacked(qkv, 3);
            const TensorView* o[] = {&lw.o_proj};
            k.o_t = pack_transposed_stacked(o, 1);
            const TensorView* gate_up[] = {&lw.gate_proj, &lw.up_proj};
            k.gate_up_t = pack_transposed_stacked(gate_up, 2);
            const TensorView* down[] = {&lw.down_proj};
            k.down_t = pack_transposed_stacked(down, 1);
        }
        const TensorView* head[] = {&model.weights.lm_head};
        head_t_ = pack_transposed_stacked(head, 1);
        base_packed_ = true;
    }
    for (int l = 0; l < c.num_layers; ++l) {
        const LayerSlots& s = slots_[static_cast<size_t>(l)];
        LayerPacks& k = packs_[static_cast<size_t>(l)];
        for (size_t mod = 0; mod < kLoraModuleCount; ++mod) {
            if (s.lora_a[mod] == kAbsent) continue;
            int in = 0, out = 0;
            lora_module_dims(c, static_cast<int>(mod), &in, &out);
            const int r = lora_settings_.rank;
            for (bool t : {false, true}) {
                repack_f32(pool, m + s.lora_a[mod], r, in, in, t, t ? &k.a_t[mod] : &k.a[mod]);
                repack_f32(pool, m + s.lora_b[mod], out, r, r, t, t ? &k.b_t[mod] : &k.b[mod]);
            }
        }
    }
}

PassWeights Params::reference_weights(const moco_model& model) {
    const PreparedWeights& pw = *model.prepared;
    PassWeights w;
    w.embed = model.weights.embed_tokens;
    for (const PreparedLayer& pl : pw.layers) {
        PassLayer l;
        l.input_norm = pl.input_norm.data();
        l.post_norm = pl.post_attention_norm.data();
        l.qkv_bias = vec_or_null(pl.qkv_bias);
        l.q_norm = vec_or_null(pl.q_norm);
        l.k_norm = vec_or_null(pl.k_norm);
        l.qkv = &pl.qkv;
        l.o = &pl.o;
        l.gate_up = &pl.gate_up;
        l.down = &pl.down;
        w.layers.push_back(l);
    }
    w.final_norm = pw.final_norm.data();
    w.head = &pw.head;
    w.inv_freq = &pw.inv_freq;
    return w;
}

PassWeights Params::pass_weights(const moco_model& model) const {
    const ModelConfig& c = config_;
    const float* m = master.data();
    PassWeights w = reference_weights(model);
    if (!lora_) {
        w.embed = f32_view(m + embed_, vocab_, c.hidden_size);
        for (int l = 0; l < c.num_layers; ++l) {
            const LayerSlots& s = slots_[static_cast<size_t>(l)];
            const LayerPacks& k = packs_[static_cast<size_t>(l)];
            PassLayer& pl = w.layers[static_cast<size_t>(l)];
            pl.input_norm = at(s.input_norm);
            pl.post_norm = at(s.post_norm);
            pl.qkv_bias = at(s.qkv_bias);
            pl.q_norm = at(s.q_norm);
            pl.k_norm = at(s.k_norm);
            pl.qkv = &k.qkv;
            pl.o = &k.o;
            pl.gate_up = &k.gate_up;
            pl.down = &k.down;
        }
        w.final_norm = at(final_norm_);
        w.head = &head_pack_;
    }
    w.head_t = &head_t_;
    for (int l = 0; l < c.num_layers; ++l) {
        const LayerPacks& k = packs_[static_cast<size_t>(l)];
        PassLayer& pl = w.layers[static_cast<size_t>(l)];
        pl.qkv_t = &k.qkv_t;
        pl.o_t = &k.o_t;
        pl.gate_up_t = &k.gate_up_t;
        pl.down_t = &k.down_t;
    }
    if (lora_) {
        w.lora_scale = lora_settings_.scale;
        w.lora.resize(static_cast<size_t>(c.num_layers));
        for (int l = 0; l < c.num_layers; ++l) {
            const LayerSlots& s = slots_[static_cast<size_t>(l)];
            const LayerPacks& k = packs_[static_cast<size_t>(l)];
            for (size_t mod = 0; mod < kLoraModuleCount; ++mod) {
                if (s.lora_a[mod] == kAbsent) continue;
                w.lora[static_cast<size_t>(l)][mod] = {&k.a[mod], &k.b[mod], &k.a_t[mod], &k.b_t[mod]};
            }
        }
    }
    return w;
}

PassGrads Params::pass_grads(float* grad) const {
    auto at_grad = [&](size_t slot) { return slot == kAbsent ? nullptr : grad + slot; };
    PassGrads g;
    g.layers.resize(slots_.size());
    for (size_t l = 0; l < slots_.size(); ++l) {
        const LayerSlots& s = slots_[l];
        GradLayer& gl = g.layers[l];
        if (lora_) {
            for (size_t mod = 0; mod < kLoraModuleCount; ++mod) {
                gl.lora_a[mod] = at_grad(s.lora_a[mod]);
                gl.lora_b[mod] = at_grad(s.lora_b[mod]);
            }
            continue;
        }
        gl.input_norm = at_grad(s.input_norm);
        gl.post_norm = at_grad(s.post_norm);
        gl.qkv_bias = at_grad(s.qkv_bias);
        gl.q_norm = at_grad(s.q_norm);
        gl.k_norm = at_grad(s.k_norm);
        gl.qkv = at_grad(s.qkv);
        gl.o = at_grad(s.o);
        gl.gate_up = at_grad(s.gate_up);
        gl.down = at_grad(s.down);
    }
    if (!lora_) {
        g.embed = at_grad(embed_);
        g.final_norm = at_grad(final_norm_);
        g.head = at_grad(head_);
    }
    return g;
}

}  // namespace moco::train
