// The bytes behind a model's TensorViews: mapped safetensors files and owned buffers.
#pragma once

namespace moco {

struct WeightStorage {};

}  // namespace moco
