// The MoCo CUDA emulator's stand-in for <cuda_runtime.h> (see ../README.md): the host API on CPU
// memory and the device-side language (qualifiers, built-in variables, intrinsics, launches) run
// as fibers. Only builds configured with MOCO_CUDA=EMULATE put this directory on the include path.
#pragma once

#include "cuda_emu/types.h"
#include "cuda_emu/runtime_api.h"
#include "cuda_emu/device.h"
#include "cuda_emu/launch.h"
#include "cuda_bf16.h"
#include "cuda_fp16.h"
