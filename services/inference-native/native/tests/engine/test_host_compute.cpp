// The context's shared host threads (cpu/host_compute.h): leases exclude each other, and the
// caches of one context forwarding from several threads at once - each taking the one pool in
// turn - compute exactly what each computes alone.
#include "cpu/host_compute.h"
#include "tiny_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace moco::test {
namespace {

TEST(HostCompute, OneLeaseHolderAtATime) {
    cpu::HostCompute compute(2);
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::atomic<long> work{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                const cpu::HostCompute::Lease lease(compute);
                if (inside.fetch_add(1) != 0) {
                    overlaps.fetch_add(1);
                }
                lease.pool().run(8, [&](int task, int) { work.fetch_add(task); });
                inside.fetch_sub(1);
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(work.load(), 4L * 500 * 28);  // every run ran all 8 tasks (0 + 1 + ... + 7)
}

TEST(HostCompute, CachesOfOneContextForwardConcurrentlyAsAlone) {
    const TinySpec spec = all_specs().front();
    TinyModel tm(spec, 31);
    tm.set_threads(2);
    constexpr int kCaches = 4;
    constexpr int kSteps = 150;
    std::vector<std::vector<int32_t>> prompts;
    for (int c = 0; c < kCaches; ++c) {
        prompts.push_back(random_tokens(9 + c, spec.vocab, 40 + c));
    }
    // Each cache: its prompt, then kSteps single tokens (fixed, not drawn), every last row kept.
    auto decode = [&](Cache& cache, int c) {
        const int32_t seq = cache.create();
        std::vector<float> rows = cache.append(seq, prompts[c], MOCO_OUTPUT_LAST);
        for (int step = 0; step < kSteps; ++step) {
            const std::vector<float> row = cache.append(seq, {(c * 7 + step) % spec.vocab}, MOCO_OUTPUT_LAST);
            rows.insert(rows.end(), row.begin(), row.end());
        }
        return rows;
    };
    std::vector<std::vector<float>> alone;
    for (int c = 0; c < kCaches; ++c) {
        Cache cache(tm.model());
        alone.push_back(decode(cache, c));
    }

    std::vector<std::vector<float>> together(kCaches);
    std::vector<std::thread> threads;
    for (int c = 0; c < kCaches; ++c) {
        threads.emplace_back([&, c] {
            Cache cache(tm.model());
            together[c] = decode(cache, c);
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    for (int c = 0; c < kCaches; ++c) {
        EXPECT_TRUE(bits_equal(together[c], alone[c])) << "cache " << c;
    }
}

}  // namespace
}  // namespace moco::test
