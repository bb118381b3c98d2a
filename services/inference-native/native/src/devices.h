// The device list every part of libmoco agrees on: the CPU first, then each CUDA device.
#pragma once

#include "moco.h"

#include <string>

namespace moco {

// Number of visible CUDA devices; always 0 in a build without CUDA.
int cuda_device_count();

// "auto, cpu, cuda:0, cuda:1": the device strings moco_context_create accepts, for error messages.
std::string valid_device_list();

}  // namespace moco
