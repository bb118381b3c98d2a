// config.json -> ModelConfig, with the defaults of transformers' config classes (LlamaConfig,
// MistralConfig, Qwen2Config, Qwen3Config) for every absent key.
#pragma once

#include "model/model.h"

#include <string>

namespace moco {

// The architectures moco_model_load accepts, as one readable list (for messages and docs).
const char* supported_architectures();

// Parses config.json's text. `where` starts every message ("moco_model_load: <path>").
// Errors: MOCO_ERR_INVALID_ARGUMENT for malformed JSON, an unsupported architecture, hidden_act,
// rope_scaling type or feature, or inconsistent sizes.
moco_status parse_model_config(const std::string& where, const std::string& text,
                               ModelConfig* out);

}  // namespace moco
