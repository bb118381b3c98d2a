// Building moco_merge_spec values and running them, whole or chunked, for the merge tests.
#pragma once

#include "kernel_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace kernel_test {

inline moco_tensor_desc desc(int dtype, std::vector<int64_t> shape) {
    moco_tensor_desc d{};
    d.dtype = dtype;
    d.ndim = static_cast<int>(shape.size());
    std::copy(shape.begin(), shape.end(), d.shape);
    return d;
}

inline int64_t numel(const moco_tensor_desc& d) {
    int64_t n = 1;
    for (int i = 0; i < d.ndim; ++i) n *= d.shape[i];
    return n;
}

// One tensor merge: the spec with its inputs and base, and the stored tensors.
struct Merge {
    moco_merge_spec spec = moco_merge_default_spec();
    std::vector<moco_merge_input> inputs;
    moco_tensor_desc base_desc{};
    std::vector<Stored> tensors;  // one per input
    Stored base{MOCO_DTYPE_F32, {}, {}};
    std::string name = "model.layers.0.mlp.down_proj.weight";

    Merge(int method, int out_dtype) {
        spec.method = method;
        spec.out_dtype = out_dtype;
    }

    void add(const Stored& tensor, std::vector<int64_t> shape, float weight, double density = 1.0) {
        moco_merge_input in{};
        in.tensor = desc(tensor.dtype, std::move(shape));
        in.weight = weight;
        in.density = density;
        in.model_index = static_cast<int>(inputs.size());
        inputs.push_back(in);
        tensors.push_back(tensor);
    }

    void set_base(const Stored& tensor, std::vector<int64_t> shape) {
        base_desc = desc(tensor.dtype, std::move(shape));
        base = tensor;
    }

    // The same from values, stored in `dtype` (round to nearest even).
    void add(const std::vector<float>& values, int dtype, std::vector<int64_t> shape, float weight,
             double density = 1.0) {
        add(store(values, dtype), std::move(shape), weight, density);
    }
    void set_base(const std::vector<float>& values, int dtype, std::vector<int64_t> shape) {
        set_base(store(values, dtype), std::move(shape));
    }

    // The spec with its pointers set (call after every add / set_base).
    const moco_merge_spec* finish() {
        spec.tensor_name = name.c_str();
        spec.n_inputs = static_cast<int>(inputs.size());
        spec.inputs = inputs.data();
        spec.base = spec.method == MOCO_MERGE_LINEAR ? nullptr : &base_desc;
        return &spec;
    }

    std::vector<const void*> input_pointers() const {
        std::vector<const void*> p;
        for (const Stored& t : tensors) p.push_back(t.data());
        return p;
    }

    const void* base_pointer() const {
        return spec.method == MOCO_MERGE_LINEAR ? nullptr : base.data();
    }

    // moco_merge_tensor's output bytes (empty, with the status in *status, on failure).
    std::vector<uint8_t> run(moco_status* status = nullptr) {
        const moco_merge_spec* s = finish();
        moco_merge_plan* plan = nullptr;
        moco_status st = moco_merge_plan_create(s, &plan);
        std::vector<uint8_t> out;
        if (st == MOCO_OK) {
            moco_merge_plan_info info{};
            info.struct_size = sizeof(info);
            EXPECT_EQ(moco_merge_plan_get_info(plan, &info), MOCO_OK);
            out.resize(static_cast<std::size_t>(info.numel) *
                       (spec.out_dtype == MOCO_DTYPE_F32 ? 4 : 2));
            moco_merge_plan_destroy(plan);
            const std::vector<const void*> in = input_pointers();
            st = moco_merge_tensor(s, in.data(), base_pointer(), out.data());
        }
        if (status != nullptr) {
            *status = st;
        } else {
            EXPECT_EQ(st, MOCO_OK) << moco_last_error();
        }
        if (st != MOCO_OK) out.clear();
        return out;
    }

    std::vector<float> run_values() {
        const std::vector<uint8_t> out = run();
        return decode(out.data(), spec.out_dtype,
                      out.size() / (spec.out_dtype == MOCO_DTYPE_F32 ? 4 : 2));
    }
};

}  // namespace kernel_test
