// Status codes, their names, and the thread-local last-error message.
#include "moco.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace {

// Makes the calling thread's last error non-empty with a known, harmless failure.
void fail_on_this_thread() {
    ASSERT_EQ(moco_devices(nullptr, 0, nullptr), MOCO_ERR_INVALID_ARGUMENT);
}

}  // namespace

TEST(Status, ValuesAreFrozen) {
    EXPECT_EQ(MOCO_OK, 0);
    EXPECT_EQ(MOCO_ERR_INVALID_ARGUMENT, 1);
    EXPECT_EQ(MOCO_ERR_NOT_FOUND, 2);
    EXPECT_EQ(MOCO_ERR_OUT_OF_MEMORY, 3);
    EXPECT_EQ(MOCO_ERR_NUMERIC, 4);
    EXPECT_EQ(MOCO_ERR_IO, 5);
    EXPECT_EQ(MOCO_ERR_UNIMPLEMENTED, 6);
    EXPECT_EQ(MOCO_ERR_RESOURCE_EXHAUSTED, 7);
    EXPECT_EQ(MOCO_ERR_INTERNAL, 8);
}

TEST(Status, NamesMatchEnumerators) {
    EXPECT_STREQ(moco_status_name(MOCO_OK), "MOCO_OK");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_INVALID_ARGUMENT), "MOCO_ERR_INVALID_ARGUMENT");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_NOT_FOUND), "MOCO_ERR_NOT_FOUND");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_OUT_OF_MEMORY), "MOCO_ERR_OUT_OF_MEMORY");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_NUMERIC), "MOCO_ERR_NUMERIC");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_IO), "MOCO_ERR_IO");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_UNIMPLEMENTED), "MOCO_ERR_UNIMPLEMENTED");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_RESOURCE_EXHAUSTED), "MOCO_ERR_RESOURCE_EXHAUSTED");
    EXPECT_STREQ(moco_status_name(MOCO_ERR_INTERNAL), "MOCO_ERR_INTERNAL");
}

TEST(Status, UnknownValuesHaveAName) {
    EXPECT_STREQ(moco_status_name(static_cast<moco_status>(9)), "MOCO_ERR_UNKNOWN");
    EXPECT_STREQ(moco_status_name(static_cast<moco_status>(-1)), "MOCO_ERR_UNKNOWN");
    EXPECT_STREQ(moco_status_name(static_cast<moco_status>(1 << 20)), "MOCO_ERR_UNKNOWN");
}

TEST(LastError, EmptyOnAFreshThread) {
    std::string seen = "unset";
    std::thread t([&] { seen = moco_last_error(); });
    t.join();
    EXPECT_EQ(seen, "");
}

TEST(LastError, SetByAFailingCall) {
    fail_on_this_thread();
    const std::string message = moco_last_error();
    EXPECT_NE(message.find("moco_devices"), std::string::npos) << message;
    EXPECT_NE(message.find("count"), std::string::npos) << message;
}

TEST(LastError, IsThreadLocal) {
    // Fail on another thread: this thread's message must not change, and vice versa.
    int unused = 0;
    ASSERT_EQ(moco_devices(nullptr, -5, &unused), MOCO_ERR_INVALID_ARGUMENT);
    const std::string mine = moco_last_error();
    ASSERT_NE(mine.find("-5"), std::string::npos) << mine;

    std::string theirs_after_fail;
    std::string theirs_before_fail = "unset";
    std::thread t([&] {
        theirs_before_fail = moco_last_error();  // does not see this thread's failure
        fail_on_this_thread();
        theirs_after_fail = moco_last_error();
    });
    t.join();

    EXPECT_EQ(theirs_before_fail, "");
    EXPECT_NE(theirs_after_fail.find("count is NULL"), std::string::npos) << theirs_after_fail;
    EXPECT_EQ(std::string(moco_last_error()), mine);
}

TEST(LastError, NotClearedBySuccess) {
    fail_on_this_thread();
    const std::string before = moco_last_error();
    int count = 0;
    ASSERT_EQ(moco_devices(nullptr, 0, &count), MOCO_OK);
    EXPECT_EQ(std::string(moco_last_error()), before);
}

TEST(LastError, NeverNull) {
    EXPECT_NE(moco_last_error(), nullptr);
}
