// Turning one stored tensor into a TensorView after checking it against what the config implies.
#pragma once

#include "model/model.h"
#include "model/weight_storage.h"

#include <string>
#include <vector>

namespace moco {

// "[a, b]" for messages.
std::string shape_string(const std::vector<int64_t>& shape);

// Binds the tensor at `where` (called `name`) into *out. `expected` is the shape `source` (e.g.
// "config.json") implies through `formula` (e.g. "[num_attention_heads * head_dim, hidden_size]"),
// both for the message. A tensor stored at an offset misaligned for its dtype is copied into
// storage.realigned so every view is aligned. Errors (MOCO_ERR_IO, "fn: file: tensor ..."): a dtype
// other than F32/F16/BF16, a shape other than `expected`.
moco_status bind_tensor(const char* fn, WeightStorage& storage, const std::string& name,
                        const TensorLocation& where, const std::vector<int64_t>& expected,
                        const char* source, const char* formula, TensorView* out);

}  // namespace moco
