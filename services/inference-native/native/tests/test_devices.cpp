// moco_devices: count/capacity semantics, the CPU entry, argument validation.
#include "moco.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#    include <sched.h>
#endif

namespace {

int device_total() {
    int count = -1;
    EXPECT_EQ(moco_devices(nullptr, 0, &count), MOCO_OK) << moco_last_error();
    return count;
}

std::vector<moco_device_info> all_devices() {
    const int total = device_total();
    std::vector<moco_device_info> devices(static_cast<size_t>(total));
    int count = -1;
    EXPECT_EQ(moco_devices(devices.data(), total, &count), MOCO_OK) << moco_last_error();
    EXPECT_EQ(count, total);
    return devices;
}

bool is_terminated(const char* s, size_t size) {
    return std::memchr(s, '\0', size) != nullptr;
}

}  // namespace

TEST(Devices, LayoutIsFrozen) {
    if (sizeof(void*) == 8) {
        EXPECT_EQ(sizeof(moco_device_info), 192u);
    }
    EXPECT_EQ(MOCO_DEVICE_CPU, 0);
    EXPECT_EQ(MOCO_DEVICE_CUDA, 1);
    EXPECT_EQ(MOCO_CPU_AVX2, 1u);
    EXPECT_EQ(MOCO_CPU_AVX512F, 2u);
    EXPECT_EQ(MOCO_CPU_FMA, 4u);
    EXPECT_EQ(MOCO_CPU_NEON, 8u);
    EXPECT_EQ(MOCO_HAS_OPENBLAS, 256u);
}

TEST(Devices, CountQueryWithNullArray) {
    const int total = device_total();
    EXPECT_GE(total, 1);
#if !MOCO_TEST_HAVE_CUDA
    EXPECT_EQ(total, 1) << "a build without CUDA lists only the CPU";
#endif
}

TEST(Devices, CapacitySmallerThanTotalFillsCapacityAndReturnsTotal) {
    const int total = device_total();
    // One more slot than we allow the library to fill, to detect writes past capacity.
    std::vector<moco_device_info> devices(2);
    std::memset(devices.data(), 0xAB, sizeof(moco_device_info) * devices.size());
    int count = -1;
    ASSERT_EQ(moco_devices(devices.data(), 1, &count), MOCO_OK) << moco_last_error();
    EXPECT_EQ(count, total);
    EXPECT_STREQ(devices[0].name, "cpu");
    const auto* guard = reinterpret_cast<const unsigned char*>(&devices[1]);
    for (size_t i = 0; i < sizeof(moco_device_info); ++i) {
        ASSERT_EQ(guard[i], 0xAB) << "moco_devices wrote past capacity at byte " << i;
    }
}

TEST(Devices, CapacityLargerThanTotalFillsTotal) {
    const int total = device_total();
    std::vector<moco_device_info> devices(static_cast<size_t>(total) + 3);
    int count = -1;
    ASSERT_EQ(moco_devices(devices.data(), total + 3, &count), MOCO_OK) << moco_last_error();
    EXPECT_EQ(count, total);
}

TEST(Devices, CpuIsFirstAndUnique) {
    const auto devices = all_devices();
    ASSERT_FALSE(devices.empty());
    const moco_device_info& cpu = devices[0];
    EXPECT_STREQ(cpu.name, "cpu");
    EXPECT_EQ(cpu.kind, MOCO_DEVICE_CPU);
    EXPECT_TRUE(is_terminated(cpu.description, sizeof(cpu.description)));
    EXPECT_GT(std::strlen(cpu.description), 0u);
    EXPECT_GT(cpu.memory_bytes, 0u);
    EXPECT_GE(cpu.threads, 1);
    EXPECT_EQ(cpu.cc_major, 0);
    EXPECT_EQ(cpu.cc_minor, 0);
    for (size_t i = 1; i < devices.size(); ++i) {
        EXPECT_NE(devices[i].kind, MOCO_DEVICE_CPU) << devices[i].name;
    }
}

