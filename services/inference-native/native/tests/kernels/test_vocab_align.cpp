// L6 vocabulary alignment: the common width, padding rows, and the errors that name the models
// and the first differing id.
#include "kernel_test_util.h"
#include "moco.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using kernel_test::contains;

// A tokenizer as moco_vocab wants it: concatenated strings plus offsets.
struct Tokenizer {
    std::string name;
    std::string bytes;
    std::vector<int64_t> offsets{0};

    Tokenizer(std::string model, const std::vector<std::string>& tokens) : name(std::move(model)) {
        for (const std::string& t : tokens) {
            bytes += t;
            offsets.push_back(static_cast<int64_t>(bytes.size()));
        }
    }

    moco_vocab vocab(int head_rows, int eos) const {
        return {name.c_str(), head_rows,      static_cast<int>(offsets.size()) - 1,
                bytes.data(), offsets.data(), eos};
    }
};

std::vector<std::string> tokens(int n) {
    std::vector<std::string> t;
    for (int i = 0; i < n; ++i) t.push_back("tok" + std::to_string(i));
    return t;
}

}  // namespace

TEST(KernelsVocabAlign, SameTokenizerDifferentPaddingGivesTheNarrowestHead) {
    const Tokenizer a("qwen-a", tokens(90)), b("qwen-b", tokens(90));
    const moco_vocab v[] = {a.vocab(96, 3), b.vocab(128, 3)};  // 151936 vs 152064 in miniature
    int common = 0;
    ASSERT_EQ(moco_vocab_align(v, 2, MOCO_VOCAB_MIN_COMMON, &common), MOCO_OK) << moco_last_error();
    EXPECT_EQ(common, 96);
    EXPECT_EQ(moco_vocab_align(v, 2, MOCO_VOCAB_EXACT, &common), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "EXACT")) << moco_last_error();
    const moco_vocab same[] = {a.vocab(96, 3), b.vocab(96, 3)};
    ASSERT_EQ(moco_vocab_align(same, 2, MOCO_VOCAB_EXACT, &common), MOCO_OK);
    EXPECT_EQ(common, 96);
    ASSERT_EQ(moco_vocab_align(v, 1, MOCO_VOCAB_MIN_COMMON, &common), MOCO_OK);
    EXPECT_EQ(common, 96);
}

TEST(KernelsVocabAlign, ADifferentTokenNamesBothModelsAndTheId) {
    std::vector<std::string> other = tokens(90);
    other[57] = "\xc4\xa0hello";
    const Tokenizer a("llama-a", tokens(90)), b("mistral-b", other);
    const moco_vocab v[] = {a.vocab(90, 2), b.vocab(90, 2)};
    int common = -1;
    EXPECT_EQ(moco_vocab_align(v, 2, MOCO_VOCAB_MIN_COMMON, &common), MOCO_ERR_INVALID_ARGUMENT);
    const std::string message = moco_last_error();
    EXPECT_TRUE(contains(message, "llama-a") && contains(message, "mistral-b")) << message;
    EXPECT_TRUE(contains(message, "token id 57")) << message;
    EXPECT_TRUE(contains(message, "\"tok57\"") && contains(message, "\\xc4\\xa0hello")) << message;
    EXPECT_EQ(common, -1);
}

TEST(KernelsVocabAlign, TokensBeyondOneTokenizerMustBeAbsentInAll) {
    const Tokenizer a("a", tokens(90)), b("b", tokens(95));
    const moco_vocab v[] = {a.vocab(100, 1), b.vocab(100, 1)};
    int common = 0;
    EXPECT_EQ(moco_vocab_align(v, 2, MOCO_VOCAB_MIN_COMMON, &common), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "token id 90") &&
                contains(moco_last_error(), "(no token)"))
        << moco_last_error();
    // Cut below the extra tokens (a head of 90 rows), they no longer matter.
    const moco_vocab narrow[] = {a.vocab(90, 1), b.vocab(100, 1)};
    ASSERT_EQ(moco_vocab_align(narrow, 2, MOCO_VOCAB_MIN_COMMON, &common), MOCO_OK)
        << moco_last_error();
    EXPECT_EQ(common, 90);
}

TEST(KernelsVocabAlign, EosMustBeSharedAndInsideTheCommonVocabulary) {
    const Tokenizer a("a", tokens(50)), b("b", tokens(50));
    int common = 0;
    const moco_vocab different[] = {a.vocab(50, 1), b.vocab(50, 2)};
    EXPECT_EQ(moco_vocab_align(different, 2, MOCO_VOCAB_MIN_COMMON, &common),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "EOS ids (1 and 2)")) << moco_last_error();
    const moco_vocab outside[] = {a.vocab(40, 45), b.vocab(50, 45)};
    EXPECT_EQ(moco_vocab_align(outside, 2, MOCO_VOCAB_MIN_COMMON, &common),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(moco_last_error(), "outside the common vocabulary")) << moco_last_error();
}

TEST(KernelsVocabAlign, ArgumentErrors) {
    const Tokenizer a("a", tokens(10));
    moco_vocab v = a.vocab(10, 0);
    int common = 0;
    EXPECT_EQ(moco_vocab_align(nullptr, 1, MOCO_VOCAB_MIN_COMMON, &common),
              MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_vocab_align(&v, 0, MOCO_VOCAB_MIN_COMMON, &common), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_vocab_align(&v, 1, 7, &common), MOCO_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(moco_vocab_align(&v, 1, MOCO_VOCAB_MIN_COMMON, nullptr), MOCO_ERR_INVALID_ARGUMENT);
    v.token_offsets = nullptr;
    EXPECT_EQ(moco_vocab_align(&v, 1, MOCO_VOCAB_MIN_COMMON, &common), MOCO_ERR_INVALID_ARGUMENT);
    v = a.vocab(0, 0);
    EXPECT_EQ(moco_vocab_align(&v, 1, MOCO_VOCAB_MIN_COMMON, &common), MOCO_ERR_INVALID_ARGUMENT);
}
