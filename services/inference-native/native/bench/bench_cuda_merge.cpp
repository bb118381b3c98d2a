// Merge GB/s on the GPU against the copy bandwidth (bench_cuda_merge.h).
#include "bench_cuda_merge.h"

#include "cuda/merge_kernels.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_plan.h"
#include "moco.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace moco::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kElements = int64_t{128} << 20;  // per tensor: 256 MiB of BF16
constexpr int64_t kBlock = int64_t{16} << 20;      // host pattern uploaded kElements / kBlock times
constexpr int kInputs = 3;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "moco_cuda_bench: %s: %s\n", what, moco_last_error());
    std::exit(1);
}

void cuda_or_die(cudaError_t err, const char* what) {
    if (err != cudaSuccess) {
        std::fprintf(stderr, "moco_cuda_bench: %s: %s\n", what, cudaGetErrorString(err));
        std::exit(1);
    }
}

// A BF16 tensor of kElements on the device: a base-like pattern (uniform in [-1, 1)), or that
// pattern plus a small task vector (noise of 1e-2) when `noise_seed` != 0.
void* make_tensor(uint32_t noise_seed) {
    std::vector<float> values(static_cast<std::size_t>(kBlock));
    uint32_t base_state = 12345u, noise_state = noise_seed;
    auto next = [](uint32_t& s) {  // xorshift32: fast, and the values do not matter
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return static_cast<float>(s) * (1.0f / 4294967296.0f);
    };
    for (float& v : values) {
        v = 2.0f * next(base_state) - 1.0f;
        if (noise_seed != 0) v += 0.02f * next(noise_state) - 0.01f;
    }
    std::vector<uint16_t> block(values.size());
    kernels::store_f32(values.data(), values.size(), MOCO_DTYPE_BF16, block.data());
    void* data = nullptr;
    cuda_or_die(cudaMalloc(&data, static_cast<std::size_t>(kElements) * 2), "cudaMalloc of a merge tensor");
    for (int64_t at = 0; at < kElements; at += kBlock) {
        cuda_or_die(cudaMemcpy(static_cast<char*>(data) + at * 2, block.data(), block.size() * 2,
                               cudaMemcpyHostToDevice),
                    "uploading a merge tensor");
    }
    return data;
}

struct Timing {
    double total_s = 1e30;  // scan passes + apply
    double apply_s = 1e30;
    int passes = 0;
};

Timing time_merge(int method, int device, void* const* inputs, void* base, void* out) {
    std::vector<moco_merge_input> in(kInputs);
    const float weights[kInputs] = {0.5f, 0.3f, 0.2f};
    for (int i = 0; i < kInputs; ++i) {
        in[static_cast<std::size_t>(i)].tensor.dtype = MOCO_DTYPE_BF16;
        in[static_cast<std::size_t>(i)].tensor.ndim = 1;
        in[static_cast<std::size_t>(i)].tensor.shape[0] = kElements;
        in[static_cast<std::size_t>(i)].weight = weights[i];
        in[static_cast<std::size_t>(i)].density = method == MOCO_MERGE_LINEAR ? 1.0 : 0.3;
        in[static_cast<std::size_t>(i)].model_index = i;
    }
    moco_tensor_desc base_desc = in[0].tensor;
    moco_merge_spec spec = moco_merge_default_spec();
    spec.method = method;
    spec.tensor_name = "model.layers.0.mlp.up_proj.weight";
    spec.n_inputs = kInputs;
    spec.inputs = in.data();
    spec.base = method == MOCO_MERGE_LINEAR ? nullptr : &base_desc;
    spec.out_dtype = MOCO_DTYPE_BF16;
    spec.seed = 42;
    const void* const_inputs[kInputs] = {inputs[0], inputs[1], inputs[2]};

    Timing best;
    for (int run = 0; run < 4; ++run) {  // run 0 warms up
        moco_merge_plan* raw = nullptr;
        if (moco_merge_plan_create(&spec, &raw) != MOCO_OK) fail("moco_merge_plan_create");
        std::unique_ptr<moco_merge_plan, decltype(&moco_merge_plan_destroy)> plan(raw, moco_merge_plan_destroy);
        cuda::DeviceMerge merge(plan->plan, device, nullptr);
        cuda_or_die(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
        const auto start = Clock::now();
        bool more = merge.needs_scan();
        int passes = 0;
        while (more) {
            if (merge.scan("bench", const_inputs, base, 0, kElements) != MOCO_OK) fail("DeviceMerge::scan");
            if (merge.end_pass("bench", &more) != MOCO_OK) fail("DeviceMerge::end_pass");
            ++passes;
        }
        const auto scanned = Clock::now();
        if (merge.apply("bench", const_inputs, base, 0, kElements, out) != MOCO_OK) fail("DeviceMerge::apply");
        const auto done = Clock::now();
        if (run == 0) continue;
        best.total_s = std::min(best.total_s, std::chrono::duration<double>(done - start).count());
        best.apply_s = std::min(best.apply_s, std::chrono::duration<double>(done - scanned).count());
        best.passes = passes;
    }
    return best;
}

}  // namespace

void bench_merges(int device, double copy_bandwidth) {
    cuda_or_die(cudaSetDevice(device), "cudaSetDevice");
    void* inputs[kInputs];
    for (int i = 0; i < kInputs; ++i) inputs[i] = make_tensor(static_cast<uint32_t>(i + 1) * 2654435761u);
    void* base = make_tensor(0);
    void* out = nullptr;
    cuda_or_die(cudaMalloc(&out, static_cast<std::size_t>(kElements) * 2), "cudaMalloc of the merge output");

    std::printf("### merges on cuda:%d: %d x %lld BF16 elements -> BF16 (copy bandwidth %.0f GB/s)\n\n",
                device, kInputs, static_cast<long long>(kElements), copy_bandwidth / 1e9);
    std::printf("| method | scan passes | total ms | total GB/s | vs copy | apply ms | apply GB/s | vs copy |\n"
                "|---|---|---|---|---|---|---|---|\n");
    struct Method {
        int method;
        const char* name;
    };
    for (const Method m : {Method{MOCO_MERGE_LINEAR, "LINEAR"}, Method{MOCO_MERGE_TIES, "TIES density 0.3"},
                           Method{MOCO_MERGE_DARE_TIES, "DARE_TIES density 0.3, L1 rescale"}}) {
        const Timing t = time_merge(m.method, device, inputs, base, out);
        const int operands = kInputs + (m.method == MOCO_MERGE_LINEAR ? 0 : 1) + 1;  // + base, + output
        const double bytes = static_cast<double>(operands) * static_cast<double>(kElements) * 2.0;
        std::printf("| %s | %d | %.1f | %.0f | %.2f | %.1f | %.0f | %.2f |\n", m.name, t.passes, 1e3 * t.total_s,
                    bytes / t.total_s / 1e9, bytes / t.total_s / copy_bandwidth, 1e3 * t.apply_s,
                    bytes / t.apply_s / 1e9, bytes / t.apply_s / copy_bandwidth);
        std::fflush(stdout);
    }
    std::printf("\n(GB/s: the tensors' bytes - every input and the base read once, the output written once - "
                "per second; scan passes read the inputs again, so total < apply for TIES and DARE)\n\n");
    for (void* p : inputs) cudaFree(p);
    cudaFree(base);
    cudaFree(out);
}

}  // namespace moco::bench