TEST(Devices, CpuThreadsAreTheUsableLogicalCores) {
    const moco_device_info cpu = all_devices()[0];
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    // The affinity mask is the upper bound; a cgroup CPU quota may lower it.
    EXPECT_LE(cpu.threads, CPU_COUNT(&set));
#else
    EXPECT_LE(cpu.threads, static_cast<int>(std::thread::hardware_concurrency()));
#endif
}

TEST(Devices, CpuFeaturesAreConsistentWithTheBuild) {
    const moco_device_info cpu = all_devices()[0];
#if defined(__AVX2__)
    // This test binary itself runs AVX2 code, so the CPU must report it.
    EXPECT_TRUE(cpu.features & MOCO_CPU_AVX2);
#endif
#if defined(__FMA__)
    EXPECT_TRUE(cpu.features & MOCO_CPU_FMA);
#endif
#if defined(__aarch64__)
    EXPECT_TRUE(cpu.features & MOCO_CPU_NEON);
#endif
#if defined(__x86_64__) || defined(__i386__)
    EXPECT_FALSE(cpu.features & MOCO_CPU_NEON);
#endif
    if (cpu.features & MOCO_CPU_AVX512F) {
        // Every AVX-512 CPU also has AVX2 and FMA.
        EXPECT_TRUE(cpu.features & MOCO_CPU_AVX2);
        EXPECT_TRUE(cpu.features & MOCO_CPU_FMA);
    }
    EXPECT_EQ((cpu.features & MOCO_HAS_OPENBLAS) != 0, MOCO_TEST_HAVE_OPENBLAS != 0);
}

TEST(Devices, CudaEntriesAreNamedByIndex) {
    const auto devices = all_devices();
    for (size_t i = 1; i < devices.size(); ++i) {
        const moco_device_info& d = devices[i];
        EXPECT_EQ(d.kind, MOCO_DEVICE_CUDA);
        EXPECT_EQ(std::string(d.name), "cuda:" + std::to_string(i - 1));
        EXPECT_TRUE(is_terminated(d.description, sizeof(d.description)));
        EXPECT_GT(d.memory_bytes, 0u);
        EXPECT_GT(d.threads, 0) << "SM count";
        EXPECT_GE(d.cc_major, 3);
        EXPECT_EQ(d.features, 0u);
    }
}

TEST(Devices, StableAcrossCallsAndThreads) {
    const auto first = all_devices();
    std::vector<std::vector<moco_device_info>> seen(4);
    std::vector<std::thread> threads;
    for (auto& s : seen) {
        threads.emplace_back([&s] { s = all_devices(); });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& s : seen) {
        ASSERT_EQ(s.size(), first.size());
        EXPECT_EQ(std::memcmp(s.data(), first.data(), sizeof(moco_device_info) * first.size()), 0);
    }
}

TEST(Devices, NullCountIsInvalid) {
    moco_device_info info;
    EXPECT_EQ(moco_devices(&info, 1, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("count is NULL"), std::string::npos) << moco_last_error();
}

TEST(Devices, NegativeCapacityIsInvalid) {
    int count = 123;
    EXPECT_EQ(moco_devices(nullptr, -1, &count), MOCO_ERR_INVALID_ARGUMENT);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("capacity is -1"), std::string::npos) << message;
    EXPECT_NE(message.find(">= 0"), std::string::npos) << message;
    EXPECT_EQ(count, 123) << "count must not be written on failure";
}

TEST(Devices, NullArrayWithCapacityIsInvalid) {
    int count = 0;
    EXPECT_EQ(moco_devices(nullptr, 2, &count), MOCO_ERR_INVALID_ARGUMENT);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("out is NULL"), std::string::npos) << message;
    EXPECT_NE(message.find("capacity 0"), std::string::npos) << message;
}
