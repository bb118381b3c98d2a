// Exported entry points of the logit kernels (L1-L4, row statistics) and of L6 vocabulary
// alignment: argument validation, then the kernels of logits.cpp / vocab_align.cpp.
#include "common.h"
#include "kernels/logits.h"
#include "kernels/vocab_align.h"

#include <cmath>

namespace {

// rows >= 0, vocab >= 1, and the pointers set (NULL buffers are fine for 0 rows).
moco_status check_matrix(const char* fn, const void* in, const void* out, int rows, int vocab) {
    if (rows < 0 || vocab < 1) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "%s: rows is %d and vocab %d; rows must be >= 0 and vocab >= 1", fn,
                               rows, vocab);
    }
    if (rows > 0 && (in == nullptr || out == nullptr)) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn,
                               in == nullptr ? "the input" : "the output");
    }
    return MOCO_OK;
}

// n input pointers and their row strides (strides NULL: vocab).
moco_status check_inputs(const char* fn, const float* const* inputs, const int* strides, int n,
                         int rows, int vocab) {
    if (inputs == nullptr) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: inputs is NULL", fn);
    }
    for (int i = 0; i < n; ++i) {
        if (inputs[i] == nullptr && rows > 0) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: inputs[%d] is NULL", fn, i);
        }
        if (strides != nullptr && strides[i] < vocab) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: strides[%d] is %d, smaller than vocab %d (a row holds at "
                                   "least the vocab columns read)",
                                   fn, i, strides[i], vocab);
        }
    }
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_status moco_log_softmax(const float* logits, int rows, int vocab, float* out) {
    return moco::guard("moco_log_softmax", [&]() -> moco_status {
        const moco_status st = check_matrix("moco_log_softmax", logits, out, rows, vocab);
        return st != MOCO_OK ? st : moco::kernels::log_softmax(logits, rows, vocab, out);
    });
}

moco_status moco_logits_fuse(const float* const* inputs, const int* strides, const float* weights,
                             int n, int rows, int vocab, float* out) {
    return moco::guard("moco_logits_fuse", [&]() -> moco_status {
        const char* fn = "moco_logits_fuse";
        if (n < 1) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: n is %d; fuse at least one input", fn, n);
        }
        moco_status st = check_matrix(fn, inputs, out, rows, vocab);
        if (st == MOCO_OK) st = check_inputs(fn, inputs, strides, n, rows, vocab);
        if (st != MOCO_OK) return st;
        if (weights != nullptr) {
            bool any = false;
            for (int i = 0; i < n; ++i) {
                if (!std::isfinite(weights[i])) {
                    return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                           "%s: weights[%d] is %g; weights must be finite", fn, i,
                                           static_cast<double>(weights[i]));
                }
                any = any || weights[i] != 0.0f;
            }
            if (!any) {
                return moco::set_error(
                    MOCO_ERR_INVALID_ARGUMENT,
                    "%s: every weight is 0; at least one model must contribute (L2)", fn);
            }
        }
        return moco::kernels::fuse(inputs, strides, weights, n, rows, vocab, out);
    });
}

moco_status moco_logits_contrast(const float* const* inputs, const int* strides, int k,
                                 float lambda, int rows, int vocab, float* out) {
    return moco::guard("moco_logits_contrast", [&]() -> moco_status {
        const char* fn = "moco_logits_contrast";
        if (k < 1 || !std::isfinite(lambda)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: k is %d and lambda %g; k must be >= 1 (inputs holds 2k "
                                   "models) and lambda finite",
                                   fn, k, static_cast<double>(lambda));
        }
        moco_status st = check_matrix(fn, inputs, out, rows, vocab);
        if (st == MOCO_OK) st = check_inputs(fn, inputs, strides, 2 * k, rows, vocab);
        return st != MOCO_OK
                   ? st
                   : moco::kernels::contrast(inputs, strides, k, lambda, rows, vocab, out);
    });
}

