// adapter_config.json parsing: every LoraConfig field that would change what the adapter computes
// is either honoured or rejected by name, so an adapter never silently computes something else.
#include "model/adapter_config.h"

#include "common.h"
#include "model/json_fields.h"

#include <cmath>

namespace moco {
namespace {

using nlohmann::json;

constexpr const char* kModules[] = {"q_proj", "k_proj", "v_proj", "o_proj",
                                    "gate_proj", "up_proj", "down_proj"};

// PEFT matches a list entry against the end of a module's dotted name ("q_proj" and
// "self_attn.q_proj" both target the attention query).
bool supported_target(const std::string& entry) {
    const std::size_t dot = entry.rfind('.');
    const std::string last = dot == std::string::npos ? entry : entry.substr(dot + 1);
    for (const char* module : kModules) {
        if (last == module) return true;
    }
    return false;
}

bool empty_or_null(const json* value) {
    return value == nullptr || ((value->is_array() || value->is_object()) && value->empty());
}

void read_targets(JsonFields& f) {
    const json* targets = f.find("target_modules");
    // A string is a regular expression over module names (or "all-linear"); the tensors present
    // in adapter_model.safetensors then say which modules are adapted, and each is checked there.
    if (targets == nullptr || targets->is_string()) {
        return;
    }
    if (!targets->is_array()) {
        f.reject("target_modules", "a list of module names or a string");
        return;
    }
    for (const json& entry : *targets) {
        if (!entry.is_string() || !supported_target(entry.get<std::string>())) {
            const std::string requirement =
                "a list among q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (" +
                json_excerpt(entry) + " is not supported: LoRA on embeddings or heads is not "
                                      "implemented)";
            f.reject("target_modules", requirement.c_str());
            return;
        }
    }
}

}  // namespace

float AdapterConfig::scale() const {
    return static_cast<float>(use_rslora ? lora_alpha / std::sqrt(static_cast<double>(r))
                                         : lora_alpha / r);
}

moco_status parse_adapter_config(const std::string& where, const std::string& text,
                                 AdapterConfig* out) {
    const json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: not a JSON object (malformed JSON); fix "
                                                    "or re-save adapter_config.json",
                         where.c_str());
    }
    JsonFields f(config, where);
    if (f.string("peft_type", "") != "LORA") {
        f.reject("peft_type", "\"LORA\" (other PEFT methods are not supported)");
    }
    AdapterConfig c;
    c.r = f.integer("r", c.r, 1, 1 << 16);
    c.lora_alpha = f.number("lora_alpha", c.lora_alpha);
    c.use_rslora = f.boolean("use_rslora", c.use_rslora);
    if (f.string("bias", "none") != "none") {
        f.reject("bias", "\"none\": trained biases are not supported");
    }
    if (f.boolean("fan_in_fan_out", false)) {
        f.reject("fan_in_fan_out", "false: transposed (Conv1D-style) weights are not supported");
    }
    if (f.boolean("use_dora", false)) {
        f.reject("use_dora", "false: DoRA is not supported");
    }
    if (f.boolean("lora_bias", false)) {
        f.reject("lora_bias", "false: LoRA biases are not supported");
    }
    for (const char* key : {"modules_to_save", "rank_pattern", "alpha_pattern"}) {
        if (!empty_or_null(f.find(key))) {
            f.reject(key, "null or empty: fully trained modules and per-module ranks or alphas "
                          "are not supported");
        }
    }
    read_targets(f);
    if (f.failed()) {
        return f.status();
    }
    *out = c;
    return MOCO_OK;
}

}  // namespace moco
