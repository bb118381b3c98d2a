// M4's magnitude trim over a tensor that arrives in chunks: which k entries of |δ| are the largest
// (equal magnitudes: lowest flat index first), found without holding the tensor.
//
// |δ| is ordered by its f32 bit pattern (sign cleared: for non-negative floats the bits order like
// the values). A radix select finds the k-th largest pattern T in two histogram passes
// (bits 30..15, then bits 14..0 among the entries sharing the winning top half); the entries above
// T are all kept, and of those equal to T the lowest-index ones - found by a third, in-order pass
// only when some but not all of them fit. An entry is then kept iff bits > T, or bits == T and
// index <= cut.
#pragma once

#include "kernels/merge_math.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moco::kernels {

class MagnitudeSelect {
public:
    explicit MagnitudeSelect(int64_t k);

    // One pass's view of |δ| bits for elements [first, first + n), in increasing order of first.
    void add(const uint32_t* magnitude_bits, int64_t n, int64_t first);
    // Ends a pass; returns true when the selection is complete.
    bool end_pass();

    bool keep(uint32_t magnitude_bits, int64_t index) const {
        return trim_keeps(magnitude_bits, index, threshold_, tie_cut_);
    }
    uint32_t threshold() const { return threshold_; }
    int64_t tie_cut() const { return tie_cut_; }

    // A pass counted elsewhere (the CUDA backend's device scan, src/cuda/merge.cu) instead of by
    // add(): passes 0 and 1 hand over their histogram - bins() counts of bits >> kLowBits, then,
    // among the entries with bits >> kLowBits == high(), of bits & kLowMask - and pass 2 the tie
    // cut, the index of the ties_needed()-th entry equal to threshold() in index order.
    static constexpr int kLowBits = 15;
    static constexpr uint32_t kLowMask = (1u << kLowBits) - 1;
    int pass() const { return pass_; }
    std::size_t bins() const { return histogram_.size(); }
    uint32_t high() const { return high_; }
    int64_t ties_needed() const { return ties_needed_; }
    void add_histogram(const uint64_t* counts);
    void set_tie_cut(int64_t index) { tie_cut_ = index; }

private:
    int pass_ = 0;
    int64_t k_;
    std::vector<uint64_t> histogram_;
    uint32_t high_ = 0;        // the winning bits 30..15 (after pass 0)
    int64_t above_ = 0;        // entries known to be larger than the candidates
    int64_t ties_needed_ = 0;  // entries equal to T that fit (pass 2 walks to the last of them)
    int64_t ties_seen_ = 0;
    uint32_t threshold_ = 0;
    int64_t tie_cut_ = INT64_MAX;
};

}  // namespace moco::kernels
