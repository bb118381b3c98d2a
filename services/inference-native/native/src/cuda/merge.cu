// Device tensor merges (merge_kernels.h): the scan statistics of a MergePlan computed on the GPU
// and its per-element apply rule as a kernel. Compiled with --fmad=false (sources.cmake): every
// a * b + c below is two rounded operations, as on the CPU.
#include "common.h"
#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/merge_device.cuh"
#include "cuda/merge_kernels.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_math.h"
#include "kernels/philox.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace moco::cuda {
namespace {

using kernels::MagnitudeSelect;
using kernels::MergeInput;
using kernels::MergeSpec;

constexpr int kPerThread = static_cast<int>(kMergeSegment) / kMergeThreads;  // segment kernels
constexpr std::size_t kBins = std::size_t{1} << (31 - MagnitudeSelect::kLowBits);  // pass 0
constexpr unsigned long long kNoBadElement = ~0ull;

// One operand of a chunk: `data` holds the element that output element `offset` reads, which is
// element `origin` of the operand in its own flat indexing.
struct Operand {
    const void* data;
    int dtype;
    int64_t cols;
    int64_t origin;
};

__device__ float load(const Operand& op, int64_t out_cols, int64_t e) {
    return load_as_f32(op.data, static_cast<DType>(op.dtype),
                       kernels::mapped_index(e, out_cols, op.cols) - op.origin);
}

// The task vector δ = θ - θ_b of one input over a chunk (the scan kernels).
struct DeltaChunk {
    Operand input, base;
    int64_t cols, offset, count;
};

__device__ float delta_at(const DeltaChunk& d, int64_t e) {
    return load(d.input, d.cols, e) - load(d.base, d.cols, e);
}

__device__ uint32_t magnitude_bits(float x) {
    return __float_as_uint(x) & 0x7FFFFFFFu;
}

// Sum over the block (kMergeThreads threads, all calling) in a fixed order: a butterfly within
// each warp, then the warps in index order. `shared` holds one double per warp.
__device__ double block_sum(double v, double* shared) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    __syncthreads();  // a previous call may still read shared
    if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = v;
    __syncthreads();
    double total = 0.0;
    for (int w = 0; w < kMergeThreads / 32; ++w) total += shared[w];
    return total;
}

// TIES passes 0 and 1 (merge_select.h): pass 0 counts bits >> kLowBits, pass 1 counts
// bits & kLowMask of the entries whose high part is `high`. Lanes with the same bin add together
// (match_any), which keeps the atomics off the few hot bins of a tensor's magnitudes.
__global__ void histogram_kernel(DeltaChunk d, int pass, uint32_t high, unsigned long long* bins) {
    const int lane = static_cast<int>(threadIdx.x % 32);
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    // warp_first is the same for every lane, so the whole warp runs each iteration together.
    for (int64_t warp_first = static_cast<int64_t>(blockIdx.x) * blockDim.x + (threadIdx.x - lane);
         warp_first < d.count; warp_first += stride) {
        const int64_t i = warp_first + lane;
        uint32_t bin = 0xFFFFFFFFu;  // no bin: past the chunk, or filtered out in pass 1
        if (i < d.count) {
            const uint32_t bits = magnitude_bits(delta_at(d, d.offset + i));
            if (pass == 0) {
                bin = bits >> MagnitudeSelect::kLowBits;
            } else if ((bits >> MagnitudeSelect::kLowBits) == high) {
                bin = bits & MagnitudeSelect::kLowMask;
            }
        }
        const unsigned peers = __match_any_sync(0xFFFFFFFFu, bin);
        if (bin != 0xFFFFFFFFu && lane == __ffs(peers) - 1) {
            atomicAdd(&bins[bin], static_cast<unsigned long long>(__popc(peers)));
        }
    }
}

