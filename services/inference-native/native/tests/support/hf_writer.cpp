// The tiny-checkpoint writer behind the model tests. JSON is written by hand (the texts are small
// and fixed) so the writer needs nothing but the standard library.
#include "hf_writer.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

namespace hf {
namespace {

namespace fs = std::filesystem;

uint64_t splitmix64(uint64_t* state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& text) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

std::string number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
    return buffer;
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string shape_json(const std::vector<int64_t>& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
    return out + "]";
}

// {"k": v, ...} from ordered raw pairs, with overrides applied ("" removes a key).
std::string json_object(std::vector<std::pair<std::string, std::string>> fields,
                        const std::map<std::string, std::string>& overrides) {
    for (const auto& [key, raw] : overrides) {
        bool replaced = false;
        for (auto& field : fields) {
            if (field.first == key) {
                field.second = raw;
                replaced = true;
            }
        }
        if (!replaced) fields.emplace_back(key, raw);
    }
    std::string out = "{\n";
    bool first = true;
    for (const auto& [key, raw] : fields) {
        if (raw.empty()) continue;
        out += (first ? "  " : ",\n  ") + quoted(key) + ": " + raw;
        first = false;
    }
    return out + "\n}\n";
}

std::size_t element_size(const std::string& dtype) {
    if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
    if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
    if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
    return 1;
}

bool starts_with(const std::string& text, const char* prefix) {
    return text.rfind(prefix, 0) == 0;
}

std::string torch_dtype(const std::string& dtype) {
    return dtype == "F16" ? "\"float16\"" : dtype == "BF16" ? "\"bfloat16\"" : "\"float32\"";
}

}  // namespace

uint16_t to_bf16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN stays NaN
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>(bits >> 16);
}

float from_bf16(uint16_t bits) {
    const uint32_t wide = static_cast<uint32_t>(bits) << 16;
    float value;
    std::memcpy(&value, &wide, 4);
    return value;
}

uint16_t to_f16(float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    const uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return sign | 0x7e00;         // NaN
    if (magnitude >= 0x477ff000u) return sign | 0x7c00;        // rounds to infinity
    if (magnitude < 0x38800000u) {                             // subnormal in half precision
        float m;
        std::memcpy(&m, &magnitude, 4);
        return sign | static_cast<uint16_t>(std::nearbyint(m * 16777216.0f));  // units of 2^-24
    }
    uint32_t half = ((magnitude >> 23) - 112) << 10 | ((magnitude >> 13) & 0x3ffu);
    const uint32_t rest = magnitude & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent
    return sign | static_cast<uint16_t>(half);
}

float from_f16(uint16_t bits) {
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    float value;
    if (exponent == 0) value = std::ldexp(static_cast<float>(mantissa), -24);
    else if (exponent == 31) value = mantissa ? NAN : INFINITY;
    else value = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
    return (bits & 0x8000) ? -value : value;
}

Tensor make_tensor(const std::string& name, const std::string& dtype,
                   const std::vector<int64_t>& shape, uint64_t seed) {
    Tensor t{name, dtype, shape, {}, {}};
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    t.bytes.assign(static_cast<std::size_t>(numel) * element_size(dtype), 0);
    if (dtype != "F32" && dtype != "F16" && dtype != "BF16") return t;

    const bool norm = shape.size() == 1 && name.find("norm") != std::string::npos;
    const float scale = shape.size() == 2 ? 1.0f / std::sqrt(static_cast<float>(shape[1])) : 0.1f;
    uint64_t state = seed ^ fnv1a(name);
    t.values.resize(static_cast<std::size_t>(numel));
    for (std::size_t i = 0; i < t.values.size(); ++i) {
        const float u = static_cast<float>(splitmix64(&state) >> 40) / 16777216.0f * 2.0f - 1.0f;
        float v = (norm ? 1.0f : 0.0f) + scale * u;
        if (dtype == "F32") {
            std::memcpy(&t.bytes[i * 4], &v, 4);
        } else {
            const uint16_t h = dtype == "F16" ? to_f16(v) : to_bf16(v);
            v = dtype == "F16" ? from_f16(h) : from_bf16(h);
            std::memcpy(&t.bytes[i * 2], &h, 2);
        }
        t.values[i] = v;
    }
    return t;
}

bool ModelSpec::classifier() const {
    return architecture.find("ForSequenceClassification") != std::string::npos;
}

bool ModelSpec::has_bias() const {
    return starts_with(architecture, "Qwen2") ||
           (attention_bias && (starts_with(architecture, "Llama") || starts_with(architecture, "Qwen3")));
}

bool ModelSpec::has_qk_norm() const { return starts_with(architecture, "Qwen3"); }

int ModelSpec::resolved_head_dim() const {
    return head_dim != 0 ? head_dim : hidden_size / num_heads;
}

