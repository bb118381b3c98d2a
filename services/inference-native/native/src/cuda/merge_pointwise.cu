// M9 LoRA apply and M11 PSO step on device memory (merge_kernels.h): one thread per output
// element, the CPU's f32 operations in the CPU's order. Compiled with --fmad=false
// (sources.cmake), so no product is fused into a sum.
#include "common.h"
#include "cuda/cuda_check.h"
#include "cuda/device_math.cuh"
#include "cuda/merge_device.cuh"
#include "cuda/merge_kernels.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_math.h"

namespace moco::cuda {
namespace {

constexpr unsigned long long kNoBadElement = ~0ull;

__device__ float load(const void* data, int dtype, int64_t i) {
    return load_as_f32(data, static_cast<DType>(dtype), i);
}

// W' at chunk-relative element idx = r * cols + i (row row_offset + r) before rounding:
// W + scale * Σ_k B[o][k] A[k][i] with the first product starting the sum, k ascending
// (kernels::lora_apply; with fan_in_fan_out the terms are A[k][row] * B[i][k]).
__device__ float lora_value(const kernels::LoraApply& p, int64_t idx) {
    const int64_t r = idx / p.cols;
    const int64_t i = idx % p.cols;
    const int64_t row = p.row_offset + r;
    float acc = 0.0f;
    for (int k = 0; k < p.rank; ++k) {
        const float term =
            !p.fan_in_fan_out
                ? load(p.b, p.b_dtype, row * p.rank + k) * load(p.a, p.a_dtype, k * p.cols + i)
                : load(p.a, p.a_dtype, k * p.rows + row) * load(p.b, p.b_dtype, i * p.rank + k);
        acc = k == 0 ? term : acc + term;
    }
    return kernels::add_delta(load(p.w, p.w_dtype, idx), p.scale * acc);
}

// write = false only looks for bad elements (out may be w: each thread reads before it writes).
__global__ void lora_kernel(kernels::LoraApply p, float limit, bool write,
                            unsigned long long* first_bad) {
    const int64_t total = p.row_count * p.cols;
    for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const float v = lora_value(p, idx);
        if (!(fabsf(v) < limit)) atomicMin(first_bad, static_cast<unsigned long long>(idx));
        if (write) store_as(p.out, p.out_dtype, idx, v);
    }
}

__global__ void lora_value_kernel(kernels::LoraApply p, int64_t idx, float* value) {
    *value = lora_value(p, idx);
}

// x' and v' of element e (kernels::pso_step): v' left to right as M11 writes it, x' from the
// unrounded v'.
__device__ void pso_values(const kernels::PsoStep& s, int64_t e, float* x_new, float* v_new) {
    const float x = load(s.x, s.dtype, e), v = load(s.v, s.dtype, e);
    const float p = load(s.p, s.dtype, e), g = load(s.g, s.dtype, e), w = load(s.w, s.dtype, e);
    const float velocity = s.a * v + s.b * (p - x) + s.c * (g - x) + s.d * (x - w);
    *v_new = velocity;
    *x_new = x + s.step * velocity;
}

// Each thread reads its element of x and v before writing it, so x_out / v_out may alias them.
// write = false only looks for bad elements.
__global__ void pso_kernel(kernels::PsoStep s, float limit, bool write,
                           unsigned long long* first_bad) {
    for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < s.count;
         e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        float x = 0.0f, v = 0.0f;
        pso_values(s, e, &x, &v);
        if (!(fabsf(x) < limit) || !(fabsf(v) < limit)) {
            atomicMin(first_bad, static_cast<unsigned long long>(e));
        }
        if (write) {
            store_as(s.x_out, s.out_dtype, e, x);
            store_as(s.v_out, s.out_dtype, e, v);
        }
    }
}

__global__ void pso_value_kernel(kernels::PsoStep s, int64_t e, float* values) {
    pso_values(s, e, &values[0], &values[1]);
}

// The first bad element's index after `launch` ran its kernel on `first_bad`, or kNoBadElement.
template <class Launch>
unsigned long long first_bad_element(DeviceBuffer& report, cudaStream_t stream, Launch&& launch) {
    auto* first_bad = report.as<unsigned long long>();
    check(cudaMemsetAsync(first_bad, 0xFF, sizeof(unsigned long long), stream),
          "cudaMemsetAsync of the error report");
    launch(first_bad);
    unsigned long long bad = kNoBadElement;
    check(cudaMemcpyAsync(&bad, first_bad, sizeof(bad), cudaMemcpyDeviceToHost, stream),
          "copying the error report");
    check(cudaStreamSynchronize(stream), "copying the error report");
    return bad;
}

}  // namespace

