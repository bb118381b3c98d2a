// Streaming tensor merge: scan passes and the elementwise apply (see merge_plan.h).
#include "kernels/merge_plan.h"

#include "common.h"
#include "cpu/isa.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_math.h"
#include "kernels/philox.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace moco::kernels {
namespace {

// Elements per tile: small enough that every operand's tile stays in L1, large enough to amortise
// the per-tile bookkeeping.
constexpr int64_t kTile = 512;

// One operand's chunk: `data` holds the element that output element `offset` reads.
struct Operand {
    const void* data;
    int dtype;
    int64_t cols;
};

// Output elements [first, first + n) of the chunk starting at `offset`, read from `op` as f32.
void load_tile(const Operand& op, int64_t out_cols, int64_t offset, int64_t first, int64_t n,
               float* dst) {
    const std::size_t size = dtype_bytes(op.dtype);
    const char* bytes = static_cast<const char*>(op.data);
    if (op.cols == out_cols) {
        load_f32(bytes + static_cast<std::size_t>(first - offset) * size, op.dtype,
                 static_cast<std::size_t>(n), dst);
        return;
    }
    const int64_t origin = mapped_index(offset, out_cols, op.cols);
    while (n > 0) {  // a cut embedding: one contiguous run per output row
        const int64_t run = std::min(n, out_cols - first % out_cols);
        const int64_t at = mapped_index(first, out_cols, op.cols) - origin;
        load_f32(bytes + static_cast<std::size_t>(at) * size, op.dtype,
                 static_cast<std::size_t>(run), dst);
        first += run;
        dst += run;
        n -= run;
    }
}

// DARE's keep mask. Philox is integer arithmetic, so the same loop compiled for AVX2 (8 lanes
// instead of SSE2's 4; it dominates DARE merges, which draw every element in scan and in apply)
// gives the same bits.
#if MOCO_X86_KERNELS
MOCO_TARGET_AVX2 __attribute__((flatten)) void keep_mask_avx2(const DareStream& stream,
                                                               uint64_t first, int64_t n,
                                                               double density, uint8_t* keep) {
    stream.keep_mask(first, n, density, keep);
}
#endif

void keep_mask(const DareStream& stream, uint64_t first, int64_t n, double density,
               uint8_t* keep) {
#if MOCO_X86_KERNELS
    static const bool avx2 = cpu::isa_supported(cpu::Isa::Avx2);
    if (avx2) {
        keep_mask_avx2(stream, first, n, density, keep);
        return;
    }
#endif
    stream.keep_mask(first, n, density, keep);
}

uint32_t magnitude_bits(float x) {
    return float_bits(x) & 0x7FFFFFFFu;
}

}  // namespace

struct ScanBuffers {
    float base[kTile];
    float input[kTile];
    uint32_t bits[kTile];
    uint8_t keep[kTile];
    double wide[kTile];  // per-element terms of the f64 sums
};

MergePlan::MergePlan(MergeSpec spec) : spec_(std::move(spec)), state_(spec_.inputs.size()) {
    for (std::size_t i = 0; i < state_.size(); ++i) {
        const MergeInput& in = spec_.inputs[i];
        InputState& st = state_[i];
        if (!in.used) continue;
        if (spec_.method == MOCO_MERGE_TIES && in.density < 1.0) {
            st.trims = st.selecting = true;
            st.select.emplace(
                static_cast<int64_t>(std::floor(in.density * static_cast<double>(spec_.numel))));
        }
        st.dare_l1 = spec_.dare_method() && spec_.rescale == MOCO_RESCALE_L1 && in.density > 0.0 &&
                     in.density < 1.0;
        needs_scan_ = needs_scan_ || st.selecting || st.dare_l1;
    }
    needs_scan_ = needs_scan_ || spec_.method == MOCO_MERGE_SLERP;
}

int MergePlan::inputs_used() const {
    return static_cast<int>(std::count_if(spec_.inputs.begin(), spec_.inputs.end(),
                                          [](const MergeInput& in) { return in.used; }));
}