// TIES pass 2: entries equal to the threshold per segment of the chunk (one block per segment).
__global__ void tie_count_kernel(DeltaChunk d, uint32_t threshold, unsigned* counts) {
    __shared__ unsigned warp_counts[kMergeThreads / 32];
    const int64_t first = static_cast<int64_t>(blockIdx.x) * kMergeSegment;  // chunk-relative
    unsigned c = 0;
    for (int k = 0; k < kPerThread; ++k) {
        const int64_t i = first + k * kMergeThreads + threadIdx.x;
        if (i < d.count && magnitude_bits(delta_at(d, d.offset + i)) == threshold) ++c;
    }
    for (int o = 16; o > 0; o /= 2) c += __shfl_xor_sync(0xFFFFFFFFu, c, o);
    if (threadIdx.x % 32 == 0) warp_counts[threadIdx.x / 32] = c;
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned total = 0;
        for (int w = 0; w < kMergeThreads / 32; ++w) total += warp_counts[w];
        counts[blockIdx.x] = total;
    }
}

// TIES pass 2: which entries of the chunk-relative segment starting at `first` equal the
// threshold (flags[k] for entry first + k; 0 past the chunk).
__global__ void tie_flags_kernel(DeltaChunk d, uint32_t threshold, int64_t first, uint8_t* flags) {
    for (int k = static_cast<int>(threadIdx.x); k < kMergeSegment; k += blockDim.x) {
        const int64_t i = first + k;
        flags[k] = i < d.count && magnitude_bits(delta_at(d, d.offset + i)) == threshold ? 1 : 0;
    }
}

// DARE L1 (M5): Σ |δ| and Σ |δ| over the kept entries, in f64, per segment (one block each);
// partials[2 s], partials[2 s + 1] for global segment s.
__global__ void dare_l1_kernel(DeltaChunk d, uint32_t k0, uint32_t k1, uint32_t model_index,
                               uint32_t threshold, double* partials) {
    __shared__ double shared[kMergeThreads / 32];
    const int64_t first = static_cast<int64_t>(blockIdx.x) * kMergeSegment;
    double before = 0.0, after = 0.0;
    for (int k = 0; k < kPerThread; ++k) {
        const int64_t i = first + k * kMergeThreads + threadIdx.x;
        if (i >= d.count) continue;
        const int64_t e = d.offset + i;
        const double magnitude = fabs(static_cast<double>(delta_at(d, e)));
        before += magnitude;
        if (kernels::dare_keeps(k0, k1, model_index, static_cast<uint64_t>(e), threshold)) {
            after += magnitude;
        }
    }
    before = block_sum(before, shared);
    after = block_sum(after, shared);
    if (threadIdx.x == 0) {
        const int64_t s = (d.offset + first) / kMergeSegment;
        partials[2 * s] = before;
        partials[2 * s + 1] = after;
    }
}

// SLERP: <θ_b, θ_1>, |θ_b|², |θ_1|² in f64 per segment; partials[3 s + 0..2].
__global__ void slerp_sums_kernel(DeltaChunk d, double* partials) {
    __shared__ double shared[kMergeThreads / 32];
    const int64_t first = static_cast<int64_t>(blockIdx.x) * kMergeSegment;
    double dot = 0.0, norm0 = 0.0, norm1 = 0.0;
    for (int k = 0; k < kPerThread; ++k) {
        const int64_t i = first + k * kMergeThreads + threadIdx.x;
        if (i >= d.count) continue;
        const double b = load(d.base, d.cols, d.offset + i);
        const double x = load(d.input, d.cols, d.offset + i);
        dot += b * x;
        norm0 += b * b;
        norm1 += x * x;
    }
    dot = block_sum(dot, shared);
    norm0 = block_sum(norm0, shared);
    norm1 = block_sum(norm1, shared);
    if (threadIdx.x == 0) {
        const int64_t s = (d.offset + first) / kMergeSegment;
        partials[3 * s] = dot;
        partials[3 * s + 1] = norm0;
        partials[3 * s + 2] = norm1;
    }
}

// How apply sparsifies one input's δ (MergePlan::sparsify).
enum Sparsify : int { kKeepAll = 0, kTrim = 1, kDropAll = 2, kDrop = 3 };
enum Rescale : int { kNoRescale = 0, kMultiply = 1, kDivide = 2 };

