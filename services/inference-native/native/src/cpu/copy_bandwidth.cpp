#include "cpu/copy_bandwidth.h"

#include "cpu/aligned_buffer.h"
#include "cpu/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace moco::cpu {

double copy_bandwidth(int threads, uint64_t bytes) {
    // Zero-filled on allocation, so every page is committed before the first timed copy.
    AlignedBuffer<unsigned char> source(bytes);
    AlignedBuffer<unsigned char> target(bytes);
    ThreadPool pool(threads);
    // Slices of whole cache lines; the last thread takes the remainder.
    const uint64_t slice = (bytes / static_cast<uint64_t>(threads)) & ~uint64_t{63};
    double best = 1e30;
    for (int i = 0; i < 4; ++i) {
        const auto start = std::chrono::steady_clock::now();
        pool.run(threads, [&](int task, int) {
            const uint64_t begin = slice * static_cast<uint64_t>(task);
            const uint64_t end = task == threads - 1 ? bytes : begin + slice;
            std::memcpy(target.data() + begin, source.data() + begin, end - begin);
        });
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (i > 0) {
            best = std::min(best, seconds);
        }
    }
    return 2.0 * static_cast<double>(bytes) / best;
}

}  // namespace moco::cpu
