// The device merge kernels (src/cuda/merge_kernels.h) against the CPU's on the same tensors: every
// method x F32/F16/BF16, bit for bit where merge_kernels.h claims it (everything but DARE's L1
// rescale and SLERP, whose f64 statistics add in another order: within one rounding of the
// output dtype there), TIES with ties in |δ|, the DARE mask against moco_dare_mask, cut
// embeddings, NUMERIC errors (same message as the CPU's), chunked against whole-tensor runs, M9
// LoRA and the M11 PSO step.
#include "../kernels/merge_test_util.h"
#include "cuda/merge_kernels.h"
#include "cuda_test_util.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_plan.h"

#include <cstring>
#include <limits>
#include <memory>
#include <string>

namespace moco::cuda_test {
namespace {

constexpr const char* kFn = "moco_merge_tensor";

std::vector<uint8_t> stored(const std::vector<float>& values, int dtype) {
    return kernel_test::store(values, dtype).bytes;
}

std::vector<float> as_f32(const std::vector<uint8_t>& bytes, int dtype) {
    std::vector<float> values(bytes.size() / kernels::dtype_bytes(dtype));
    kernels::load_f32(bytes.data(), dtype, values.size(), values.data());
    return values;
}

// Same bytes; on a mismatch, the first few differing elements as floats.
void expect_same_bytes(const std::vector<uint8_t>& gpu, const std::vector<uint8_t>& cpu, int dtype,
                       const std::string& what) {
    ASSERT_EQ(gpu.size(), cpu.size()) << what;
    if (gpu == cpu) return;
    const std::vector<float> g = as_f32(gpu, dtype), c = as_f32(cpu, dtype);
    const std::size_t size = kernels::dtype_bytes(dtype);
    int reported = 0;
    std::size_t differing = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (std::memcmp(gpu.data() + i * size, cpu.data() + i * size, size) == 0) continue;
        ++differing;
        if (reported++ < 5) ADD_FAILURE() << what << "[" << i << "]: gpu " << g[i] << " cpu " << c[i];
    }
    ADD_FAILURE() << what << ": " << differing << " of " << g.size() << " elements differ";
}

// One tensor merge (the CPU merge tests' builder), with a seed of its own for DARE's draws.
kernel_test::Merge merge_case(int method, int out_dtype) {
    kernel_test::Merge m(method, out_dtype);
    m.spec.seed = 0x5EED1234ABCDull;
    m.name = "model.layers.3.mlp.up_proj.weight";
    return m;
}

struct Outcome {
    moco_status status = MOCO_OK;
    std::string error;
    std::vector<uint8_t> out;
};

moco_merge_plan_info plan_info(const moco_merge_spec* spec) {
    moco_merge_plan* plan = nullptr;
    moco_merge_plan_info info{};
    info.struct_size = sizeof(info);
    EXPECT_EQ(moco_merge_plan_create(spec, &plan), MOCO_OK) << moco_last_error();
    EXPECT_EQ(moco_merge_plan_get_info(plan, &info), MOCO_OK);
    moco_merge_plan_destroy(plan);
    return info;
}

Outcome cpu_merge(kernel_test::Merge& c) {
    const moco_merge_spec* spec = c.finish();
    const moco_merge_plan_info info = plan_info(spec);
    Outcome o;
    o.out.resize(static_cast<std::size_t>(info.numel) * kernels::dtype_bytes(c.spec.out_dtype));
    const std::vector<const void*> in = c.input_pointers();
    o.status = moco_merge_tensor(spec, in.data(), c.base_pointer(), o.out.data());
    if (o.status != MOCO_OK) o.error = moco_last_error();
    return o;
}

// The device merge; scan_chunk and apply_chunk 0 run whole tensors (DeviceMerge::merge), else
// chunks of that many output elements (0: one chunk).
Outcome gpu_merge(kernel_test::Merge& c, int64_t scan_chunk = 0, int64_t apply_chunk = 0) {
    const moco_merge_spec* spec = c.finish();
    moco_merge_plan* raw = nullptr;
    Outcome o;
    o.status = moco_merge_plan_create(spec, &raw);
    EXPECT_EQ(o.status, MOCO_OK) << moco_last_error();
    if (o.status != MOCO_OK) return o;
    std::unique_ptr<moco_merge_plan, decltype(&moco_merge_plan_destroy)> plan(raw, moco_merge_plan_destroy);
    const kernels::MergeSpec& s = plan->plan.spec();
    const std::size_t out_size = kernels::dtype_bytes(s.out_dtype);

    std::vector<std::unique_ptr<DeviceArray<uint8_t>>> device_inputs;
    for (const auto& t : c.tensors) device_inputs.push_back(std::make_unique<DeviceArray<uint8_t>>(t.bytes));
    DeviceArray<uint8_t> device_base(c.base.bytes.empty() ? std::vector<uint8_t>(1) : c.base.bytes);
    DeviceArray<uint8_t> device_out(static_cast<std::size_t>(s.numel) * out_size);

    // Pointers for the chunk starting at output element `offset`.
    std::vector<const void*> in(c.tensors.size());
    const void* base = nullptr;
    auto point_at = [&](int64_t offset) {
        for (std::size_t i = 0; i < in.size(); ++i) {
            const kernels::MergeInput& mi = s.inputs[i];
            in[i] = device_inputs[i]->get() + kernels::mapped_index(offset, s.cols, mi.cols) *
                                                  static_cast<int64_t>(kernels::dtype_bytes(mi.dtype));
        }
        base = !s.uses_base() ? nullptr
                              : device_base.get() + kernels::mapped_index(offset, s.cols, s.base_cols) *
                                                        static_cast<int64_t>(kernels::dtype_bytes(s.base_dtype));
    };

    cuda::DeviceMerge merge(plan->plan, 0, nullptr);
    if (scan_chunk == 0 && apply_chunk == 0) {
        point_at(0);
        o.status = merge.merge(kFn, in.data(), base, device_out.get());
    } else {
        scan_chunk = scan_chunk > 0 ? scan_chunk : s.numel;
        apply_chunk = apply_chunk > 0 ? apply_chunk : s.numel;
        bool more = merge.needs_scan();
        while (more && o.status == MOCO_OK) {
            for (int64_t offset = 0; offset < s.numel && o.status == MOCO_OK; offset += scan_chunk) {
                point_at(offset);
                o.status = merge.scan(kFn, in.data(), base, offset, std::min(scan_chunk, s.numel - offset));
            }
            if (o.status == MOCO_OK) o.status = merge.end_pass(kFn, &more);
        }
        for (int64_t offset = 0; offset < s.numel && o.status == MOCO_OK; offset += apply_chunk) {
            point_at(offset);
            o.status = merge.apply(kFn, in.data(), base, offset, std::min(apply_chunk, s.numel - offset),
                                   device_out.get() + offset * static_cast<int64_t>(out_size));
        }
    }
    if (o.status != MOCO_OK) {
        o.error = moco_last_error();
        return o;
    }
    o.out = device_out.host();
    return o;
}

void expect_bit_identical(kernel_test::Merge& c, const std::string& what) {
    const Outcome cpu = cpu_merge(c);
    ASSERT_EQ(cpu.status, MOCO_OK) << what << ": " << cpu.error;
    const Outcome gpu = gpu_merge(c);
    ASSERT_EQ(gpu.status, MOCO_OK) << what << ": " << gpu.error;
    expect_same_bytes(gpu.out, cpu.out, c.spec.out_dtype, what);
}

constexpr int kDtypes[3] = {MOCO_DTYPE_F32, MOCO_DTYPE_F16, MOCO_DTYPE_BF16};
const std::vector<int64_t> kShape = {37, 301};  // 11137 elements: not a multiple of 256 or 4096
constexpr std::size_t kNumel = 37 * 301;

// base + small noise, with a stretch equal to the base (zero deltas keep the base's bits, -0
// included) and a -0 in the base.
std::vector<float> near(const std::vector<float>& base, uint32_t seed, float scale = 0.05f) {
    std::vector<float> v = random_floats(base.size(), seed, -scale, scale);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 97 < 5 ? base[i] : base[i] + v[i];
    return v;
}

std::vector<float> random_base(uint32_t seed) {
    std::vector<float> b = random_floats(kNumel, seed);
    b[3] = -0.0f;
    return b;
}

std::string label(const char* method, int dtype, int out_dtype) {
    return std::string(method) + " " + kernels::dtype_name(dtype) + "->" + kernels::dtype_name(out_dtype);
}

TEST(CudaMerge, LinearMatchesCpuBitForBit) {
    MOCO_REQUIRE_GPU();
    for (const int dtype : kDtypes) {
        for (const int out : kDtypes) {
            for (const int normalize : {0, 1}) {
                kernel_test::Merge c = merge_case(MOCO_MERGE_LINEAR, out);
                c.spec.normalize = normalize;
                const std::vector<float> b = random_base(1);
                c.add(near(b, 2), dtype, kShape, 0.7f);
                c.add(near(b, 3), MOCO_DTYPE_F32, kShape, 0.0f);  // skipped, never multiplied
                c.add(near(b, 4), dtype, kShape, -0.45f);
                c.add(near(b, 5), MOCO_DTYPE_BF16, kShape, 1.3f);
                expect_bit_identical(c, label("LINEAR", dtype, out) + (normalize ? " normalized" : ""));
            }
        }
    }
}

// TASK_ARITHMETIC, TIES (trimmed and not, both consensus kinds, normalize on and off, lambda),
// DARE without L1 rescale, EXTRAPOLATE.
TEST(CudaMerge, BaseMethodsMatchCpuBitForBit) {
    MOCO_REQUIRE_GPU();
    struct Variant {
        const char* name;
        int method;
        double density;
        int consensus;
        int normalize;
        int rescale;
        float lambda;
    };
    const Variant variants[] = {
        {"TASK_ARITHMETIC", MOCO_MERGE_TASK_ARITHMETIC, 1.0, MOCO_CONSENSUS_SUM, -1, -1, 1.0f},
        {"TASK_ARITHMETIC normalized", MOCO_MERGE_TASK_ARITHMETIC, 1.0, MOCO_CONSENSUS_SUM, 1, -1, 0.8f},
        {"TIES sum", MOCO_MERGE_TIES, 0.4, MOCO_CONSENSUS_SUM, -1, -1, 1.0f},
        {"TIES count", MOCO_MERGE_TIES, 0.25, MOCO_CONSENSUS_COUNT, -1, -1, 1.2f},
        {"TIES density 1", MOCO_MERGE_TIES, 1.0, MOCO_CONSENSUS_SUM, 0, -1, 1.0f},
        {"DARE_TIES no rescale", MOCO_MERGE_DARE_TIES, 0.3, MOCO_CONSENSUS_SUM, -1, MOCO_RESCALE_NONE, 1.0f},
        {"DARE_TIES 1/density", MOCO_MERGE_DARE_TIES, 0.6, MOCO_CONSENSUS_COUNT, 1, MOCO_RESCALE_INVERSE_DENSITY,
         1.0f},
        {"DARE_LINEAR 1/density", MOCO_MERGE_DARE_LINEAR, 0.5, MOCO_CONSENSUS_SUM, -1, MOCO_RESCALE_INVERSE_DENSITY,
         0.9f},
        {"DARE_LINEAR density 0", MOCO_MERGE_DARE_LINEAR, 0.0, MOCO_CONSENSUS_SUM, -1, MOCO_RESCALE_NONE, 1.0f},
    };
    for (const Variant& v : variants) {
        for (const int dtype : kDtypes) {
            for (const int out : kDtypes) {
                kernel_test::Merge c = merge_case(v.method, out);
                c.spec.consensus = v.consensus;
                c.spec.normalize = v.normalize;
                c.spec.rescale = v.rescale;
                c.spec.lambda = v.lambda;
                const std::vector<float> b = random_base(10);
                c.set_base(b, dtype, kShape);
                c.add(near(b, 11), dtype, kShape, 0.6f, v.density);
                c.add(near(b, 12), MOCO_DTYPE_F32, kShape, 0.3f, v.density);
                c.add(near(b, 13), dtype, kShape, -0.5f, v.density);
                expect_bit_identical(c, label(v.name, dtype, out));
            }
        }
    }
    for (const int dtype : kDtypes) {
        kernel_test::Merge c = merge_case(MOCO_MERGE_EXTRAPOLATE, dtype);
        c.spec.alpha = 0.35f;
        const std::vector<float> b = random_base(20);
        c.set_base(b, dtype, kShape);
        c.add(near(b, 21), dtype, kShape, 1.0f);
        expect_bit_identical(c, label("EXTRAPOLATE", dtype, dtype));
    }
}

// More inputs than the consensus loop keeps in registers: the rest are recomputed.
TEST(CudaMerge, ConsensusWithManyInputsMatchesCpu) {
    MOCO_REQUIRE_GPU();
    for (const int method : {MOCO_MERGE_TIES, MOCO_MERGE_DARE_TIES}) {
        kernel_test::Merge c = merge_case(method, MOCO_DTYPE_BF16);
        c.spec.rescale = method == MOCO_MERGE_DARE_TIES ? MOCO_RESCALE_INVERSE_DENSITY : -1;
        const std::vector<float> b = random_base(30);
        c.set_base(b, MOCO_DTYPE_BF16, kShape);
        for (int i = 0; i < 11; ++i) {
            c.add(near(b, 31 + static_cast<uint32_t>(i)), MOCO_DTYPE_BF16, kShape, 0.1f * static_cast<float>(i + 1) - 0.4f,
                  0.5);
        }
        expect_bit_identical(c, method == MOCO_MERGE_TIES ? "TIES x11" : "DARE_TIES x11");
    }
}

// |δ| drawn from five magnitudes: k cuts through a group of equal magnitudes, so the tie cut
// (pass 2) decides, over several 4096-element segments and scan chunks.
TEST(CudaMerge, TiesSelectionWithTiedMagnitudesMatchesCpu) {
    MOCO_REQUIRE_GPU();
    const std::vector<int64_t> shape = {3 * 4096 + 1001};
    const std::size_t n = static_cast<std::size_t>(shape[0]);
    const float levels[5] = {0.25f, 0.5f, 1.0f, 0.125f, 2.0f};
    for (const double density : {0.37, 0.61, 0.999}) {
        for (const int consensus : {MOCO_CONSENSUS_SUM, MOCO_CONSENSUS_COUNT}) {
            kernel_test::Merge c = merge_case(MOCO_MERGE_TIES, MOCO_DTYPE_F32);
            c.spec.consensus = consensus;
            const std::vector<float> b(n, 0.0f);
            c.set_base(b, MOCO_DTYPE_F32, shape);
            for (uint32_t m = 0; m < 2; ++m) {
                std::vector<float> x(n);
                std::mt19937 rng(40 + m);
                for (float& v : x) v = levels[rng() % 5] * ((rng() & 1) ? 1.0f : -1.0f);
                c.add(x, MOCO_DTYPE_F16, shape, m == 0 ? 0.7f : 0.4f, density);
            }
            const std::string what = "TIES ties density " + std::to_string(density) + " consensus " +
                                     std::to_string(consensus);
            expect_bit_identical(c, what);
            const Outcome cpu = cpu_merge(c);
            const Outcome chunked = gpu_merge(c, 4096, 1000);
            ASSERT_EQ(chunked.status, MOCO_OK) << chunked.error;
            expect_same_bytes(chunked.out, cpu.out, MOCO_DTYPE_F32, what + " chunked");
        }
    }
}

// DARE_LINEAR of a single all-ones input over a zero base, no rescale: the output is the keep
// mask itself, which must be moco_dare_mask's.
TEST(CudaMerge, DareMaskEqualsMocoDareMask) {
    MOCO_REQUIRE_GPU();
    const int64_t n = 50000;
    for (const double density : {0.1, 0.5, 0.9}) {
        kernel_test::Merge c = merge_case(MOCO_MERGE_DARE_LINEAR, MOCO_DTYPE_F32);
        c.spec.rescale = MOCO_RESCALE_NONE;
        c.set_base(std::vector<float>(static_cast<std::size_t>(n), 0.0f), MOCO_DTYPE_F32, {n});
        c.add(std::vector<float>(static_cast<std::size_t>(n), 1.0f), MOCO_DTYPE_BF16, {n}, 1.0f, density);
        c.inputs[0].model_index = 7;
        const Outcome gpu = gpu_merge(c, 0, 12345);
        ASSERT_EQ(gpu.status, MOCO_OK) << gpu.error;
        std::vector<uint8_t> keep(static_cast<std::size_t>(n));
        ASSERT_EQ(moco_dare_mask(c.spec.seed, 7, c.name.c_str(), 0, n, density, keep.data()), MOCO_OK);
        const std::vector<float> mask = as_f32(gpu.out, MOCO_DTYPE_F32);
        int64_t kept = 0, mismatches = 0;
        for (int64_t j = 0; j < n; ++j) {
            kept += keep[static_cast<std::size_t>(j)];
            if (mask[static_cast<std::size_t>(j)] != (keep[static_cast<std::size_t>(j)] ? 1.0f : 0.0f) &&
                mismatches++ < 5) {
                ADD_FAILURE() << "density " << density << " element " << j << ": gpu " << mask[static_cast<std::size_t>(j)]
                              << ", moco_dare_mask " << int{keep[static_cast<std::size_t>(j)]};
            }
        }
        EXPECT_EQ(mismatches, 0);
        EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(n), density, 0.02);  // the mask is not trivial
    }
}

