// The merge of one tensor, streamed chunk by chunk (methods-logit-weight.md §1.2: M1-M8, SLERP).
//
// A merge is elementwise once a few whole-tensor statistics are known: TIES' magnitude threshold
// (M4), DARE's L1 norms before and after the drop (M5) and SLERP's norms and dot product. Those
// come from scan passes over the chunks in order; apply is then a pure function of (plan, element
// index, the inputs' values), so chunks may be applied in any order or in parallel, and the DARE
// mask - a function of (seed, tensor name, model index, element index) - never depends on the
// chunking.
#pragma once

#include "kernels/merge_select.h"
#include "kernels/merge_spec.h"
#include "moco.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace moco::kernels {

// f64 sum whose order is fixed by element index alone: element j goes to lane j % 8 (each lane in
// index order), lanes combined pairwise at the end. In-order chunks of any size give the bits of
// one whole-tensor pass.
struct LaneSum {
    double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};

    // Adds x[0..n), the values of elements first..first+n-1. The lanes live in registers for the
    // aligned middle part, which runs eight independent chains.
    void add(int64_t first, const double* x, int64_t n) {
        double l[8];
        for (int j = 0; j < 8; ++j) l[j] = lane[j];
        int64_t e = 0;
        for (; e < n && ((first + e) & 7) != 0; ++e) l[(first + e) & 7] += x[e];
        for (; e + 8 <= n; e += 8) {
            for (int j = 0; j < 8; ++j) l[j] += x[e + j];
        }
        for (; e < n; ++e) l[(first + e) & 7] += x[e];
        for (int j = 0; j < 8; ++j) lane[j] = l[j];
    }
    // Replaces the sum by one computed elsewhere (total() then returns it).
    void set_total(double total) {
        *this = LaneSum();
        lane[0] = total;
    }
    double total() const {
        return ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
               ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
};

struct ScanBuffers;  // scan's per-call scratch (merge_plan.cpp)

class MergePlan {
public:
    explicit MergePlan(MergeSpec spec);

    const MergeSpec& spec() const { return spec_; }
    bool needs_scan() const { return needs_scan_; }
    int inputs_used() const;

    // Chunk arguments as documented for moco_merge_plan_scan / _apply; `fn` prefixes messages.
    // check_chunk is their range and NULL checks (shared with the CUDA backend's twins).
    moco_status check_chunk(const char* fn, const void* const* inputs, const void* base,
                            int64_t offset, int64_t count) const;
    moco_status scan(const char* fn, const void* const* inputs, const void* base, int64_t offset,
                     int64_t count);
    moco_status end_pass(const char* fn, bool* more);
    moco_status apply(const char* fn, const void* const* inputs, const void* base, int64_t offset,
                      int64_t count, void* out) const;

    // Scan passes run elsewhere: the CUDA backend (src/cuda/merge.cu) computes a pass's statistics
    // on the device, hands them over with these, calls mark_scanned(), then end_pass() as usual,
    // so the thresholds and coefficients come from this class's logic.
    // The selection of a TIES input still in progress, else nullptr.
    MagnitudeSelect* pending_select(std::size_t input) {
        InputState& st = state_[input];
        return st.selecting ? &*st.select : nullptr;
    }
    // Whether input `input` waits for its DARE L1 norms (before and after the drop).
    bool pending_dare_l1(std::size_t input) const { return state_[input].dare_l1; }
    void set_dare_l1(std::size_t input, double before, double after) {
        state_[input].l1_before.set_total(before);
        state_[input].l1_after.set_total(after);
    }
    void set_slerp_sums(double dot, double norm0, double norm1) {
        dot_.set_total(dot);
        norm0_.set_total(norm0);
        norm1_.set_total(norm1);
    }
    void mark_scanned() { next_offset_ = spec_.numel; }

    // What apply runs on once the passes are done: input `input`'s M4 selection (nullptr unless
    // TIES trims it), its DARE L1 factor (1 when not applicable), SLERP's coefficients.
    const MagnitudeSelect* trim(std::size_t input) const {
        const InputState& st = state_[input];
        return st.trims ? &*st.select : nullptr;
    }
    float dare_factor(std::size_t input) const { return state_[input].dare_factor; }
    float slerp_s0() const { return slerp_s0_; }
    float slerp_s1() const { return slerp_s1_; }

private:
    // What scan passes established for one input.
    struct InputState {
        bool trims = false;      // TIES with density < 1
        bool selecting = false;  // its MagnitudeSelect still needs passes
        std::optional<MagnitudeSelect> select;
        bool dare_l1 = false;  // DARE with 0 < density < 1 and L1 rescale
        LaneSum l1_before, l1_after;
        float dare_factor = 1.0f;  // the L1 rescale factor, 1 when not applicable
    };

    void scan_tile(const void* const* inputs, const void* base, int64_t offset, int64_t first,
                   int64_t n, ScanBuffers& buffers);
    void sparsify(std::size_t input, int64_t first, int64_t n, float* delta) const;

    MergeSpec spec_;
    std::vector<InputState> state_;
    bool needs_scan_ = false;
    int64_t next_offset_ = 0;      // scan passes: where the next chunk must start
    LaneSum dot_, norm0_, norm1_;  // SLERP: <θ_b, θ_1>, |θ_b|^2, |θ_1|^2
    bool slerp_lerp_ = false;
    float slerp_s0_ = 1.0f, slerp_s1_ = 0.0f;
};

}  // namespace moco::kernels

// The C handle: a plan, opaque to callers.
struct moco_merge_plan {
    explicit moco_merge_plan(moco::kernels::MergeSpec spec) : plan(std::move(spec)) {}
    moco::kernels::MergePlan plan;
};
