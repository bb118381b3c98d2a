// Writing F32 values as a safetensors file: 8-byte little-endian header length, the JSON header
// (padded with spaces to a multiple of 8 so the data is aligned), then the tensors in the given
// order, each converted to one dtype. What the trainer's checkpoints and states are written with.
#pragma once

#include "moco.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace moco::train {

struct OutTensor {
    std::string name;
    std::vector<int64_t> shape;
    const float* values;   // numel F32 values, converted to `dtype` on writing
};

// Writes `tensors` in `dtype` (MOCO_DTYPE_F32, _BF16 or _F16) to `path`, with "format": "pt" and
// `metadata` in the header's "__metadata__". MOCO_ERR_IO naming the path when it cannot be written.
moco_status write_safetensors(const char* fn, const std::string& path, const std::vector<OutTensor>& tensors,
                              int dtype, const std::vector<std::pair<std::string, std::string>>& metadata = {});

}  // namespace moco::train
