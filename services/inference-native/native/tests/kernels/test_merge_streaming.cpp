// Streaming merges: chunked (any chunk sizes, any apply order, several threads) equals the whole-
// tensor merge bit for bit for every method; the shape rules M2/M3/M8; the plan protocol's errors
// and the spec validation.
#include "kernel_test_util.h"
#include "merge_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace kernel_test;

std::size_t size_of(int dtype) {
    return dtype == MOCO_DTYPE_F32 ? 4 : 2;
}

// Runs `m` through the plan API: scan passes over chunks of the given sizes (cycled), then apply
// over the same chunks in reverse order, split across two threads.
std::vector<uint8_t> run_chunked(Merge& m, const std::vector<int64_t>& sizes) {
    const moco_merge_spec* spec = m.finish();
    moco_merge_plan* plan = nullptr;
    EXPECT_EQ(moco_merge_plan_create(spec, &plan), MOCO_OK) << moco_last_error();
    if (plan == nullptr) return {};
    moco_merge_plan_info info{};
    info.struct_size = sizeof(info);
    EXPECT_EQ(moco_merge_plan_get_info(plan, &info), MOCO_OK);

    struct Chunk {
        int64_t offset, count;
    };
    std::vector<Chunk> chunks;
    for (int64_t offset = 0, i = 0; offset < info.numel; ++i) {
        const int64_t count =
            std::min(sizes[static_cast<std::size_t>(i) % sizes.size()], info.numel - offset);
        chunks.push_back({offset, count});
        offset += count;
    }
    // Pointers for a chunk: each operand at the element output element `offset` reads.
    const auto at = [&](const void* data, int dtype, int64_t cols, int64_t offset) {
        const int64_t index = (offset / info.cols) * cols + offset % info.cols;
        return static_cast<const void*>(static_cast<const uint8_t*>(data) +
                                        index * static_cast<int64_t>(size_of(dtype)));
    };
    const auto pointers = [&](int64_t offset, std::vector<const void*>* inputs, const void** base) {
        inputs->clear();
        for (std::size_t i = 0; i < m.inputs.size(); ++i) {
            const moco_tensor_desc& d = m.inputs[i].tensor;
            inputs->push_back(
                at(m.tensors[i].data(), d.dtype, d.ndim ? d.shape[d.ndim - 1] : 1, offset));
        }
        *base = nullptr;
        if (m.spec.base != nullptr) {
            const moco_tensor_desc& d = m.base_desc;
            *base = at(m.base.data(), d.dtype, d.ndim ? d.shape[d.ndim - 1] : 1, offset);
        }
    };

    int more = info.needs_scan;
    std::vector<const void*> inputs;
    const void* base = nullptr;
    while (more) {
        for (const Chunk& c : chunks) {
            pointers(c.offset, &inputs, &base);
            EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), base, c.offset, c.count), MOCO_OK)
                << moco_last_error();
        }
        EXPECT_EQ(moco_merge_plan_end_pass(plan, &more), MOCO_OK) << moco_last_error();
    }
    const std::size_t out_size = size_of(m.spec.out_dtype);
    std::vector<uint8_t> out(static_cast<std::size_t>(info.numel) * out_size);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            std::vector<const void*> in;
            const void* b = nullptr;
            for (std::size_t k = chunks.size(); k-- > 0;) {
                if (static_cast<int>(k % 2) != t) continue;
                pointers(chunks[k].offset, &in, &b);
                EXPECT_EQ(moco_merge_plan_apply(
                              plan, in.data(), b, chunks[k].offset, chunks[k].count,
                              out.data() + static_cast<std::size_t>(chunks[k].offset) * out_size),
                          MOCO_OK);
            }
        });
    }
    for (std::thread& t : threads) t.join();
    moco_merge_plan_destroy(plan);
    return out;
}

