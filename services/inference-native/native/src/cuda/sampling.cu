// Device sampling (sampling.h): one block per row runs moco_sample's processors on the row in place
// in `processed`, filtered ids set to -inf as the CPU does. No sort: top-k's k-th value and top-p's
// cut are found by radix descent over the logits' order-preserving bits (four 8-bit digits, a
// shared-memory histogram per digit), which is exact and deterministic because every histogram
// holds integers - counts, and for top-p the weights exp(z - m) in fixed point.
#include "cuda/sampling.h"

#include "common.h"
#include "kernels/exp_f32.h"
#include "kernels/philox.h"
#include "kernels/sampling.h"

namespace moco::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;
constexpr int kDigitBits = 8;
constexpr int kBins = 1 << kDigitBits;

using u64 = unsigned long long;

struct Scratch {
    u64 mass[kBins];            // radix descent: per digit, fixed-point weight (top-p)
    unsigned int count[kBins];  //   and candidates
    u64 partial_u64[kWarps];    // block reductions and scans
    float partial_f32[kWarps];
    int partial_int[kWarps];
    uint32_t prefix;            // radix descent: the digits chosen so far
    u64 before;                 //   what lies before the chosen bins (count or mass)
    unsigned int bin_count;     //   candidates in the last chosen bin
    int32_t pick;               // the id a single thread found, for all
};

// The float order as an unsigned order (sampling.cpp's walk_key): ascending floats give ascending
// keys, -0 just below +0; NaN never reaches here.
__device__ uint32_t ascending_key(float x) {
    const uint32_t bits = __float_as_uint(x);
    return bits ^ ((bits >> 31) != 0 ? 0xFFFFFFFFu : 0x80000000u);
}

__device__ float key_value(uint32_t key) {
    return __uint_as_float((key >> 31) != 0 ? key ^ 0x80000000u : ~key);
}

// Every thread gets op over all threads' v, combined in a fixed order (deterministic).
template <class T, class Op>
__device__ T block_reduce(T v, Op op, T* partial) {
    for (int offset = 16; offset > 0; offset /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    __syncthreads();  // partial may still be read by the previous reduction
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
    __syncthreads();
    T total = partial[0];
    for (int w = 1; w < kWarps; ++w) total = op(total, partial[w]);
    return total;
}

// Integer exclusive prefix sum over the threads in index order; *total receives the sum.
__device__ u64 block_exclusive_scan(u64 v, u64* partial, u64* total) {
    const int lane = threadIdx.x % 32;
    u64 inclusive = v;
    for (int offset = 1; offset < 32; offset *= 2) {
        const u64 up = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane >= offset) inclusive += up;
    }
    __syncthreads();
    if (lane == 31) partial[threadIdx.x / 32] = inclusive;
    __syncthreads();
    u64 before = 0, sum = 0;
    for (int w = 0; w < kWarps; ++w) {
        if (w < static_cast<int>(threadIdx.x / 32)) before += partial[w];
        sum += partial[w];
    }
    *total = sum;
    return before + inclusive - v;
}

__device__ float block_max(float v, Scratch& s) {
    return block_reduce(v, [](float a, float b) { return fmaxf(a, b); }, s.partial_f32);
}

// The max over the candidates (ids still > -inf; -inf if none).
__device__ float candidate_max(const float* z, int vocab, Scratch& s) {
    float m = -INFINITY;
    for (int v = threadIdx.x; v < vocab; v += kThreads) m = fmaxf(m, z[v]);
    return block_max(m, s);
}

// This thread's ids for the passes that need index order: a contiguous range.
struct Chunk {
    int begin;
    int end;
};

__device__ Chunk my_chunk(int vocab) {
    const int64_t size = (static_cast<int64_t>(vocab) + kThreads - 1) / kThreads;
    const int64_t begin = static_cast<int64_t>(threadIdx.x) * size;
    return {static_cast<int>(begin < vocab ? begin : vocab),
            static_cast<int>(begin + size < vocab ? begin + size : vocab)};
}

