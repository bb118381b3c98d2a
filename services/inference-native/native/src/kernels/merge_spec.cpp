// Validation of moco_merge_spec and the shape rules M2 / M3 / M8 (see merge_spec.h).
#include "kernels/merge_spec.h"

#include "common.h"
#include "kernels/dtype_convert.h"
#include "kernels/philox.h"
#include "model/bind_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

namespace moco::kernels {
namespace {

// The first published layout ends after `seed`.
constexpr int kMergeSpecV1Size =
    static_cast<int>(offsetof(moco_merge_spec, seed) + sizeof(uint64_t));

const char* method_name(int method) {
    switch (method) {
        case MOCO_MERGE_LINEAR: return "LINEAR";
        case MOCO_MERGE_TASK_ARITHMETIC: return "TASK_ARITHMETIC";
        case MOCO_MERGE_TIES: return "TIES";
        case MOCO_MERGE_DARE_TIES: return "DARE_TIES";
        case MOCO_MERGE_DARE_LINEAR: return "DARE_LINEAR";
        case MOCO_MERGE_EXTRAPOLATE: return "EXTRAPOLATE";
        case MOCO_MERGE_SLERP: return "SLERP";
    }
    return "unknown";
}

// Checks one moco_tensor_desc; fills its shape and element count.
moco_status read_desc(const char* fn, const char* tensor, const char* what,
                      const moco_tensor_desc& desc, std::vector<int64_t>* shape) {
    if (!dtype_valid(desc.dtype)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": %s has dtype %d; use MOCO_DTYPE_F32, MOCO_DTYPE_F16 "
                         "or MOCO_DTYPE_BF16",
                         fn, tensor, what, desc.dtype);
    }
    if (desc.ndim < 0 || desc.ndim > MOCO_MAX_DIMS) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": %s has ndim %d; it must lie in [0, %d]", fn, tensor,
                         what, desc.ndim, MOCO_MAX_DIMS);
    }
    shape->assign(desc.shape, desc.shape + desc.ndim);
    int64_t numel = 1;
    for (int d = 0; d < desc.ndim; ++d) {
        if (desc.shape[d] < 1 || desc.shape[d] > (int64_t{1} << 62) / numel) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": %s has dimension %d of size %lld; sizes must be "
                             ">= 1 and the element count below 2^62",
                             fn, tensor, what, d, static_cast<long long>(desc.shape[d]));
        }
        numel *= desc.shape[d];
    }
    return MOCO_OK;
}

int64_t numel_of(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    return n;
}

int64_t cols_of(const std::vector<int64_t>& shape) {
    return shape.empty() ? 1 : shape.back();
}

// Fields that do not apply to a method must keep their defaults: a silently ignored value would
// hide a caller's mistake.
moco_status check_unused_fields(const char* fn, const moco_merge_spec& s) {
    const int m = s.method;
    const bool delta = m == MOCO_MERGE_TASK_ARITHMETIC || m == MOCO_MERGE_TIES ||
                       m == MOCO_MERGE_DARE_TIES || m == MOCO_MERGE_DARE_LINEAR;
    const bool dare = m == MOCO_MERGE_DARE_TIES || m == MOCO_MERGE_DARE_LINEAR;
    const bool consensus = m == MOCO_MERGE_TIES || m == MOCO_MERGE_DARE_TIES;
    const struct {
        bool violated;
        const char* field;
    } rules[] = {
        {(m == MOCO_MERGE_EXTRAPOLATE || m == MOCO_MERGE_SLERP) && s.normalize != -1,
         "normalize (must be -1)"},
        {!consensus && s.consensus != MOCO_CONSENSUS_SUM, "consensus (must be MOCO_CONSENSUS_SUM)"},
        {!dare && s.rescale != -1 && s.rescale != MOCO_RESCALE_NONE,
         "rescale (must be -1 or MOCO_RESCALE_NONE)"},
        {!delta && s.lambda != 1.0f, "lambda (must be 1)"},
        {m != MOCO_MERGE_EXTRAPOLATE && s.alpha != 0.0f, "alpha (must be 0)"},
        {m != MOCO_MERGE_SLERP && s.t != 0.0f, "t (must be 0)"},
    };
    for (const auto& rule : rules) {
        if (rule.violated) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": field %s does not apply to method %s", fn,
                             s.tensor_name, rule.field, method_name(m));
        }
    }
    return MOCO_OK;
}

