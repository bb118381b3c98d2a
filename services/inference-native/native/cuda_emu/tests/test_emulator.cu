// Tests of the CUDA emulator itself (MOCO_CUDA=EMULATE builds): the device language's semantics
// (warp exchanges, block barriers, shared memory, atomics), the faults it reports instead of a
// wrong answer or a hang, and the host API's checks on memory and launches. Every kernel result is
// compared with what the CUDA programming guide defines.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "cuda_emu/emulator.h"
#include "cuda_test_util.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using moco::cuda_test::DeviceArray;

__global__ void shuffles(int* out, int width) {
    const int lane = static_cast<int>(threadIdx.x % 32);
    const int v = static_cast<int>(threadIdx.x) * 10;
    int* row = out + threadIdx.x * 4;
    row[0] = __shfl_sync(0xffffffffu, v, 3, width);
    row[1] = __shfl_up_sync(0xffffffffu, v, 1, width);
    row[2] = __shfl_down_sync(0xffffffffu, v, 2, width);
    row[3] = __shfl_xor_sync(0xffffffffu, v, 5, width);
    (void)lane;
}

TEST(CudaEmulator, ShufflesReadTheLanesTheGuideDefines) {
    for (int width : {32, 8}) {
        DeviceArray<int> out(64 * 4);
        shuffles<<<1, 64>>>(out.get(), width);
        ASSERT_EQ(cudaGetLastError(), cudaSuccess);
        const std::vector<int> r = out.host();
        for (int t = 0; t < 64; ++t) {
            const int lane = t % 32, warp_base = t - lane, segment = lane / width * width;
            const int own = t * 10;
            EXPECT_EQ(r[t * 4 + 0], (warp_base + segment + 3 % width) * 10) << "idx t=" << t << " w=" << width;
            EXPECT_EQ(r[t * 4 + 1], lane - 1 >= segment ? own - 10 : own) << "up t=" << t << " w=" << width;
            EXPECT_EQ(r[t * 4 + 2], lane + 2 < segment + width ? own + 20 : own) << "down t=" << t << " w=" << width;
            const int x = lane ^ 5;
            EXPECT_EQ(r[t * 4 + 3], x / width == lane / width ? (warp_base + x) * 10 : own) << "xor t=" << t;
        }
    }
}

__global__ void votes(unsigned* out) {
    const unsigned lane = threadIdx.x % 32;
    out[threadIdx.x * 4 + 0] = __ballot_sync(0xffffffffu, lane % 3 == 0);
    out[threadIdx.x * 4 + 1] = static_cast<unsigned>(__any_sync(0xffffffffu, lane == 31));
    out[threadIdx.x * 4 + 2] = static_cast<unsigned>(__all_sync(0xffffffffu, lane < 31));
    out[threadIdx.x * 4 + 3] = __match_any_sync(0xffffffffu, lane / 8);
}

TEST(CudaEmulator, VotesAndMatchAnySeeTheWholeWarp) {
    DeviceArray<unsigned> out(32 * 4);
    votes<<<1, 32>>>(out.get());
    const std::vector<unsigned> r = out.host();
    unsigned every_third = 0;
    for (unsigned l = 0; l < 32; l += 3) every_third |= 1u << l;
    for (unsigned l = 0; l < 32; ++l) {
        EXPECT_EQ(r[l * 4 + 0], every_third);
        EXPECT_EQ(r[l * 4 + 1], 1u);
        EXPECT_EQ(r[l * 4 + 2], 0u);
        EXPECT_EQ(r[l * 4 + 3], 0xffu << (l / 8 * 8));
    }
}

__global__ void block_sums(const int* in, int* out) {
    __shared__ int partial[8];
    const int v = in[blockIdx.x * blockDim.x + threadIdx.x];
    int s = v;
    for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
        int total = 0;
        for (unsigned w = 0; w < blockDim.x / 32; ++w) total += partial[w];
        out[blockIdx.x] = total;
    }
    out[gridDim.x + blockIdx.x] = __syncthreads_count(v > 50);
}