// Fixed point of the weights exp(z - m) <= 1: one unit is 2^-shift with shift = 62 - the bit
// length of vocab, so the sum over a row stays below 2^62 and products with a 24-bit u fit 128 bits.
struct FixedWeights {
    float m;
    float scale;  // 2^shift, exact

    __device__ FixedWeights(float max_logit, int vocab) : m(max_logit) {
        const int shift = 62 - (32 - __clz(vocab));
        scale = __uint_as_float(static_cast<uint32_t>(127 + shift) << 23);
    }

    // The same exp_f32(z - m) as the CPU's (bit for bit), then rounded to the nearest unit; 0 for -inf.
    __device__ u64 operator()(float z) const {
        return __float2ull_rn(__fmul_rn(kernels::exp_f32(__fsub_rn(z, m)), scale));
    }
};

// A thread's run of equal digits, added to the shared histogram with one atomic per run: the top
// digits of a row's logits take few values, so per-element atomics would serialise on them.
struct BinRun {
    int bin = -1;
    u64 mass = 0;
    unsigned int count = 0;

    __device__ void flush(Scratch& s) {
        if (count == 0) return;
        if (mass != 0) atomicAdd(&s.mass[bin], mass);
        atomicAdd(&s.count[bin], count);
    }
    __device__ void add(int digit, u64 weight, Scratch& s) {
        if (digit != bin) {
            flush(s);
            bin = digit;
            mass = 0;
            count = 0;
        }
        mass += weight;
        ++count;
    }
};

// Histogram over digit (key >> shift) & 0xFF of the candidates whose key matches s.prefix above
// that digit; key_of maps a logit to its 32-bit key, weight_of to its fixed-point mass.
template <class KeyOf, class WeightOf>
__device__ void histogram(const float* z, int vocab, int shift, KeyOf key_of, WeightOf weight_of, Scratch& s) {
    __syncthreads();  // thread 0 may still read the previous digit's bins
    for (int b = threadIdx.x; b < kBins; b += kThreads) {
        s.mass[b] = 0;
        s.count[b] = 0;
    }
    __syncthreads();  // also publishes s.prefix
    const uint32_t high = shift + kDigitBits >= 32 ? 0u : ~0u << (shift + kDigitBits);
    const uint32_t prefix = s.prefix & high;
    BinRun run;
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        const float x = z[v];
        if (!(x > -INFINITY)) continue;
        const uint32_t key = key_of(x);
        if ((key & high) != prefix) continue;
        run.add(static_cast<int>((key >> shift) & (kBins - 1)), weight_of(x), s);
    }
    run.flush(s);
    __syncthreads();
}

// HF top-k: the k-th largest logit among the candidates, counted with multiplicity (0 < k < their
// number). Descending digits: the first bin from the top whose count reaches k.
__device__ float kth_largest(const float* z, int vocab, int k, Scratch& s) {
    if (threadIdx.x == 0) {
        s.prefix = 0;
        s.before = 0;
    }
    for (int shift = 32 - kDigitBits; shift >= 0; shift -= kDigitBits) {
        histogram(z, vocab, shift, [](float x) { return ascending_key(x); }, [](float) { return u64{0}; }, s);
        if (threadIdx.x == 0) {
            u64 above = s.before;  // candidates above the current range: fewer than k
            int b = kBins - 1;
            while (b > 0 && above + s.count[b] < static_cast<u64>(k)) above += s.count[b--];
            s.prefix |= static_cast<uint32_t>(b) << shift;
            s.before = above;
        }
    }
    __syncthreads();
    return key_value(s.prefix);
}

// Sets to -inf every candidate for which keep(id, logit) is false.
template <class Keep>
__device__ void filter(float* z, int vocab, Keep keep) {
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        const float x = z[v];
        if (x > -INFINITY && !keep(v, x)) z[v] = -INFINITY;
    }
    __syncthreads();
}

