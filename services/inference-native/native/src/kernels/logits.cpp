// Logit kernels L1-L4, entropy, top-1 probability, top-k (see logits.h).
#include "kernels/logits.h"

#include "common.h"
#include "kernels/exp_f32.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

namespace moco::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

const float* row_of(const float* base, int stride, int row) {
    return base + static_cast<std::ptrdiff_t>(row) * stride;
}

// NaN and +inf are the values no logit may take; -inf is a probability of 0.
bool forbidden(float x) {
    return !(x < kInf);
}

// The first column of `z` holding NaN or +inf, or -1. A flag pass that vectorises; the position is
// looked up only on failure.
int first_forbidden(const float* z, int n) {
    int bad = 0;
    for (int v = 0; v < n; ++v) bad |= forbidden(z[v]);
    if (!bad) return -1;
    int v = 0;
    while (!forbidden(z[v])) ++v;
    return v;
}

// As first_forbidden, for -inf too: contrastive inputs must be finite.
int first_not_finite(const float* z, int n) {
    int bad = 0;
    for (int v = 0; v < n; ++v) bad |= !(std::fabs(z[v]) < kInf);
    if (!bad) return -1;
    int v = 0;
    while (std::fabs(z[v]) < kInf) ++v;
    return v;
}

double combine_lanes(const double* lanes) {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
           ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Σ_v exp(z[v] - m) * (z[v] - m) in sum_exp's lane order, entries with exp = 0 skipped (their
// z - m may be -inf, and 0 * -inf would be NaN).
double sum_exp_times_shift(const float* z, int n, float m) {
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int v = 0;
    for (; v + 8 <= n; v += 8) {
        for (int j = 0; j < 8; ++j) {
            const float x = z[v + j] - m;
            const float e = exp_f32(x);
            lanes[j] += e > 0.0f ? static_cast<double>(e) * static_cast<double>(x) : 0.0;
        }
    }
    for (int j = 0; v < n; ++v, ++j) {
        const float x = z[v] - m;
        const float e = exp_f32(x);
        lanes[j] += e > 0.0f ? static_cast<double>(e) * static_cast<double>(x) : 0.0;
    }
    return combine_lanes(lanes);
}

}  // namespace

float max_value(const float* z, int n) {
    // On an order-preserving integer key of the bits (negative floats flipped), because GCC
    // vectorises an integer max but not a float one without -ffinite-math-only.
    int32_t best = INT32_MIN;
    for (int v = 0; v < n; ++v) {
        int32_t bits;
        std::memcpy(&bits, &z[v], sizeof(bits));
        const int32_t key = bits ^ ((bits >> 31) & 0x7FFFFFFF);
        best = key > best ? key : best;
    }
    const int32_t bits = best ^ ((best >> 31) & 0x7FFFFFFF);  // the key map is its own inverse
    float m;
    std::memcpy(&m, &bits, sizeof(m));
    return m;
}

moco_status row_max(const char* fn, const char* what, int row, const float* z, int n, float* max) {
    const int bad = first_forbidden(z, n);
    if (bad >= 0) {
        return set_error(MOCO_ERR_NUMERIC,
                         "%s: row %d of %s holds %s at column %d (logits must be finite or -inf)",
                         fn, row, what, std::isnan(z[bad]) ? "NaN" : "+inf", bad);
    }
    const float m = max_value(z, n);
    if (m == -kInf) {
        return set_error(MOCO_ERR_NUMERIC,
                         "%s: row %d of %s has no finite entry (every probability would be 0)", fn,
                         row, what);
    }
    *max = m;
    return MOCO_OK;
}

double sum_exp(const float* z, int n, float m) {
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int v = 0;
    for (; v + 8 <= n; v += 8) {
        for (int j = 0; j < 8; ++j) lanes[j] += static_cast<double>(exp_f32(z[v + j] - m));
    }
    for (int j = 0; v < n; ++v, ++j) lanes[j] += static_cast<double>(exp_f32(z[v] - m));
    return combine_lanes(lanes);
}

