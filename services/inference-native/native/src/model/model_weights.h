// Binding the Hugging Face tensors a config needs into ModelWeights.
#pragma once

#include "model/model.h"
#include "model/weight_storage.h"

#include <cstdint>

namespace moco {

// Binds every tensor `config` needs from storage.files (HF names: model.embed_tokens.weight,
// model.layers.N...., model.norm.weight, lm_head.weight or score.weight), checking each dtype and
// shape. Tensors the config does not need (rotary inv_freq buffers, an lm_head.weight saved
// alongside tied embeddings) are ignored. *parameter_count receives the elements bound, a tied
// LM head counted once.
// Errors: MOCO_ERR_NOT_FOUND (a needed tensor is absent, named), MOCO_ERR_IO (see bind_tensor).
moco_status bind_model_weights(const char* fn, const ModelConfig& config, WeightStorage& storage,
                               ModelWeights* weights, uint64_t* parameter_count);

}  // namespace moco
