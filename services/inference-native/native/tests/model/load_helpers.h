// Small helpers shared by the model tests: a CPU context, loading with the status and message
// captured, and a check that a message names everything it should.
#pragma once

#include "moco.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace model_test {

// A CPU context per test.
class ModelTest : public ::testing::Test {
protected:
    void SetUp() override {
        moco_context_options opts = moco_context_default_options();
        opts.device = "cpu";
        opts.threads = 1;
        ASSERT_EQ(moco_context_create(&opts, &ctx_), MOCO_OK) << moco_last_error();
    }
    void TearDown() override { moco_context_destroy(ctx_); }

    moco_context* ctx_ = nullptr;
};

// The words a message lacks (empty when it has them all).
inline std::string missing_words(const std::string& message,
                                 std::initializer_list<const char*> words) {
    std::string missing;
    for (const char* word : words) {
        if (message.find(word) == std::string::npos) missing += std::string(" \"") + word + "\"";
    }
    return missing;
}

#define EXPECT_MESSAGE_HAS(message, ...)                                                   \
    EXPECT_EQ(::model_test::missing_words((message), {__VA_ARGS__}), "")                   \
        << "message: " << (message)

// Loads `dir`, expecting failure with `status`; returns the message.
inline std::string load_fails(moco_context* ctx, const std::string& dir, moco_status status,
                              const moco_model_options* opts = nullptr) {
    moco_model* model = reinterpret_cast<moco_model*>(0x1);  // must be reset to NULL
    const moco_status got = moco_model_load(ctx, dir.c_str(), opts, &model);
    EXPECT_EQ(got, status) << moco_status_name(got) << ": " << moco_last_error();
    EXPECT_EQ(model, nullptr);
    if (got == MOCO_OK) moco_model_destroy(model);
    return moco_last_error();
}

// Loads `dir`, expecting success; the caller owns the model.
inline moco_model* load_ok(moco_context* ctx, const std::string& dir,
                           const moco_model_options* opts = nullptr) {
    moco_model* model = nullptr;
    const moco_status status = moco_model_load(ctx, dir.c_str(), opts, &model);
    EXPECT_EQ(status, MOCO_OK) << moco_status_name(status) << ": " << moco_last_error();
    return model;
}

inline moco_model_info info_of(const moco_model* model) {
    moco_model_info info{};
    info.struct_size = sizeof(info);
    EXPECT_EQ(moco_model_get_info(model, &info), MOCO_OK) << moco_last_error();
    return info;
}

}  // namespace model_test
