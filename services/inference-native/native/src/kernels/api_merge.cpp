// Exported entry points of the tensor merges: spec defaults, the plan handle (create, info, scan,
// apply, destroy), the whole-tensor moco_merge_tensor built on it, and moco_merge_tensor_on, which
// runs it on a context's device (the CUDA backend's merge kernels for "cuda:N").
#include "common.h"
#include "context.h"
#include "kernels/dtype_convert.h"
#include "kernels/merge_plan.h"
#include "kernels/merge_spec.h"
#include "moco_config.h"

#if MOCO_HAVE_CUDA
#    include "cuda/merge_host.h"
#endif

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace {

// The first published layout of moco_merge_plan_info ends after needs_scan.
constexpr int kPlanInfoV1Size =
    static_cast<int>(offsetof(moco_merge_plan_info, needs_scan) + sizeof(int));

// moco_merge_tensor's chunk: 1 Mi elements keeps the per-call overhead negligible while the
// working set (one tile per operand) stays in cache whatever the tensor size.
constexpr int64_t kWholeTensorChunk = int64_t{1} << 20;

moco_status check_plan(const char* fn, const moco_merge_plan* plan) {
    if (plan == nullptr) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: plan is NULL; create one with moco_merge_plan_create", fn);
    }
    return MOCO_OK;
}

// Pointers into complete tensors for the chunk starting at output element `offset`.
struct ChunkPointers {
    std::vector<const void*> inputs;
    const void* base = nullptr;

    void point_at(const moco::kernels::MergeSpec& spec, const void* const* whole_inputs,
                  const void* whole_base, int64_t offset) {
        using moco::kernels::dtype_bytes;
        using moco::kernels::mapped_index;
        inputs.resize(spec.inputs.size());
        for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
            const moco::kernels::MergeInput& in = spec.inputs[i];
            inputs[i] = !in.used ? nullptr
                                 : static_cast<const char*>(whole_inputs[i]) +
                                       mapped_index(offset, spec.cols, in.cols) *
                                           static_cast<int64_t>(dtype_bytes(in.dtype));
        }
        base = !spec.uses_base() ? nullptr
                                 : static_cast<const char*>(whole_base) +
                                       mapped_index(offset, spec.cols, spec.base_cols) *
                                           static_cast<int64_t>(dtype_bytes(spec.base_dtype));
    }
};

// Validates a whole-tensor call: the spec, then the pointers it needs.
moco_status resolve_whole_tensor(const char* fn, const moco_merge_spec* spec,
                                 const void* const* inputs, const void* base, const void* out,
                                 moco::kernels::MergeSpec* resolved) {
    moco_status st = moco::kernels::resolve_merge_spec(fn, spec, resolved);
    if (st != MOCO_OK) return st;
    if (inputs == nullptr || out == nullptr || (resolved->uses_base() && base == nullptr)) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: tensor \"%s\": inputs, out%s must not be NULL", fn,
                               resolved->tensor_name.c_str(),
                               resolved->uses_base() ? " and base" : "");
    }
    for (std::size_t i = 0; i < resolved->inputs.size(); ++i) {
        if (resolved->inputs[i].used && inputs[i] == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: tensor \"%s\": inputs[%zu] is NULL", fn,
                                   resolved->tensor_name.c_str(), i);
        }
    }
    return MOCO_OK;
}

// The scan passes and the apply over whole tensors, in kWholeTensorChunk chunks.
moco_status merge_on_cpu(const char* fn, moco::kernels::MergePlan& plan,
                         const void* const* inputs, const void* base, void* out) {
    const moco::kernels::MergeSpec& s = plan.spec();
    ChunkPointers at;
    moco_status st = MOCO_OK;
    bool more = plan.needs_scan();
    while (more) {
        for (int64_t offset = 0; offset < s.numel; offset += kWholeTensorChunk) {
            at.point_at(s, inputs, base, offset);
            st = plan.scan(fn, at.inputs.data(), at.base, offset,
                           std::min(kWholeTensorChunk, s.numel - offset));
            if (st != MOCO_OK) return st;
        }
        st = plan.end_pass(fn, &more);
        if (st != MOCO_OK) return st;
    }
    const std::size_t out_size = moco::kernels::dtype_bytes(s.out_dtype);
    for (int64_t offset = 0; offset < s.numel; offset += kWholeTensorChunk) {
        at.point_at(s, inputs, base, offset);
        st = plan.apply(fn, at.inputs.data(), at.base, offset,
                        std::min(kWholeTensorChunk, s.numel - offset),
                        static_cast<char*>(out) + static_cast<std::size_t>(offset) * out_size);
        if (st != MOCO_OK) return st;
    }
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_merge_spec moco_merge_default_spec(void) {
    moco_merge_spec s;
    std::memset(&s, 0, sizeof(s));
    s.struct_size = static_cast<int>(sizeof(moco_merge_spec));
    s.method = MOCO_MERGE_LINEAR;
    s.out_dtype = MOCO_DTYPE_F32;
    s.normalize = -1;
    s.consensus = MOCO_CONSENSUS_SUM;
    s.rescale = -1;
    s.lambda = 1.0f;
    return s;
}

moco_status moco_merge_plan_create(const moco_merge_spec* spec, moco_merge_plan** out) {
    return moco::guard("moco_merge_plan_create", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_create";
        if (out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: out is NULL; pass the address of a moco_merge_plan*", fn);
        }
        *out = nullptr;
        moco::kernels::MergeSpec resolved;
        const moco_status st = moco::kernels::resolve_merge_spec(fn, spec, &resolved);
        if (st != MOCO_OK) return st;
        *out = std::make_unique<moco_merge_plan>(std::move(resolved)).release();
        return MOCO_OK;
    });
}