moco_status log_softmax(const float* z, int rows, int vocab, float* out) {
    for (int r = 0; r < rows; ++r) {
        const float* zr = row_of(z, vocab, r);
        float* outr = out + static_cast<std::ptrdiff_t>(r) * vocab;
        float m = 0.0f;  // set by row_max
        const moco_status st = row_max("moco_log_softmax", "logits", r, zr, vocab, &m);
        if (st != MOCO_OK) return st;
        const float log_sum = static_cast<float>(std::log(sum_exp(zr, vocab, m)));
        for (int v = 0; v < vocab; ++v) outr[v] = (zr[v] - m) - log_sum;
    }
    return MOCO_OK;
}

moco_status fuse(const float* const* inputs, const int* strides, const float* weights, int n,
                 int rows, int vocab, float* out) {
    for (int r = 0; r < rows; ++r) {
        float* o = out + static_cast<std::ptrdiff_t>(r) * vocab;
        bool started = false;
        for (int i = 0; i < n; ++i) {
            const float w = weights != nullptr ? weights[i] : 1.0f;
            if (w == 0.0f) continue;  // skipped, never multiplied: 0 * -inf would be NaN
            const float* z = row_of(inputs[i], strides != nullptr ? strides[i] : vocab, r);
            const int bad = first_forbidden(z, vocab);
            if (bad >= 0) {
                return set_error(MOCO_ERR_NUMERIC,
                                 "moco_logits_fuse: input %d, row %d, column %d holds %s (logits "
                                 "must be finite or -inf)",
                                 i, r, bad, std::isnan(z[bad]) ? "NaN" : "+inf");
            }
            // The first contributing term starts the sum (equal to starting from 0, except that
            // a -0 stays -0, so weights (1, 0) reproduce input 0 bit for bit).
            if (!started) {
                for (int v = 0; v < vocab; ++v) o[v] = weights != nullptr ? w * z[v] : z[v];
                started = true;
            } else if (weights != nullptr) {
                for (int v = 0; v < vocab; ++v) o[v] += w * z[v];
            } else {
                for (int v = 0; v < vocab; ++v) o[v] += z[v];
            }
        }
        if (weights == nullptr) {
            const float count = static_cast<float>(n);
            for (int v = 0; v < vocab; ++v) o[v] /= count;
        }
        const int bad = first_forbidden(o, vocab);
        if (bad >= 0) {
            return set_error(MOCO_ERR_NUMERIC,
                             "moco_logits_fuse: row %d, column %d of the result is %s (a negative "
                             "weight on a -inf logit; use weights >= 0 or inputs without -inf)",
                             r, bad, std::isnan(o[bad]) ? "NaN" : "+inf");
        }
    }
    return MOCO_OK;
}

moco_status contrast(const float* const* inputs, const int* strides, int k, float lambda, int rows,
                     int vocab, float* out) {
    for (int r = 0; r < rows; ++r) {
        float* o = out + static_cast<std::ptrdiff_t>(r) * vocab;
        for (int i = 0; i < 2 * k; ++i) {
            const float* z = row_of(inputs[i], strides != nullptr ? strides[i] : vocab, r);
            const int bad = first_not_finite(z, vocab);
            if (bad >= 0) {
                return set_error(
                    MOCO_ERR_NUMERIC,
                    "moco_logits_contrast: input %d (%s_%d), row %d, column %d is not finite "
                    "(contrastive inputs must be finite: full log-probs of finite logits are)",
                    i, i < k ? "top" : "bottom", (i % k) + 1, r, bad);
            }
        }
        for (int v = 0; v < vocab; ++v) o[v] = 0.0f;
        for (int j = 0; j < k; ++j) {
            const float* top = row_of(inputs[j], strides != nullptr ? strides[j] : vocab, r);
            const float* bot =
                row_of(inputs[k + j], strides != nullptr ? strides[k + j] : vocab, r);
            for (int v = 0; v < vocab; ++v) o[v] += top[v];
            for (int v = 0; v < vocab; ++v) o[v] -= bot[v];
        }
        const float* top1 = row_of(inputs[0], strides != nullptr ? strides[0] : vocab, r);
        for (int v = 0; v < vocab; ++v) o[v] = lambda * o[v] + top1[v];
        const int bad = first_not_finite(o, vocab);
        if (bad >= 0) {
            return set_error(MOCO_ERR_NUMERIC,
                             "moco_logits_contrast: row %d, column %d of the result overflowed "
                             "(lambda %g too large for these logits)",
                             r, bad, static_cast<double>(lambda));
        }
    }
    return MOCO_OK;
}

