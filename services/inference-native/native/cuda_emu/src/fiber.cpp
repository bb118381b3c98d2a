#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cudaemu::detail {

#if defined(__x86_64__) && defined(__linux__)

// cudaemu_switch(void** save_sp, void* load_sp): pushes the System V callee-saved registers, stores
// the stack pointer, loads the other one and pops its registers. The SSE and x87 control words are
// not switched: nothing in a kernel changes the rounding mode, and loading them costs more than the
// rest of the switch.
// A new fiber's stack (make_fiber) is laid out as if it had been switched away from just before
// cudaemu_fiber_start, which moves its entry and argument out of r12/r13 and calls the entry.
asm(R"(
    .text
    .globl cudaemu_switch
    .type cudaemu_switch, @function
cudaemu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size cudaemu_switch, .-cudaemu_switch

    .globl cudaemu_fiber_start
    .type cudaemu_fiber_start, @function
cudaemu_fiber_start:
    movq %r13, %rdi
    callq *%r12
    ud2
    .size cudaemu_fiber_start, .-cudaemu_fiber_start
    .section .note.GNU-stack,"",@progbits
    .text
)");

extern "C" void cudaemu_switch(void** save_sp, void* load_sp);
extern "C" void cudaemu_fiber_start();

void make_fiber(FiberContext& fiber, char* stack_top, size_t, void (*entry)(void*), void* arg) {
    // stack_top is 16-byte aligned: after the final `ret` pops cudaemu_fiber_start, rsp is
    // stack_top, so its `call` enters `entry` with the ABI's alignment.
    uint64_t* sp = reinterpret_cast<uint64_t*>(stack_top);
    *--sp = reinterpret_cast<uint64_t>(&cudaemu_fiber_start);  // popped by ret
    *--sp = 0;                                                 // rbp
    *--sp = 0;                                                 // rbx
    *--sp = reinterpret_cast<uint64_t>(entry);                 // r12
    *--sp = reinterpret_cast<uint64_t>(arg);                   // r13
    *--sp = 0;                                                 // r14
    *--sp = 0;                                                 // r15
    fiber.sp = sp;
}

void switch_fiber(FiberContext& from, FiberContext& to) {
    cudaemu_switch(&from.sp, to.sp);
}

#else

void make_fiber(FiberContext& fiber, char* stack_top, size_t stack_bytes, void (*entry)(void*), void* arg) {
    getcontext(&fiber.uc);
    fiber.uc.uc_stack.ss_sp = stack_top - stack_bytes;
    fiber.uc.uc_stack.ss_size = stack_bytes;
    fiber.uc.uc_link = nullptr;
    // makecontext passes int arguments only: the pointer travels as two halves.
    const uint64_t bits = reinterpret_cast<uint64_t>(arg);
    struct Start {
        static void run(unsigned lo, unsigned hi, unsigned elo, unsigned ehi) {
            auto fn = reinterpret_cast<void (*)(void*)>((uint64_t{ehi} << 32) | elo);
            fn(reinterpret_cast<void*>((uint64_t{hi} << 32) | lo));
            std::abort();
        }
    };
    const uint64_t e = reinterpret_cast<uint64_t>(entry);
    makecontext(&fiber.uc, reinterpret_cast<void (*)()>(&Start::run), 4, static_cast<unsigned>(bits),
                static_cast<unsigned>(bits >> 32), static_cast<unsigned>(e), static_cast<unsigned>(e >> 32));
}

void switch_fiber(FiberContext& from, FiberContext& to) {
    swapcontext(&from.uc, &to.uc);
}

#endif

StackPool::~StackPool() {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    for (size_t s = 0; s < n_slabs_; ++s) munmap(slabs_[s], kSlabStacks * (kStackBytes + page));
    std::free(slabs_);
}

char* StackPool::top(size_t i) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t stride = kStackBytes + page;
    while (i / kSlabStacks >= n_slabs_) {
        void* slab = mmap(nullptr, kSlabStacks * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                          -1, 0);
        if (slab == MAP_FAILED) {
            std::perror("cuda emulator: mmap of fiber stacks");
            std::abort();
        }
        for (size_t k = 0; k < kSlabStacks; ++k) mprotect(static_cast<char*>(slab) + k * stride, page, PROT_NONE);
        slabs_ = static_cast<char**>(std::realloc(slabs_, (n_slabs_ + 1) * sizeof(char*)));
        slabs_[n_slabs_++] = static_cast<char*>(slab);
    }
    return slabs_[i / kSlabStacks] + (i % kSlabStacks) * stride + stride;
}

}  // namespace cudaemu::detail