moco_status MergePlan::check_chunk(const char* fn, const void* const* inputs, const void* base,
                                   int64_t offset, int64_t count) const {
    if (offset < 0 || count < 0 || offset > spec_.numel - count) {
        return set_error(
            MOCO_ERR_INVALID_ARGUMENT,
            "%s: tensor \"%s\": chunk [%lld, %lld + %lld) lies outside the output's %lld elements",
            fn, spec_.tensor_name.c_str(), static_cast<long long>(offset),
            static_cast<long long>(offset), static_cast<long long>(count),
            static_cast<long long>(spec_.numel));
    }
    if (inputs == nullptr) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": inputs is NULL; pass one pointer per input", fn,
                         spec_.tensor_name.c_str());
    }
    for (std::size_t i = 0; i < spec_.inputs.size(); ++i) {
        if (spec_.inputs[i].used && inputs[i] == nullptr && count > 0) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": inputs[%zu] is NULL but that input takes part", fn,
                             spec_.tensor_name.c_str(), i);
        }
    }
    if (spec_.uses_base() && base == nullptr && count > 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": base is NULL but the method needs it", fn,
                         spec_.tensor_name.c_str());
    }
    return MOCO_OK;
}

moco_status MergePlan::scan(const char* fn, const void* const* inputs, const void* base,
                            int64_t offset, int64_t count) {
    if (!needs_scan_) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": no scan pass is pending; call moco_merge_plan_apply",
                         fn, spec_.tensor_name.c_str());
    }
    const moco_status st = check_chunk(fn, inputs, base, offset, count);
    if (st != MOCO_OK) return st;
    if (offset != next_offset_) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": scan chunk starts at %lld but the pass has covered "
                         "[0, %lld); scan chunks in increasing, contiguous order",
                         fn, spec_.tensor_name.c_str(), static_cast<long long>(offset),
                         static_cast<long long>(next_offset_));
    }
    ScanBuffers buffers;
    for (int64_t first = offset; first < offset + count; first += kTile) {
        scan_tile(inputs, base, offset, first, std::min(kTile, offset + count - first), buffers);
    }
    next_offset_ = offset + count;
    return MOCO_OK;
}

void MergePlan::scan_tile(const void* const* inputs, const void* base, int64_t offset,
                          int64_t first, int64_t n, ScanBuffers& buffers) {
    float* b = buffers.base;
    float* x = buffers.input;
    const Operand base_op{base, spec_.base_dtype, spec_.base_cols};
    load_tile(base_op, spec_.cols, offset, first, n, b);
    if (spec_.method == MOCO_MERGE_SLERP) {
        load_tile({inputs[0], spec_.inputs[0].dtype, spec_.inputs[0].cols}, spec_.cols, offset,
                  first, n, x);
        double* products = buffers.wide;
        for (int64_t e = 0; e < n; ++e) products[e] = static_cast<double>(b[e]) * x[e];
        dot_.add(first, products, n);
        for (int64_t e = 0; e < n; ++e) products[e] = static_cast<double>(b[e]) * b[e];
        norm0_.add(first, products, n);
        for (int64_t e = 0; e < n; ++e) products[e] = static_cast<double>(x[e]) * x[e];
        norm1_.add(first, products, n);
        return;
    }
    uint32_t* bits = buffers.bits;
    for (std::size_t i = 0; i < state_.size(); ++i) {
        InputState& st = state_[i];
        if (!st.selecting && !st.dare_l1) continue;
        const MergeInput& in = spec_.inputs[i];
        load_tile({inputs[i], in.dtype, in.cols}, spec_.cols, offset, first, n, x);
        for (int64_t e = 0; e < n; ++e) x[e] -= b[e];
        if (st.selecting) {
            for (int64_t e = 0; e < n; ++e) bits[e] = magnitude_bits(x[e]);
            st.select->add(bits, n, first);
        } else {
            keep_mask(DareStream(spec_.seed, spec_.name_hash, in.model_index),
                      static_cast<uint64_t>(first), n, in.density, buffers.keep);
            double* magnitude = buffers.wide;
            for (int64_t e = 0; e < n; ++e) magnitude[e] = std::fabs(static_cast<double>(x[e]));
            st.l1_before.add(first, magnitude, n);
            for (int64_t e = 0; e < n; ++e) magnitude[e] = buffers.keep[e] ? magnitude[e] : 0.0;
            st.l1_after.add(first, magnitude, n);
        }
    }
}

