// The definition behind the opaque moco_context handle. Internal: other parts of libmoco (models,
// sequences) read it; callers only ever see the pointer.
#pragma once

#include "moco.h"

#include <string>

struct moco_context {
    std::string device;             // canonical device string: "cpu" or "cuda:N"
    moco_device_kind kind = MOCO_DEVICE_CPU;
    int cuda_index = -1;            // N for "cuda:N", -1 on the CPU
    int threads = 1;                // resolved host thread count (>= 1)
};
