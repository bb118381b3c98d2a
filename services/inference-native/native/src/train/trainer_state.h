// moco_trainer_save_state / moco_trainer_load_state: a trainer's state (TrainerState) as one
// safetensors file - "master.<name>", "adam_m.<name>" and "adam_v.<name>" (F32) for every trained
// tensor under its Hugging Face / PEFT name, the counts in "__metadata__" ("format":
// "moco-trainer-state", "version", "steps", "micro_batches") - so a state saved by one trainer loads
// into another created with the same model and options, on any device.
#pragma once

#include "moco.h"
#include "train/trainer.h"

#include <string>

namespace moco::train {

// Writes to `path` + ".tmp", then renames: a crash never leaves half a state at `path`.
moco_status save_state(const char* fn, const Trainer& trainer, const std::string& path);

// Checks every tensor against the trainer's parameters (names, shapes, F32) before touching it.
moco_status load_state(const char* fn, Trainer& trainer, const std::string& path);

}  // namespace moco::train