moco_status MergePlan::end_pass(const char* fn, bool* more) {
    if (!needs_scan_) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\": no scan pass is pending",
                         fn, spec_.tensor_name.c_str());
    }
    if (next_offset_ != spec_.numel) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": the pass covered [0, %lld) of %lld elements; scan "
                         "every chunk before ending the pass",
                         fn, spec_.tensor_name.c_str(), static_cast<long long>(next_offset_),
                         static_cast<long long>(spec_.numel));
    }
    next_offset_ = 0;
    needs_scan_ = false;
    for (InputState& st : state_) {
        if (st.selecting) {
            st.selecting = !st.select->end_pass();
            needs_scan_ = needs_scan_ || st.selecting;
        }
        if (st.dare_l1) {
            // mergekit's rescale_sum: scale back to the original L1 norm unless either is ~0.
            const double before = st.l1_before.total(), after = st.l1_after.total();
            st.dare_factor =
                before >= 1e-7 && after >= 1e-7 ? static_cast<float>(before / after) : 1.0f;
            st.dare_l1 = false;
        }
    }
    if (spec_.method == MOCO_MERGE_SLERP) {
        // mergekit's slerp: normalise each vector unless its norm is <= 1e-8, then interpolate
        // the angle, falling back to lerp for nearly colinear vectors.
        const double n0 = std::sqrt(norm0_.total()), n1 = std::sqrt(norm1_.total());
        const double c = dot_.total() / ((n0 > 1e-8 ? n0 : 1.0) * (n1 > 1e-8 ? n1 : 1.0));
        const double t = spec_.t;
        slerp_lerp_ = std::fabs(c) > 0.9995;
        if (slerp_lerp_) {
            slerp_s0_ = static_cast<float>(1.0 - t);
            slerp_s1_ = spec_.t;
        } else {
            const double phi = std::acos(c), sin_phi = std::sin(phi);
            slerp_s0_ = static_cast<float>(std::sin((1.0 - t) * phi) / sin_phi);
            slerp_s1_ = static_cast<float>(std::sin(t * phi) / sin_phi);
        }
    }
    *more = needs_scan_;
    return MOCO_OK;
}

// Sparsifies input `input`'s task-vector tile in place (M4 trim or M5 drop and rescale).
void MergePlan::sparsify(std::size_t input, int64_t first, int64_t n, float* delta) const {
    const MergeInput& in = spec_.inputs[input];
    const InputState& st = state_[input];
    if (st.trims) {
        // select.keep, restated per tile so the loop is branch-free and vectorises (about half
        // the entries are dropped, which a branch mispredicts): ties with the threshold are kept
        // up to the tie cut, i.e. for tile positions e < ties_end.
        const MagnitudeSelect& select = *st.select;
        const uint32_t threshold = select.threshold();
        const int ties_end =
            static_cast<int>(std::clamp(select.tie_cut() - first, int64_t{-1}, n - 1) + 1);
        for (int e = 0; e < static_cast<int>(n); ++e) {
            const uint32_t bits = magnitude_bits(delta[e]);
            const bool keep = (bits > threshold) | ((bits == threshold) & (e < ties_end));
            delta[e] = keep ? delta[e] : 0.0f;
        }
        return;
    }
    if (!spec_.dare_method() || in.density >= 1.0) return;  // density >= 1: unchanged, no draws
    if (in.density <= 0.0) {
        std::fill(delta, delta + n, 0.0f);
        return;
    }
    uint8_t keep[kTile];
    keep_mask(DareStream(spec_.seed, spec_.name_hash, in.model_index),
              static_cast<uint64_t>(first), n, in.density, keep);
    for (int64_t e = 0; e < n; ++e) delta[e] = keep[e] ? delta[e] : 0.0f;
    if (spec_.rescale == MOCO_RESCALE_L1 && st.dare_factor != 1.0f) {
        for (int64_t e = 0; e < n; ++e) delta[e] *= st.dare_factor;
    } else if (spec_.rescale == MOCO_RESCALE_INVERSE_DENSITY) {
        const float density = static_cast<float>(in.density);
        for (int64_t e = 0; e < n; ++e) delta[e] /= density;
    }
}