// The CPU-CUDA merge tolerance of methods-logit-weight.md §1.0: F32 within 1e-6 max(1, |ref|),
// F16 / BF16 within one ulp (relative 2^-10 / 2^-7 at most).
void expect_within_rounding(const Outcome& gpu, const Outcome& cpu, int dtype, const std::string& what) {
    ASSERT_EQ(gpu.status, MOCO_OK) << what << ": " << gpu.error;
    ASSERT_EQ(cpu.status, MOCO_OK) << what << ": " << cpu.error;
    const float atol = dtype == MOCO_DTYPE_F32 ? 1e-6f : 1e-7f;
    const float rtol = dtype == MOCO_DTYPE_F32 ? 1e-6f : (dtype == MOCO_DTYPE_F16 ? 9.8e-4f : 7.9e-3f);
    expect_close(as_f32(gpu.out, dtype), as_f32(cpu.out, dtype), atol, rtol, what);
}

TEST(CudaMerge, DareL1RescaleAndSlerpMatchCpuWithinRounding) {
    MOCO_REQUIRE_GPU();
    for (const int dtype : kDtypes) {
        kernel_test::Merge c = merge_case(MOCO_MERGE_DARE_TIES, dtype);  // rescale -1: L1
        const std::vector<float> b = random_base(50);
        c.set_base(b, dtype, kShape);
        c.add(near(b, 51), dtype, kShape, 0.8f, 0.3);
        c.add(near(b, 52), MOCO_DTYPE_F32, kShape, 0.5f, 0.7);
        const Outcome cpu = cpu_merge(c);
        expect_within_rounding(gpu_merge(c), cpu, dtype, label("DARE_TIES L1", dtype, dtype));
        expect_within_rounding(gpu_merge(c, 8192, 777), cpu, dtype, label("DARE_TIES L1 chunked", dtype, dtype));
    }
    for (const int dtype : kDtypes) {
        for (const float t : {0.3f, 0.8f}) {
            kernel_test::Merge c = merge_case(MOCO_MERGE_SLERP, dtype);
            c.spec.t = t;
            const std::vector<float> b = random_base(60);
            c.set_base(b, dtype, kShape);
            c.add(random_floats(kNumel, 61), dtype, kShape, 1.0f);  // far from colinear: the slerp branch
            expect_within_rounding(gpu_merge(c), cpu_merge(c), dtype, label("SLERP", dtype, dtype));
        }
        kernel_test::Merge lerp = merge_case(MOCO_MERGE_SLERP, dtype);  // nearly colinear: the lerp branch
        lerp.spec.t = 0.5f;
        const std::vector<float> b = random_base(62);
        lerp.set_base(b, dtype, kShape);
        lerp.add(near(b, 63, 1e-4f), dtype, kShape, 1.0f);
        expect_within_rounding(gpu_merge(lerp), cpu_merge(lerp), dtype, label("SLERP lerp", dtype, dtype));
    }
}