// One used input as apply sees it.
struct InputRule {
    Operand op;
    float weight;
    int sparsify;
    uint32_t threshold;    // kTrim: the |δ| bits threshold; kDrop: dare_threshold(density)
    int64_t tie_cut;       // kTrim
    uint32_t model_index;  // kDrop: the stream's counter word
    int rescale;           // kDrop
    float factor;          // kMultiply: the L1 factor; kDivide: the density as f32
};

struct ApplyParams {
    int method;
    int64_t cols, offset, count;
    Operand base;              // unused for LINEAR
    const InputRule* inputs;   // device array of the used inputs, in input order
    int n;
    uint32_t k0, k1;           // the DARE key
    int out_dtype;
    float limit;               // dtype_finite_limit(out_dtype)
    bool normalize;
    int consensus;
    bool consensus_method;
    float weight_sum;          // LINEAR's divisor
    float divisor;             // the no-consensus D (|Σ w| < 1e-8 -> 1)
    float lambda, alpha, s0, s1;
};

// u = w * sparsify(θ - θ_b) of one input at output element e (MergePlan::apply / sparsify).
__device__ float task_value(const ApplyParams& p, const InputRule& in, int64_t e, float b) {
    float u = load(in.op, p.cols, e) - b;
    if (in.sparsify == kTrim) {
        u = kernels::trim_keeps(magnitude_bits(u), e, in.threshold, in.tie_cut) ? u : 0.0f;
    } else if (in.sparsify == kDropAll) {
        u = 0.0f;
    } else if (in.sparsify == kDrop) {
        u = kernels::dare_keeps(p.k0, p.k1, in.model_index, static_cast<uint64_t>(e), in.threshold)
                ? u
                : 0.0f;
        if (in.rescale == kMultiply) {
            u *= in.factor;
        } else if (in.rescale == kDivide) {
            u /= in.factor;
        }
    }
    return u * in.weight;
}

// Task values kept in registers for the second consensus loop; later inputs are recomputed (the
// same function of the same element, so the same bits).
constexpr int kCachedInputs = 8;

// Output element e before the finite check and the store: MergePlan::apply's arithmetic, element
// by element, with the inputs added in the same order.
__device__ float merge_value(const ApplyParams& p, int64_t e) {
    if (p.method == MOCO_MERGE_LINEAR) {
        float acc = 0.0f;
        bool started = false;
        for (int j = 0; j < p.n; ++j) {
            const InputRule& in = p.inputs[j];
            if (in.weight == 0.0f) continue;
            const float term = in.weight * load(in.op, p.cols, e);
            acc = started ? acc + term : term;
            started = true;
        }
        return p.normalize ? acc / p.weight_sum : acc;
    }
    const float b = load(p.base, p.cols, e);
    if (p.method == MOCO_MERGE_EXTRAPOLATE) {
        const float target = load(p.inputs[0].op, p.cols, e);
        return kernels::add_delta(target, p.alpha * (target - b));
    }
    if (p.method == MOCO_MERGE_SLERP) {
        const float x = load(p.inputs[0].op, p.cols, e);
        return p.s0 * b + p.s1 * x;
    }
    float acc = 0.0f;
    if (p.consensus_method) {
        float cached[kCachedInputs];
        float sum = 0.0f;
        int votes = 0;
        for (int j = 0; j < p.n; ++j) {
            const float u = task_value(p, p.inputs[j], e, b);
            if (j < kCachedInputs) cached[j] = u;
            sum += u;
            votes += kernels::sign_of(u);
        }
        const int sigma = (p.consensus == MOCO_CONSENSUS_SUM ? sum >= 0.0f : votes >= 0) ? 1 : -1;
        float agreeing_weight = 0.0f;
        for (int j = 0; j < p.n; ++j) {
            const InputRule& in = p.inputs[j];
            const float u = j < kCachedInputs ? cached[j] : task_value(p, in, e, b);
            const bool agrees = kernels::sign_of(u) == sigma;
            acc += agrees ? u : 0.0f;
            agreeing_weight += agrees ? in.weight : 0.0f;
        }
        if (p.normalize) acc /= agreeing_weight == 0.0f ? 1.0f : agreeing_weight;
    } else {
        for (int j = 0; j < p.n; ++j) acc += task_value(p, p.inputs[j], e, b);
        if (p.normalize) acc /= p.divisor;
    }
    if (p.lambda != 1.0f) acc *= p.lambda;
    return kernels::add_delta(b, acc);
}

