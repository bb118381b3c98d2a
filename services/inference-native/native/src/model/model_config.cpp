// config.json parsing. Defaults, and which keys each family honours, follow transformers' config
// and attention classes, so a checkpoint loads here exactly as it would there.
#include "model/model_config.h"

#include "common.h"
#include "model/json_fields.h"

#include <climits>

namespace moco {
namespace {

using nlohmann::json;

struct Architecture {
    const char* name;
    Family family;
    bool classifier;
};

constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", Family::Llama, false},
    {"MistralForCausalLM", Family::Mistral, false},
    {"Qwen2ForCausalLM", Family::Qwen2, false},
    {"Qwen3ForCausalLM", Family::Qwen3, false},
    {"LlamaForSequenceClassification", Family::Llama, true},
    {"MistralForSequenceClassification", Family::Mistral, true},
    {"Qwen2ForSequenceClassification", Family::Qwen2, true},
    {"Qwen3ForSequenceClassification", Family::Qwen3, true},
};

// The config class defaults that differ between families (num_kv_heads 0 = num_heads, head_dim
// 0 = hidden_size / num_heads).
struct FamilyDefaults {
    int vocab_size, hidden_size, intermediate_size, num_layers, num_heads, num_kv_heads, head_dim;
    int max_position_embeddings;
};

FamilyDefaults defaults_of(Family family) {
    switch (family) {
        case Family::Llama: return {32000, 4096, 11008, 32, 32, 0, 0, 2048};
        case Family::Mistral: return {32000, 4096, 14336, 32, 32, 8, 0, 131072};
        case Family::Qwen2: return {151936, 4096, 22016, 32, 32, 32, 0, 32768};
        case Family::Qwen3: return {151936, 4096, 22016, 32, 32, 32, 128, 32768};
    }
    return {};
}

// Sizes beyond this are certainly not a real checkpoint, and keep every product of two of them
// (a tensor's element count) far from int64 overflow.
constexpr int kMaxSize = 1 << 24;

// rope_scaling (or transformers 5's rope_parameters, which also carries rope_theta).
void read_rope(JsonFields& fields, ModelConfig* c) {
    const char* key = fields.find("rope_scaling") != nullptr ? "rope_scaling" : "rope_parameters";
    const json* rope = fields.find(key);
    if (rope == nullptr) {
        return;
    }
    if (!rope->is_object()) {
        fields.reject(key, "null or an object with \"rope_type\"");
        return;
    }
    JsonFields r(*rope, fields.where() + ": " + key);
    if (rope->contains("rope_theta")) {
        c->rope_theta = static_cast<float>(r.number("rope_theta", c->rope_theta));
    }
    const char* type_key = r.find("rope_type") != nullptr ? "rope_type" : "type";
    const std::string type = r.string(type_key, "");
    RopeScaling& s = c->rope_scaling;
    if (type == "default") {
        s.kind = RopeScaling::Kind::Default;
    } else if (type == "linear") {
        s.kind = RopeScaling::Kind::Linear;
        if (r.find("factor") == nullptr) r.reject("factor", "set for linear scaling");
        s.factor = static_cast<float>(r.number("factor", 1));
    } else if (type == "llama3") {
        s.kind = RopeScaling::Kind::Llama3;
        for (const char* needed : {"factor", "low_freq_factor", "high_freq_factor",
                                   "original_max_position_embeddings"}) {
            if (r.find(needed) == nullptr) r.reject(needed, "set for llama3 scaling");
        }
        s.factor = static_cast<float>(r.number("factor", 1));
        s.low_freq_factor = static_cast<float>(r.number("low_freq_factor", 1));
        s.high_freq_factor = static_cast<float>(r.number("high_freq_factor", 4));
        s.original_max_position = r.integer("original_max_position_embeddings", 8192, 1, INT_MAX);
        if (s.high_freq_factor <= s.low_freq_factor) {
            r.reject("high_freq_factor", "greater than low_freq_factor");
        }
    } else {
        r.reject(type_key, "one of the supported RoPE types \"default\", \"linear\", \"llama3\" "
                           "(yarn, dynamic, longrope and the others are not implemented)");
    }
    fields.absorb(r);
}

// Mistral slides when sliding_window is set; Qwen2/Qwen3 only with use_sliding_window, and then
// only in layers >= max_window_layers (or as layer_types says). libmoco implements one window for
// every layer, or none.
void read_sliding_window(JsonFields& fields, const json& config, Family family, int num_layers,
                         ModelConfig* c) {
    if (family == Family::Llama) {
        return;
    }
    if (family == Family::Mistral) {
        // Absent means MistralConfig's default 4096; an explicit null means full attention.
        c->sliding_window = config.contains("sliding_window")
                                ? fields.integer("sliding_window", 0, 1, INT_MAX)
                                : 4096;
        return;
    }
    int sliding_layers = 0;
    if (const json* types = fields.find("layer_types")) {
        if (!types->is_array() || static_cast<int>(types->size()) != num_layers) {
            fields.reject("layer_types", "an array with one entry per layer");
            return;
        }
        for (const json& type : *types) {
            if (type == "sliding_attention") {
                ++sliding_layers;
            } else if (type != "full_attention") {
                fields.reject("layer_types", "\"full_attention\" or \"sliding_attention\" each");
                return;
            }
        }
    } else if (fields.boolean("use_sliding_window", false)) {
        const int max_window_layers = fields.integer("max_window_layers", 28, 0, INT_MAX);
        sliding_layers = max_window_layers >= num_layers ? 0 : num_layers - max_window_layers;
    }
    if (sliding_layers == 0) {
        return;
    }
    if (sliding_layers != num_layers) {
        fields.reject(fields.find("layer_types") != nullptr ? "layer_types" : "max_window_layers",
                      "such that every layer or no layer uses the sliding window (a mix of "
                      "sliding and full attention layers is not implemented)");
        return;
    }
    c->sliding_window = fields.integer("sliding_window", 4096, 1, INT_MAX);
}

}  // namespace

