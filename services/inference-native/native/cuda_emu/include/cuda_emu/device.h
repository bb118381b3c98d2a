// Device code under the emulator: CUDA's qualifiers, built-in variables and intrinsics for kernels
// compiled as plain C++. Each CUDA thread of a block is a fiber (src/scheduler.cpp); the
// synchronising intrinsics switch fibers, so a kernel runs with CUDA's semantics, barriers and warp
// exchanges included, and a missing barrier or a divergent warp operation is reported, not
// silently tolerated.
#pragma once

#include "cuda_emu/types.h"

#include <math.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ __attribute__((always_inline))
#define __launch_bounds__(...)
// One instance per block: a block's fibers all run on one host thread, and a thread runs one block
// at a time.
#define __shared__ static thread_local

extern thread_local uint3 threadIdx;
extern thread_local uint3 blockIdx;
extern thread_local dim3 blockDim;
extern thread_local dim3 gridDim;
constexpr int warpSize = 32;

namespace cudaemu::detail {

enum class BlockSync { All, Or, And, Count };
enum class WarpSync { Sync, Idx, Up, Down, Xor, Ballot, Any, All, MatchAny };

// Waits at the block barrier; returns the reduction of `predicate` that `kind` asks for.
int block_barrier(BlockSync kind, int predicate);
// Waits until every lane of `mask` reaches a warp operation, then returns this lane's result.
uint64_t warp_exchange(WarpSync kind, unsigned mask, uint64_t value, int arg, int width);

template <class T>
uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp exchange of at most 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    return bits;
}

template <class T>
T from_bits(uint64_t bits) {
    T v;
    std::memcpy(&v, &bits, sizeof(T));
    return v;
}

template <class T>
T atomic_update(T* address, T value, T (*op)(T, T)) {
    T old = __atomic_load_n(address, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(address, &old, op(old, value), true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    return old;
}

template <class F>
F atomic_float_add(F* address, F value) {
    using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
    Bits* bits = reinterpret_cast<Bits*>(address);
    Bits old = __atomic_load_n(bits, __ATOMIC_RELAXED);
    for (;;) {
        F current;
        std::memcpy(&current, &old, sizeof(F));
        const F next = current + value;
        Bits next_bits;
        std::memcpy(&next_bits, &next, sizeof(F));
        if (__atomic_compare_exchange_n(bits, &old, next_bits, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            return current;
        }
    }
}

}  // namespace cudaemu::detail

// ---- synchronisation ---------------------------------------------------------------------------

inline void __syncthreads() {
    cudaemu::detail::block_barrier(cudaemu::detail::BlockSync::All, 0);
}
inline int __syncthreads_or(int p) {
    return cudaemu::detail::block_barrier(cudaemu::detail::BlockSync::Or, p);
}
inline int __syncthreads_and(int p) {
    return cudaemu::detail::block_barrier(cudaemu::detail::BlockSync::And, p);
}
inline int __syncthreads_count(int p) {
    return cudaemu::detail::block_barrier(cudaemu::detail::BlockSync::Count, p);
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    cudaemu::detail::warp_exchange(cudaemu::detail::WarpSync::Sync, mask, 0, 0, 32);
}
inline void __threadfence() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void __threadfence_block() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
    using namespace cudaemu::detail;
    return from_bits<T>(warp_exchange(WarpSync::Idx, mask, to_bits(v), src_lane, width));
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    using namespace cudaemu::detail;
    return from_bits<T>(warp_exchange(WarpSync::Up, mask, to_bits(v), static_cast<int>(delta), width));
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    using namespace cudaemu::detail;
    return from_bits<T>(warp_exchange(WarpSync::Down, mask, to_bits(v), static_cast<int>(delta), width));
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    using namespace cudaemu::detail;
    return from_bits<T>(warp_exchange(WarpSync::Xor, mask, to_bits(v), lane_mask, width));
}
inline unsigned __ballot_sync(unsigned mask, int p) {
    using namespace cudaemu::detail;
    return static_cast<unsigned>(warp_exchange(WarpSync::Ballot, mask, p != 0, 0, 32));
}
inline int __any_sync(unsigned mask, int p) {
    using namespace cudaemu::detail;
    return static_cast<int>(warp_exchange(WarpSync::Any, mask, p != 0, 0, 32));
}
inline int __all_sync(unsigned mask, int p) {
    using namespace cudaemu::detail;
    return static_cast<int>(warp_exchange(WarpSync::All, mask, p != 0, 0, 32));
}
template <class T>
unsigned __match_any_sync(unsigned mask, T v) {
    using namespace cudaemu::detail;
    return static_cast<unsigned>(warp_exchange(WarpSync::MatchAny, mask, to_bits(v), 0, 32));
}

// ---- atomics (relaxed, like CUDA's) --------------------------------------------------------------

template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
T atomicAdd(T* address, T value) {
    return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}
inline float atomicAdd(float* address, float value) {
    return cudaemu::detail::atomic_float_add(address, value);
}
inline double atomicAdd(double* address, double value) {
    return cudaemu::detail::atomic_float_add(address, value);
}
template <class T>
T atomicSub(T* address, T value) {
    return __atomic_fetch_sub(address, value, __ATOMIC_RELAXED);
}
template <class T>
T atomicMin(T* address, T value) {
    return cudaemu::detail::atomic_update<T>(address, value, [](T a, T b) { return b < a ? b : a; });
}
template <class T>
T atomicMax(T* address, T value) {
    return cudaemu::detail::atomic_update<T>(address, value, [](T a, T b) { return b > a ? b : a; });
}
template <class T>
T atomicExch(T* address, T value) {
    return __atomic_exchange_n(address, value, __ATOMIC_RELAXED);
}
inline float atomicExch(float* address, float value) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    const uint32_t old = __atomic_exchange_n(reinterpret_cast<uint32_t*>(address), bits, __ATOMIC_RELAXED);
    float out;
    std::memcpy(&out, &old, 4);
    return out;
}
template <class T>
T atomicCAS(T* address, T compare, T value) {
    __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return compare;
}
template <class T>
T atomicOr(T* address, T value) {
    return __atomic_fetch_or(address, value, __ATOMIC_RELAXED);
}
template <class T>
T atomicAnd(T* address, T value) {
    return __atomic_fetch_and(address, value, __ATOMIC_RELAXED);
}