__global__ void apply_kernel(ApplyParams p, void* out, unsigned long long* first_bad) {
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < p.count;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t e = p.offset + i;
        const float v = merge_value(p, e);
        if (!(fabsf(v) < p.limit)) atomicMin(first_bad, static_cast<unsigned long long>(e));
        store_as(out, p.out_dtype, i, v);
    }
}

// The value of one (bad) element, for the error message.
__global__ void merge_value_kernel(ApplyParams p, int64_t e, float* value) {
    *value = merge_value(p, e);
}

Operand operand(const void* data, int dtype, int64_t cols, const MergeSpec& spec, int64_t offset) {
    return {data, dtype, cols, kernels::mapped_index(offset, spec.cols, cols)};
}

void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream,
                  const char* what) {
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream), what);
    check(cudaStreamSynchronize(stream), what);
}

}  // namespace

DeviceMerge::DeviceMerge(kernels::MergePlan& plan, int device, cudaStream_t stream)
    : plan_(plan), device_(device), stream_(stream) {
    const MergeSpec& spec = plan_.spec();
    for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
        if (spec.inputs[i].used) used_.push_back(i);
    }
    ties_seen_.assign(spec.inputs.size(), 0);
}

moco_status DeviceMerge::scan(const char* fn, const void* const* inputs, const void* base,
                              int64_t offset, int64_t count) {
    const MergeSpec& spec = plan_.spec();
    if (!plan_.needs_scan()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": no scan pass is pending; call apply", fn,
                         spec.tensor_name.c_str());
    }
    const moco_status st = plan_.check_chunk(fn, inputs, base, offset, count);
    if (st != MOCO_OK) return st;
    if (offset != next_offset_ || offset % kMergeSegment != 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": scan chunk starts at %lld but the pass has covered "
                         "[0, %lld); scan chunks in increasing, contiguous order, each starting at "
                         "a multiple of %lld",
                         fn, spec.tensor_name.c_str(), static_cast<long long>(offset),
                         static_cast<long long>(next_offset_),
                         static_cast<long long>(kMergeSegment));
    }
    return run(fn, [&]() -> moco_status {
        use_device(device_);
        if (count > 0) scan_chunk(inputs, base, offset, count);
        next_offset_ = offset + count;
        return MOCO_OK;
    });
}