// HF top-p (moco_sample's rule): walking the candidates by (logit desc, id asc), keep an id while
// the mass strictly before it is < p, the first always; p < 1. In fixed point: the kept ids are
// those up to and including J, the first whose inclusive mass reaches T = ceil(p * total). Radix
// descent over the descending-logit key finds J's logit (first bin, in walk order, non-empty and
// reaching T); among the ids with exactly that logit (equal weights w), J is the c-th in id order
// with c the least count that reaches T.
__device__ void top_p(float* z, int vocab, float p, Scratch& s) {
    const FixedWeights weight(candidate_max(z, vocab, s), vocab);
    u64 mine = 0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) mine += weight(z[v]);
    const u64 total = block_reduce(mine, [](u64 a, u64 b) { return a + b; }, s.partial_u64);
    const double scaled = ceil(static_cast<double>(p) * static_cast<double>(total));
    const u64 target = scaled < static_cast<double>(total) ? static_cast<u64>(scaled) : total;
    const auto walk_key = [](float x) { return ~ascending_key(x); };

    if (threadIdx.x == 0) {
        s.prefix = 0;
        s.before = 0;
    }
    for (int shift = 32 - kDigitBits; shift >= 0; shift -= kDigitBits) {
        histogram(z, vocab, shift, walk_key, weight, s);
        if (threadIdx.x == 0) {
            u64 before = s.before;  // mass walked before the current range: J lies in the range
            int b = 0;
            while (b < kBins - 1 && (s.count[b] == 0 || before + s.mass[b] < target)) before += s.mass[b++];
            s.prefix |= static_cast<uint32_t>(b) << shift;
            s.before = before;
            s.bin_count = s.count[b];
        }
    }
    __syncthreads();
    const uint32_t cut_key = s.prefix;
    const u64 before = s.before;
    const u64 w = weight(key_value(~cut_key));
    u64 c = before >= target || w == 0 ? 1 : (target - before + w - 1) / w;
    if (c > s.bin_count) c = s.bin_count;  // unreachable by construction (the bin reaches target)

    // The c-th id (1-based) in id order among the candidates whose walk key is cut_key.
    const Chunk chunk = my_chunk(vocab);
    u64 equal = 0;
    for (int v = chunk.begin; v < chunk.end; ++v) equal += z[v] > -INFINITY && walk_key(z[v]) == cut_key;
    if (threadIdx.x == 0) s.pick = vocab;  // published by the scan's barriers; overwritten below
    u64 ignored = 0;
    u64 rank = block_exclusive_scan(equal, s.partial_u64, &ignored);
    if (rank < c && c <= rank + equal) {
        for (int v = chunk.begin; v < chunk.end; ++v) {
            if (z[v] > -INFINITY && walk_key(z[v]) == cut_key && ++rank == c) {
                s.pick = v;
                break;
            }
        }
    }
    __syncthreads();
    const int32_t cut_id = s.pick;
    filter(z, vocab, [&](int v, float x) {
        const uint32_t key = walk_key(x);
        return key < cut_key || (key == cut_key && v <= cut_id);
    });
}

// incl * 2^24 > a * total in 128 bits (incl, total < 2^62; a < 2^24): "the running sum exceeds
// u * total" with u = a * 2^-24, exact.
__device__ bool exceeds(u64 incl, u64 a, u64 total) {
    const u64 lhs_hi = incl >> 40, lhs_lo = incl << 24;
    const u64 rhs_hi = __umul64hi(a, total), rhs_lo = a * total;
    return lhs_hi > rhs_hi || (lhs_hi == rhs_hi && lhs_lo > rhs_lo);
}