moco_status check_values(const char* fn, const moco_merge_spec& s) {
    if (s.method < MOCO_MERGE_LINEAR || s.method > MOCO_MERGE_SLERP) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": unknown method %d (a moco_merge_method)", fn,
                         s.tensor_name, s.method);
    }
    if (!dtype_valid(s.out_dtype)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": out_dtype %d is not a moco_dtype", fn, s.tensor_name,
                         s.out_dtype);
    }
    if (s.normalize < -1 || s.normalize > 1) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": normalize is %d; use -1 (method default), 0 or 1", fn,
                         s.tensor_name, s.normalize);
    }
    if (s.consensus != MOCO_CONSENSUS_SUM && s.consensus != MOCO_CONSENSUS_COUNT) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": consensus %d is not a moco_merge_consensus", fn,
                         s.tensor_name, s.consensus);
    }
    if (s.rescale < -1 || s.rescale > MOCO_RESCALE_INVERSE_DENSITY) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": rescale %d is neither -1 nor a moco_merge_rescale", fn,
                         s.tensor_name, s.rescale);
    }
    if (!std::isfinite(s.lambda) || !std::isfinite(s.alpha) || !std::isfinite(s.t)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": lambda, alpha and t must be finite (got %g, %g, %g)",
                         fn, s.tensor_name, static_cast<double>(s.lambda),
                         static_cast<double>(s.alpha), static_cast<double>(s.t));
    }
    if (s.n_inputs < 1 || s.inputs == nullptr) {
        return set_error(
            MOCO_ERR_INVALID_ARGUMENT,
            "%s: tensor \"%s\": n_inputs is %d and inputs %s; a merge needs at least one input", fn,
            s.tensor_name, s.n_inputs, s.inputs == nullptr ? "NULL" : "set");
    }
    if ((s.method == MOCO_MERGE_EXTRAPOLATE || s.method == MOCO_MERGE_SLERP) && s.n_inputs != 1) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": %s takes exactly one input (and the base); got %d", fn,
                         s.tensor_name, method_name(s.method), s.n_inputs);
    }
    if ((s.method == MOCO_MERGE_LINEAR) != (s.base == nullptr)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: tensor \"%s\": method %s %s", fn,
                         s.tensor_name, method_name(s.method),
                         s.method == MOCO_MERGE_LINEAR ? "takes no base" : "requires a base");
    }
    return check_unused_fields(fn, s);
}

moco_status read_inputs(const char* fn, const moco_merge_spec& s, MergeSpec* out) {
    const bool sparsifies = s.method == MOCO_MERGE_TIES || s.method == MOCO_MERGE_DARE_TIES ||
                            s.method == MOCO_MERGE_DARE_LINEAR;
    out->inputs.resize(static_cast<std::size_t>(s.n_inputs));
    for (int i = 0; i < s.n_inputs; ++i) {
        const moco_merge_input& in = s.inputs[i];
        MergeInput& mi = out->inputs[static_cast<std::size_t>(i)];
        char what[32];
        std::snprintf(what, sizeof(what), "input %d", i);
        moco_status st = read_desc(fn, s.tensor_name, what, in.tensor, &mi.shape);
        if (st != MOCO_OK) return st;
        if (!std::isfinite(in.weight)) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": input %d has weight %g; weights must be finite",
                             fn, s.tensor_name, i, static_cast<double>(in.weight));
        }
        if (std::isnan(in.density) || (!sparsifies && in.density != 1.0)) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": input %d has density %g; %s", fn, s.tensor_name, i,
                             in.density,
                             sparsifies ? "it must not be NaN"
                                        : "only TIES, DARE_TIES and DARE_LINEAR sparsify (use 1)");
        }
        if (in.model_index < 0) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "%s: tensor \"%s\": input %d has model_index %d; it must be >= 0", fn,
                             s.tensor_name, i, in.model_index);
        }
        mi.dtype = in.tensor.dtype;
        mi.weight = in.weight;
        mi.density = in.density;
        mi.model_index = in.model_index;
    }
    return MOCO_OK;
}

