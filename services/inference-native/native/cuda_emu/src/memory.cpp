#include "memory.h"

#include "cuda_emu/launch.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace cudaemu::detail {
namespace {

// Fresh device memory is filled with 0xFF (a NaN for every float type), so a kernel that reads what
// nobody wrote gives NaN instead of the zeros a new host page happens to hold. Larger blocks are left
// as malloc returns them: filling them would commit memory that tests which fill the "GPU" to its
// budget never touch.
constexpr size_t kPoisonLimit = size_t{256} << 20;
constexpr size_t kAlignment = 256;  // cudaMalloc's guarantee

struct Block {
    size_t bytes;    // as requested: copies and GEMMs past it are refused
    size_t charged;  // rounded up to the alignment, counted against the budget
    bool pinned;
};

struct Memory {
    std::mutex mutex;
    std::map<uintptr_t, Block> blocks;  // by start address
    size_t used = 0;
    size_t budget = 0;

    Memory() {
        size_t mb = 2048;
        if (const char* env = std::getenv("MOCO_CUDA_EMU_MEMORY_MB")) {
            const long long v = std::atoll(env);
            if (v > 0) mb = static_cast<size_t>(v);
        }
        budget = mb << 20;
    }

    // The block holding [p, p + bytes), or nullptr.
    const Block* find(const void* p, size_t bytes) {
        const uintptr_t a = reinterpret_cast<uintptr_t>(p);
        auto it = blocks.upper_bound(a);
        if (it == blocks.begin()) return nullptr;
        --it;
        const uintptr_t end = it->first + it->second.bytes;
        if (a < it->first || a > end || bytes > end - a) return nullptr;
        return &it->second;
    }
};

Memory& memory() {
    static Memory m;
    return m;
}

cudaError_t allocate(void** ptr, size_t bytes, bool pinned) {
    if (ptr == nullptr) return cudaErrorInvalidValue;
    *ptr = nullptr;
    Memory& m = memory();
    const size_t rounded = (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
    {
        std::lock_guard<std::mutex> lock(m.mutex);
        if (!pinned && rounded > m.budget - m.used) return cudaErrorMemoryAllocation;
        if (!pinned) m.used += rounded;
    }
    void* p = std::aligned_alloc(kAlignment, rounded);
    std::lock_guard<std::mutex> lock(m.mutex);
    if (p == nullptr) {
        if (!pinned) m.used -= rounded;
        return cudaErrorMemoryAllocation;
    }
    if (!pinned && rounded <= kPoisonLimit) std::memset(p, 0xFF, rounded);
    m.blocks[reinterpret_cast<uintptr_t>(p)] = Block{bytes, rounded, pinned};
    *ptr = p;
    return cudaSuccess;
}

cudaError_t release(void* ptr, bool pinned) {
    if (ptr == nullptr) return cudaSuccess;
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.mutex);
    auto it = m.blocks.find(reinterpret_cast<uintptr_t>(ptr));
    if (it == m.blocks.end() || it->second.pinned != pinned) return cudaErrorInvalidValue;
    if (!pinned) m.used -= it->second.charged;
    m.blocks.erase(it);
    std::free(ptr);
    return cudaSuccess;
}

}  // namespace

cudaError_t device_alloc(void** ptr, size_t bytes) { return allocate(ptr, bytes, false); }
cudaError_t device_free(void* ptr) { return release(ptr, false); }
cudaError_t pinned_alloc(void** ptr, size_t bytes) { return allocate(ptr, bytes, true); }
cudaError_t pinned_free(void* ptr) { return release(ptr, true); }

void memory_info(size_t* free_bytes, size_t* total_bytes) {
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.mutex);
    if (free_bytes != nullptr) *free_bytes = m.budget - m.used;
    if (total_bytes != nullptr) *total_bytes = m.budget;
}

bool in_device_block(const void* p, size_t bytes) {
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.mutex);
    const Block* b = m.find(p, bytes);
    return b != nullptr && !b->pinned;
}

bool in_accessible_block(const void* p, size_t bytes) {
    Memory& m = memory();
    std::lock_guard<std::mutex> lock(m.mutex);
    return m.find(p, bytes) != nullptr;
}

bool device_accessible(const void* p) {
    return in_accessible_block(p, 0);
}

}  // namespace cudaemu::detail