// The device's own chunking never changes its bits: chunked scans and applies equal one whole run.
TEST(CudaMerge, ChunkedEqualsWholeTensor) {
    MOCO_REQUIRE_GPU();
    for (const int method : {MOCO_MERGE_TIES, MOCO_MERGE_DARE_TIES, MOCO_MERGE_SLERP, MOCO_MERGE_LINEAR}) {
        kernel_test::Merge c = merge_case(method, MOCO_DTYPE_BF16);
        const std::vector<float> b = random_base(70);
        if (method != MOCO_MERGE_LINEAR) c.set_base(b, MOCO_DTYPE_F16, kShape);
        const double density = method == MOCO_MERGE_LINEAR || method == MOCO_MERGE_SLERP ? 1.0 : 0.45;
        c.add(near(b, 71), MOCO_DTYPE_F16, kShape, 0.9f, density);
        if (method != MOCO_MERGE_SLERP) c.add(near(b, 72), MOCO_DTYPE_BF16, kShape, 0.4f, density);
        const Outcome whole = gpu_merge(c);
        ASSERT_EQ(whole.status, MOCO_OK) << whole.error;
        for (const int64_t apply_chunk : {int64_t{1}, int64_t{999}, int64_t{4096}}) {
            const Outcome chunked = gpu_merge(c, 4096, apply_chunk);
            ASSERT_EQ(chunked.status, MOCO_OK) << chunked.error;
            expect_same_bytes(chunked.out, whole.out, MOCO_DTYPE_BF16,
                              "method " + std::to_string(method) + " apply chunk " + std::to_string(apply_chunk));
        }
    }
}

