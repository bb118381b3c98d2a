// Streaming magnitude selection for M4 (see merge_select.h).
#include "kernels/merge_select.h"

#include <cstddef>

namespace moco::kernels {
namespace {

constexpr int kLowBits = MagnitudeSelect::kLowBits;
constexpr uint32_t kLowMask = MagnitudeSelect::kLowMask;

// Walks `histogram` from the top bin down to the one holding the `rank`-th largest entry (1-based);
// *before receives how many entries lie in higher bins.
uint32_t bin_of_rank(const std::vector<uint64_t>& histogram, int64_t rank, int64_t* before) {
    int64_t seen = 0;
    for (std::size_t bin = histogram.size(); bin-- > 0;) {
        const int64_t count = static_cast<int64_t>(histogram[bin]);
        if (seen + count >= rank) {
            *before = seen;
            return static_cast<uint32_t>(bin);
        }
        seen += count;
    }
    *before = seen;
    return 0;  // rank exceeds the entries: cannot happen, k <= numel is checked at plan creation
}

}  // namespace

MagnitudeSelect::MagnitudeSelect(int64_t k) : k_(k), histogram_(std::size_t{1} << 16, 0) {}

void MagnitudeSelect::add(const uint32_t* bits, int64_t n, int64_t first) {
    if (pass_ == 0) {
        for (int64_t i = 0; i < n; ++i) ++histogram_[bits[i] >> kLowBits];
    } else if (pass_ == 1) {
        for (int64_t i = 0; i < n; ++i) {
            if ((bits[i] >> kLowBits) == high_) ++histogram_[bits[i] & kLowMask];
        }
    } else {
        for (int64_t i = 0; i < n && tie_cut_ == INT64_MAX; ++i) {
            if (bits[i] == threshold_ && ++ties_seen_ == ties_needed_) tie_cut_ = first + i;
        }
    }
}

void MagnitudeSelect::add_histogram(const uint64_t* counts) {
    for (std::size_t bin = 0; bin < histogram_.size(); ++bin) histogram_[bin] += counts[bin];
}

bool MagnitudeSelect::end_pass() {
    if (pass_ == 0) {
        high_ = bin_of_rank(histogram_, k_, &above_);
        histogram_.assign(std::size_t{1} << kLowBits, 0);
        pass_ = 1;
        return false;
    }
    if (pass_ == 1) {
        int64_t above_low = 0;
        const uint32_t low = bin_of_rank(histogram_, k_ - above_, &above_low);
        threshold_ = (high_ << kLowBits) | low;
        ties_needed_ = k_ - above_ - above_low;
        const bool all_ties_fit = static_cast<int64_t>(histogram_[low]) == ties_needed_;
        histogram_.clear();
        histogram_.shrink_to_fit();
        if (all_ties_fit) return true;  // tie_cut_ stays INT64_MAX: every tie kept
        pass_ = 2;
        return false;
    }
    return true;
}

}  // namespace moco::kernels