moco_status moco_merge_plan_get_info(const moco_merge_plan* plan, moco_merge_plan_info* info) {
    return moco::guard("moco_merge_plan_get_info", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_get_info";
        const moco_status st = check_plan(fn, plan);
        if (st != MOCO_OK) return st;
        if (info == nullptr || info->struct_size < kPlanInfoV1Size) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: info is NULL or info->struct_size is below %d; set it to "
                                   "sizeof(moco_merge_plan_info)",
                                   fn, kPlanInfoV1Size);
        }
        const moco::kernels::MergeSpec& spec = plan->plan.spec();
        moco_merge_plan_info result;
        std::memset(&result, 0, sizeof(result));
        result.struct_size = info->struct_size;
        result.output.dtype = spec.out_dtype;
        result.output.ndim = static_cast<int>(spec.out_shape.size());
        std::copy(spec.out_shape.begin(), spec.out_shape.end(), result.output.shape);
        result.numel = spec.numel;
        result.cols = spec.cols;
        result.inputs_used = plan->plan.inputs_used();
        result.needs_scan = plan->plan.needs_scan() ? 1 : 0;
        std::memcpy(info, &result,
                    std::min(sizeof(result), static_cast<std::size_t>(info->struct_size)));
        return MOCO_OK;
    });
}

moco_status moco_merge_plan_input_used(const moco_merge_plan* plan, int input, int* used) {
    return moco::guard("moco_merge_plan_input_used", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_input_used";
        const moco_status st = check_plan(fn, plan);
        if (st != MOCO_OK) return st;
        const int n = static_cast<int>(plan->plan.spec().inputs.size());
        if (used == nullptr || input < 0 || input >= n) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: used must not be NULL and input (%d) must lie in [0, %d)",
                                   fn, input, n);
        }
        *used = plan->plan.spec().inputs[static_cast<std::size_t>(input)].used ? 1 : 0;
        return MOCO_OK;
    });
}

moco_status moco_merge_plan_scan(moco_merge_plan* plan, const void* const* inputs, const void* base,
                                 int64_t offset, int64_t count) {
    return moco::guard("moco_merge_plan_scan", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_scan";
        const moco_status st = check_plan(fn, plan);
        return st != MOCO_OK ? st : plan->plan.scan(fn, inputs, base, offset, count);
    });
}

moco_status moco_merge_plan_end_pass(moco_merge_plan* plan, int* more) {
    return moco::guard("moco_merge_plan_end_pass", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_end_pass";
        moco_status st = check_plan(fn, plan);
        if (st != MOCO_OK) return st;
        if (more == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: more is NULL", fn);
        }
        bool again = false;
        st = plan->plan.end_pass(fn, &again);
        *more = again ? 1 : 0;
        return st;
    });
}

moco_status moco_merge_plan_apply(const moco_merge_plan* plan, const void* const* inputs,
                                  const void* base, int64_t offset, int64_t count, void* out) {
    return moco::guard("moco_merge_plan_apply", [&]() -> moco_status {
        const char* fn = "moco_merge_plan_apply";
        const moco_status st = check_plan(fn, plan);
        return st != MOCO_OK ? st : plan->plan.apply(fn, inputs, base, offset, count, out);
    });
}

void moco_merge_plan_destroy(moco_merge_plan* plan) {
    delete plan;
}

moco_status moco_merge_tensor(const moco_merge_spec* spec, const void* const* inputs,
                              const void* base, void* out) {
    return moco::guard("moco_merge_tensor", [&]() -> moco_status {
        const char* fn = "moco_merge_tensor";
        moco::kernels::MergeSpec resolved;
        const moco_status st = resolve_whole_tensor(fn, spec, inputs, base, out, &resolved);
        if (st != MOCO_OK) return st;
        moco::kernels::MergePlan plan(std::move(resolved));
        return merge_on_cpu(fn, plan, inputs, base, out);
    });
}

moco_status moco_merge_tensor_on(const moco_context* ctx, const moco_merge_spec* spec,
                                 const void* const* inputs, const void* base, void* out) {
    return moco::guard("moco_merge_tensor_on", [&]() -> moco_status {
        const char* fn = "moco_merge_tensor_on";
        if (ctx == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: ctx is NULL; create one with moco_context_create", fn);
        }
        moco::kernels::MergeSpec resolved;
        const moco_status st = resolve_whole_tensor(fn, spec, inputs, base, out, &resolved);
        if (st != MOCO_OK) return st;
        moco::kernels::MergePlan plan(std::move(resolved));
        if (ctx->kind == MOCO_DEVICE_CPU) return merge_on_cpu(fn, plan, inputs, base, out);
#if MOCO_HAVE_CUDA
        return moco::cuda::merge_host_tensors(fn, plan, ctx->cuda_index, inputs, base, out);
#else
        return moco::set_error(MOCO_ERR_UNIMPLEMENTED,
                               "%s: context device \"%s\" needs a libmoco built with CUDA", fn,
                               ctx->device.c_str());
#endif
    });
}

}  // extern "C"