moco_status plausibility_cut(const float* anchor, int anchor_stride, float alpha, int rows,
                             int vocab, float* z) {
    if (alpha == 0.0f) return MOCO_OK;
    for (int r = 0; r < rows; ++r) {
        const float* a = row_of(anchor, anchor_stride, r);
        float* zr = z + static_cast<std::ptrdiff_t>(r) * vocab;
        float m = 0.0f;  // set by row_max
        const moco_status st =
            row_max("moco_logits_plausibility_cut", "the anchor", r, a, vocab, &m);
        if (st != MOCO_OK) return st;
        // p_a[v] >= alpha * max p_a  <=>  z_a[v] >= max z_a + ln(alpha); the threshold is formed in
        // double and rounded once, and never exceeds m, so the anchor's argmax always survives.
        const float threshold =
            static_cast<float>(static_cast<double>(m) + std::log(static_cast<double>(alpha)));
        for (int v = 0; v < vocab; ++v) zr[v] = a[v] >= threshold ? zr[v] : -kInf;
    }
    return MOCO_OK;
}

moco_status entropy(const float* z, int rows, int vocab, float* out) {
    for (int r = 0; r < rows; ++r) {
        const float* zr = row_of(z, vocab, r);
        float m = 0.0f;  // set by row_max
        const moco_status st = row_max("moco_logits_entropy", "logits", r, zr, vocab, &m);
        if (st != MOCO_OK) return st;
        // H = -Σ p (z - m - ln s) = ln s - Σ e (z - m) / s, with e = exp(z - m), s = Σ e.
        const double s = sum_exp(zr, vocab, m);
        const double h = std::log(s) - sum_exp_times_shift(zr, vocab, m) / s;
        out[r] =
            static_cast<float>(h > 0.0 ? h : 0.0);  // rounding can dip below 0 for one-hot rows
    }
    return MOCO_OK;
}

moco_status top1_prob(const float* z, int rows, int vocab, float* out) {
    for (int r = 0; r < rows; ++r) {
        const float* zr = row_of(z, vocab, r);
        float m = 0.0f;  // set by row_max
        const moco_status st = row_max("moco_logits_top1_prob", "logits", r, zr, vocab, &m);
        if (st != MOCO_OK) return st;
        out[r] = static_cast<float>(1.0 / sum_exp(zr, vocab, m));  // exp(m - m) = 1 over the sum
    }
    return MOCO_OK;
}

moco_status top_k(const float* values, int rows, int vocab, int k, int32_t* ids,
                  float* top_values) {
    std::vector<int32_t> order(static_cast<std::size_t>(vocab));
    for (int r = 0; r < rows; ++r) {
        const float* row = row_of(values, vocab, r);
        for (int v = 0; v < vocab; ++v) {
            if (std::isnan(row[v])) {
                return set_error(MOCO_ERR_NUMERIC, "moco_logits_top_k: row %d, column %d is NaN", r,
                                 v);
            }
        }
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(
            order.begin(), order.begin() + k, order.end(),
            [row](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
        for (int j = 0; j < k; ++j) {
            ids[static_cast<std::ptrdiff_t>(r) * k + j] = order[static_cast<std::size_t>(j)];
            if (top_values != nullptr)
                top_values[static_cast<std::ptrdiff_t>(r) * k + j] =
                    row[order[static_cast<std::size_t>(j)]];
        }
    }
    return MOCO_OK;
}

}  // namespace moco::kernels