moco_status mismatch(const char* fn, const char* tensor, const char* a,
                     const std::vector<int64_t>& sa, const char* b, const std::vector<int64_t>& sb,
                     const char* rule) {
    return set_error(MOCO_ERR_INVALID_ARGUMENT,
                     "%s: tensor \"%s\": %s has shape %s but %s has %s; %s", fn, tensor, a,
                     shape_string(sa).c_str(), b, shape_string(sb).c_str(), rule);
}

// M2: shapes all equal, or all 2-D embeddings cut to [min rows, min cols]. Used by LINEAR (the
// inputs) and SLERP (base and input).
moco_status resolve_common_shape(const char* fn, const moco_merge_spec& s,
                                 const std::vector<const std::vector<int64_t>*>& shapes,
                                 const std::vector<std::string>& names,
                                 std::vector<int64_t>* out_shape) {
    std::size_t differs = 0;
    for (std::size_t i = 1; i < shapes.size() && differs == 0; ++i) {
        if (*shapes[i] != *shapes[0]) differs = i;
    }
    if (differs == 0) {
        *out_shape = *shapes[0];
        return MOCO_OK;
    }
    const bool all_2d = std::all_of(shapes.begin(), shapes.end(),
                                    [](const std::vector<int64_t>* sh) { return sh->size() == 2; });
    if (!s.is_embedding || !all_2d) {
        return mismatch(fn, s.tensor_name, names[0].c_str(), *shapes[0], names[differs].c_str(),
                        *shapes[differs],
                        s.is_embedding ? "embeddings are rectified only when every tensor is 2-D"
                                       : "only embedding tensors may differ in shape (M2)");
    }
    int64_t rows = (*shapes[0])[0], cols = (*shapes[0])[1];
    for (const std::vector<int64_t>* sh : shapes) {
        rows = std::min(rows, (*sh)[0]);
        cols = std::min(cols, (*sh)[1]);
    }
    *out_shape = {rows, cols};
    return MOCO_OK;
}

// M3 (and M8's strictness): the output has the base's shape; decides each input's participation.
moco_status resolve_base_shapes(const char* fn, const moco_merge_spec& s,
                                const std::vector<int64_t>& base, MergeSpec* out) {
    for (std::size_t i = 0; i < out->inputs.size(); ++i) {
        MergeInput& in = out->inputs[i];
        if (in.shape == base) continue;
        char what[32];
        std::snprintf(what, sizeof(what), "input %zu", i);
        if (s.method == MOCO_MERGE_EXTRAPOLATE) {
            return mismatch(fn, s.tensor_name, what, in.shape, "the base", base,
                            "extrapolation needs equal shapes (M8)");
        }
        if (!s.is_embedding) {
            in.used = false;  // M3: a non-embedding input of another shape is skipped
            continue;
        }
        if (in.shape.size() != 2 || base.size() != 2 || in.shape[0] < base[0] ||
            in.shape[1] < base[1]) {
            return mismatch(fn, s.tensor_name, what, in.shape, "the base", base,
                            "an embedding input must be 2-D and at least as large as the base in "
                            "both dimensions (M3)");
        }
    }
    return MOCO_OK;
}

}  // namespace

