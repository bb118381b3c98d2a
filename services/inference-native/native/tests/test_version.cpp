// moco_version / moco_version_number / moco_build_info.
#include "moco.h"

#include <gtest/gtest.h>

#include <string>

TEST(Version, MatchesTheCMakeProjectVersion) {
    EXPECT_STREQ(moco_version(), MOCO_TEST_EXPECTED_VERSION);
}

TEST(Version, NumberEncodesMajorMinorPatch) {
    EXPECT_EQ(moco_version_number(),
              MOCO_TEST_VERSION_MAJOR * 1000000 + MOCO_TEST_VERSION_MINOR * 1000 + MOCO_TEST_VERSION_PATCH);
}

TEST(BuildInfo, ReportsWhatWasCompiledIn) {
    const std::string info = moco_build_info();
    EXPECT_EQ(info.rfind("version=" MOCO_TEST_EXPECTED_VERSION "; ", 0), 0u) << info;
    EXPECT_NE(info.find("compiler="), std::string::npos) << info;
    EXPECT_NE(info.find("build_type=" MOCO_TEST_BUILD_TYPE ";"), std::string::npos) << info;
    EXPECT_NE(info.find("simd="), std::string::npos) << info;
#if MOCO_TEST_HAVE_CUDA
    EXPECT_NE(info.find("cuda=on"), std::string::npos) << info;
    EXPECT_EQ(info.find("cuda_archs=none"), std::string::npos) << info;
#else
    EXPECT_NE(info.find("cuda=off"), std::string::npos) << info;
    EXPECT_NE(info.find("cuda_archs=none"), std::string::npos) << info;
#endif
#if MOCO_TEST_HAVE_OPENBLAS
    EXPECT_NE(info.find("openblas=on"), std::string::npos) << info;
#else
    EXPECT_NE(info.find("openblas=off"), std::string::npos) << info;
#endif
}