TEST(CudaEmulator, SharedMemoryIsPerBlockAndTheBarrierPublishesIt) {
    const int blocks = 3, threads = 256;
    std::vector<int> in(blocks * threads);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i % 101);
    DeviceArray<int> din(in), out(2 * blocks);
    block_sums<<<blocks, threads>>>(din.get(), out.get());
    const std::vector<int> r = out.host();
    for (int b = 0; b < blocks; ++b) {
        int sum = 0, above = 0;
        for (int t = 0; t < threads; ++t) {
            sum += in[b * threads + t];
            above += in[b * threads + t] > 50;
        }
        EXPECT_EQ(r[b], sum) << b;
        EXPECT_EQ(r[blocks + b], above) << b;
    }
}

__global__ void racy_publish(int* out) {
    __shared__ int value;
    if (threadIdx.x == 0) value = 7 + static_cast<int>(blockIdx.x);
    // No __syncthreads here: thread 1 may read before thread 0 writes.
    if (threadIdx.x == 1) out[blockIdx.x] = value;
}

TEST(CudaEmulator, ReverseOrderExposesAMissingBarrier) {
    DeviceArray<int> out(2);
    cudaemu::set_order(cudaemu::Order::Forward);
    racy_publish<<<2, 64>>>(out.get());
    const std::vector<int> forward = out.host();
    EXPECT_EQ(forward[0], 7);  // index order runs thread 0 first and hides the race
    EXPECT_EQ(forward[1], 8);
    cudaemu::set_order(cudaemu::Order::Reverse);
    racy_publish<<<2, 64>>>(out.get());
    const std::vector<int> reverse = out.host();
    EXPECT_EQ(reverse[0], 8) << "thread 1 of block 0 should read the previous block's stale value";
    EXPECT_EQ(reverse[1], 7) << "block 1 reads what block 0 left";
    // The default alternates: block 0 in index order hides the race, block 1 in reverse shows it.
    cudaemu::set_order(cudaemu::Order::Alternate);
    racy_publish<<<2, 64>>>(out.get());
    const std::vector<int> alternate = out.host();
    EXPECT_EQ(alternate[0], 7);
    EXPECT_EQ(alternate[1], 7) << "block 1's thread 1 runs before its thread 0 and reads block 0's value";
}

__global__ void counts(unsigned long long* total, int* lowest, float* sum) {
    atomicAdd(total, 1ull);
    atomicMin(lowest, static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x) - 5);
    atomicAdd(sum, 0.5f);
}

TEST(CudaEmulator, AtomicsCountEveryThreadOfEveryBlock) {
    DeviceArray<unsigned long long> total(std::vector<unsigned long long>{0});
    DeviceArray<int> lowest(std::vector<int>{1000});
    DeviceArray<float> sum(std::vector<float>{0.0f});
    counts<<<dim3(4, 2), dim3(16, 4)>>>(total.get(), lowest.get(), sum.get());
    EXPECT_EQ(total.host()[0], 4ull * 2 * 16 * 4);
    EXPECT_EQ(lowest.host()[0], -5);
    EXPECT_EQ(sum.host()[0], 256.0f);
}

__global__ void deadlock(int* out) {
    if (threadIdx.x == 0) {
        out[0] = __shfl_sync(0xffffffffu, 1, 0);  // waits for lanes that wait at the barrier
    } else {
        __syncthreads();
    }
}

__global__ void divergent(int* out) {
    if (threadIdx.x < 16) {
        out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1, 1);
    } else {
        out[threadIdx.x] = static_cast<int>(__ballot_sync(0xffffffffu, 1));
    }
}

__global__ void mask_without_self(int* out) {
    out[threadIdx.x] = __shfl_sync(0x1u, 1, 0);
}

