// Arithmetic shared by the merge kernels.
#pragma once

namespace moco::kernels {

// θ + δ, except that a zero δ leaves θ's bits unchanged: IEEE gives -0 + +0 = +0, which would
// break "merging identical models returns that model bit for bit" (checkpoints do hold -0).
inline float add_delta(float theta, float delta) {
    return delta == 0.0f ? theta : theta + delta;
}

}  // namespace moco::kernels