// L5 inverse CDF: the smallest id whose running sum of weights (ascending ids) exceeds u * total.
// Each thread sums its contiguous chunk; the one chunk where the scan crosses u * total is walked.
__device__ int32_t draw(const float* z, int vocab, float u, Scratch& s) {
    const FixedWeights weight(candidate_max(z, vocab, s), vocab);
    const Chunk chunk = my_chunk(vocab);
    u64 mine = 0;
    for (int v = chunk.begin; v < chunk.end; ++v) mine += weight(z[v]);
    u64 total = 0;
    u64 running = block_exclusive_scan(mine, s.partial_u64, &total);
    const u64 a = static_cast<u64>(u * 16777216.0f);  // u = a * 2^-24 exactly (philox.h)
    if (threadIdx.x == 0) s.pick = kSampleNumericError;
    __syncthreads();
    if (!exceeds(running, a, total) && exceeds(running + mine, a, total)) {
        for (int v = chunk.begin; v < chunk.end; ++v) {
            running += weight(z[v]);
            if (exceeds(running, a, total)) {
                s.pick = v;
                break;
            }
        }
    }
    __syncthreads();
    return s.pick;
}

// The greedy pick: largest logit, lowest id among equal ones (-0 == +0, as the CPU compares), as one
// 64-bit maximum: (logit key, ~id).
__device__ int32_t argmax(const float* z, int vocab, Scratch& s) {
    u64 best = 0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        const u64 key = (static_cast<u64>(ascending_key(__fadd_rn(z[v], 0.0f))) << 32) | (0xFFFFFFFFu - v);
        best = best > key ? best : key;
    }
    best = block_reduce(best, [](u64 a, u64 b) { return a > b ? a : b; }, s.partial_u64);
    if (static_cast<uint32_t>(best >> 32) == ascending_key(-INFINITY)) return kSampleNumericError;
    return static_cast<int32_t>(0xFFFFFFFFu - static_cast<uint32_t>(best));
}

__global__ void __launch_bounds__(kThreads)
    sample_rows_kernel(const float* logits, int vocab, const SamplingRow* params, const int32_t* history,
                       const int32_t* logit_rows, float* processed, int32_t* tokens) {
    __shared__ Scratch s;
    const SamplingRow p = params[blockIdx.x];
    const int64_t source = logit_rows != nullptr ? logit_rows[blockIdx.x] : static_cast<int64_t>(blockIdx.x);
    const float* in = logits + source * vocab;
    float* z = processed + static_cast<int64_t>(blockIdx.x) * vocab;
    int32_t* token = tokens + blockIdx.x;
    // Every early return below depends on block-wide values only, so all threads take it together.

    // moco_sample's row check: NaN or +inf, or no finite entry, is MOCO_ERR_NUMERIC.
    int bad = 0, finite = 0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) {
        const float x = in[v];
        z[v] = x;
        bad |= !(x < INFINITY || x == -INFINITY);
        finite |= x > -INFINITY;
    }
    bad = __syncthreads_or(bad);
    finite = __syncthreads_or(finite);
    if (bad || !finite) {
        if (threadIdx.x == 0) *token = kSampleNumericError;
        return;
    }

    // Each distinct id once: every copy of an id stores the penalty of the unchanged input logit,
    // the same value; the store is atomic so that copies in different threads do not race.
    if (p.config.repetition_penalty != 1.0f && p.n_history > 0) {
        const int32_t* ids = history + p.history_offset;
        int overflow = 0;
        for (int i = threadIdx.x; i < p.n_history; i += kThreads) {
            const int32_t id = ids[i];
            const float x = in[id];
            const float penalty = p.config.repetition_penalty;
            const float y = x < 0.0f ? __fmul_rn(x, penalty) : __fdiv_rn(x, penalty);
            atomicExch(&z[id], y);
            overflow |= !(y < INFINITY);
        }
        if (__syncthreads_or(overflow)) {
            if (threadIdx.x == 0) *token = kSampleNumericError;
            return;
        }
    }

    if (p.config.temperature == 0.0f) {
        const int32_t id = argmax(z, vocab, s);
        if (threadIdx.x == 0) *token = id;
        return;
    }
    if (p.config.temperature != 1.0f) {
        int overflow = 0;
        for (int v = threadIdx.x; v < vocab; v += kThreads) {
            const float y = __fdiv_rn(z[v], p.config.temperature);
            z[v] = y;
            overflow |= !(y < INFINITY);
        }
        if (__syncthreads_or(overflow)) {
            if (threadIdx.x == 0) *token = kSampleNumericError;
            return;
        }
    }

    int live = 0;
    for (int v = threadIdx.x; v < vocab; v += kThreads) live += z[v] > -INFINITY;
    live = block_reduce(live, [](int a, int b) { return a + b; }, s.partial_int);
    if (live == 0) {
        if (threadIdx.x == 0) *token = kSampleNumericError;
        return;
    }
    if (p.config.top_k > 0 && p.config.top_k < live) {
        const float kth = kth_largest(z, vocab, p.config.top_k, s);
        filter(z, vocab, [kth](int, float x) { return x >= kth; });
    }
    if (p.config.top_p < 1.0f) top_p(z, vocab, p.config.top_p, s);
    if (p.config.min_p > 0.0f) {
        const float m = candidate_max(z, vocab, s);
        const float min_p = p.config.min_p;
        filter(z, vocab, [m, min_p](int, float x) { return kernels::exp_f32(__fsub_rn(x, m)) >= min_p; });
    }
    const float u = kernels::sampling_uniform(p.seed, p.tokens_generated, p.sample_index);
    const int32_t id = draw(z, vocab, u, s);
    if (threadIdx.x == 0) *token = id;
}