moco_status MergePlan::apply(const char* fn, const void* const* inputs, const void* base,
                             int64_t offset, int64_t count, void* out) const {
    if (needs_scan_) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": scan passes are pending; run them "
                         "(moco_merge_plan_scan / moco_merge_plan_end_pass) before apply",
                         fn, spec_.tensor_name.c_str());
    }
    moco_status st = check_chunk(fn, inputs, base, offset, count);
    if (st != MOCO_OK) return st;
    if (out == nullptr && count > 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\": out is NULL", fn,
                         spec_.tensor_name.c_str());
    }

    std::vector<std::size_t> used;
    for (std::size_t i = 0; i < spec_.inputs.size(); ++i) {
        if (spec_.inputs[i].used) used.push_back(i);
    }
    std::vector<float> buffer(static_cast<std::size_t>(kTile) * (used.size() + 3));
    std::vector<int32_t> vote_buffer(static_cast<std::size_t>(kTile));
    float* b = buffer.data();
    float* acc = b + kTile;
    float* sum = acc + kTile;             // M6's Σ u_i, then D
    float* tiles = sum + kTile;           // one tile per used input
    int32_t* votes = vote_buffer.data();  // Σ sign(u_i), then σ
    const float limit = dtype_finite_limit(spec_.out_dtype);
    const std::size_t out_size = dtype_bytes(spec_.out_dtype);

    for (int64_t first = offset; first < offset + count; first += kTile) {
        const int64_t n = std::min(kTile, offset + count - first);
        if (spec_.uses_base())
            load_tile({base, spec_.base_dtype, spec_.base_cols}, spec_.cols, offset, first, n, b);
        for (std::size_t j = 0; j < used.size(); ++j) {
            const MergeInput& in = spec_.inputs[used[j]];
            load_tile({inputs[used[j]], in.dtype, in.cols}, spec_.cols, offset, first, n,
                      tiles + j * kTile);
        }

        if (spec_.method == MOCO_MERGE_LINEAR) {
            // M1. Weight-0 inputs are skipped, never multiplied (as in L2), and the first
            // contributing term starts the sum, so a one-hot weight vector (M10's e_i) returns
            // that input bit for bit; then one division.
            bool started = false;
            for (std::size_t j = 0; j < used.size(); ++j) {
                const float w = spec_.inputs[used[j]].weight;
                const float* x = tiles + j * kTile;
                if (w == 0.0f) continue;
                if (!started) {
                    for (int64_t e = 0; e < n; ++e) acc[e] = w * x[e];
                } else {
                    for (int64_t e = 0; e < n; ++e) acc[e] += w * x[e];
                }
                started = true;
            }
            if (!started) std::fill(acc, acc + n, 0.0f);
            if (spec_.normalize) {
                for (int64_t e = 0; e < n; ++e) acc[e] /= spec_.weight_sum;
            }
        } else if (spec_.method == MOCO_MERGE_EXTRAPOLATE) {
            const float* target = tiles;
            for (int64_t e = 0; e < n; ++e)
                acc[e] = add_delta(target[e], spec_.alpha * (target[e] - b[e]));
        } else if (spec_.method == MOCO_MERGE_SLERP) {
            const float* x = tiles;
            for (int64_t e = 0; e < n; ++e) acc[e] = slerp_s0_ * b[e] + slerp_s1_ * x[e];
        } else {
            // M3 task vectors, sparsified, weighted: u_j = w_j * sparsify(θ_j - θ_b).
            for (std::size_t j = 0; j < used.size(); ++j) {
                float* u = tiles + j * kTile;
                for (int64_t e = 0; e < n; ++e) u[e] -= b[e];
                sparsify(used[j], first, n, u);
                const float w = spec_.inputs[used[j]].weight;
                for (int64_t e = 0; e < n; ++e) u[e] *= w;
            }
            // M6. Loops run input by input over the tile (so they vectorise); each element's sums
            // still add the inputs in order. A disagreeing input adds +0, which leaves a sum that
            // started at +0 unchanged, as skipping it would.
            if (spec_.consensus_method()) {
                std::fill(sum, sum + n, 0.0f);
                std::fill(votes, votes + n, 0);
                for (std::size_t j = 0; j < used.size(); ++j) {
                    const float* u = tiles + j * kTile;
                    for (int64_t e = 0; e < n; ++e) {
                        sum[e] += u[e];
                        votes[e] += sign_of(u[e]);
                    }
                }
                for (int64_t e = 0; e < n; ++e) {  // σ, kept in votes
                    votes[e] =
                        (spec_.consensus == MOCO_CONSENSUS_SUM ? sum[e] >= 0.0f : votes[e] >= 0)
                            ? 1
                            : -1;
                }
                std::fill(acc, acc + n, 0.0f);
                std::fill(sum, sum + n, 0.0f);  // now D, the agreeing weight
                for (std::size_t j = 0; j < used.size(); ++j) {
                    const float* u = tiles + j * kTile;
                    const float w = spec_.inputs[used[j]].weight;
                    for (int64_t e = 0; e < n; ++e) {
                        const bool agrees = sign_of(u[e]) == votes[e];
                        acc[e] += agrees ? u[e] : 0.0f;
                        sum[e] += agrees ? w : 0.0f;
                    }
                }
                if (spec_.normalize) {
                    for (int64_t e = 0; e < n; ++e) acc[e] /= sum[e] == 0.0f ? 1.0f : sum[e];
                }
            } else {
                std::fill(acc, acc + n, 0.0f);
                for (std::size_t j = 0; j < used.size(); ++j) {
                    for (int64_t e = 0; e < n; ++e) acc[e] += tiles[j * kTile + e];
                }
                if (spec_.normalize) {
                    const float divisor =
                        std::fabs(spec_.weight_sum) < 1e-8f ? 1.0f : spec_.weight_sum;
                    for (int64_t e = 0; e < n; ++e) acc[e] /= divisor;
                }
            }
            if (spec_.lambda != 1.0f) {
                for (int64_t e = 0; e < n; ++e) acc[e] *= spec_.lambda;
            }
            for (int64_t e = 0; e < n; ++e) acc[e] = add_delta(b[e], acc[e]);
        }

        int bad = 0;  // a flag pass vectorises; the element is looked up only on failure
        for (int64_t e = 0; e < n; ++e) bad |= !(std::fabs(acc[e]) < limit);
        if (bad) {
            int64_t e = 0;
            while (std::fabs(acc[e]) < limit) ++e;
            return set_error(MOCO_ERR_NUMERIC,
                             "%s: tensor \"%s\": element %lld of the merge is %g, which is not "
                             "finite in %s (non-finite inputs, or weights too large)",
                             fn, spec_.tensor_name.c_str(), static_cast<long long>(first + e),
                             static_cast<double>(acc[e]), dtype_name(spec_.out_dtype));
        }
        store_f32(acc, static_cast<std::size_t>(n), spec_.out_dtype,
                  static_cast<char*>(out) + static_cast<std::size_t>(first - offset) * out_size);
    }
    return MOCO_OK;
}

}  // namespace moco::kernels