TEST(CudaEmulator, BrokenSynchronisationIsALaunchFailureNotAHang) {
    DeviceArray<int> out(32);
    deadlock<<<1, 32>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorLaunchFailure);  // reported once more, then cleared
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    (void)cudaGetLastError();
    divergent<<<1, 32>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    (void)cudaDeviceSynchronize();
    mask_without_self<<<1, 32>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchFailure);
    (void)cudaDeviceSynchronize();
    (void)cudaGetLastError();
}

__global__ void write_one(int* out) {
    out[threadIdx.x] = 1;
}

TEST(CudaEmulator, LaunchesRefuseHostPointersAndBadConfigurations) {
    std::vector<int> host(32, 0);
    write_one<<<1, 32>>>(host.data());
    EXPECT_EQ(cudaGetLastError(), cudaErrorIllegalAddress);
    EXPECT_EQ(host[0], 0) << "the kernel must not run";
    (void)cudaDeviceSynchronize();
    (void)cudaGetLastError();
    DeviceArray<int> out(32);
    write_one<<<1, 2048>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
    write_one<<<0, 32>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
    write_one<<<1, 32>>>(out.get());
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
    EXPECT_EQ(out.host(), std::vector<int>(32, 1));
}

TEST(CudaEmulator, CopiesCheckTheirPointersAndMemoryHasABudget) {
    float* d = nullptr;
    ASSERT_EQ(cudaMalloc(&d, 16 * sizeof(float)), cudaSuccess);
    std::vector<float> h(16, 1.0f), back(16, 0.0f);
    // Fresh device memory is NaN, not zero: a kernel reading unwritten memory shows it.
    ASSERT_EQ(cudaMemcpy(back.data(), d, 16 * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
    EXPECT_TRUE(std::isnan(back[0]));
    EXPECT_EQ(cudaMemcpy(h.data(), d, 16 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue)
        << "destination is host memory";
    EXPECT_EQ(cudaMemcpy(d, h.data(), 17 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue)
        << "one element past the allocation";
    EXPECT_EQ(cudaMemcpy(d + 1, h.data(), 15 * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
    EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
    size_t free_before = 0, total = 0;
    ASSERT_EQ(cudaMemGetInfo(&free_before, &total), cudaSuccess);
    void* big = nullptr;
    EXPECT_EQ(cudaMalloc(&big, total + 1), cudaErrorMemoryAllocation);
    EXPECT_EQ(big, nullptr);
    (void)cudaGetLastError();
    EXPECT_EQ(cudaFree(d), cudaSuccess);
    size_t free_after = 0;
    ASSERT_EQ(cudaMemGetInfo(&free_after, &total), cudaSuccess);
    EXPECT_EQ(free_after, free_before + 256) << "a 64-byte block takes 256 (cudaMalloc's alignment)";
    EXPECT_EQ(cudaFree(d), cudaErrorInvalidValue) << "double free";
    (void)cudaGetLastError();
}

TEST(CudaEmulator, GemmExIsTheColumnMajorProductAndBetaZeroIgnoresC) {
    // C[m, n] = A^T[m, k] B[k, n] with A stored [k, m] (lda = k) in BF16, B [k, n] F32-representable.
    const int m = 3, n = 2, k = 4;
    std::vector<__nv_bfloat16> a(static_cast<size_t>(k) * m);
    std::vector<float> a_f(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        a_f[i] = 0.25f * static_cast<float>(i) - 1.0f;
        a[i] = __nv_bfloat16(a_f[i]);
    }
    std::vector<__nv_bfloat16> b(static_cast<size_t>(k) * n);
    std::vector<float> b_f(b.size());
    for (size_t i = 0; i < b.size(); ++i) {
        b_f[i] = static_cast<float>(i % 3) - 0.5f;
        b[i] = __nv_bfloat16(b_f[i]);
    }
    DeviceArray<__nv_bfloat16> da(a), db(b);
    DeviceArray<float> dc(std::vector<float>(static_cast<size_t>(m) * n, NAN));
    cublasHandle_t h = nullptr;
    ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
    const float alpha = 2.0f, beta = 0.0f;
    ASSERT_EQ(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, da.get(), CUDA_R_16BF, k, db.get(),
                           CUDA_R_16BF, k, &beta, dc.get(), CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              CUBLAS_STATUS_SUCCESS);
    const std::vector<float> c = dc.host();
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < m; ++i) {
            float want = 0.0f;
            for (int p = 0; p < k; ++p) want += a_f[static_cast<size_t>(i) * k + p] * b_f[static_cast<size_t>(j) * k + p];
            EXPECT_EQ(c[static_cast<size_t>(j) * m + i], 2.0f * want) << i << "," << j;
        }
    }
    EXPECT_EQ(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, da.get(), CUDA_R_16BF, k - 1, db.get(),
                           CUDA_R_16BF, k, &beta, dc.get(), CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              CUBLAS_STATUS_INVALID_VALUE)
        << "lda below the stored rows";
    ASSERT_EQ(cublasDestroy(h), CUBLAS_STATUS_SUCCESS);
    EXPECT_EQ(cublasDestroy(h), CUBLAS_STATUS_NOT_INITIALIZED);
}

__global__ void add_into(const float* x, float scale, float* y, int n) {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) y[i] += scale * x[i];
}

TEST(CudaEmulator, AGraphReplaysItsCaptureOnTheMemoryAsItIsAtLaunch) {
    const int n = 40;
    DeviceArray<float> x(std::vector<float>(n, 1.0f)), y(std::vector<float>(n, 0.0f)), z(std::vector<float>(n, 0.0f));
    cudaStream_t stream = nullptr;
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    ASSERT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
    add_into<<<2, 32, 0, stream>>>(x.get(), 2.0f, y.get(), n);  // y += 2x
    ASSERT_EQ(cudaMemcpyAsync(z.get(), y.get(), n * sizeof(float), cudaMemcpyDeviceToDevice, stream), cudaSuccess);
    std::vector<float> host(n);
    EXPECT_EQ(cudaMemcpyAsync(host.data(), y.get(), n * sizeof(float), cudaMemcpyDeviceToHost, stream),
              cudaErrorStreamCaptureUnsupported)
        << "a host copy cannot be part of the graph";
    EXPECT_EQ(cudaStreamSynchronize(stream), cudaErrorStreamCaptureUnsupported);
    EXPECT_EQ(cudaMemcpy(host.data(), y.get(), n * sizeof(float), cudaMemcpyDeviceToHost), cudaErrorStreamCaptureImplicit);
    cudaGraph_t graph = nullptr;
    ASSERT_EQ(cudaStreamEndCapture(stream, &graph), cudaSuccess);
    (void)cudaGetLastError();
    EXPECT_EQ(y.host(), std::vector<float>(n, 0.0f)) << "capturing runs nothing";
    cudaGraphExec_t exec = nullptr;
    ASSERT_EQ(cudaGraphInstantiateWithFlags(&exec, graph, 0), cudaSuccess);
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    EXPECT_EQ(z.host(), std::vector<float>(n, 2.0f));
    // New inputs, same graph: it reads x as it is now.
    ASSERT_EQ(cudaMemcpy(x.get(), std::vector<float>(n, 10.0f).data(), n * sizeof(float), cudaMemcpyHostToDevice),
              cudaSuccess);
    ASSERT_EQ(cudaGraphLaunch(exec, stream), cudaSuccess);
    EXPECT_EQ(z.host(), std::vector<float>(n, 22.0f));
    EXPECT_EQ(cudaGraphExecDestroy(exec), cudaSuccess);
    EXPECT_EQ(cudaGraphDestroy(graph), cudaSuccess);
    EXPECT_EQ(cudaGraphDestroy(graph), cudaErrorInvalidValue);
    (void)cudaGetLastError();
    EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
}

}  // namespace