__global__ void sampling_uniform_kernel(const SamplingRow* params, int rows, float* u) {
    const int r = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (r < rows) {
        u[r] = kernels::sampling_uniform(params[r].seed, params[r].tokens_generated, params[r].sample_index);
    }
}

}  // namespace

SamplingRow sampling_row(const kernels::SamplingConfig& config, int n_history, int64_t history_offset,
                         uint64_t seed, uint64_t tokens_generated, uint64_t sample_index) {
    SamplingRow row;
    row.config = config;
    row.n_history = n_history;
    row.history_offset = history_offset;
    row.seed = seed;
    row.tokens_generated = tokens_generated;
    row.sample_index = sample_index;
    return row;
}

moco_status prepare_sampling_row(const moco_sampling_options* opts, int vocab, const int32_t* history,
                                 int n_history, int64_t history_offset, uint64_t seed,
                                 uint64_t tokens_generated, uint64_t sample_index, SamplingRow* row) {
    const char* fn = "sample_rows";
    if (vocab < 1) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: vocab (%d) must be >= 1", fn, vocab);
    }
    moco_status st = kernels::validate_history(fn, history, n_history, vocab);
    if (st != MOCO_OK) return st;
    kernels::SamplingConfig config;
    st = kernels::read_sampling_options(fn, opts, &config);
    if (st != MOCO_OK) return st;
    *row = sampling_row(config, n_history, history_offset, seed, tokens_generated, sample_index);
    return MOCO_OK;
}

void sample_rows(const float* logits, int rows, int vocab, const SamplingRow* params, const int32_t* history,
                 float* processed, int32_t* tokens, cudaStream_t stream, const int32_t* logit_rows) {
    if (rows > 0) {
        sample_rows_kernel<<<rows, kThreads, 0, stream>>>(logits, vocab, params, history, logit_rows, processed,
                                                          tokens);
    }
}

void sampling_uniform_rows(const SamplingRow* params, int rows, float* u, cudaStream_t stream) {
    constexpr int kUniformThreads = 128;
    if (rows > 0) {
        sampling_uniform_kernel<<<(rows + kUniformThreads - 1) / kUniformThreads, kUniformThreads, 0, stream>>>(
            params, rows, u);
    }
}

}  // namespace moco::cuda
