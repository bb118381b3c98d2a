// y = x W^T for a Linear layer's weight W [n, k] (out_features x in_features, as stored), with the
// fixed reduction order that makes the forward deterministic.
//
// THE ORDER. Every output element is one chain of fused multiply-adds over k in ascending order,
// starting from +0:   acc = 0;  for k = 0..K-1: acc = fma(x[r][k], W[c][k], acc);  y[r][c] = acc.
// An FMA is correctly rounded, so this chain has exactly one result whatever the instruction set,
// the tile shape, the number of rows in the call, the thread that computes it or the tiling of the
// other outputs. A row's outputs therefore do not depend on the other rows of the batch, on how a
// prefill is chunked or on the thread count.
//
// Why not OpenBLAS: its sgemm picks kernels by shape (a "small matrix" path below a size threshold),
// so a row's result changes with the number of rows M in the call. Measured with OpenBLAS 0.3.21
// (Cooperlake kernels on an AMD EPYC Zen 4): at K=768, N=768 a row computed with M=1 differs from
// the same row computed with M=2..256 in 690 of 768 outputs; at N=64 every M up to 17 differs from
// M=256. (Its thread count did not change results in these tests; the shape dependence alone breaks
// batch and chunking invariance.) What it costs: nothing on that machine - this kernel reaches 110
// GFLOP/s per core against OpenBLAS's 99 at M=512, and is faster at the small M of decoding (M=32:
// 112 vs 73; M=1: 53 vs 7) - moco_engine_bench BM_Gemm.
//
// Weights are repacked once (prepare_weights) into panels of kPanelCols output columns, each panel
// [k][kPanelCols] contiguous, in the STORED dtype: F16/BF16 panels are converted to F32 in
// registers as they are loaded (exact), halving the memory traffic that bounds decoding.
#pragma once

#include "cpu/aligned_buffer.h"
#include "cpu/isa.h"
#include "cpu/thread_pool.h"
#include "model/model.h"

#include <cstdint>

namespace moco::cpu {

constexpr int kPanelCols = 32;

struct PackedMatrix {
    DType dtype = DType::F32;
    int n = 0;  // output columns (rows of W)
    int k = 0;  // reduction length (columns of W)
    AlignedBuffer<unsigned char> data;  // ceil(n / kPanelCols) panels, last one zero-padded

    bool empty() const { return n == 0; }
};

// Packs W [n, k] stored row-major as `dtype`. Several matrices with the same k can be stacked into
// one (q, k and v; gate and up): their output columns follow each other in the order given.
PackedMatrix pack_weights(DType dtype, int n, int k, const void* w);
PackedMatrix pack_stacked(const TensorView* const* parts, int n_parts);

// Where output row r goes: base + r * ld, or rows[r] when rows is set (gathering rows that live in
// separate caller buffers into one product, e.g. the last-position logits of a batch).
struct OutRows {
    float* base = nullptr;
    int64_t ld = 0;
    float* const* rows = nullptr;

    float* row(int r) const { return rows != nullptr ? rows[r] : base + r * ld; }
};

// y[r][0..n) = x[r][0..k) W^T for r in [0, m), x rows ld apart. Runs on `pool`.
void gemm(ThreadPool& pool, const float* x, int m, int64_t ldx, const PackedMatrix& w,
          const OutRows& y);
// The same with a chosen instruction set (tests compare them bit for bit; benchmarks time them).
void gemm(Isa isa, ThreadPool& pool, const float* x, int m, int64_t ldx, const PackedMatrix& w,
          const OutRows& y);

}  // namespace moco::cpu
