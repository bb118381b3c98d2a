// The bytes behind a model's (or an adapter's) TensorViews: the safetensors files, mapped or read,
// plus aligned copies of the few tensors a file stores at an offset misaligned for their dtype.
#pragma once

#include "safetensors/tensor_files.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace moco {

struct WeightStorage {
    TensorFiles files;
    std::vector<std::unique_ptr<uint8_t[]>> realigned;
};

}  // namespace moco