moco_status moco_logits_plausibility_cut(const float* anchor, int anchor_stride, float alpha,
                                         int rows, int vocab, float* logits) {
    return moco::guard("moco_logits_plausibility_cut", [&]() -> moco_status {
        const char* fn = "moco_logits_plausibility_cut";
        moco_status st = check_matrix(fn, anchor, logits, rows, vocab);
        if (st != MOCO_OK) return st;
        if (!(alpha >= 0.0f && alpha <= 1.0f)) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: alpha is %g; it must lie in [0, 1] (0 disables the cut)",
                                   fn, static_cast<double>(alpha));
        }
        if (anchor_stride < vocab) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: anchor_stride %d is smaller than vocab %d", fn,
                                   anchor_stride, vocab);
        }
        return moco::kernels::plausibility_cut(anchor, anchor_stride, alpha, rows, vocab, logits);
    });
}

moco_status moco_logits_entropy(const float* logits, int rows, int vocab, float* out) {
    return moco::guard("moco_logits_entropy", [&]() -> moco_status {
        const moco_status st = check_matrix("moco_logits_entropy", logits, out, rows, vocab);
        return st != MOCO_OK ? st : moco::kernels::entropy(logits, rows, vocab, out);
    });
}

moco_status moco_logits_top1_prob(const float* logits, int rows, int vocab, float* out) {
    return moco::guard("moco_logits_top1_prob", [&]() -> moco_status {
        const moco_status st = check_matrix("moco_logits_top1_prob", logits, out, rows, vocab);
        return st != MOCO_OK ? st : moco::kernels::top1_prob(logits, rows, vocab, out);
    });
}

moco_status moco_logits_top_k(const float* values, int rows, int vocab, int k, int32_t* ids,
                              float* top_values) {
    return moco::guard("moco_logits_top_k", [&]() -> moco_status {
        const char* fn = "moco_logits_top_k";
        const moco_status st = check_matrix(fn, values, ids, rows, vocab);
        if (st != MOCO_OK) return st;
        if (k < 1 || k > vocab) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: k is %d; it must lie in [1, vocab = %d]", fn, k, vocab);
        }
        return moco::kernels::top_k(values, rows, vocab, k, ids, top_values);
    });
}

moco_status moco_vocab_align(const moco_vocab* vocabs, int n, int mode, int* common_vocab) {
    return moco::guard("moco_vocab_align", [&]() -> moco_status {
        const char* fn = "moco_vocab_align";
        if (vocabs == nullptr || common_vocab == nullptr || n < 1) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT,
                "%s: vocabs and common_vocab must not be NULL and n (%d) must be >= 1", fn, n);
        }
        if (mode != MOCO_VOCAB_MIN_COMMON && mode != MOCO_VOCAB_EXACT) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "%s: mode %d is not a moco_vocab_alignment", fn, mode);
        }
        for (int i = 0; i < n; ++i) {
            const moco_vocab& v = vocabs[i];
            const char* name = v.model_name != nullptr ? v.model_name : "(unnamed)";
            if (v.head_rows < 1 || v.n_tokens < 0 || v.eos_id < 0) {
                return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                       "%s: vocabs[%d] (\"%s\"): head_rows %d must be >= 1, "
                                       "n_tokens %d and eos_id %d >= 0",
                                       fn, i, name, v.head_rows, v.n_tokens, v.eos_id);
            }
            if (v.n_tokens > 0 && (v.token_bytes == nullptr || v.token_offsets == nullptr)) {
                return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                       "%s: vocabs[%d] (\"%s\"): token_bytes and token_offsets are "
                                       "required when n_tokens > 0",
                                       fn, i, name);
            }
            for (int id = 0; id < v.n_tokens; ++id) {
                if (v.token_offsets[id] < 0 || v.token_offsets[id + 1] < v.token_offsets[id]) {
                    return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                           "%s: vocabs[%d] (\"%s\"): token_offsets must be "
                                           "non-negative and non-decreasing (id %d)",
                                           fn, i, name, id);
                }
            }
        }
        return moco::kernels::vocab_align(vocabs, n, mode, common_vocab);
    });
}

}  // extern "C"
