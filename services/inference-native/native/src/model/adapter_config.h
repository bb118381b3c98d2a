// adapter_config.json (PEFT LoraConfig) -> the few values libmoco's LoRA needs.
#pragma once

#include "moco.h"

#include <string>

namespace moco {

struct AdapterConfig {
    int r = 8;                 // PEFT's defaults
    double lora_alpha = 8;
    bool use_rslora = false;

    // lora_alpha / r, or lora_alpha / sqrt(r) with rank-stabilised LoRA.
    float scale() const;
};

// Parses adapter_config.json's text. `where` starts every message. Errors:
// MOCO_ERR_INVALID_ARGUMENT for malformed JSON, peft_type other than "LORA", or a feature libmoco
// does not implement (bias, modules_to_save, fan_in_fan_out, use_dora, rank/alpha patterns,
// target modules outside q/k/v/o/gate/up/down_proj), each named.
moco_status parse_adapter_config(const std::string& where, const std::string& text,
                                 AdapterConfig* out);

}  // namespace moco
