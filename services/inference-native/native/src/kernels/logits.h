// Logit kernels L1-L4 of methods-logit-weight.md §1.1 plus the per-row statistics the engine
// reports (entropy, top-1 probability, top-k). Rows are f32, may hold -inf (probability 0), never
// NaN or +inf. Every reduction runs in one fixed order (see sum_exp), so results do not depend on
// threads or batching. Arguments are validated by the api_logits.cpp entry points; these functions
// only report numeric failures (MOCO_ERR_NUMERIC, message prefixed with `fn`).
#pragma once

#include "moco.h"

#include <cstdint>

namespace moco::kernels {

// The largest of n values, none of them NaN (-0 and +0 may come back as either).
float max_value(const float* z, int n);

// The row's maximum. MOCO_ERR_NUMERIC when the row holds NaN or +inf, or no finite entry.
moco_status row_max(const char* fn, const char* what, int row, const float* z, int n, float* max);

// Σ_v exp(z[v] - m) in f64: element v goes to lane v % 8, lanes are summed in index order and then
// combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)). This is the only order used, on every thread.
double sum_exp(const float* z, int n, float m);

// L1: out = z - m - ln Σ exp(z - m), row by row; out may be z.
moco_status log_softmax(const float* z, int rows, int vocab, float* out);

// L2: Σ_{w_i != 0} w_i z_i in input order (weights NULL: (Σ z_i) / n). out overlaps no input.
moco_status fuse(const float* const* inputs, const int* strides, const float* weights, int n,
                 int rows, int vocab, float* out);

// L3: acc = 0; acc += top_j; acc -= bot_j (j = 1..k); out = lambda * acc + top_1.
moco_status contrast(const float* const* inputs, const int* strides, int k, float lambda, int rows,
                     int vocab, float* out);

// L4: entries of `z` whose anchor value is below max(anchor) + ln(alpha) become -inf (alpha > 0).
moco_status plausibility_cut(const float* anchor, int anchor_stride, float alpha, int rows,
                             int vocab, float* z);

// Entropy (nats) and largest probability of softmax(z), per row.
moco_status entropy(const float* z, int rows, int vocab, float* out);
moco_status top1_prob(const float* z, int rows, int vocab, float* out);

// The k largest values of each row, descending, equal values lowest index first.
moco_status top_k(const float* values, int rows, int vocab, int k, int32_t* ids, float* top_values);

}  // namespace moco::kernels
