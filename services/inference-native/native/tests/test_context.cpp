// moco_context: creation, accessors, destruction, and every invalid-argument path.
#include "moco.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

int cpu_threads() {
    moco_device_info cpu;
    int count = 0;
    EXPECT_EQ(moco_devices(&cpu, 1, &count), MOCO_OK) << moco_last_error();
    return cpu.threads;
}

int cuda_devices() {
    int count = 0;
    EXPECT_EQ(moco_devices(nullptr, 0, &count), MOCO_OK) << moco_last_error();
    return count - 1;
}

moco_context_options options(const char* device, int threads) {
    moco_context_options opts = moco_context_default_options();
    opts.device = device;
    opts.threads = threads;
    return opts;
}

// Creation that must fail: checks the status, that *out was reset to NULL, and returns the message.
std::string create_fails(const moco_context_options* opts, moco_status expected) {
    moco_context* ctx = reinterpret_cast<moco_context*>(0x1);  // must be overwritten with NULL
    const moco_status status = moco_context_create(opts, &ctx);
    EXPECT_EQ(status, expected) << moco_status_name(status) << ": " << moco_last_error();
    EXPECT_EQ(ctx, nullptr);
    if (status == MOCO_OK) {
        moco_context_destroy(ctx);
    }
    return moco_last_error();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(Context, DefaultOptions) {
    const moco_context_options opts = moco_context_default_options();
    EXPECT_EQ(opts.struct_size, static_cast<int>(sizeof(moco_context_options)));
    EXPECT_EQ(opts.device, nullptr);
    EXPECT_EQ(opts.threads, 0);
}

TEST(Context, CreateOnCpu) {
    const moco_context_options opts = options("cpu", 3);
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    ASSERT_NE(ctx, nullptr);
    EXPECT_STREQ(moco_context_device(ctx), "cpu");
    EXPECT_EQ(moco_context_threads(ctx), 3);
    moco_context_destroy(ctx);
}

TEST(Context, ZeroThreadsMeansAllUsableCores) {
    const moco_context_options opts = options("cpu", 0);
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    EXPECT_EQ(moco_context_threads(ctx), cpu_threads());
    moco_context_destroy(ctx);
}

TEST(Context, NullOptionsMeanDefaults) {
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(nullptr, &ctx), MOCO_OK) << moco_last_error();
    EXPECT_STREQ(moco_context_device(ctx), cuda_devices() > 0 ? "cuda:0" : "cpu");
    EXPECT_EQ(moco_context_threads(ctx), cpu_threads());
    moco_context_destroy(ctx);
}

TEST(Context, AutoAndNullDeviceResolveAlike) {
    const std::string expected = cuda_devices() > 0 ? "cuda:0" : "cpu";
    for (const char* device : {static_cast<const char*>(nullptr), "auto"}) {
        const moco_context_options opts = options(device, 1);
        moco_context* ctx = nullptr;
        ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
        EXPECT_EQ(std::string(moco_context_device(ctx)), expected);
        moco_context_destroy(ctx);
    }
}

TEST(Context, DeviceStringIsCopied) {
    std::string device = "cpu";
    const moco_context_options opts = options(device.c_str(), 1);
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    device.assign("xyz");
    EXPECT_STREQ(moco_context_device(ctx), "cpu");
    moco_context_destroy(ctx);
}

TEST(Context, LargerStructSizeFromANewerCallerIsAccepted) {
    struct newer_options {
        moco_context_options v1;
        int added_later;
    } newer{options("cpu", 2), 42};
    newer.v1.struct_size = static_cast<int>(sizeof(newer));
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&newer.v1, &ctx), MOCO_OK) << moco_last_error();
    EXPECT_EQ(moco_context_threads(ctx), 2);
    moco_context_destroy(ctx);
}

TEST(Context, DestroyNullIsANoOp) {
    moco_context_destroy(nullptr);
}

