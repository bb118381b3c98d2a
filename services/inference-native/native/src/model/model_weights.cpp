// bind_model_weights: the tensor names and shapes of LlamaModel / MistralModel / Qwen2Model /
// Qwen3Model and their causal-LM and sequence-classification heads.
#include "model/model_weights.h"

#include "common.h"
#include "model/bind_tensor.h"

#include <string>

namespace moco {
namespace {

// Binds tensors one by one, counting parameters; stops at the first failure.
class Binder {
public:
    Binder(const char* fn, const ModelConfig& config, WeightStorage& storage)
        : fn_(fn), config_(config), storage_(storage) {}

    moco_status bind(const std::string& name, const std::vector<int64_t>& shape, const char* formula,
                     TensorView* out) {
        if (status_ != MOCO_OK) {
            return status_;
        }
        const TensorLocation* where = storage_.files.find(name);
        if (where == nullptr) {
            return status_ = set_error(
                       MOCO_ERR_NOT_FOUND,
                       "%s: tensor \"%s\" is missing from %s; %s as configured by config.json "
                       "needs it: the checkpoint is incomplete or does not belong to this "
                       "config.json%s",
                       fn_, name.c_str(), storage_.files.description().c_str(),
                       config_.architecture.c_str(),
                       name == "lm_head.weight" ? " (set tie_word_embeddings to true if the LM "
                                                  "head shares the embedding)"
                                                : "");
        }
        status_ = bind_tensor(fn_, storage_, name, *where, shape, "config.json", formula, out);
        if (status_ == MOCO_OK) {
            parameters_ += static_cast<uint64_t>(out->numel());
        }
        return status_;
    }

    moco_status status() const { return status_; }
    uint64_t parameters() const { return parameters_; }

private:
    const char* fn_;
    const ModelConfig& config_;
    WeightStorage& storage_;
    moco_status status_ = MOCO_OK;
    uint64_t parameters_ = 0;
};

}  // namespace

moco_status bind_model_weights(const char* fn, const ModelConfig& config, WeightStorage& storage,
                               ModelWeights* weights, uint64_t* parameter_count) {
    const int64_t hidden = config.hidden_size;
    const int64_t q_out = static_cast<int64_t>(config.num_heads) * config.head_dim;
    const int64_t kv_out = static_cast<int64_t>(config.num_kv_heads) * config.head_dim;
    const int64_t inter = config.intermediate_size;
    const int64_t head_dim = config.head_dim;

    Binder b(fn, config, storage);
    ModelWeights w;
    b.bind("model.embed_tokens.weight", {config.vocab_size, hidden},
           "[vocab_size, hidden_size]", &w.embed_tokens);
    w.layers.resize(static_cast<std::size_t>(config.num_layers));
    for (int i = 0; i < config.num_layers; ++i) {
        LayerWeights& l = w.layers[static_cast<std::size_t>(i)];
        const std::string p = "model.layers." + std::to_string(i) + ".";
        b.bind(p + "input_layernorm.weight", {hidden}, "[hidden_size]", &l.input_norm);
        b.bind(p + "self_attn.q_proj.weight", {q_out, hidden},
               "[num_attention_heads * head_dim, hidden_size]", &l.q_proj);
        b.bind(p + "self_attn.k_proj.weight", {kv_out, hidden},
               "[num_key_value_heads * head_dim, hidden_size]", &l.k_proj);
        b.bind(p + "self_attn.v_proj.weight", {kv_out, hidden},
               "[num_key_value_heads * head_dim, hidden_size]", &l.v_proj);
        if (config.attention_bias) {
            b.bind(p + "self_attn.q_proj.bias", {q_out},
                   "[num_attention_heads * head_dim]", &l.q_bias);
            b.bind(p + "self_attn.k_proj.bias", {kv_out},
                   "[num_key_value_heads * head_dim]", &l.k_bias);
            b.bind(p + "self_attn.v_proj.bias", {kv_out},
                   "[num_key_value_heads * head_dim]", &l.v_bias);
        }
        if (config.qk_norm) {
            b.bind(p + "self_attn.q_norm.weight", {head_dim}, "[head_dim]", &l.q_norm);
            b.bind(p + "self_attn.k_norm.weight", {head_dim}, "[head_dim]", &l.k_norm);
        }
        b.bind(p + "self_attn.o_proj.weight", {hidden, q_out},
               "[hidden_size, num_attention_heads * head_dim]", &l.o_proj);
        b.bind(p + "post_attention_layernorm.weight", {hidden}, "[hidden_size]",
               &l.post_attention_norm);
        b.bind(p + "mlp.gate_proj.weight", {inter, hidden},
               "[intermediate_size, hidden_size]", &l.gate_proj);
        b.bind(p + "mlp.up_proj.weight", {inter, hidden},
               "[intermediate_size, hidden_size]", &l.up_proj);
        b.bind(p + "mlp.down_proj.weight", {hidden, inter},
               "[hidden_size, intermediate_size]", &l.down_proj);
    }
    b.bind("model.norm.weight", {hidden}, "[hidden_size]", &w.final_norm);
    if (config.classifier) {
        b.bind("score.weight", {config.num_labels, hidden},
               "[num_labels (or the size of id2label), hidden_size]", &w.score);
    } else if (config.tie_word_embeddings) {
        w.lm_head = w.embed_tokens;  // transformers ties even when lm_head.weight was saved too
    } else {
        b.bind("lm_head.weight", {config.vocab_size, hidden},
               "[vocab_size, hidden_size]", &w.lm_head);
    }
    if (b.status() != MOCO_OK) {
        return b.status();
    }
    *weights = std::move(w);
    *parameter_count = b.parameters();
    return MOCO_OK;
}

}  // namespace moco
