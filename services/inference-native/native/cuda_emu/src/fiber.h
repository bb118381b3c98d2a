// Cooperative fibers for the emulated CUDA threads: a stack and a saved context each, switched by
// hand-written assembly on x86-64 (a few nanoseconds; a block of 1024 threads switches millions of
// times per test) and by ucontext elsewhere.
#pragma once

#include <cstddef>

#if !(defined(__x86_64__) && defined(__linux__))
#include <ucontext.h>
#endif

namespace cudaemu::detail {

struct FiberContext {
#if defined(__x86_64__) && defined(__linux__)
    void* sp = nullptr;
#else
    ucontext_t uc;
#endif
};

// A pool of fiber stacks for one host thread, grown on demand and kept for the next block. Each
// stack has an inaccessible guard page below it, so an overflow faults instead of corrupting a
// neighbour.
class StackPool {
public:
    StackPool() = default;
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;
    ~StackPool();
    // The top (highest address) of stack i, creating stacks up to i.
    char* top(size_t i);

private:
    static constexpr size_t kStackBytes = size_t{256} << 10;
    static constexpr size_t kSlabStacks = 64;
    char** slabs_ = nullptr;
    size_t n_slabs_ = 0;
};

// Prepares `fiber` to start entry(arg) on the stack that ends at stack_top, the first time it is
// switched to. entry must never return: a finished fiber switches away for good.
void make_fiber(FiberContext& fiber, char* stack_top, size_t stack_bytes, void (*entry)(void*), void* arg);
// Saves the running context in `from` and resumes `to`.
void switch_fiber(FiberContext& from, FiberContext& to);

}  // namespace cudaemu::detail