void DeviceMerge::scan_chunk(const void* const* inputs, const void* base, int64_t offset,
                             int64_t count) {
    const MergeSpec& spec = plan_.spec();
    const int64_t segments = (spec.numel + kMergeSegment - 1) / kMergeSegment;
    const unsigned chunk_segments = static_cast<unsigned>((count + kMergeSegment - 1) / kMergeSegment);
    const Operand base_op = operand(base, spec.base_dtype, spec.base_cols, spec, offset);
    auto delta_chunk = [&](std::size_t i) {
        const MergeInput& in = spec.inputs[i];
        return DeltaChunk{operand(inputs[i], in.dtype, in.cols, spec, offset), base_op, spec.cols,
                          offset, count};
    };

    if (spec.method == MOCO_MERGE_SLERP) {
        partials_.reserve(static_cast<std::size_t>(segments) * 3 * sizeof(double),
                          "the SLERP scan's partial sums");
        slerp_sums_kernel<<<chunk_segments, kMergeThreads, 0, stream_>>>(delta_chunk(0),
                                                                         partials_.as<double>());
        check_launch("slerp_sums_kernel");
        return;
    }
    // DARE: two partial sums per segment for every used input (slot = its rank among them).
    bool any_dare = false;
    for (const std::size_t i : used_) any_dare = any_dare || plan_.pending_dare_l1(i);
    if (any_dare) {
        partials_.reserve(static_cast<std::size_t>(segments) * 2 * used_.size() * sizeof(double),
                          "the DARE scan's partial sums");
    }
    bool any_histogram = false;
    for (const std::size_t i : used_) {
        const MagnitudeSelect* select = plan_.pending_select(i);
        any_histogram = any_histogram || (select != nullptr && select->pass() < 2);
    }
    if (any_histogram) {
        histograms_.reserve(kBins * used_.size() * sizeof(unsigned long long),
                            "the TIES scan's histograms");
    }
    for (std::size_t slot = 0; slot < used_.size(); ++slot) {
        const std::size_t i = used_[slot];
        const MergeInput& in = spec.inputs[i];
        if (plan_.pending_dare_l1(i)) {
            const kernels::DareStream stream(spec.seed, spec.name_hash, in.model_index);
            dare_l1_kernel<<<chunk_segments, kMergeThreads, 0, stream_>>>(
                delta_chunk(i), stream.k0, stream.k1, stream.model_index,
                kernels::dare_threshold(in.density),
                partials_.as<double>() + slot * 2 * static_cast<std::size_t>(segments));
            check_launch("dare_l1_kernel");
            continue;
        }
        MagnitudeSelect* select = plan_.pending_select(i);
        if (select == nullptr) continue;
        if (select->pass() == 2) {
            if (select->tie_cut() == INT64_MAX) find_tie_cut(i, inputs, base, offset, count);
            continue;
        }
        unsigned long long* bins = histograms_.as<unsigned long long>() + slot * kBins;
        if (offset == 0) {
            check(cudaMemsetAsync(bins, 0, select->bins() * sizeof(unsigned long long), stream_),
                  "cudaMemsetAsync of a TIES histogram");
        }
        histogram_kernel<<<merge_blocks(count), kMergeThreads, 0, stream_>>>(
            delta_chunk(i), select->pass(), select->high(), bins);
        check_launch("histogram_kernel");
    }
}

// TIES pass 2 over one chunk: counts the threshold's ties per segment, and when the
// ties_needed()-th one lies in this chunk, finds its index from the flags of its segment.
void DeviceMerge::find_tie_cut(std::size_t input, const void* const* inputs, const void* base,
                               int64_t offset, int64_t count) {
    const MergeSpec& spec = plan_.spec();
    MagnitudeSelect& select = *plan_.pending_select(input);
    const MergeInput& in = spec.inputs[input];
    const DeltaChunk d{operand(inputs[input], in.dtype, in.cols, spec, offset),
                       operand(base, spec.base_dtype, spec.base_cols, spec, offset), spec.cols,
                       offset, count};
    const std::size_t segments = static_cast<std::size_t>((count + kMergeSegment - 1) / kMergeSegment);
    chunk_scratch_.reserve(std::max(segments * sizeof(unsigned), std::size_t{kMergeSegment}),
                           "the TIES tie counts");
    tie_count_kernel<<<static_cast<unsigned>(segments), kMergeThreads, 0, stream_>>>(
        d, select.threshold(), chunk_scratch_.as<unsigned>());
    check_launch("tie_count_kernel");
    std::vector<unsigned> counts(segments);
    copy_to_host(counts.data(), chunk_scratch_.data(), segments * sizeof(unsigned), stream_,
                 "copying the TIES tie counts");
    int64_t& seen = ties_seen_[input];
    for (std::size_t s = 0; s < segments; ++s) {
        if (seen + counts[s] < select.ties_needed()) {
            seen += counts[s];
            continue;
        }
        const int64_t first = static_cast<int64_t>(s) * kMergeSegment;
        tie_flags_kernel<<<1, kMergeThreads, 0, stream_>>>(d, select.threshold(), first,
                                                          chunk_scratch_.as<uint8_t>());
        check_launch("tie_flags_kernel");
        std::vector<uint8_t> flags(kMergeSegment);
        copy_to_host(flags.data(), chunk_scratch_.data(), flags.size(), stream_,
                     "copying the TIES tie flags");
        for (int64_t k = 0; k < kMergeSegment; ++k) {
            if (flags[static_cast<std::size_t>(k)] != 0 && ++seen == select.ties_needed()) {
                select.set_tie_cut(offset + first + k);
                return;
            }
        }
        throw Error(MOCO_ERR_INTERNAL, "the TIES tie count and tie flags of a segment disagree");
    }
}

