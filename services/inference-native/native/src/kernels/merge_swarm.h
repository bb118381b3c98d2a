// The particle-swarm pieces of the weight methods (methods-logit-weight.md §1.2): M11, one PSO
// velocity and position update over a tensor's elements, and M12, the softmax that turns a
// DARE-TIES particle into merge weights.
#pragma once

#include "moco.h"

#include <cstdint>

namespace moco::kernels {

struct PsoStep {
    const void* x;  // position
    const void* v;  // velocity
    const void* p;  // personal best
    const void* g;  // global best
    const void* w;  // global worst
    int dtype;
    int64_t count;
    float a, b, c, d, step;
    void* x_out;
    void* v_out;
    int out_dtype;
};

// Arguments validated by the caller; fails only with MOCO_ERR_NUMERIC.
moco_status pso_step(const PsoStep& args);

// M12 over n finite values; out may be x.
void softmax_weights(const float* x, int n, float* out);

}  // namespace moco::kernels