std::string config_json(const ModelSpec& s) {
    const bool llama = starts_with(s.architecture, "Llama");
    const bool mistral = starts_with(s.architecture, "Mistral");
    const bool qwen3 = starts_with(s.architecture, "Qwen3");
    const std::string model_type = llama ? "llama" : mistral ? "mistral" : qwen3 ? "qwen3" : "qwen2";
    std::vector<std::pair<std::string, std::string>> f = {
        {"architectures", "[" + quoted(s.architecture) + "]"},
        {"model_type", quoted(model_type)},
        {"vocab_size", std::to_string(s.vocab_size)},
        {"hidden_size", std::to_string(s.hidden_size)},
        {"intermediate_size", std::to_string(s.intermediate_size)},
        {"num_hidden_layers", std::to_string(s.num_layers)},
        {"num_attention_heads", std::to_string(s.num_heads)},
        {"num_key_value_heads", std::to_string(s.num_kv_heads)},
        {"head_dim", std::to_string(s.resolved_head_dim())},
        {"max_position_embeddings", std::to_string(s.max_position_embeddings)},
        {"rms_norm_eps", number(s.rms_norm_eps)},
        {"rope_theta", number(s.rope_theta)},
        {"rope_scaling", s.rope_scaling},
        {"hidden_act", "\"silu\""},
        {"tie_word_embeddings", s.tie_word_embeddings ? "true" : "false"},
        {"torch_dtype", torch_dtype(s.dtype)},
        {"attention_bias", llama || qwen3 ? (s.attention_bias ? "true" : "false") : ""},
        {"sliding_window", llama ? "" : "null"},
        {"use_sliding_window", llama || mistral ? "" : "false"},
    };
    if (s.classifier()) {
        std::string id2label = "{";
        std::string label2id = "{";
        for (int i = 0; i < s.num_labels; ++i) {
            const std::string label = quoted("LABEL_" + std::to_string(i));
            id2label += (i ? ", " : "") + quoted(std::to_string(i)) + ": " + label;
            label2id += (i ? ", " : "") + label + ": " + std::to_string(i);
        }
        f.emplace_back("id2label", id2label + "}");
        f.emplace_back("label2id", label2id + "}");
        f.emplace_back("pad_token_id", "0");
    }
    return json_object(std::move(f), s.config_overrides);
}

std::vector<Tensor> model_tensors(const ModelSpec& s) {
    const int64_t hidden = s.hidden_size;
    const int64_t head_dim = s.resolved_head_dim();
    const int64_t q = s.num_heads * head_dim;
    const int64_t kv = s.num_kv_heads * head_dim;
    const int64_t inter = s.intermediate_size;
    std::vector<Tensor> out;
    auto add = [&](const std::string& name, std::vector<int64_t> shape) {
        out.push_back(make_tensor(name, s.dtype, shape, s.seed));
    };
    add("model.embed_tokens.weight", {s.vocab_size, hidden});
    for (int i = 0; i < s.num_layers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        add(p + "input_layernorm.weight", {hidden});
        add(p + "self_attn.q_proj.weight", {q, hidden});
        add(p + "self_attn.k_proj.weight", {kv, hidden});
        add(p + "self_attn.v_proj.weight", {kv, hidden});
        if (s.has_bias()) {
            add(p + "self_attn.q_proj.bias", {q});
            add(p + "self_attn.k_proj.bias", {kv});
            add(p + "self_attn.v_proj.bias", {kv});
        }
        if (s.has_qk_norm()) {
            add(p + "self_attn.q_norm.weight", {head_dim});
            add(p + "self_attn.k_norm.weight", {head_dim});
        }
        add(p + "self_attn.o_proj.weight", {hidden, q});
        add(p + "post_attention_layernorm.weight", {hidden});
        add(p + "mlp.gate_proj.weight", {inter, hidden});
        add(p + "mlp.up_proj.weight", {inter, hidden});
        add(p + "mlp.down_proj.weight", {hidden, inter});
    }
    add("model.norm.weight", {hidden});
    if (s.classifier()) {
        add("score.weight", {s.num_labels, hidden});
    } else if (!s.tie_word_embeddings) {
        add("lm_head.weight", {s.vocab_size, hidden});
    }
    return out;
}

void write_raw_safetensors(const std::string& path, const std::string& header,
                           const std::vector<uint8_t>& data) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(header.size() >> (8 * i));
    file.write(reinterpret_cast<const char*>(length), 8);
    file.write(header.data(), static_cast<std::streamsize>(header.size()));
    file.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!file) throw std::runtime_error("hf_writer: cannot write " + path);
}

