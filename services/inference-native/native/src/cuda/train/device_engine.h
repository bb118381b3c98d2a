// The trainer's engine on a GPU (train/engine.h): the masters, gradients and AdamW moments as flat
// F32 device buffers in the params' layout, the policy's passes and the frozen reference's on the
// device (cuda/train/device_pass.h), the losses' per-row work and the optimiser as device kernels
// (loss_kernels.h, optimizer_kernels.h). Only per-row log-probs, their coefficients and the norm's
// chunk sums cross to the host; the masters come back only when a checkpoint is written.
#pragma once

#include "model/model.h"
#include "train/engine.h"

#include <memory>

namespace moco::cuda::train {

// For a model whose weights are on a GPU (moco_model::device). Throws cuda::Error
// (MOCO_ERR_OUT_OF_MEMORY naming the buffer) when the device cannot hold the trainer's state.
std::unique_ptr<moco::train::Engine> make_device_engine(const moco_model& model, moco::train::Params& params,
                                                        const moco::train::TrainerConfig& config);

}  // namespace moco::cuda::train
