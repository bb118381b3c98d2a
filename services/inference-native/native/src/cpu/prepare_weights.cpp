// prepare_weights / prepare_adapter: the loader's hooks into the CPU backend (model.h).
#include "cpu/prepared_weights.h"

#include "common.h"
#include "cpu/dtype.h"
#include "cpu/ops.h"

#include <memory>

namespace moco {
namespace {

std::vector<float> to_f32(const TensorView& t) {
    std::vector<float> out(static_cast<size_t>(t.numel()));
    cpu::load_row(t.data, t.dtype, 0, t.numel(), out.data());
    return out;
}

cpu::PackedMatrix pack(const TensorView& t) {
    return cpu::pack_weights(t.dtype, static_cast<int>(t.shape.at(0)), static_cast<int>(t.shape.at(1)),
                             t.data);
}

// The biases of q, k and v in the stacked column order of PreparedLayer::qkv.
std::vector<float> stacked_bias(const LayerWeights& w) {
    std::vector<float> out;
    for (const TensorView* b : {&w.q_bias, &w.k_bias, &w.v_bias}) {
        const std::vector<float> part = to_f32(*b);
        out.insert(out.end(), part.begin(), part.end());
    }
    return out;
}

// Tensors the config requires and the loader must have bound; a missing one is a loader bug.
const char* missing_tensor(const ModelConfig& c, const ModelWeights& w) {
    if (!w.embed_tokens.present() || !w.final_norm.present()) {
        return "embed_tokens / norm";
    }
    if (!(c.classifier ? w.score : w.lm_head).present()) {
        return c.classifier ? "score" : "lm_head";
    }
    for (const LayerWeights& l : w.layers) {
        for (const TensorView* t : {&l.input_norm, &l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj,
                                    &l.post_attention_norm, &l.gate_proj, &l.up_proj, &l.down_proj}) {
            if (!t->present()) {
                return "a layer projection or norm";
            }
        }
        if (c.attention_bias && !(l.q_bias.present() && l.k_bias.present() && l.v_bias.present())) {
            return "q/k/v bias";
        }
        if (c.qk_norm && !(l.q_norm.present() && l.k_norm.present())) {
            return "q_norm / k_norm";
        }
    }
    return nullptr;
}

}  // namespace

moco_status check_bound_weights(const moco_model& model) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    if (static_cast<int>(w.layers.size()) != c.num_layers) {
        return set_error(MOCO_ERR_INTERNAL, "moco_model_load: %d layers bound for num_layers = %d "
                         "(a libmoco loader bug; please report it)",
                         static_cast<int>(w.layers.size()), c.num_layers);
    }
    if (const char* missing = missing_tensor(c, w)) {
        return set_error(MOCO_ERR_INTERNAL, "moco_model_load: tensor %s not bound (a libmoco loader "
                         "bug; please report it)", missing);
    }
    return MOCO_OK;
}

moco_status prepare_weights(moco_model& model) {
    const ModelConfig& c = model.config;
    const ModelWeights& w = model.weights;
    if (const moco_status status = check_bound_weights(model); status != MOCO_OK) {
        return status;
    }
    auto p = std::make_unique<PreparedWeights>();
    p->layers.resize(w.layers.size());
    for (size_t i = 0; i < w.layers.size(); ++i) {
        const LayerWeights& lw = w.layers[i];
        PreparedLayer& pl = p->layers[i];
        pl.input_norm = to_f32(lw.input_norm);
        const TensorView* qkv[] = {&lw.q_proj, &lw.k_proj, &lw.v_proj};
        pl.qkv = cpu::pack_stacked(qkv, 3);
        if (c.attention_bias) {
            pl.qkv_bias = stacked_bias(lw);
        }
        if (c.qk_norm) {
            pl.q_norm = to_f32(lw.q_norm);
            pl.k_norm = to_f32(lw.k_norm);
        }
        pl.o = pack(lw.o_proj);
        pl.post_attention_norm = to_f32(lw.post_attention_norm);
        const TensorView* gate_up[] = {&lw.gate_proj, &lw.up_proj};
        pl.gate_up = cpu::pack_stacked(gate_up, 2);
        pl.down = pack(lw.down_proj);
    }
    p->final_norm = to_f32(w.final_norm);
    p->head = pack(c.classifier ? w.score : w.lm_head);
    p->inv_freq = cpu::rope_inv_freq(c);
    model.prepared = std::move(p);
    return MOCO_OK;
}

moco_status prepare_adapter(moco_adapter& adapter) {
    auto p = std::make_unique<PreparedWeights>();
    p->lora.resize(adapter.layers.size());
    for (size_t i = 0; i < adapter.layers.size(); ++i) {
        for (int m = 0; m < kLoraModuleCount; ++m) {
            const LoraPair& pair = adapter.layers[i].modules[m];
            if (!pair.present()) {
                continue;
            }
            PreparedLora& pl = p->lora[i][static_cast<size_t>(m)];
            pl.a = pack(pair.a);
            pl.b = pack(pair.b);
            if (pl.a.n > p->max_rank) {
                p->max_rank = pl.a.n;
            }
        }
    }
    adapter.prepared = std::move(p);
    return MOCO_OK;
}

}  // namespace moco
