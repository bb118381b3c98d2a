// Micro-benchmarks of the always-present API: what a caller pays for the device list, the version
// and a context round trip (the floor under every later handle's create/destroy).
#include "moco.h"

#include <benchmark/benchmark.h>

#include <vector>

static void BM_Devices(benchmark::State& state) {
    int count = 0;
    moco_devices(nullptr, 0, &count);
    std::vector<moco_device_info> devices(static_cast<size_t>(count));
    for (auto _ : state) {
        benchmark::DoNotOptimize(moco_devices(devices.data(), count, &count));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_Devices);

static void BM_Version(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(moco_version());
        benchmark::DoNotOptimize(moco_version_number());
    }
}
BENCHMARK(BM_Version);

static void BM_ContextCreateDestroy(benchmark::State& state) {
    moco_context_options opts = moco_context_default_options();
    opts.device = "cpu";
    for (auto _ : state) {
        moco_context* ctx = nullptr;
        if (moco_context_create(&opts, &ctx) != MOCO_OK) {
            state.SkipWithError(moco_last_error());
            break;
        }
        benchmark::DoNotOptimize(ctx);
        moco_context_destroy(ctx);
    }
}
BENCHMARK(BM_ContextCreateDestroy);

BENCHMARK_MAIN();
