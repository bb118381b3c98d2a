// Writing what a trainer learned: a PEFT adapter directory or a Hugging Face checkpoint directory,
// both readable by libmoco's own loaders (and by PEFT / transformers).
#pragma once

#include "moco.h"
#include "train/trainer.h"

#include <string>

namespace moco::train {

// adapter_config.json + adapter_model.safetensors (F32). `fn` starts error messages.
moco_status save_adapter(const char* fn, const Trainer& trainer, const std::string& directory);

// config.json (and the other non-weight files) from base_directory, model.safetensors in the
// model's stored dtype; a LoRA trainer's adapter merged in (W + scale B A, f32, rank ascending).
moco_status save_model(const char* fn, const Trainer& trainer, const std::string& base_directory,
                       const std::string& directory);

}  // namespace moco::train
