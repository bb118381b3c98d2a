// Sampling processors and the L5 draw (see sampling.h). Semantics follow Hugging Face
// transformers' processors; where their floating-point detail is unspecified (ties, summation
// order) the rule is fixed here and documented in moco.h (moco_sample), so the C# side can
// reproduce a draw exactly.
#include "kernels/sampling.h"

#include "common.h"
#include "kernels/dtype_convert.h"
#include "kernels/exp_f32.h"
#include "kernels/logits.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

namespace moco::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Per-thread scratch, reused across calls: sampling runs once per generated token.
struct Scratch {
    std::vector<float> logits;        // the working row when the caller wants no processed copy
    std::vector<int32_t> candidates;  // ids still > -inf, ascending
    std::vector<uint64_t> keys;       // top-p: candidates in walk order (walk_key)
    std::vector<double> bucket_mass;  // top-p: probability mass per key bucket
    std::vector<float> values;        // per candidate: its logit, then exp(logit - max)
    std::vector<double> prefix;       // draw: the running sums of values
    std::vector<int32_t> history;
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// HF RepetitionPenaltyLogitsProcessor: each distinct id of the history once, z < 0 ? z * p : z / p.
void repetition_penalty(float* z, float penalty, const int32_t* history, int n_history,
                        Scratch& s) {
    s.history.assign(history, history + n_history);
    std::sort(s.history.begin(), s.history.end());
    s.history.erase(std::unique(s.history.begin(), s.history.end()), s.history.end());
    for (const int32_t id : s.history) z[id] = z[id] < 0.0f ? z[id] * penalty : z[id] / penalty;
}

// The input had a finite logit (row_max checked it): only the penalty can have removed them all.
moco_status no_finite_logit() {
    return set_error(MOCO_ERR_NUMERIC,
                     "moco_sample: no finite logit is left after the repetition penalty");
}

float max_of(const float* z, const std::vector<int32_t>& ids) {
    float m = -kInf;
    for (const int32_t id : ids) m = std::max(m, z[id]);
    return m;
}

// Drops from `candidates` (and sets to -inf in z) every id whose flag `keep` is false.
template <class Keep>
void filter(float* z, std::vector<int32_t>& candidates, Keep keep) {
    std::size_t kept = 0;
    for (const int32_t id : candidates) {
        if (keep(id)) {
            candidates[kept++] = id;
        } else {
            z[id] = -kInf;
        }
    }
    candidates.resize(kept);
}

// s.values[j] = exp(z[candidates[j]] - m), m = the candidates' max (returned): one vectorisable
// pass, so each sum below reads the weights instead of recomputing them.
float candidate_weights(const float* z, Scratch& s) {
    const std::size_t n = s.candidates.size();
    s.values.resize(n);
    // Ascending distinct ids ending at n - 1 are exactly 0..n-1 (no filter ran): a plain copy.
    if (n > 0 && static_cast<std::size_t>(s.candidates[n - 1]) == n - 1) {
        std::copy(z, z + n, s.values.begin());
    } else {
        for (std::size_t j = 0; j < n; ++j) s.values[j] = z[s.candidates[j]];
    }
    const float m = max_value(s.values.data(), static_cast<int>(n));
    for (std::size_t j = 0; j < n; ++j) s.values[j] = exp_f32(s.values[j] - m);
    return m;
}

// Σ of the weights in ascending id order, one sequential f64 sum: the order every sampling sum
// uses (documented in moco.h so other implementations can match it).
double sequential_sum(const std::vector<float>& weights) {
    double total = 0.0;
    for (const float w : weights) total += static_cast<double>(w);
    return total;
}

// HF TopKLogitsWarper: keep every id whose logit is >= the k-th largest (ties at the k-th value
// all survive). The k-th largest comes from a min-heap of the k largest seen: most logits fail the
// comparison with its top, so this is one cheap pass for the usual k (50).
void top_k(float* z, int k, Scratch& s) {
    if (k <= 0 || static_cast<std::size_t>(k) >= s.candidates.size()) return;
    s.values.clear();
    for (const int32_t id : s.candidates) {
        const float x = z[id];
        if (s.values.size() < static_cast<std::size_t>(k)) {
            s.values.push_back(x);
            std::push_heap(s.values.begin(), s.values.end(), std::greater<float>());
        } else if (x > s.values.front()) {
            std::pop_heap(s.values.begin(), s.values.end(), std::greater<float>());
            s.values.back() = x;
            std::push_heap(s.values.begin(), s.values.end(), std::greater<float>());
        }
    }
    const float kth = s.values.front();
    filter(z, s.candidates, [z, kth](int32_t id) { return z[id] >= kth; });
}

// The walk order of top-p as one integer: ascending keys = logits descending, then ids ascending.
uint64_t walk_key(float logit, int32_t id) {
    const uint32_t bits = float_bits(logit);
    const uint32_t ascending = bits ^ ((bits >> 31) ? 0xFFFFFFFFu : 0x80000000u);  // float order
    return (static_cast<uint64_t>(~ascending) << 32) | static_cast<uint32_t>(id);
}

// Walks s.keys (sorted) from the top, keeping an id while the mass before it is < p (the first
// always). Returns how many are kept, or s.keys.size() + 1 when the walk ran off the end.
std::size_t walk(const float* z, float m, double total, float p, const Scratch& s) {
    double mass = 0.0;
    for (std::size_t j = 0; j < s.keys.size(); ++j) {
        if (j > 0 && !(mass < static_cast<double>(p))) return j;
        const int32_t id = static_cast<int32_t>(s.keys[j] & 0xFFFFFFFFu);
        mass += static_cast<double>(exp_f32(z[id] - m)) / total;
    }
    return s.keys.size() + 1;
}

// HF TopPLogitsWarper, stated from the top: walking ids by (logit desc, id asc), keep an id while
// the probability mass strictly before it is < top_p (the first id always). Sorting the whole row
// would dominate sampling, so a histogram of the probability mass over the top 16 key bits first
// locates the bucket where the mass reaches top_p; only the ids up to the next non-empty bucket
// (a margin for the histogram's own rounding) are sorted and walked exactly - all of them when
// that walk does not stop.
void top_p(float* z, float p, Scratch& s) {
    if (p >= 1.0f) return;
    const float m = candidate_weights(z, s);
    const double total = sequential_sum(s.values);
    s.bucket_mass.assign(std::size_t{1} << 16, 0.0);
    const double scale = 1.0 / total;  // the histogram is a locator: its rounding is covered below
    for (std::size_t j = 0; j < s.candidates.size(); ++j) {
        s.bucket_mass[walk_key(z[s.candidates[j]], 0) >> 48] += s.values[j] * scale;
    }
    std::size_t cut = 0;
    double mass = 0.0;
    while (cut + 1 < s.bucket_mass.size() && mass + s.bucket_mass[cut] < static_cast<double>(p)) {
        mass += s.bucket_mass[cut++];
    }
    do {
        ++cut;
    } while (cut < s.bucket_mass.size() && s.bucket_mass[cut] == 0.0);
    const uint64_t limit =
        cut + 1 < s.bucket_mass.size() ? static_cast<uint64_t>(cut + 1) << 48 : UINT64_MAX;
    s.keys.clear();
    for (const int32_t id : s.candidates) {
        const uint64_t key = walk_key(z[id], id);
        if (key < limit) s.keys.push_back(key);
    }
    std::sort(s.keys.begin(), s.keys.end());
    std::size_t keep = walk(z, m, total, p, s);
    if (keep > s.keys.size()) {
        s.keys.clear();
        for (const int32_t id : s.candidates) s.keys.push_back(walk_key(z[id], id));
        std::sort(s.keys.begin(), s.keys.end());
        keep = std::min(walk(z, m, total, p, s), s.keys.size());
    }
    for (std::size_t j = keep; j < s.keys.size(); ++j) z[s.keys[j] & 0xFFFFFFFFu] = -kInf;
    if (s.keys.size() < s.candidates.size()) {  // ids beyond the sorted region: all dropped
        filter(z, s.candidates, [z, limit](int32_t id) { return walk_key(z[id], id) < limit; });
    }
    filter(z, s.candidates, [z](int32_t id) { return z[id] > -kInf; });
}

// HF MinPLogitsWarper: drop p_v < min_p * max p, i.e. exp(z_v - max z) < min_p.
void min_p(float* z, float min_p_value, Scratch& s) {
    if (min_p_value <= 0.0f) return;
    const float m = max_of(z, s.candidates);
    filter(z, s.candidates,
           [z, m, min_p_value](int32_t id) { return exp_f32(z[id] - m) >= min_p_value; });
}

// L5 inverse CDF: the smallest id whose running sum of exp(z - m) (ascending ids, f64) exceeds
// u * total. total is that same running sum's end and u < 1, so some id always qualifies, and it
// has a positive probability.
//
// The running sums are stored by the one sequential pass that computes total (the stores lengthen
// no dependency chain); they never decrease, so the first to exceed u * total is a binary search.
int32_t draw(const float* z, float u, Scratch& s) {
    candidate_weights(z, s);
    const std::size_t n = s.values.size();
    s.prefix.resize(n);
    double running = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        running += static_cast<double>(s.values[j]);
        s.prefix[j] = running;
    }
    const double target = static_cast<double>(u) * running;
    const auto first_above = std::upper_bound(s.prefix.begin(), s.prefix.end() - 1, target);
    return s.candidates[static_cast<std::size_t>(first_above - s.prefix.begin())];
}

}  // namespace

