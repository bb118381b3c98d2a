// What the CPU backend derives from a checkpoint's weights before the first forward.
#pragma once

#include "model/model.h"

namespace moco {

struct PreparedWeights {};

}  // namespace moco
