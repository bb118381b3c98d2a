// The emulator's execution model. A launch runs its blocks one after another on the calling host
// thread; a block's CUDA threads are fibers that run, in index order, until each reaches a
// synchronisation point or exits. Then the scheduler completes what can complete:
//  - a warp operation once every lane of its mask waits at one (the lanes exchange values then);
//  - the block barrier once every thread that has not exited waits at it.
// Anything else is a fault of the kernel, reported with its name and the threads involved: a
// barrier some threads never reach (deadlock), lanes of one mask at different warp operations, a
// mask naming an exited lane, a shuffle reading a lane outside its mask. Since threads run to their
// next barrier one at a time, shared memory read before the barrier that publishes it shows the
// wrong data; odd blocks run their threads last to first (cuda_emu/emulator.h), which exposes the
// reads that index order happens to satisfy.
#include "cuda_emu/device.h"
#include "cuda_emu/emulator.h"
#include "cuda_emu/launch.h"

#include "errors.h"
#include "fiber.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

namespace cudaemu::detail {
namespace {

enum class State : uint8_t { Ready, AtBlock, AtWarp, Done };

struct Thread {
    FiberContext context;
    uint3 index;
    State state;
    BlockSync block_kind;
    int predicate;
    WarpSync warp_kind;
    unsigned mask;
    uint64_t value;
    int arg;
    int width;
    uint64_t result;
};

struct BlockRun {
    const char* kernel = nullptr;
    KernelBody body{};
    std::vector<Thread> threads;
    unsigned n = 0;
    unsigned current = 0;
    FiberContext scheduler;
    std::string fault;
};

thread_local BlockRun* running = nullptr;

Order initial_order() {
    const char* order = std::getenv("MOCO_CUDA_EMU_ORDER");
    if (order != nullptr && std::strcmp(order, "reverse") == 0) return Order::Reverse;
    if (order != nullptr && std::strcmp(order, "forward") == 0) return Order::Forward;
    return Order::Alternate;
}

std::atomic<Order> current_order{initial_order()};

void thread_main(void* arg) {
    BlockRun& run = *static_cast<BlockRun*>(arg);
    run.body.run(run.body.self);
    Thread& self = run.threads[run.current];
    self.state = State::Done;
    switch_fiber(self.context, run.scheduler);
}

Thread& current_thread(const char* what) {
    if (running == nullptr) {
        std::fprintf(stderr, "cuda emulator: %s called outside a kernel\n", what);
        std::abort();
    }
    return running->threads[running->current];
}

std::string thread_name(const BlockRun& run, unsigned i) {
    const uint3 t = run.threads[i].index;
    return "thread (" + std::to_string(t.x) + "," + std::to_string(t.y) + "," + std::to_string(t.z) + ") of block (" +
           std::to_string(blockIdx.x) + "," + std::to_string(blockIdx.y) + "," + std::to_string(blockIdx.z) + ")";
}

const char* state_name(State s) {
    switch (s) {
        case State::Ready: return "running";
        case State::AtBlock: return "at __syncthreads";
        case State::AtWarp: return "at a warp operation";
        case State::Done: return "exited";
    }
    return "?";
}

// The lane this lane reads in a shuffle, or -1 for its own value.
int shuffle_source(const Thread& t, int lane) {
    const int width = t.width;
    const int segment = lane / width * width;
    switch (t.warp_kind) {
        case WarpSync::Idx: return segment + ((t.arg % width) + width) % width;
        case WarpSync::Up: return lane - t.arg >= segment ? lane - t.arg : -1;
        case WarpSync::Down: return lane + t.arg < segment + width ? lane + t.arg : -1;
        case WarpSync::Xor: {
            const int src = lane ^ t.arg;
            return src / width == lane / width ? src : -1;
        }
        default: return -1;
    }
}

// Completes the warp operations whose lanes have all arrived. False when none could complete;
// run.fault set when the waiting lanes break the rules.
bool release_warps(BlockRun& run) {
    bool released = false;
    for (unsigned base = 0; base < run.n && run.fault.empty(); base += 32) {
        const unsigned lanes = run.n - base < 32 ? run.n - base : 32;
        const unsigned exist = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
        for (unsigned l = 0; l < lanes; ++l) {
            Thread& t = run.threads[base + l];
            if (t.state != State::AtWarp) continue;
            const unsigned mask = t.mask & exist;
            if (((mask >> l) & 1u) == 0) {
                run.fault = thread_name(run, base + l) + " calls a warp operation whose mask leaves out its own lane";
                return false;
            }
            bool complete = true;
            for (unsigned j = 0; j < lanes; ++j) {
                if (((mask >> j) & 1u) == 0) continue;
                const Thread& o = run.threads[base + j];
                if (o.state == State::Done) {
                    run.fault = thread_name(run, base + l) + " waits at a warp operation for lane " + std::to_string(j) +
                                ", which has exited";
                    return false;
                }
                if (o.state != State::AtWarp) {
                    complete = false;
                    break;
                }
                if (o.warp_kind != t.warp_kind || (o.mask & exist) != mask || o.width != t.width) {
                    run.fault = thread_name(run, base + l) + " and lane " + std::to_string(j) +
                                " of its warp wait at different warp operations (or masks)";
                    return false;
                }
            }
            if (!complete) continue;
            uint64_t ballot = 0, same = 0;
            for (unsigned j = 0; j < lanes; ++j) {
                if (((mask >> j) & 1u) != 0 && run.threads[base + j].value != 0) ballot |= 1ull << j;
            }
            for (unsigned j = 0; j < lanes; ++j) {
                if (((mask >> j) & 1u) == 0) continue;
                Thread& o = run.threads[base + j];
                switch (o.warp_kind) {
                    case WarpSync::Sync: o.result = 0; break;
                    case WarpSync::Ballot: o.result = ballot; break;
                    case WarpSync::Any: o.result = ballot != 0; break;
                    case WarpSync::All: o.result = ballot == mask; break;
                    case WarpSync::MatchAny:
                        same = 0;
                        for (unsigned i = 0; i < lanes; ++i) {
                            if (((mask >> i) & 1u) != 0 && run.threads[base + i].value == o.value) same |= 1ull << i;
                        }
                        o.result = same;
                        break;
                    default: {
                        const int src = shuffle_source(o, static_cast<int>(j));
                        if (src < 0) {
                            o.result = o.value;
                        } else if (src >= static_cast<int>(lanes) || ((mask >> src) & 1u) == 0) {
                            run.fault = thread_name(run, base + j) + " shuffles from lane " + std::to_string(src) +
                                        ", outside the operation's mask";
                            return false;
                        } else {
                            o.result = run.threads[base + static_cast<unsigned>(src)].value;
                        }
                    }
                }
            }
            for (unsigned j = 0; j < lanes; ++j) {
                if (((mask >> j) & 1u) != 0) run.threads[base + j].state = State::Ready;
            }
            released = true;
        }
    }
    return released;
}

// Completes the block barrier when every thread still running waits at it.
bool release_block(BlockRun& run) {
    unsigned waiting = 0, votes = 0;
    int kind_of = -1;
    for (unsigned i = 0; i < run.n; ++i) {
        const Thread& t = run.threads[i];
        if (t.state == State::Done) continue;
        if (t.state != State::AtBlock) return false;
        if (kind_of >= 0 && kind_of != static_cast<int>(t.block_kind)) {
            run.fault = "threads wait at different kinds of block barrier (__syncthreads and __syncthreads_or/and/count)";
            return false;
        }
        kind_of = static_cast<int>(t.block_kind);
        ++waiting;
        if (t.predicate != 0) ++votes;
    }
    if (waiting == 0) return false;
    for (unsigned i = 0; i < run.n; ++i) {
        Thread& t = run.threads[i];
        if (t.state != State::AtBlock) continue;
        switch (t.block_kind) {
            case BlockSync::All: t.result = 0; break;
            case BlockSync::Or: t.result = votes != 0; break;
            case BlockSync::And: t.result = votes == waiting; break;
            case BlockSync::Count: t.result = votes; break;
        }
        t.state = State::Ready;
    }
    return true;
}

std::string deadlock_report(const BlockRun& run) {
    std::string report = "deadlock: no thread can go on;";
    State seen[4] = {State::Ready, State::AtBlock, State::AtWarp, State::Done};
    for (State s : seen) {
        unsigned count = 0, first = 0;
        for (unsigned i = 0; i < run.n; ++i) {
            if (run.threads[i].state == s && count++ == 0) first = i;
        }
        if (count > 0) {
            report += " " + std::to_string(count) + " " + state_name(s) + " (first: " + thread_name(run, first) + ")";
        }
    }
    return report;
}

// Runs one block to completion; false (with run.fault) when the kernel broke a rule.
bool run_block(BlockRun& run) {
    static thread_local StackPool stacks;
    constexpr size_t kStackBytes = size_t{256} << 10;
    const dim3 b = blockDim;
    for (unsigned i = 0; i < run.n; ++i) {
        Thread& t = run.threads[i];
        t.index = uint3{i % b.x, (i / b.x) % b.y, i / (b.x * b.y)};
        t.state = State::Ready;
        make_fiber(t.context, stacks.top(i), kStackBytes, &thread_main, &run);
    }
    const Order order = current_order.load(std::memory_order_relaxed);
    const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    const bool reverse = order == Order::Reverse || (order == Order::Alternate && block % 2 == 1);
    for (;;) {
        for (unsigned k = 0; k < run.n; ++k) {
            const unsigned i = reverse ? run.n - 1 - k : k;
            Thread& t = run.threads[i];
            if (t.state != State::Ready) continue;
            run.current = i;
            threadIdx = t.index;
            switch_fiber(run.scheduler, t.context);
        }
        bool all_done = true;
        for (unsigned i = 0; i < run.n && all_done; ++i) all_done = run.threads[i].state == State::Done;
        if (all_done) return true;
        if (release_warps(run)) continue;
        if (!run.fault.empty()) return false;
        if (release_block(run)) continue;
        if (run.fault.empty()) run.fault = deadlock_report(run);
        return false;
    }
}

}  // namespace

int block_barrier(BlockSync kind, int predicate) {
    Thread& t = current_thread("__syncthreads");
    t.state = State::AtBlock;
    t.block_kind = kind;
    t.predicate = predicate;
    switch_fiber(t.context, running->scheduler);
    return static_cast<int>(t.result);
}

uint64_t warp_exchange(WarpSync kind, unsigned mask, uint64_t value, int arg, int width) {
    Thread& t = current_thread("a warp operation");
    if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
        std::fprintf(stderr, "cuda emulator: kernel %s: shuffle width %d is not a power of two in [1, 32]\n",
                     running->kernel, width);
        std::abort();
    }
    t.state = State::AtWarp;
    t.warp_kind = kind;
    t.mask = mask;
    t.value = value;
    t.arg = arg;
    t.width = width;
    switch_fiber(t.context, running->scheduler);
    return t.result;
}

