// moco_context_copy_bandwidth on "cuda:0" through the public API: the device-to-device copy and its event
// timing (test_context.cpp checks the argument errors and the CPU's figure), and exhaustion as a clear error.
#include "cuda_test_util.h"

#include "moco.h"

#include <gtest/gtest.h>

#include <string>

namespace {

struct Context {
    moco_context* ctx = nullptr;
    Context() {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cuda:0";
        EXPECT_EQ(moco_context_create(&opts, &ctx), MOCO_OK) << moco_last_error();
    }
    ~Context() { moco_context_destroy(ctx); }
};

TEST(CudaCopyBandwidth, ReportsAPlausibleFigure) {
    MOCO_REQUIRE_GPU();
    Context c;
    double bytes_per_s = -1.0;
    ASSERT_EQ(moco_context_copy_bandwidth(c.ctx, uint64_t{8} << 20, &bytes_per_s), MOCO_OK) << moco_last_error();
    EXPECT_GT(bytes_per_s, 1e7);
    EXPECT_LT(bytes_per_s, 1e15);
}

TEST(CudaCopyBandwidth, BuffersBeyondTheDeviceAreOutOfMemory) {
    MOCO_REQUIRE_GPU();
    const size_t free_bytes = moco::cuda_test::free_device_bytes();
    if (free_bytes >= (uint64_t{64} << 30)) {
        GTEST_SKIP() << "the device has 64 GiB free: two buffers of the largest size accepted fit";
    }
    Context c;
    double bytes_per_s = -1.0;
    // Two buffers of this size cannot both fit, whichever the device.
    const uint64_t bytes = std::max<uint64_t>(free_bytes / 2 + (uint64_t{1} << 20), uint64_t{1} << 20);
    EXPECT_EQ(moco_context_copy_bandwidth(c.ctx, bytes, &bytes_per_s), MOCO_ERR_OUT_OF_MEMORY);
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("moco_context_copy_bandwidth"), std::string::npos) << message;
    EXPECT_NE(message.find("copy-bandwidth"), std::string::npos) << message;
}

}  // namespace