// ---- arithmetic intrinsics -----------------------------------------------------------------------
// The *_rn forms round each operation on its own; the emulator compiles without contraction, so a
// plain operator already does.

inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }

inline unsigned __float_as_uint(float x) { unsigned u; std::memcpy(&u, &x, 4); return u; }
inline float __uint_as_float(unsigned u) { float x; std::memcpy(&x, &u, 4); return x; }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline long long __double_as_longlong(double x) { long long i; std::memcpy(&i, &x, 8); return i; }
inline double __longlong_as_double(long long i) { double x; std::memcpy(&x, &i, 8); return x; }

inline int __float2int_rn(float x) { return static_cast<int>(std::nearbyint(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline unsigned __float2uint_rn(float x) { return static_cast<unsigned>(std::nearbyint(x)); }
inline long long __float2ll_rn(float x) { return static_cast<long long>(std::nearbyint(x)); }
inline unsigned long long __float2ull_rn(float x) { return static_cast<unsigned long long>(std::nearbyint(x)); }
inline unsigned long long __double2ull_rn(double x) { return static_cast<unsigned long long>(std::nearbyint(x)); }

inline unsigned __umulhi(unsigned a, unsigned b) {
    return static_cast<unsigned>((static_cast<uint64_t>(a) * b) >> 32);
}
inline int __mulhi(int a, int b) {
    return static_cast<int>((static_cast<int64_t>(a) * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
inline int __clz(unsigned x) { return x == 0 ? 32 : __builtin_clz(x); }
inline int __clz(int x) { return __clz(static_cast<unsigned>(x)); }
inline int __clzll(unsigned long long x) { return x == 0 ? 64 : __builtin_clzll(x); }
inline int __clzll(long long x) { return __clzll(static_cast<unsigned long long>(x)); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffs(unsigned x) { return __builtin_ffs(static_cast<int>(x)); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
    return (x >> 16) | (x << 16);
}

template <class T>
T __ldg(const T* p) {
    return *p;
}

// CUDA's device code has these overloads in the global namespace.
inline int min(int a, int b) { return b < a ? b : a; }
inline int max(int a, int b) { return b > a ? b : a; }
inline unsigned min(unsigned a, unsigned b) { return b < a ? b : a; }
inline unsigned max(unsigned a, unsigned b) { return b > a ? b : a; }
inline long long min(long long a, long long b) { return b < a ? b : a; }
inline long long max(long long a, long long b) { return b > a ? b : a; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return b < a ? b : a; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return b > a ? b : a; }
inline long min(long a, long b) { return b < a ? b : a; }
inline long max(long a, long b) { return b > a ? b : a; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