void write_safetensors(const std::string& path, const std::vector<Tensor>& tensors) {
    std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
    std::vector<uint8_t> data;
    for (const Tensor& t : tensors) {
        const std::size_t begin = data.size();
        data.insert(data.end(), t.bytes.begin(), t.bytes.end());
        header += "," + quoted(t.name) + ":{\"dtype\":" + quoted(t.dtype) +
                  ",\"shape\":" + shape_json(t.shape) + ",\"data_offsets\":[" +
                  std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
    }
    header += "}";
    header.append((8 - header.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
    write_raw_safetensors(path, header, data);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    if (!file) throw std::runtime_error("hf_writer: cannot write " + path);
}

void write_model(const std::string& dir, const ModelSpec& spec, int shards) {
    write_model(dir, spec, model_tensors(spec), shards);
}

void write_model(const std::string& dir, const ModelSpec& spec, const std::vector<Tensor>& tensors,
                 int shards) {
    fs::create_directories(dir);
    write_text(dir + "/config.json", config_json(spec));
    if (shards <= 1) {
        write_safetensors(dir + "/model.safetensors", tensors);
        return;
    }
    std::vector<std::vector<Tensor>> parts(static_cast<std::size_t>(shards));
    for (std::size_t i = 0; i < tensors.size(); ++i) parts[i % parts.size()].push_back(tensors[i]);
    std::string weight_map;
    std::size_t total = 0;
    for (int s = 0; s < shards; ++s) {
        char name[64];
        std::snprintf(name, sizeof(name), "model-%05d-of-%05d.safetensors", s + 1, shards);
        write_safetensors(dir + "/" + name, parts[static_cast<std::size_t>(s)]);
        for (const Tensor& t : parts[static_cast<std::size_t>(s)]) {
            weight_map += (weight_map.empty() ? "\n    " : ",\n    ") + quoted(t.name) + ": " +
                          quoted(name);
            total += t.bytes.size();
        }
    }
    write_text(dir + "/model.safetensors.index.json",
               "{\n  \"metadata\": {\"total_size\": " + std::to_string(total) +
                   "},\n  \"weight_map\": {" + weight_map + "\n  }\n}\n");
}

std::string adapter_config_json(const LoraSpec& l) {
    std::string targets = "[";
    for (std::size_t i = 0; i < l.target_modules.size(); ++i) {
        targets += (i ? ", " : "") + quoted(l.target_modules[i]);
    }
    return json_object({{"peft_type", "\"LORA\""},
                        {"task_type", "\"CAUSAL_LM\""},
                        {"base_model_name_or_path", "\"tiny\""},
                        {"r", std::to_string(l.r)},
                        {"lora_alpha", number(l.lora_alpha)},
                        {"lora_dropout", "0.0"},
                        {"use_rslora", l.use_rslora ? "true" : "false"},
                        {"target_modules", targets + "]"},
                        {"bias", "\"none\""},
                        {"fan_in_fan_out", "false"},
                        {"modules_to_save", "null"},
                        {"use_dora", "false"},
                        {"rank_pattern", "{}"},
                        {"alpha_pattern", "{}"},
                        {"inference_mode", "true"}},
                       l.config_overrides);
}

std::vector<Tensor> adapter_tensors(const ModelSpec& base, const LoraSpec& l) {
    const int64_t hidden = base.hidden_size;
    const int64_t q = base.num_heads * base.resolved_head_dim();
    const int64_t kv = base.num_kv_heads * base.resolved_head_dim();
    const int64_t inter = base.intermediate_size;
    // [out, in] of each module's base weight.
    const std::map<std::string, std::pair<std::string, std::pair<int64_t, int64_t>>> modules = {
        {"q_proj", {"self_attn", {q, hidden}}},      {"k_proj", {"self_attn", {kv, hidden}}},
        {"v_proj", {"self_attn", {kv, hidden}}},     {"o_proj", {"self_attn", {hidden, q}}},
        {"gate_proj", {"mlp", {inter, hidden}}},     {"up_proj", {"mlp", {inter, hidden}}},
        {"down_proj", {"mlp", {hidden, inter}}}};
    const std::string infix = l.default_infix ? ".default" : "";
    std::vector<Tensor> out;
    for (int i = 0; i < base.num_layers; ++i) {
        for (const std::string& target : l.target_modules) {
            const auto& [parent, shape] = modules.at(target);
            const std::string p = "base_model.model.model.layers." + std::to_string(i) + "." +
                                  parent + "." + target;
            out.push_back(make_tensor(p + ".lora_A" + infix + ".weight", l.dtype,
                                      {l.r, shape.second}, l.seed));
            out.push_back(make_tensor(p + ".lora_B" + infix + ".weight", l.dtype,
                                      {shape.first, l.r}, l.seed));
        }
    }
    return out;
}

void write_adapter(const std::string& dir, const ModelSpec& base, const LoraSpec& lora) {
    write_adapter(dir, lora, adapter_tensors(base, lora));
}

void write_adapter(const std::string& dir, const LoraSpec& lora, const std::vector<Tensor>& tensors) {
    fs::create_directories(dir);
    write_text(dir + "/adapter_config.json", adapter_config_json(lora));
    write_safetensors(dir + "/adapter_model.safetensors", tensors);
}

TempDir::TempDir(const std::string& label) {
    static std::atomic<unsigned> counter{0};
    std::random_device entropy;
    char suffix[48];
    std::snprintf(suffix, sizeof(suffix), "-%08x%08x-%u", entropy(), entropy(), counter++);
    path_ = (fs::temp_directory_path() / ("moco-test-" + label + suffix)).string();
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::string TempDir::operator/(const std::string& name) const { return path_ + "/" + name; }

}  // namespace hf
