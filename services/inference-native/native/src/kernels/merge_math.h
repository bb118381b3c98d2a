// Arithmetic shared by the merge kernels, on the CPU and on the GPU (src/cuda/merge.cu).
#pragma once

#include "kernels/host_device.h"

#include <cstdint>

namespace moco::kernels {

// θ + δ, except that a zero δ leaves θ's bits unchanged: IEEE gives -0 + +0 = +0, which would
// break "merging identical models returns that model bit for bit" (checkpoints do hold -0).
MOCO_HOST_DEVICE inline float add_delta(float theta, float delta) {
    return delta == 0.0f ? theta : theta + delta;
}

// M6's sign: -1, 0 or +1 (sign(0) = 0 never agrees with an elected sign).
MOCO_HOST_DEVICE inline int sign_of(float x) {
    return (x > 0.0f) - (x < 0.0f);
}

// M4's keep rule for an entry of |δ| bits `bits` at flat index `index`, given the selection's
// threshold pattern and tie cut (merge_select.h).
MOCO_HOST_DEVICE inline bool trim_keeps(uint32_t bits, int64_t index, uint32_t threshold,
                                        int64_t tie_cut) {
    return bits > threshold || (bits == threshold && index <= tie_cut);
}

}  // namespace moco::kernels