moco_status sample(const float* logits, int vocab, const SamplingConfig& config,
                   const int32_t* history, int n_history, float u, float* processed,
                   int32_t* token) {
    Scratch& s = scratch();
    float ignored = 0.0f;
    moco_status st = row_max("moco_sample", "logits", 0, logits, vocab, &ignored);
    if (st != MOCO_OK) return st;

    float* z = processed;
    if (z == nullptr) {
        s.logits.resize(static_cast<std::size_t>(vocab));
        z = s.logits.data();
    }
    if (z != logits) std::copy(logits, logits + vocab, z);  // processed may be logits itself

    if (config.repetition_penalty != 1.0f && n_history > 0) {
        repetition_penalty(z, config.repetition_penalty, history, n_history, s);
        // Only the penalised ids changed; a penalty below 1 can overflow one of them.
        for (const int32_t id : s.history) {
            if (!(z[id] < kInf)) {
                return set_error(MOCO_ERR_NUMERIC,
                                 "moco_sample: the logit of id %d overflowed under the repetition "
                                 "penalty %g",
                                 id, static_cast<double>(config.repetition_penalty));
            }
        }
    }
    if (config.temperature == 0.0f) {  // greedy: no warper changes the argmax
        const float m = max_value(z, vocab);
        if (m == -kInf) return no_finite_logit();
        int32_t v = 0;
        while (z[v] != m) ++v;  // the lowest id holding the maximum
        *token = v;
        return MOCO_OK;
    }
    if (config.temperature != 1.0f) {
        int overflow = 0;
        for (int v = 0; v < vocab; ++v) {
            z[v] /= config.temperature;
            overflow |= !(z[v] < kInf);
        }
        if (overflow) {
            return set_error(MOCO_ERR_NUMERIC,
                             "moco_sample: logits / temperature overflowed (temperature %g is too "
                             "small for these logits)",
                             static_cast<double>(config.temperature));
        }
    }

    s.candidates.resize(static_cast<std::size_t>(vocab));
    int dead = 0;  // a flag pass vectorises; the compaction below carries a serial count
    for (int v = 0; v < vocab; ++v) dead |= !(z[v] > -kInf);
    std::size_t live = static_cast<std::size_t>(vocab);
    if (dead) {
        live = 0;
        for (int v = 0; v < vocab; ++v) {  // branch-free compaction of the ids still > -inf
            s.candidates[live] = v;
            live += z[v] > -kInf;
        }
    } else {
        for (int v = 0; v < vocab; ++v) s.candidates[static_cast<std::size_t>(v)] = v;
    }
    s.candidates.resize(live);
    if (live == 0) return no_finite_logit();
    top_k(z, config.top_k, s);
    top_p(z, config.top_p, s);
    min_p(z, config.min_p, s);
    *token = draw(z, u, s);
    return MOCO_OK;
}

}  // namespace moco::kernels