// Three fine-tunes of a base; the magnitudes of input 1 repeat, so TIES needs its third pass.
Merge make_merge(int method, int dtype, int64_t rows, int64_t cols) {
    const std::size_t n = static_cast<std::size_t>(rows * cols);
    Merge m(method, dtype);
    std::vector<float> b = random_values(n, 1, 0.05f);
    if (method != MOCO_MERGE_LINEAR) m.set_base(store(b, dtype), {rows, cols});
    for (uint32_t i = 0;
         i < 3 && (i == 0 || (method != MOCO_MERGE_EXTRAPOLATE && method != MOCO_MERGE_SLERP));
         ++i) {
        std::vector<float> t = random_values(n, 2 + i, 0.01f);
        for (std::size_t j = 0; j < n; ++j)
            t[j] = i == 1 ? b[j] + ((j % 5) ? 0.0078125f : -0.0078125f) : b[j] + t[j];
        const bool sparsifies = method == MOCO_MERGE_TIES || method == MOCO_MERGE_DARE_TIES ||
                                method == MOCO_MERGE_DARE_LINEAR;
        m.add(store(t, dtype), {rows, cols}, 0.3f + 0.2f * static_cast<float>(i),
              sparsifies ? 0.35 + 0.2 * i : 1.0);
    }
    m.spec.seed = 4242;
    if (method == MOCO_MERGE_EXTRAPOLATE) m.spec.alpha = 0.4f;
    if (method == MOCO_MERGE_SLERP) m.spec.t = 0.6f;
    if (method == MOCO_MERGE_DARE_LINEAR) m.spec.rescale = MOCO_RESCALE_INVERSE_DENSITY;
    return m;
}

}  // namespace

TEST(KernelsMergeStreaming, ChunkedEqualsWholeBitForBit) {
    const int methods[] = {MOCO_MERGE_LINEAR,    MOCO_MERGE_TASK_ARITHMETIC, MOCO_MERGE_TIES,
                           MOCO_MERGE_DARE_TIES, MOCO_MERGE_DARE_LINEAR,     MOCO_MERGE_EXTRAPOLATE,
                           MOCO_MERGE_SLERP};
    const std::vector<std::vector<int64_t>> chunkings = {
        {1}, {7}, {513, 1, 4096}, {100000}, {3000, 17}};
    for (const int method : methods) {
        for (const int dtype : {MOCO_DTYPE_F32, MOCO_DTYPE_BF16}) {
            Merge m = make_merge(method, dtype, 37, 301);  // 11137 elements: odd, not tile-aligned
            const std::vector<uint8_t> whole = m.run();
            ASSERT_FALSE(whole.empty());
            for (const std::vector<int64_t>& sizes : chunkings) {
                EXPECT_EQ(run_chunked(m, sizes), whole)
                    << "method " << method << " dtype " << dtype << " first chunk " << sizes[0];
            }
        }
    }
}

