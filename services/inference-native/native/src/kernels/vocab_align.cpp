// L6 vocabulary alignment (see vocab_align.h).
#include "kernels/vocab_align.h"

#include "common.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace moco::kernels {
namespace {

const char* name_of(const moco_vocab& v) {
    return v.model_name != nullptr ? v.model_name : "(unnamed)";
}

// Token `id` of a vocabulary as (bytes, length); absent (ids the tokenizer does not define, e.g.
// head padding rows) reports present = false.
struct Token {
    bool present;
    const char* bytes;
    int64_t length;
};

Token token_of(const moco_vocab& v, int id) {
    if (id >= v.n_tokens) return {false, nullptr, 0};
    const int64_t begin = v.token_offsets[id];
    return {true, v.token_bytes + begin, v.token_offsets[id + 1] - begin};
}

bool same(const Token& a, const Token& b) {
    return a.present == b.present && a.length == b.length &&
           (a.length == 0 || std::memcmp(a.bytes, b.bytes, static_cast<size_t>(a.length)) == 0);
}

// A token for an error message: quoted, non-printable bytes escaped, at most 40 bytes shown.
std::string describe(const Token& t) {
    if (!t.present) return "(no token)";
    std::string out = "\"";
    for (int64_t i = 0; i < t.length && i < 40; ++i) {
        const unsigned char c = static_cast<unsigned char>(t.bytes[i]);
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
            out += escaped;
        }
    }
    return out + (t.length > 40 ? "...\"" : "\"");
}

}  // namespace

moco_status vocab_align(const moco_vocab* vocabs, int n, int mode, int* common) {
    int narrowest = 0;
    for (int i = 1; i < n; ++i) {
        if (vocabs[i].head_rows < vocabs[narrowest].head_rows) narrowest = i;
    }
    const int v_star = vocabs[narrowest].head_rows;
    for (int i = 0; i < n; ++i) {
        if (mode == MOCO_VOCAB_EXACT && vocabs[i].head_rows != v_star) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "moco_vocab_align: models \"%s\" (%d output rows) and \"%s\" (%d) "
                             "have different vocabulary widths and the mode is EXACT; use "
                             "MOCO_VOCAB_MIN_COMMON to combine the first %d ids",
                             name_of(vocabs[narrowest]), v_star, name_of(vocabs[i]),
                             vocabs[i].head_rows, v_star);
        }
        if (vocabs[i].eos_id != vocabs[0].eos_id) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT,
                             "moco_vocab_align: models \"%s\" and \"%s\" stop on different EOS ids "
                             "(%d and %d); the models cannot be aligned",
                             name_of(vocabs[0]), name_of(vocabs[i]), vocabs[0].eos_id,
                             vocabs[i].eos_id);
        }
    }
    if (vocabs[0].eos_id >= v_star) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT,
                         "moco_vocab_align: the EOS id %d lies outside the common vocabulary of %d "
                         "ids (model \"%s\"), so it could never be emitted",
                         vocabs[0].eos_id, v_star, name_of(vocabs[narrowest]));
    }
    for (int id = 0; id < v_star; ++id) {
        const Token first = token_of(vocabs[0], id);
        for (int i = 1; i < n; ++i) {
            const Token other = token_of(vocabs[i], id);
            if (!same(first, other)) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT,
                                 "moco_vocab_align: models \"%s\" and \"%s\" cannot be aligned: "
                                 "token id %d is %s in the first and %s in the second "
                                 "(cross-tokenizer fusion is not supported)",
                                 name_of(vocabs[0]), name_of(vocabs[i]), id,
                                 describe(first).c_str(), describe(other).c_str());
            }
        }
    }
    *common = v_star;
    return MOCO_OK;
}

}  // namespace moco::kernels