moco_status lora_apply(const kernels::LoraApply& args, int device, cudaStream_t stream) {
    return run("moco_lora_apply", [&]() -> moco_status {
        const int64_t total = args.row_count * args.cols;
        if (total == 0) return MOCO_OK;
        use_device(device);
        const float limit = kernels::dtype_finite_limit(args.out_dtype);
        DeviceBuffer report(sizeof(unsigned long long) + sizeof(float), "the LoRA error report");
        // An output written over W would leave nothing to recompute a bad element from: then a
        // first pass only checks, and the second writes once every element is finite.
        unsigned long long bad = kNoBadElement;
        for (const bool write : {false, true}) {
            if (!write && args.out != args.w) continue;
            bad = first_bad_element(report, stream, [&](unsigned long long* first_bad) {
                lora_kernel<<<merge_blocks(total), kMergeThreads, 0, stream>>>(args, limit, write,
                                                                               first_bad);
                check_launch("lora_kernel");
            });
            if (bad != kNoBadElement) break;
        }
        if (bad == kNoBadElement) return MOCO_OK;
        float* value = reinterpret_cast<float*>(report.as<unsigned long long>() + 1);
        lora_value_kernel<<<1, 1, 0, stream>>>(args, static_cast<int64_t>(bad), value);
        check_launch("lora_value_kernel");
        float v = 0.0f;
        check(cudaMemcpyAsync(&v, value, sizeof(v), cudaMemcpyDeviceToHost, stream),
              "copying the LoRA bad element");
        check(cudaStreamSynchronize(stream), "copying the LoRA bad element");
        const int64_t idx = static_cast<int64_t>(bad);
        return set_error(MOCO_ERR_NUMERIC,
                         "moco_lora_apply: element [%lld, %zu] of W' is %g, not finite in %s",
                         static_cast<long long>(args.row_offset + idx / args.cols),
                         static_cast<std::size_t>(idx % args.cols), static_cast<double>(v),
                         kernels::dtype_name(args.out_dtype));
    });
}

moco_status pso_step(const kernels::PsoStep& args, int device, cudaStream_t stream) {
    return run("moco_pso_step", [&]() -> moco_status {
        if (args.count == 0) return MOCO_OK;
        use_device(device);
        const float limit = kernels::dtype_finite_limit(args.out_dtype);
        DeviceBuffer report(sizeof(unsigned long long) + 2 * sizeof(float),
                            "the PSO error report");
        // Outputs that overwrite an input would leave nothing to recompute a bad element's
        // values from: then a first pass only checks, and the second writes once all is finite.
        const void* inputs[5] = {args.x, args.v, args.p, args.g, args.w};
        bool aliased = false;
        for (const void* in : inputs) aliased = aliased || in == args.x_out || in == args.v_out;
        unsigned long long bad = kNoBadElement;
        for (const bool write : {false, true}) {
            if (!write && !aliased) continue;
            bad = first_bad_element(report, stream, [&](unsigned long long* first_bad) {
                pso_kernel<<<merge_blocks(args.count), kMergeThreads, 0, stream>>>(
                    args, limit, write, first_bad);
                check_launch("pso_kernel");
            });
            if (bad != kNoBadElement) break;
        }
        if (bad == kNoBadElement) return MOCO_OK;
        float* values = reinterpret_cast<float*>(report.as<unsigned long long>() + 1);
        pso_value_kernel<<<1, 1, 0, stream>>>(args, static_cast<int64_t>(bad), values);
        check_launch("pso_value_kernel");
        float v[2] = {0.0f, 0.0f};
        check(cudaMemcpyAsync(v, values, sizeof(v), cudaMemcpyDeviceToHost, stream),
              "copying the PSO bad element");
        check(cudaStreamSynchronize(stream), "copying the PSO bad element");
        return set_error(MOCO_ERR_NUMERIC,
                         "moco_pso_step: element %lld: x' = %g, v' = %g, not both finite in %s",
                         static_cast<long long>(bad), static_cast<double>(v[0]),
                         static_cast<double>(v[1]), kernels::dtype_name(args.out_dtype));
    });
}

}  // namespace moco::cuda