// moco_merge_tensor_on with a CPU context is moco_merge_tensor (the CUDA one: tests/cuda).
TEST(KernelsMergeStreaming, MergeTensorOnCpuContextIsMergeTensor) {
    moco_context_options o = moco_context_default_options();
    o.device = "cpu";
    moco_context* ctx = nullptr;
    ASSERT_EQ(moco_context_create(&o, &ctx), MOCO_OK) << moco_last_error();
    for (const int method : {MOCO_MERGE_TIES, MOCO_MERGE_DARE_TIES, MOCO_MERGE_SLERP}) {
        Merge m = make_merge(method, MOCO_DTYPE_BF16, 37, 301);
        const std::vector<uint8_t> whole = m.run();
        ASSERT_FALSE(whole.empty());
        std::vector<uint8_t> out(whole.size());
        const std::vector<const void*> in = m.input_pointers();
        ASSERT_EQ(moco_merge_tensor_on(ctx, m.finish(), in.data(), m.base_pointer(), out.data()),
                  MOCO_OK)
            << moco_last_error();
        EXPECT_EQ(out, whole) << "method " << method;
    }
    Merge m = make_merge(MOCO_MERGE_TIES, MOCO_DTYPE_F32, 3, 5);
    std::vector<uint8_t> out(15 * 4);
    const std::vector<const void*> in = m.input_pointers();
    EXPECT_EQ(moco_merge_tensor_on(nullptr, m.finish(), in.data(), m.base_pointer(), out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(moco_last_error()).find("moco_merge_tensor_on: ctx is NULL"),
              std::string::npos);
    EXPECT_EQ(moco_merge_tensor_on(ctx, m.finish(), in.data(), nullptr, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);  // the base methods need a base
    moco_context_destroy(ctx);
}

// M2: a linear merge of 2-D embeddings of different shapes cuts each to [min rows, min cols].
TEST(KernelsMergeStreaming, LinearRectifiesEmbeddings) {
    const std::vector<std::vector<int64_t>> shapes = {{10, 6}, {12, 5}, {11, 8}};
    Merge m(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    m.name = "model.embed_tokens.weight";
    m.spec.is_embedding = 1;
    for (uint32_t i = 0; i < 3; ++i) {
        m.add(store(random_values(static_cast<std::size_t>(shapes[i][0] * shapes[i][1]), 5 + i),
                    MOCO_DTYPE_F32),
              shapes[i], 1.0f);
    }
    moco_merge_plan* plan = nullptr;
    ASSERT_EQ(moco_merge_plan_create(m.finish(), &plan), MOCO_OK) << moco_last_error();
    moco_merge_plan_info info{};
    info.struct_size = sizeof(info);
    ASSERT_EQ(moco_merge_plan_get_info(plan, &info), MOCO_OK);
    EXPECT_EQ(info.output.ndim, 2);
    EXPECT_EQ(info.output.shape[0], 10);
    EXPECT_EQ(info.output.shape[1], 5);
    EXPECT_EQ(info.numel, 50);
    EXPECT_EQ(info.cols, 5);
    moco_merge_plan_destroy(plan);

    const std::vector<float> out = m.run_values();
    std::vector<double> ref(50);
    for (int64_t r = 0; r < 10; ++r) {
        for (int64_t c = 0; c < 5; ++c) {
            double acc = 0.0;
            for (std::size_t i = 0; i < 3; ++i)
                acc += m.tensors[i].values[static_cast<std::size_t>(r * shapes[i][1] + c)];
            ref[static_cast<std::size_t>(r * 5 + c)] = acc / 3.0;
        }
    }
    expect_merge_close(out, ref, MOCO_DTYPE_F32, "rectified embedding");
    EXPECT_EQ(run_chunked(m, {3}), m.run());
}

// M3: an embedding input at least as large as the base is cut to the base; a non-embedding input
// of another shape is skipped (no delta, no weight); anything else is an error naming both shapes.
TEST(KernelsMergeStreaming, BaseMethodsCutOrSkipMismatchedInputs) {
    const Stored base = store(random_values(60, 9, 0.05f), MOCO_DTYPE_F32);
    const Stored wide = store(random_values(12 * 8, 10, 0.05f), MOCO_DTYPE_F32);
    Merge m(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_F32);
    m.spec.is_embedding = 1;
    m.name = "lm_head.weight";
    m.set_base(base, {10, 6});
    m.add(wide, {12, 8}, 0.5f);
    const std::vector<float> out = m.run_values();
    std::vector<double> ref(60);
    for (std::size_t r = 0; r < 10; ++r) {
        for (std::size_t c = 0; c < 6; ++c) {
            ref[r * 6 + c] =
                base.values[r * 6 + c] +
                0.5 * (static_cast<double>(wide.values[r * 8 + c]) - base.values[r * 6 + c]);
        }
    }
    expect_merge_close(out, ref, MOCO_DTYPE_F32, "cut embedding");
    EXPECT_EQ(run_chunked(m, {5, 11}), m.run());

    Merge small(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_F32);
    small.spec.is_embedding = 1;
    small.set_base(base, {10, 6});
    small.add(store(random_values(54, 11), MOCO_DTYPE_F32), {9, 6}, 0.5f);
    moco_status st = MOCO_OK;
    small.run(&st);
    EXPECT_EQ(st, MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "[9, 6]") && contains(moco_last_error(), "[10, 6]"))
        << moco_last_error();

    // Non-embedding: the mismatched input is skipped, the result equals the merge without it.
    const Stored other = store(random_values(60, 12, 0.05f), MOCO_DTYPE_F32);
    Merge skip(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_F32);
    skip.set_base(base, {10, 6});
    skip.add(other, {10, 6}, 0.5f);
    skip.add(store(random_values(12, 13), MOCO_DTYPE_F32), {12}, 0.5f);
    skip.spec.normalize = 1;
    moco_merge_plan* plan = nullptr;
    ASSERT_EQ(moco_merge_plan_create(skip.finish(), &plan), MOCO_OK) << moco_last_error();
    int used = -1;
    ASSERT_EQ(moco_merge_plan_input_used(plan, 1, &used), MOCO_OK);
    EXPECT_EQ(used, 0);
    ASSERT_EQ(moco_merge_plan_input_used(plan, 0, &used), MOCO_OK);
    EXPECT_EQ(used, 1);
    EXPECT_EQ(moco_merge_plan_input_used(plan, 2, &used), MOCO_ERR_INVALID_ARGUMENT);
    moco_merge_plan_info info{};
    info.struct_size = sizeof(info);
    ASSERT_EQ(moco_merge_plan_get_info(plan, &info), MOCO_OK);
    EXPECT_EQ(info.inputs_used, 1);
    moco_merge_plan_destroy(plan);
    Merge alone(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_F32);
    alone.set_base(base, {10, 6});
    alone.add(other, {10, 6}, 0.5f);
    alone.spec.normalize = 1;
    EXPECT_EQ(skip.run(), alone.run());
}

TEST(KernelsMergeStreaming, StrictShapeErrorsNameBothShapes) {
    const Stored a = store(random_values(60, 14), MOCO_DTYPE_F32);
    const Stored b = store(random_values(64, 15), MOCO_DTYPE_F32);
    moco_status st = MOCO_OK;

    Merge linear(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    linear.add(a, {10, 6}, 0.5f);
    linear.add(b, {8, 8}, 0.5f);
    linear.run(&st);
    EXPECT_EQ(st, MOCO_ERR_INVALID_ARGUMENT);
    std::string message = moco_last_error();
    EXPECT_TRUE(contains(message, "[10, 6]") && contains(message, "[8, 8]") &&
                contains(message, linear.name))
        << message;

    Merge expo(MOCO_MERGE_EXTRAPOLATE, MOCO_DTYPE_F32);
    expo.set_base(a, {60});
    expo.add(b, {64}, 1.0f);
    expo.spec.is_embedding = 1;
    expo.run(&st);
    EXPECT_EQ(st, MOCO_ERR_INVALID_ARGUMENT);
    message = moco_last_error();
    EXPECT_TRUE(contains(message, "[64]") && contains(message, "[60]") && contains(message, "M8"))
        << message;

    Merge three_d(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
    three_d.spec.is_embedding = 1;
    three_d.add(a, {10, 6, 1}, 0.5f);
    three_d.add(b, {8, 8}, 0.5f);
    three_d.run(&st);
    EXPECT_EQ(st, MOCO_ERR_INVALID_ARGUMENT);
}

TEST(KernelsMergeStreaming, SpecValidation) {
    const Stored a = store(random_values(16, 16), MOCO_DTYPE_F32);
    const auto fails = [](Merge& m, const std::string& needle) {
        moco_merge_plan* plan = reinterpret_cast<moco_merge_plan*>(0x1);
        EXPECT_EQ(moco_merge_plan_create(m.finish(), &plan), MOCO_ERR_INVALID_ARGUMENT) << needle;
        EXPECT_EQ(plan, nullptr);
        EXPECT_TRUE(contains(moco_last_error(), needle))
            << "expected \"" << needle << "\" in: " << moco_last_error();
    };
    const auto linear = [&](float weight, double density = 1.0) {
        Merge m(MOCO_MERGE_LINEAR, MOCO_DTYPE_F32);
        m.add(a, {16}, weight, density);
        return m;
    };
    Merge m = linear(std::nanf(""));
    fails(m, "weight");
    m = linear(1.0f, 0.5);
    fails(m, "only TIES, DARE_TIES and DARE_LINEAR sparsify");
    m = linear(0.0f);
    fails(m, "sum to 0");
    m = linear(1.0f);
    m.set_base(a, {16});
    m.spec.method = MOCO_MERGE_LINEAR;
    m.finish();
    m.spec.base = &m.base_desc;
    moco_merge_plan* plan = nullptr;
    EXPECT_EQ(moco_merge_plan_create(&m.spec, &plan), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "takes no base")) << moco_last_error();
    m = linear(1.0f);
    m.spec.alpha = 0.5f;
    fails(m, "alpha");
    m = linear(1.0f);
    m.spec.lambda = 2.0f;
    fails(m, "lambda");
    m = linear(1.0f);
    m.spec.method = 99;
    fails(m, "unknown method");
    m = linear(1.0f);
    m.spec.out_dtype = 7;
    fails(m, "out_dtype");
    m = linear(1.0f);
    m.inputs[0].tensor.shape[0] = 0;
    fails(m, "dimension 0");
    m = linear(1.0f);
    m.spec.struct_size = 12;
    fails(m, "struct_size");
    m = linear(1.0f);
    m.name = "";
    m.finish();
    m.spec.tensor_name = nullptr;
    EXPECT_EQ(moco_merge_plan_create(&m.spec, &plan), MOCO_ERR_INVALID_ARGUMENT);

    Merge ties(MOCO_MERGE_TIES, MOCO_DTYPE_F32);
    ties.set_base(a, {16});
    ties.add(a, {16}, 1.0f, 0.05);  // floor(0.05 * 16) = 0
    fails(ties, "k >= 1");
    ties.inputs[0].density = 0.5;
    ties.spec.rescale = MOCO_RESCALE_L1;
    fails(ties, "rescale");
    ties.spec.rescale = -1;
    ties.spec.t = 0.5f;
    fails(ties, "field t");

    Merge ta(MOCO_MERGE_TASK_ARITHMETIC, MOCO_DTYPE_F32);
    ta.add(a, {16}, 1.0f);
    ta.finish();
    ta.spec.base = nullptr;
    EXPECT_EQ(moco_merge_plan_create(&ta.spec, &plan), MOCO_ERR_INVALID_ARGUMENT);  // no base
    EXPECT_TRUE(contains(moco_last_error(), "requires a base")) << moco_last_error();
    ta.set_base(a, {16});
    ta.spec.consensus = MOCO_CONSENSUS_COUNT;
    fails(ta, "consensus");

    Merge expo(MOCO_MERGE_EXTRAPOLATE, MOCO_DTYPE_F32);
    expo.set_base(a, {16});
    expo.add(a, {16}, 1.0f);
    expo.add(a, {16}, 1.0f);
    fails(expo, "exactly one input");
    EXPECT_EQ(moco_merge_plan_create(expo.finish(), nullptr), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_create(nullptr, &plan), MOCO_ERR_INVALID_ARGUMENT);
}

TEST(KernelsMergeStreaming, PlanProtocolErrors) {
    Merge m = make_merge(MOCO_MERGE_TIES, MOCO_DTYPE_F32, 10, 10);
    moco_merge_plan* plan = nullptr;
    ASSERT_EQ(moco_merge_plan_create(m.finish(), &plan), MOCO_OK) << moco_last_error();
    const std::vector<const void*> inputs = m.input_pointers();
    std::vector<float> out(100);
    // Apply before the scans, a chunk out of order, a pass ended early, a chunk out of range.
    EXPECT_EQ(moco_merge_plan_apply(plan, inputs.data(), m.base_pointer(), 0, 100, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "scan passes are pending")) << moco_last_error();
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 0, 50), MOCO_OK);
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 60, 40),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "increasing, contiguous")) << moco_last_error();
    int more = 0;
    EXPECT_EQ(moco_merge_plan_end_pass(plan, &more), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 50, 51),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_scan(plan, nullptr, m.base_pointer(), 50, 50),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), nullptr, 50, 50),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 50, 50), MOCO_OK);
    EXPECT_EQ(moco_merge_plan_end_pass(plan, &more), MOCO_OK);
    while (more) {
        EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 0, 100), MOCO_OK);
        EXPECT_EQ(moco_merge_plan_end_pass(plan, &more), MOCO_OK);
    }
    EXPECT_EQ(moco_merge_plan_scan(plan, inputs.data(), m.base_pointer(), 0, 100),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_apply(plan, inputs.data(), m.base_pointer(), 0, 100, nullptr),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_merge_plan_apply(plan, inputs.data(), m.base_pointer(), 0, 100, out.data()),
              MOCO_OK);
    moco_merge_plan_destroy(plan);
    moco_merge_plan_destroy(nullptr);
    EXPECT_EQ(moco_merge_plan_apply(nullptr, inputs.data(), m.base_pointer(), 0, 100, out.data()),
              MOCO_ERR_INVALID_ARGUMENT);
    moco_merge_plan_info info{};
    info.struct_size = 4;
    EXPECT_EQ(moco_merge_plan_get_info(nullptr, &info), MOCO_ERR_INVALID_ARGUMENT);
}