moco_status resolve_merge_spec(const char* fn, const moco_merge_spec* spec, MergeSpec* out) {
    if (spec == nullptr) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: spec is NULL; start from moco_merge_default_spec()", fn);
    }
    if (spec->struct_size < kMergeSpecV1Size) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: spec->struct_size is %d but must be at least %d; set it to "
                         "sizeof(moco_merge_spec) (moco_merge_default_spec() does)",
                         fn, spec->struct_size, kMergeSpecV1Size);
    }
    moco_merge_spec s = moco_merge_default_spec();
    std::memcpy(&s, spec,
                std::min<std::size_t>(sizeof(s), static_cast<std::size_t>(spec->struct_size)));
    if (s.tensor_name == nullptr) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: spec->tensor_name is NULL; name the tensor (it keys the DARE stream "
                         "and every message)",
                         fn);
    }
    moco_status st = check_values(fn, s);
    if (st == MOCO_OK) st = read_inputs(fn, s, out);
    if (st != MOCO_OK) return st;

    out->method = s.method;
    out->tensor_name = s.tensor_name;
    out->name_hash = fnv1a64(s.tensor_name);
    out->out_dtype = s.out_dtype;
    out->consensus = s.consensus;
    out->lambda = s.lambda;
    out->alpha = s.alpha;
    out->t = s.t;
    out->seed = s.seed;
    out->normalize = s.normalize == -1
                         ? (s.method == MOCO_MERGE_LINEAR || s.method == MOCO_MERGE_TIES)
                         : s.normalize == 1;
    out->rescale =
        s.rescale != -1 ? s.rescale : (out->dare_method() ? MOCO_RESCALE_L1 : MOCO_RESCALE_NONE);

    std::vector<int64_t> base_shape;
    if (s.base != nullptr) {
        st = read_desc(fn, s.tensor_name, "the base", *s.base, &base_shape);
        if (st != MOCO_OK) return st;
        out->base_dtype = s.base->dtype;
        out->base_cols = cols_of(base_shape);
    }
    if (s.method == MOCO_MERGE_LINEAR || s.method == MOCO_MERGE_SLERP) {
        std::vector<const std::vector<int64_t>*> shapes;
        std::vector<std::string> names;
        if (s.method == MOCO_MERGE_SLERP) {
            shapes.push_back(&base_shape);
            names.push_back("the base");
        }
        for (std::size_t i = 0; i < out->inputs.size(); ++i) {
            shapes.push_back(&out->inputs[i].shape);
            names.push_back("input " + std::to_string(i));
        }
        st = resolve_common_shape(fn, s, shapes, names, &out->out_shape);
    } else {
        out->out_shape = base_shape;
        st = resolve_base_shapes(fn, s, base_shape, out);
    }
    if (st != MOCO_OK) return st;
    out->numel = numel_of(out->out_shape);
    out->cols = cols_of(out->out_shape);
    for (MergeInput& in : out->inputs) in.cols = in.used ? cols_of(in.shape) : out->cols;

    // Σ w_i over the inputs that take part, in input order: LINEAR's divisor and the
    // no-consensus D of M6.
    bool first = true;
    for (const MergeInput& in : out->inputs) {
        if (!in.used) continue;
        out->weight_sum = first ? in.weight : out->weight_sum + in.weight;
        first = false;
    }
    if (s.method == MOCO_MERGE_LINEAR && out->normalize && std::fabs(out->weight_sum) < 1e-8f) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "%s: tensor \"%s\": the weights sum to %g, so a normalized linear merge "
                         "would divide by ~0 (M1); change the weights or set normalize 0",
                         fn, s.tensor_name, static_cast<double>(out->weight_sum));
    }
    if (s.method == MOCO_MERGE_TIES) {
        for (std::size_t i = 0; i < out->inputs.size(); ++i) {
            const MergeInput& in = out->inputs[i];
            if (!in.used || in.density >= 1.0) continue;
            const double k = std::floor(in.density * static_cast<double>(out->numel));
            if (k < 1.0) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT,
                                 "%s: tensor \"%s\": input %zu keeps floor(%g * %lld) = 0 entries "
                                 "(M4 needs k >= 1); raise its density",
                                 fn, s.tensor_name, i, in.density,
                                 static_cast<long long>(out->numel));
            }
        }
    }
    return MOCO_OK;
}

}  // namespace moco::kernels