moco_status DeviceMerge::end_pass(const char* fn, bool* more) {
    const MergeSpec& spec = plan_.spec();
    if (!plan_.needs_scan()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\": no scan pass is pending",
                         fn, spec.tensor_name.c_str());
    }
    if (next_offset_ != spec.numel) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": the pass covered [0, %lld) of %lld elements; scan "
                         "every chunk before ending the pass",
                         fn, spec.tensor_name.c_str(), static_cast<long long>(next_offset_),
                         static_cast<long long>(spec.numel));
    }
    return run(fn, [&]() -> moco_status {
        use_device(device_);
        check(cudaStreamSynchronize(stream_), "finishing the merge's scan pass");
        const std::size_t segments =
            static_cast<std::size_t>((spec.numel + kMergeSegment - 1) / kMergeSegment);
        std::vector<double> partials;
        if (spec.method == MOCO_MERGE_SLERP) {
            partials.resize(segments * 3);
            copy_to_host(partials.data(), partials_.data(), partials.size() * sizeof(double),
                         stream_, "copying the SLERP partial sums");
            double dot = 0.0, norm0 = 0.0, norm1 = 0.0;
            for (std::size_t s = 0; s < segments; ++s) {
                dot += partials[3 * s];
                norm0 += partials[3 * s + 1];
                norm1 += partials[3 * s + 2];
            }
            plan_.set_slerp_sums(dot, norm0, norm1);
        }
        for (std::size_t slot = 0; slot < used_.size(); ++slot) {
            const std::size_t i = used_[slot];
            if (plan_.pending_dare_l1(i)) {
                partials.resize(segments * 2);
                copy_to_host(partials.data(),
                             partials_.as<double>() + slot * 2 * segments,
                             partials.size() * sizeof(double), stream_,
                             "copying the DARE partial sums");
                double before = 0.0, after = 0.0;
                for (std::size_t s = 0; s < segments; ++s) {
                    before += partials[2 * s];
                    after += partials[2 * s + 1];
                }
                plan_.set_dare_l1(i, before, after);
            }
            MagnitudeSelect* select = plan_.pending_select(i);
            if (select != nullptr && select->pass() < 2) {
                std::vector<unsigned long long> bins(select->bins());
                copy_to_host(bins.data(), histograms_.as<unsigned long long>() + slot * kBins,
                             bins.size() * sizeof(unsigned long long), stream_,
                             "copying a TIES histogram");
                std::vector<uint64_t> counts(bins.begin(), bins.end());
                select->add_histogram(counts.data());
            }
        }
        plan_.mark_scanned();
        next_offset_ = 0;
        return plan_.end_pass(fn, more);
    });
}