const char* supported_architectures() {
    return "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, "
           "LlamaForSequenceClassification, MistralForSequenceClassification, "
           "Qwen2ForSequenceClassification, Qwen3ForSequenceClassification";
}

moco_status parse_model_config(const std::string& where, const std::string& text,
                               ModelConfig* out) {
    const json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: not a JSON object (malformed JSON); fix "
                                                    "or re-download config.json",
                         where.c_str());
    }

    const auto archs = config.find("architectures");
    if (archs == config.end() || !archs->is_array() || archs->empty() ||
        !(*archs)[0].is_string()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: no \"architectures\" list naming the "
                                                    "model class; supported architectures: %s",
                         where.c_str(), supported_architectures());
    }
    ModelConfig c;
    c.architecture = (*archs)[0].get<std::string>();
    const Architecture* arch = nullptr;
    for (const Architecture& candidate : kArchitectures) {
        if (c.architecture == candidate.name) arch = &candidate;
    }
    if (arch == nullptr) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: architecture \"%.100s\" is not supported; "
                                                    "supported architectures: %s",
                         where.c_str(), c.architecture.c_str(), supported_architectures());
    }
    c.family = arch->family;
    c.classifier = arch->classifier;

    JsonFields f(config, where);
    if (f.find("quantization_config") != nullptr) {
        f.reject("quantization_config", "absent: quantized checkpoints are not supported, use "
                                        "F32, F16 or BF16 weights");
    }
    const FamilyDefaults d = defaults_of(c.family);
    c.vocab_size = f.integer("vocab_size", d.vocab_size, 1, kMaxSize);
    c.hidden_size = f.integer("hidden_size", d.hidden_size, 1, kMaxSize);
    c.intermediate_size = f.integer("intermediate_size", d.intermediate_size, 1, kMaxSize);
    c.num_layers = f.integer("num_hidden_layers", d.num_layers, 1, kMaxSize);
    c.num_heads = f.integer("num_attention_heads", d.num_heads, 1, kMaxSize);
    // An explicit null means "as many as num_attention_heads"; absent takes the class default.
    c.num_kv_heads = config.contains("num_key_value_heads") || d.num_kv_heads == 0
                         ? f.integer("num_key_value_heads", c.num_heads, 1, kMaxSize)
                         : d.num_kv_heads;
    c.max_position_embeddings =
        f.integer("max_position_embeddings", d.max_position_embeddings, 1, INT_MAX);
    c.rms_norm_eps = static_cast<float>(f.number("rms_norm_eps", 1e-6));
    c.rope_theta = static_cast<float>(f.number("rope_theta", 10000.0));
    c.tie_word_embeddings = f.boolean("tie_word_embeddings", false);
    read_rope(f, &c);

    if (f.string("hidden_act", "silu") != "silu") {
        f.reject("hidden_act", "\"silu\" (the SwiGLU MLP of these architectures)");
    }
    if (c.family == Family::Llama && f.boolean("mlp_bias", false)) {
        f.reject("mlp_bias", "false: MLP biases are not implemented");
    }
    c.attention_bias = c.family == Family::Qwen2 ||
                       ((c.family == Family::Llama || c.family == Family::Qwen3) &&
                        f.boolean("attention_bias", false));
    c.qk_norm = c.family == Family::Qwen3;
    read_sliding_window(f, config, c.family, c.num_layers, &c);

    if (c.classifier) {
        const json* labels = f.find("id2label");
        if (labels != nullptr && !labels->is_object()) {
            f.reject("id2label", "an object mapping label ids to names");
        }
        // transformers takes num_labels from id2label when both are given.
        c.num_labels = labels != nullptr && labels->is_object()
                           ? static_cast<int>(labels->size())
                           : f.integer("num_labels", 2, 1, kMaxSize);
        if (c.num_labels < 1) f.reject("id2label", "non-empty (one entry per output label)");
        c.pad_token_id = f.integer("pad_token_id", -1, 0, INT_MAX);
    }
    if (f.failed()) {
        return f.status();
    }

    if (f.find("head_dim") != nullptr || d.head_dim != 0) {
        c.head_dim = f.integer("head_dim", d.head_dim, 1, kMaxSize);
    } else if (c.hidden_size % c.num_heads != 0) {
        f.reject("num_attention_heads", "a divisor of hidden_size when head_dim is not given");
    } else {
        c.head_dim = c.hidden_size / c.num_heads;
    }
    if (!f.failed() && c.head_dim % 2 != 0) {
        f.reject("head_dim", "even (rotary embeddings rotate pairs of dimensions)");
    }
    if (!f.failed() && c.num_heads % c.num_kv_heads != 0) {
        f.reject("num_key_value_heads", "a divisor of num_attention_heads (grouped-query "
                                        "attention)");
    }
    if (f.failed()) {
        return f.status();
    }
    *out = std::move(c);
    return MOCO_OK;
}

}  // namespace moco