TEST(Context, ConcurrentCreateDestroy) {
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                const moco_context_options opts = options("cpu", 1 + i % 4);
                moco_context* ctx = nullptr;
                if (moco_context_create(&opts, &ctx) != MOCO_OK ||
                    moco_context_threads(ctx) != 1 + i % 4) {
                    ++failures;
                }
                moco_context_destroy(ctx);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

// ---- invalid arguments ------------------------------------------------------------------------

TEST(ContextErrors, NullOut) {
    const moco_context_options opts = options("cpu", 1);
    EXPECT_EQ(moco_context_create(&opts, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    const std::string message = moco_last_error();
    EXPECT_TRUE(contains(message, "moco_context_create")) << message;
    EXPECT_TRUE(contains(message, "out is NULL")) << message;
}

TEST(ContextErrors, StructSizeTooSmall) {
    for (int size : {0, -1, 4, static_cast<int>(offsetof(moco_context_options, threads))}) {
        moco_context_options opts = options("cpu", 1);
        opts.struct_size = size;
        const std::string message = create_fails(&opts, MOCO_ERR_INVALID_ARGUMENT);
        EXPECT_TRUE(contains(message, "struct_size is " + std::to_string(size))) << message;
        EXPECT_TRUE(contains(message, "sizeof(moco_context_options)")) << message;
        EXPECT_TRUE(contains(message, "moco_context_default_options()")) << message;
    }
}

TEST(ContextErrors, NegativeThreads) {
    const moco_context_options opts = options("cpu", -1);
    const std::string message = create_fails(&opts, MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(message, "threads is -1")) << message;
    EXPECT_TRUE(contains(message, "must be 0")) << message;
}

TEST(ContextErrors, TooManyThreads) {
    const moco_context_options opts = options("cpu", MOCO_MAX_THREADS + 1);
    const std::string message = create_fails(&opts, MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(message, "threads is " + std::to_string(MOCO_MAX_THREADS + 1))) << message;
    EXPECT_TRUE(contains(message, "MOCO_MAX_THREADS")) << message;
}

TEST(ContextErrors, MaxThreadsIsAccepted) {
    const moco_context_options opts = options("cpu", MOCO_MAX_THREADS);
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    EXPECT_EQ(moco_context_threads(ctx), MOCO_MAX_THREADS);
    moco_context_destroy(ctx);
}

TEST(ContextErrors, UnknownDeviceListsValidDevices) {
    for (const char* device : {"gpu", "", "CPU", "cuda", "cuda:", "cuda:x", "cuda:-1", "cuda:1x",
                               "cuda:12345678", "cpu "}) {
        const moco_context_options opts = options(device, 1);
        const std::string message = create_fails(&opts, MOCO_ERR_INVALID_ARGUMENT);
        EXPECT_TRUE(contains(message, std::string("unknown device \"") + device + "\"")) << message;
        EXPECT_TRUE(contains(message, "valid devices: auto, cpu")) << message;
    }
}

TEST(ContextErrors, OverlongDeviceStringIsTruncatedInTheMessage) {
    const std::string device(10000, 'x');
    const moco_context_options opts = options(device.c_str(), 1);
    const std::string message = create_fails(&opts, MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_LT(message.size(), 1000u);
    EXPECT_TRUE(contains(message, "valid devices")) << message;
}

#if !MOCO_TEST_HAVE_CUDA
TEST(ContextErrors, CudaDeviceInACpuOnlyBuildIsUnimplemented) {
    for (const char* device : {"cuda:0", "cuda:7"}) {
        const moco_context_options opts = options(device, 1);
        const std::string message = create_fails(&opts, MOCO_ERR_UNIMPLEMENTED);
        EXPECT_TRUE(contains(message, "CUDA support not compiled in")) << message;
        EXPECT_TRUE(contains(message, "rebuild libmoco with MOCO_CUDA=ON on a machine with nvcc"))
            << message;
    }
}
#else
TEST(ContextErrors, CudaIndexOutOfRangeIsNotFound) {
    const int n = cuda_devices();
    const std::string device = "cuda:" + std::to_string(n);
    const moco_context_options opts = options(device.c_str(), 1);
    const std::string message = create_fails(&opts, MOCO_ERR_NOT_FOUND);
    EXPECT_TRUE(contains(message, std::to_string(n) + " CUDA device(s) visible")) << message;
    EXPECT_TRUE(contains(message, "valid devices: auto, cpu")) << message;
}

TEST(Context, CreateOnEachCudaDevice) {
    for (int i = 0; i < cuda_devices(); ++i) {
        const std::string device = "cuda:" + std::to_string(i);
        const moco_context_options opts = options(device.c_str(), 0);
        moco_context* ctx = nullptr;
        ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
        EXPECT_EQ(std::string(moco_context_device(ctx)), device);
        moco_context_destroy(ctx);
    }
}
#endif

TEST(ContextErrors, AccessorsOnNull) {
    EXPECT_EQ(moco_context_device(nullptr), nullptr);
    EXPECT_TRUE(contains(moco_last_error(), "moco_context_device: ctx is NULL")) << moco_last_error();
    EXPECT_EQ(moco_context_threads(nullptr), -1);
    EXPECT_TRUE(contains(moco_last_error(), "moco_context_threads: ctx is NULL")) << moco_last_error();
}

// ---- copy bandwidth -----------------------------------------------------------------------------

TEST(ContextCopyBandwidth, EveryDeviceReportsAPositiveFiniteFigure) {
    std::vector<std::string> devices = {"cpu"};
    for (int i = 0; i < cuda_devices(); ++i) {
        devices.push_back("cuda:" + std::to_string(i));
    }
    for (const std::string& device : devices) {
        const moco_context_options opts = options(device.c_str(), 2);
        moco_context* ctx = nullptr;
        ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
        double bytes_per_s = -1.0;
        ASSERT_EQ(moco_context_copy_bandwidth(ctx, uint64_t{4} << 20, &bytes_per_s), MOCO_OK)
            << device << ": " << moco_last_error();
        // Any machine copies faster than 10 MB/s and slower than 1 PB/s: outside that the timing is wrong.
        EXPECT_GT(bytes_per_s, 1e7) << device;
        EXPECT_LT(bytes_per_s, 1e15) << device;
        moco_context_destroy(ctx);
    }
}

TEST(ContextCopyBandwidth, InvalidArgumentsNameTheFix) {
    const moco_context_options opts = options("cpu", 1);
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    double bytes_per_s = 0.0;
    EXPECT_EQ(moco_context_copy_bandwidth(nullptr, uint64_t{1} << 20, &bytes_per_s), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "ctx is NULL")) << moco_last_error();
    EXPECT_EQ(moco_context_copy_bandwidth(ctx, uint64_t{1} << 20, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "out_bytes_per_s is NULL")) << moco_last_error();
    for (uint64_t bytes : {uint64_t{0}, (uint64_t{1} << 20) - 1, (uint64_t{64} << 30) + 1}) {
        EXPECT_EQ(moco_context_copy_bandwidth(ctx, bytes, &bytes_per_s), MOCO_ERR_INVALID_ARGUMENT);
        const std::string message = moco_last_error();
        EXPECT_TRUE(contains(message, "bytes is " + std::to_string(bytes))) << message;
        EXPECT_TRUE(contains(message, "1 MiB to 64 GiB")) << message;
    }
    moco_context_destroy(ctx);
}