moco_status DeviceMerge::apply(const char* fn, const void* const* inputs, const void* base,
                               int64_t offset, int64_t count, void* out) {
    const MergeSpec& spec = plan_.spec();
    if (plan_.needs_scan()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": scan passes are pending; run them (scan / end_pass) "
                         "before apply",
                         fn, spec.tensor_name.c_str());
    }
    const moco_status st = plan_.check_chunk(fn, inputs, base, offset, count);
    if (st != MOCO_OK) return st;
    if (out == nullptr && count > 0) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\": out is NULL", fn,
                         spec.tensor_name.c_str());
    }
    if (count == 0) return MOCO_OK;
    return run(fn, [&]() -> moco_status {
        use_device(device_);
        std::vector<InputRule> rules;
        for (const std::size_t i : used_) {
            const MergeInput& in = spec.inputs[i];
            InputRule r{};
            r.op = operand(inputs[i], in.dtype, in.cols, spec, offset);
            r.weight = in.weight;
            r.sparsify = kKeepAll;
            r.tie_cut = INT64_MAX;
            r.rescale = kNoRescale;
            r.factor = 1.0f;
            if (const MagnitudeSelect* select = plan_.trim(i)) {
                r.sparsify = kTrim;
                r.threshold = select->threshold();
                r.tie_cut = select->tie_cut();
            } else if (spec.dare_method() && in.density < 1.0) {
                if (in.density <= 0.0) {
                    r.sparsify = kDropAll;
                } else {
                    r.sparsify = kDrop;
                    r.threshold = kernels::dare_threshold(in.density);
                    r.model_index = static_cast<uint32_t>(in.model_index);
                    if (spec.rescale == MOCO_RESCALE_L1 && plan_.dare_factor(i) != 1.0f) {
                        r.rescale = kMultiply;
                        r.factor = plan_.dare_factor(i);
                    } else if (spec.rescale == MOCO_RESCALE_INVERSE_DENSITY) {
                        r.rescale = kDivide;
                        r.factor = static_cast<float>(in.density);
                    }
                }
            }
            rules.push_back(r);
        }
        if (!rules.empty()) {  // empty when M3 skipped every input: the output is the base
            descriptors_.reserve(rules.size() * sizeof(InputRule), "the merge's input descriptors");
            check(cudaMemcpyAsync(descriptors_.data(), rules.data(),
                                  rules.size() * sizeof(InputRule), cudaMemcpyHostToDevice,
                                  stream_),
                  "copying the merge's input descriptors");
        }

        ApplyParams p{};
        p.method = spec.method;
        p.cols = spec.cols;
        p.offset = offset;
        p.count = count;
        p.base = spec.uses_base() ? operand(base, spec.base_dtype, spec.base_cols, spec, offset)
                                  : Operand{nullptr, MOCO_DTYPE_F32, spec.cols, 0};
        p.inputs = descriptors_.as<const InputRule>();
        p.n = static_cast<int>(rules.size());
        const kernels::DareStream stream(spec.seed, spec.name_hash, 0);
        p.k0 = stream.k0;
        p.k1 = stream.k1;
        p.out_dtype = spec.out_dtype;
        p.limit = kernels::dtype_finite_limit(spec.out_dtype);
        p.normalize = spec.normalize;
        p.consensus = spec.consensus;
        p.consensus_method = spec.consensus_method();
        p.weight_sum = spec.weight_sum;
        p.divisor = std::fabs(spec.weight_sum) < 1e-8f ? 1.0f : spec.weight_sum;
        p.lambda = spec.lambda;
        p.alpha = spec.alpha;
        p.s0 = plan_.slerp_s0();
        p.s1 = plan_.slerp_s1();

        bad_.reserve(sizeof(unsigned long long) + sizeof(float), "the merge's error report");
        auto* first_bad = bad_.as<unsigned long long>();
        check(cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), stream_),
              "cudaMemsetAsync of the merge's error report");
        apply_kernel<<<merge_blocks(count), kMergeThreads, 0, stream_>>>(p, out, first_bad);
        check_launch("apply_kernel");
        unsigned long long bad = kNoBadElement;
        copy_to_host(&bad, first_bad, sizeof(bad), stream_, "copying the merge's error report");
        if (bad == kNoBadElement) return MOCO_OK;

        float* value = reinterpret_cast<float*>(first_bad + 1);
        merge_value_kernel<<<1, 1, 0, stream_>>>(p, static_cast<int64_t>(bad), value);
        check_launch("merge_value_kernel");
        float v = 0.0f;
        copy_to_host(&v, value, sizeof(v), stream_, "copying the merge's bad element");
        return set_error(MOCO_ERR_NUMERIC,
                         "%s: tensor \"%s\": element %lld of the merge is %g, which is not "
                         "finite in %s (non-finite inputs, or weights too large)",
                         fn, spec.tensor_name.c_str(), static_cast<long long>(bad),
                         static_cast<double>(v), kernels::dtype_name(spec.out_dtype));
    });
}

moco_status DeviceMerge::merge(const char* fn, const void* const* inputs, const void* base,
                               void* out) {
    const int64_t numel = plan_.spec().numel;
    bool more = plan_.needs_scan();
    while (more) {
        moco_status st = scan(fn, inputs, base, 0, numel);
        if (st != MOCO_OK) return st;
        st = end_pass(fn, &more);
        if (st != MOCO_OK) return st;
    }
    return apply(fn, inputs, base, 0, numel, out);
}

}  // namespace moco::cuda