void refuse_argument(const char* kernel, int index) {
    const std::string why = "argument " + std::to_string(index) +
                            " is a pointer to host memory (neither cudaMalloc nor cudaMallocHost); a GPU would "
                            "fault on it";
    kernel_fault(cudaErrorIllegalAddress, kernel, why.c_str());
}

void run_grid(const char* kernel, const LaunchConfig& config, KernelBody body) {
    const dim3 g = config.grid, b = config.block;
    const unsigned long long threads = static_cast<unsigned long long>(b.x) * b.y * b.z;
    if (g.x == 0 || g.y == 0 || g.z == 0 || g.y > 65535 || g.z > 65535 || threads == 0 || threads > 1024 ||
        b.z > 64 || config.shared_bytes > 48 * 1024) {
        fail(cudaErrorInvalidConfiguration);
        return;
    }
    if (config.shared_bytes != 0) {
        kernel_fault(cudaErrorLaunchFailure, kernel, "dynamic shared memory is not emulated");
        return;
    }
    if (running != nullptr) {
        kernel_fault(cudaErrorLaunchFailure, kernel, "launched from device code (dynamic parallelism is not emulated)");
        return;
    }
    static thread_local BlockRun run;
    run.kernel = kernel;
    run.body = body;
    run.n = static_cast<unsigned>(threads);
    if (run.threads.size() < run.n) run.threads.resize(run.n);
    run.fault.clear();
    blockDim = b;
    gridDim = g;
    running = &run;
    for (unsigned z = 0; z < g.z; ++z) {
        for (unsigned y = 0; y < g.y; ++y) {
            for (unsigned x = 0; x < g.x; ++x) {
                blockIdx = uint3{x, y, z};
                if (!run_block(run)) {
                    running = nullptr;
                    kernel_fault(cudaErrorLaunchFailure, kernel, run.fault.c_str());
                    return;
                }
            }
        }
    }
    running = nullptr;
}

}  // namespace cudaemu::detail

namespace cudaemu {

void set_order(Order order) {
    detail::current_order.store(order, std::memory_order_relaxed);
}

Order order() {
    return detail::current_order.load(std::memory_order_relaxed);
}

}  // namespace cudaemu