// M2 (LINEAR cuts every tensor to the smallest rows and cols) and M3 (a base method cuts a larger
// input to the base), in whole and chunked runs whose chunks start mid-row.
TEST(CudaMerge, EmbeddingCutsMatchCpu) {
    MOCO_REQUIRE_GPU();
    kernel_test::Merge linear = merge_case(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    linear.name = "model.embed_tokens.weight";
    linear.spec.is_embedding = 1;
    linear.add(random_floats(130 * 64, 80), MOCO_DTYPE_BF16, {130, 64}, 0.5f);
    linear.add(random_floats(128 * 70, 81), MOCO_DTYPE_F32, {128, 70}, 0.5f);
    ASSERT_EQ(plan_info(linear.finish()).numel, 128 * 64);
    expect_bit_identical(linear, "LINEAR embedding cut");
    const Outcome cpu_linear = cpu_merge(linear);
    const Outcome chunked_linear = gpu_merge(linear, 0, 100);
    ASSERT_EQ(chunked_linear.status, MOCO_OK) << chunked_linear.error;
    expect_same_bytes(chunked_linear.out, cpu_linear.out, MOCO_DTYPE_F32, "LINEAR embedding cut chunked");

    kernel_test::Merge ties = merge_case(MOCO_MERGE_TIES, MOCO_DTYPE_F16);
    ties.name = "lm_head.weight";
    ties.spec.is_embedding = 1;
    const std::vector<float> b = random_floats(128 * 64, 82);
    ties.set_base(b, MOCO_DTYPE_F32, {128, 64});
    std::vector<float> larger = random_floats(133 * 67, 83, -0.1f, 0.1f);
    for (int64_t r = 0; r < 128; ++r) {
        for (int64_t col = 0; col < 64; ++col) larger[static_cast<std::size_t>(r * 67 + col)] += b[static_cast<std::size_t>(r * 64 + col)];
    }
    ties.add(larger, MOCO_DTYPE_BF16, {133, 67}, 0.8f, 0.5);
    ties.add(near(b, 84), MOCO_DTYPE_F32, {128, 64}, 0.6f, 0.5);
    expect_bit_identical(ties, "TIES embedding cut");
    const Outcome cpu_ties = cpu_merge(ties);
    const Outcome chunked_ties = gpu_merge(ties, 4096, 333);
    ASSERT_EQ(chunked_ties.status, MOCO_OK) << chunked_ties.error;
    expect_same_bytes(chunked_ties.out, cpu_ties.out, MOCO_DTYPE_F16, "TIES embedding cut chunked");
}

// Overflow of the output dtype and a NaN input: NUMERIC with the CPU's message (tensor, first bad
// element, value, dtype).
TEST(CudaMerge, NumericErrorsNameTheFirstBadElementLikeTheCpu) {
    MOCO_REQUIRE_GPU();
    std::vector<float> big(kNumel, 1.0f);
    big[4321] = 60000.0f;
    big[9000] = 70000.0f;
    kernel_test::Merge overflow = merge_case(MOCO_MERGE_LINEAR, MOCO_DTYPE_F16);
    overflow.spec.normalize = 0;
    overflow.add(big, MOCO_DTYPE_F32, kShape, 1.0f);
    overflow.add(big, MOCO_DTYPE_F32, kShape, 1.0f);
    const Outcome cpu = cpu_merge(overflow);
    ASSERT_EQ(cpu.status, MOCO_ERR_NUMERIC);
    const Outcome gpu = gpu_merge(overflow);
    EXPECT_EQ(gpu.status, MOCO_ERR_NUMERIC);
    EXPECT_EQ(gpu.error, cpu.error);
    EXPECT_NE(gpu.error.find("element 4321"), std::string::npos) << gpu.error;

    std::vector<float> b = random_base(90);
    std::vector<float> x = near(b, 91);
    x[777] = std::numeric_limits<float>::quiet_NaN();
    kernel_test::Merge nan_input = merge_case(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_BF16);
    nan_input.set_base(b, MOCO_DTYPE_F32, kShape);
    nan_input.add(x, MOCO_DTYPE_F32, kShape, 1.0f);
    const Outcome cpu_nan = cpu_merge(nan_input);
    ASSERT_EQ(cpu_nan.status, MOCO_ERR_NUMERIC);
    const Outcome gpu_nan = gpu_merge(nan_input);
    EXPECT_EQ(gpu_nan.status, MOCO_ERR_NUMERIC);
    EXPECT_EQ(gpu_nan.error, cpu_nan.error);
}

TEST(CudaMerge, ScanProtocolErrors) {
    MOCO_REQUIRE_GPU();
    kernel_test::Merge c = merge_case(MOCO_MERGE_TIES, MOCO_DTYPE_F32);
    const std::vector<float> b = random_base(95);
    c.set_base(b, MOCO_DTYPE_F32, kShape);
    c.add(near(b, 96), MOCO_DTYPE_F32, kShape, 1.0f, 0.5);
    moco_merge_plan* raw = nullptr;
    ASSERT_EQ(moco_merge_plan_create(c.finish(), &raw), MOCO_OK);
    std::unique_ptr<moco_merge_plan, decltype(&moco_merge_plan_destroy)> plan(raw, moco_merge_plan_destroy);
    DeviceArray<uint8_t> x(c.tensors[0].bytes), base(c.base.bytes), out(kNumel * sizeof(float));
    const void* in[1] = {x.get()};
    cuda::DeviceMerge merge(plan->plan, 0, nullptr);
    EXPECT_EQ(merge.apply(kFn, in, base.get(), 0, 10, out.get()), MOCO_ERR_INVALID_ARGUMENT);  // scans pending
    EXPECT_EQ(merge.scan(kFn, in, base.get(), 100, 10), MOCO_ERR_INVALID_ARGUMENT);           // not at 0
    EXPECT_EQ(merge.scan(kFn, in, base.get(), 0, 5000), MOCO_OK);
    EXPECT_EQ(merge.scan(kFn, in, base.get(), 5000, 100), MOCO_ERR_INVALID_ARGUMENT);  // not a segment multiple
    bool more = false;
    EXPECT_EQ(merge.end_pass(kFn, &more), MOCO_ERR_INVALID_ARGUMENT);  // the pass did not cover the tensor
    EXPECT_NE(std::string(moco_last_error()).find("covered [0, 5000)"), std::string::npos) << moco_last_error();
}

Outcome merge_on(moco_context* ctx, kernel_test::Merge& c) {
    const moco_merge_spec* spec = c.finish();
    const moco_merge_plan_info info = plan_info(spec);
    Outcome o;
    o.out.resize(static_cast<std::size_t>(info.numel) * kernels::dtype_bytes(c.spec.out_dtype));
    const std::vector<const void*> in = c.input_pointers();
    o.status = moco_merge_tensor_on(ctx, spec, in.data(), c.base_pointer(), o.out.data());
    if (o.status != MOCO_OK) o.error = moco_last_error();
    return o;
}

// The C ABI entry: a cuda:0 context merges host tensors on the GPU, in one upload chunk or in
// several (2^24 + 5000 elements: two), with moco_merge_tensor's bits and errors.
TEST(CudaMerge, MergeTensorOnCudaContextMatchesCpu) {
    MOCO_REQUIRE_GPU();
    moco_context_options o = moco_context_default_options();
    o.device = "cuda:0";
    moco_context* raw = nullptr;
    ASSERT_EQ(moco_context_create(&o, &raw), MOCO_OK) << moco_last_error();
    std::unique_ptr<moco_context, decltype(&moco_context_destroy)> ctx(raw, moco_context_destroy);

    kernel_test::Merge small = merge_case(MOCO_MERGE_DARE_TIES, MOCO_DTYPE_F16);
    small.spec.rescale = MOCO_RESCALE_INVERSE_DENSITY;
    const std::vector<float> b = random_base(130);
    small.set_base(b, MOCO_DTYPE_BF16, kShape);
    small.add(near(b, 131), MOCO_DTYPE_BF16, kShape, 0.7f, 0.4);
    small.add(near(b, 132), MOCO_DTYPE_F32, kShape, 0.5f, 0.6);
    const Outcome cpu_small = cpu_merge(small);
    ASSERT_EQ(cpu_small.status, MOCO_OK) << cpu_small.error;
    const Outcome gpu_small = merge_on(ctx.get(), small);
    ASSERT_EQ(gpu_small.status, MOCO_OK) << gpu_small.error;
    expect_same_bytes(gpu_small.out, cpu_small.out, MOCO_DTYPE_F16, "moco_merge_tensor_on DARE_TIES");

    const int64_t n = (int64_t{1} << 24) + 5000;
    const std::size_t count = static_cast<std::size_t>(n);
    kernel_test::Merge large = merge_case(MOCO_MERGE_TIES, MOCO_DTYPE_BF16);
    const std::vector<float> large_base = random_floats(count, 140);
    large.set_base(large_base, MOCO_DTYPE_BF16, {n});
    std::vector<float> x = random_floats(count, 141, -0.01f, 0.01f);
    for (std::size_t i = 0; i < count; ++i) x[i] += large_base[i];
    large.add(x, MOCO_DTYPE_BF16, {n}, 0.6f, 0.3);
    for (std::size_t i = 0; i < count; ++i) x[i] = large_base[i] - 0.5f * (x[i] - large_base[i]);
    large.add(x, MOCO_DTYPE_BF16, {n}, 0.4f, 0.3);
    const Outcome cpu_large = cpu_merge(large);
    ASSERT_EQ(cpu_large.status, MOCO_OK) << cpu_large.error;
    const Outcome gpu_large = merge_on(ctx.get(), large);
    ASSERT_EQ(gpu_large.status, MOCO_OK) << gpu_large.error;
    expect_same_bytes(gpu_large.out, cpu_large.out, MOCO_DTYPE_BF16, "moco_merge_tensor_on TIES, two chunks");

    std::vector<float> big(kNumel, 1.0f);
    big[8000] = 70000.0f;
    kernel_test::Merge overflow = merge_case(MOCO_MERGE_LINEAR, MOCO_DTYPE_F16);
    overflow.add(big, MOCO_DTYPE_F32, kShape, 1.0f);
    const Outcome cpu_bad = cpu_merge(overflow);
    const Outcome gpu_bad = merge_on(ctx.get(), overflow);
    ASSERT_EQ(cpu_bad.status, MOCO_ERR_NUMERIC);
    EXPECT_EQ(gpu_bad.status, MOCO_ERR_NUMERIC);
    // Same message but for the function name.
    EXPECT_EQ(gpu_bad.error, "moco_merge_tensor_on" + cpu_bad.error.substr(std::strlen("moco_merge_tensor")));
}

TEST(CudaMerge, LoraApplyMatchesCpuBitForBit) {
    MOCO_REQUIRE_GPU();
    const int64_t rows = 67, cols = 45;
    const int rank = 5;
    for (const int fan_in_fan_out : {0, 1}) {
        for (const int dtype : kDtypes) {
            const int64_t a_cols = fan_in_fan_out ? rows : cols;
            const int64_t b_rows = fan_in_fan_out ? cols : rows;
            const std::vector<uint8_t> w = stored(random_floats(static_cast<std::size_t>(rows * cols), 100), dtype);
            const std::vector<uint8_t> a = stored(random_floats(static_cast<std::size_t>(rank * a_cols), 101), MOCO_DTYPE_F32);
            const std::vector<uint8_t> b = stored(random_floats(static_cast<std::size_t>(b_rows * rank), 102), dtype);
            const int64_t row_offset = 7, row_count = 50;
            const std::size_t w_size = kernels::dtype_bytes(dtype), out_size = kernels::dtype_bytes(dtype);
            std::vector<uint8_t> want(static_cast<std::size_t>(row_count * cols) * out_size);
            ASSERT_EQ(moco_lora_apply(w.data() + row_offset * cols * static_cast<int64_t>(w_size), dtype, rows, cols,
                                      a.data(), MOCO_DTYPE_F32, b.data(), dtype, rank, 0.37f, fan_in_fan_out,
                                      row_offset, row_count, want.data(), dtype),
                      MOCO_OK)
                << moco_last_error();
            DeviceArray<uint8_t> dw(w), da(a), db(b), dout(want.size());
            kernels::LoraApply args{dw.get() + row_offset * cols * static_cast<int64_t>(w_size), dtype, rows, cols,
                                    da.get(), MOCO_DTYPE_F32, db.get(), dtype, rank, 0.37f, fan_in_fan_out == 1,
                                    row_offset, row_count, dout.get(), dtype};
            ASSERT_EQ(cuda::lora_apply(args, 0, nullptr), MOCO_OK) << moco_last_error();
            expect_same_bytes(dout.host(), want, dtype,
                              std::string("LoRA ") + kernels::dtype_name(dtype) + (fan_in_fan_out ? " fan_in_fan_out" : ""));
        }
    }
    // NUMERIC: a scale that overflows F16 at every element; the first is [row_offset, 0].
    const std::vector<uint8_t> w = stored(random_floats(static_cast<std::size_t>(rows * cols), 103), MOCO_DTYPE_F32);
    const std::vector<uint8_t> a = stored(std::vector<float>(static_cast<std::size_t>(rank * cols), 1.0f), MOCO_DTYPE_F32);
    const std::vector<uint8_t> b = stored(std::vector<float>(static_cast<std::size_t>(rows * rank), 1.0f), MOCO_DTYPE_F32);
    std::vector<uint8_t> out(static_cast<std::size_t>(rows * cols) * 2);
    ASSERT_EQ(moco_lora_apply(w.data(), MOCO_DTYPE_F32, rows, cols, a.data(), MOCO_DTYPE_F32, b.data(), MOCO_DTYPE_F32,
                              rank, 1e5f, 0, 0, rows, out.data(), MOCO_DTYPE_F16),
              MOCO_ERR_NUMERIC);
    const std::string cpu_error = moco_last_error();
    DeviceArray<uint8_t> dw(w), da(a), db(b), dout(out.size());
    kernels::LoraApply args{dw.get(), MOCO_DTYPE_F32, rows, cols, da.get(), MOCO_DTYPE_F32, db.get(), MOCO_DTYPE_F32,
                            rank, 1e5f, false, 0, rows, dout.get(), MOCO_DTYPE_F16};
    EXPECT_EQ(cuda::lora_apply(args, 0, nullptr), MOCO_ERR_NUMERIC);
    EXPECT_EQ(std::string(moco_last_error()), cpu_error);
}

TEST(CudaMerge, PsoStepMatchesCpuBitForBit) {
    MOCO_REQUIRE_GPU();
    const int64_t n = 5003;
    for (const int dtype : kDtypes) {
        for (const int out_dtype : kDtypes) {
            std::vector<std::vector<uint8_t>> host;
            for (uint32_t s = 0; s < 5; ++s) host.push_back(stored(random_floats(static_cast<std::size_t>(n), 110 + s), dtype));
            const std::size_t out_bytes = static_cast<std::size_t>(n) * kernels::dtype_bytes(out_dtype);
            std::vector<uint8_t> want_x(out_bytes), want_v(out_bytes);
            ASSERT_EQ(moco_pso_step(host[0].data(), host[1].data(), host[2].data(), host[3].data(), host[4].data(), dtype,
                                    n, 0.7f, 1.4f, 1.5f, 0.3f, 0.9f, want_x.data(), want_v.data(), out_dtype),
                      MOCO_OK)
                << moco_last_error();
            DeviceArray<uint8_t> x(host[0]), v(host[1]), p(host[2]), g(host[3]), w(host[4]);
            // In place when the dtypes agree (the outputs alias x and v), else separate outputs.
            const bool in_place = dtype == out_dtype;
            DeviceArray<uint8_t> x_out(in_place ? 1 : out_bytes), v_out(in_place ? 1 : out_bytes);
            kernels::PsoStep args{x.get(), v.get(), p.get(), g.get(), w.get(), dtype, n, 0.7f, 1.4f, 1.5f, 0.3f, 0.9f,
                                  in_place ? static_cast<void*>(x.get()) : x_out.get(),
                                  in_place ? static_cast<void*>(v.get()) : v_out.get(), out_dtype};
            ASSERT_EQ(cuda::pso_step(args, 0, nullptr), MOCO_OK) << moco_last_error();
            const std::string what = label("PSO", dtype, out_dtype);
            expect_same_bytes(in_place ? x.host() : x_out.host(), want_x, out_dtype, what + " x'");
            expect_same_bytes(in_place ? v.host() : v_out.host(), want_v, out_dtype, what + " v'");
        }
    }
    // NUMERIC in place: the message reports the values computed from the original x and v.
    std::vector<float> x = random_floats(static_cast<std::size_t>(n), 120);
    x[2500] = 3e38f;
    std::vector<std::vector<uint8_t>> host;
    host.push_back(stored(x, MOCO_DTYPE_F32));
    for (uint32_t s = 1; s < 5; ++s) host.push_back(stored(random_floats(static_cast<std::size_t>(n), 120 + s), MOCO_DTYPE_F32));
    std::vector<uint8_t> sink_x(host[0].size()), sink_v(host[0].size());
    ASSERT_EQ(moco_pso_step(host[0].data(), host[1].data(), host[2].data(), host[3].data(), host[4].data(),
                            MOCO_DTYPE_F32, n, 0.7f, 1.4f, 1.5f, 0.3f, 0.9f, sink_x.data(), sink_v.data(), MOCO_DTYPE_F32),
              MOCO_ERR_NUMERIC);
    const std::string cpu_error = moco_last_error();
    DeviceArray<uint8_t> dx(host[0]), dv(host[1]), dp(host[2]), dg(host[3]), dw(host[4]);
    kernels::PsoStep args{dx.get(), dv.get(), dp.get(), dg.get(), dw.get(), MOCO_DTYPE_F32, n, 0.7f, 1.4f, 1.5f, 0.3f,
                          0.9f, dx.get(), dv.get(), MOCO_DTYPE_F32};
    EXPECT_EQ(cuda::pso_step(args, 0, nullptr), MOCO_ERR_NUMERIC);
    EXPECT_EQ(std::string(moco_last_error()), cpu_error);
}

}  // namespace
}  // namespace moco::cuda_test
