// The pure safetensors header parser (white-box): what it accepts, each rejection's message, and
// that no truncation or corruption of a valid file makes it crash or accept garbage.
#include "safetensors/safetensors_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using moco::parse_safetensors_header;
using moco::SafetensorsHeader;

std::vector<uint8_t> file_of(const std::string& header, std::size_t data_bytes) {
    std::vector<uint8_t> bytes(8 + header.size() + data_bytes, 0);
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
    }
    std::memcpy(bytes.data() + 8, header.data(), header.size());
    return bytes;
}

// Parses and returns the error ("" on success).
std::string error_of(const std::vector<uint8_t>& bytes, SafetensorsHeader* out = nullptr) {
    SafetensorsHeader header;
    std::string error;
    const bool ok = parse_safetensors_header(bytes.data(), bytes.size(), out ? out : &header, &error);
    EXPECT_EQ(ok, error.empty()) << error;
    return error;
}

const char* kValid =
    R"({"__metadata__": {"format": "pt"},
        "w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]},
        "b": {"dtype": "F32", "shape": [3], "data_offsets": [12, 24]},
        "s": {"dtype": "F64", "shape": [], "data_offsets": [24, 32]},
        "z": {"dtype": "F16", "shape": [0, 5], "data_offsets": [32, 32]}})";

TEST(SafetensorsHeader, ParsesEveryField) {
    SafetensorsHeader h;
    const std::string header = kValid;
    ASSERT_EQ(error_of(file_of(header, 32), &h), "");
    EXPECT_EQ(h.data_offset, 8 + header.size());
    ASSERT_EQ(h.tensors.size(), 4u);
    EXPECT_EQ(h.tensors.at("w").dtype, "BF16");
    EXPECT_EQ(h.tensors.at("w").shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(h.tensors.at("b").begin, 12u);
    EXPECT_EQ(h.tensors.at("b").end, 24u);
    EXPECT_TRUE(h.tensors.at("s").shape.empty());
    EXPECT_EQ(h.tensors.at("z").shape, (std::vector<int64_t>{0, 5}));
}

TEST(SafetensorsHeader, AcceptsEmptyHeaderAndTrailingData) {
    EXPECT_EQ(error_of(file_of("{}", 0)), "");
    EXPECT_EQ(error_of(file_of("{}   ", 100)), "");  // padding spaces, unreferenced bytes
}

TEST(SafetensorsHeader, ElementSizes) {
    EXPECT_EQ(moco::safetensors_element_size("F32"), 4u);
    EXPECT_EQ(moco::safetensors_element_size("BF16"), 2u);
    EXPECT_EQ(moco::safetensors_element_size("I8"), 1u);
    EXPECT_EQ(moco::safetensors_element_size("F64"), 8u);
    EXPECT_EQ(moco::safetensors_element_size("f32"), 0u);
    EXPECT_EQ(moco::safetensors_element_size(""), 0u);
}

struct Rejection {
    const char* header;
    std::size_t data_bytes;
    const char* words;
};

class SafetensorsRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(SafetensorsRejects, WithAMessageNamingTheProblem) {
    const Rejection& r = GetParam();
    const std::string error = error_of(file_of(r.header, r.data_bytes));
    EXPECT_NE(error.find(r.words), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Header, SafetensorsRejects,
    ::testing::Values(
        Rejection{"[1, 2]", 0, "the header is [1,2], not an object"},
        Rejection{"{\"a\": ", 0, "not valid JSON"},
        Rejection{"{\"a\": 5}", 0, "not by an object"},
        Rejection{R"({"__metadata__": [1]})", 0, "\"__metadata__\" is [1]"},
        Rejection{R"({"a": {"shape": [1], "data_offsets": [0, 4]}})", 4, "lacks \"dtype\""},
        Rejection{R"({"a": {"dtype": "F32", "data_offsets": [0, 4]}})", 4, "lacks \"shape\""},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1]}})", 4, "lacks \"data_offsets\""},
        Rejection{R"({"a": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})", 4, "not a string"},
        Rejection{R"({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}})", 4,
                  "\"X9\", which the safetensors format does not define"},
        Rejection{R"({"a": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4,
                  "not an array"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4,
                  "non-negative integers"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4,
                  "non-negative integers"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4,
                  "two non-negative integers"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0.0, 4]}})", 4,
                  "two non-negative integers"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8,
                  "begin is after end"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 3,
                  "beyond the 3-byte data section"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 4,
                  "spans 4 bytes but its shape needs 8 bytes"},
        Rejection{R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296],
                            "data_offsets": [0, 4]}})",
                  4, "needs more than 2^64 bytes"},
        Rejection{R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                      "b": {"dtype": "U8", "shape": [4], "data_offsets": [3, 7]}})",
                  8, "overlap"}));

TEST(SafetensorsHeader, RejectsBadLengthFields) {
    std::string error = error_of(std::vector<uint8_t>{1, 2, 3});
    EXPECT_NE(error.find("3 bytes, shorter than the 8-byte header length"), std::string::npos);

    std::vector<uint8_t> bytes = file_of("{}", 0);
    bytes[0] = 3;  // says 3 bytes of header, 2 follow
    error = error_of(bytes);
    EXPECT_NE(error.find("says 3 bytes but only 2 follow"), std::string::npos) << error;

    bytes = file_of("{}", 0);
    bytes[7] = 0x80;  // 2^63 + 2
    error = error_of(bytes);
    EXPECT_NE(error.find("more than the 100000000"), std::string::npos) << error;
}

// dump() recurses; messages about deeply nested values must not (a crafted header could nest
// millions of levels and overflow the stack).
TEST(SafetensorsHeader, DeepNestingIsRejectedWithoutRecursion) {
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    EXPECT_NE(error_of(file_of(deep, 0)).find("the header is an array of 1 item(s)"),
              std::string::npos);
    EXPECT_NE(error_of(file_of("{\"a\": " + deep + "}", 0)).find("described by an array"),
              std::string::npos);
}

// Every proper prefix of a valid file is rejected, and none crashes.
TEST(SafetensorsHeader, EveryTruncationIsRejected) {
    const std::vector<uint8_t> bytes = file_of(kValid, 32);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        SafetensorsHeader h;
        std::string error;
        EXPECT_FALSE(parse_safetensors_header(bytes.data(), n, &h, &error)) << n;
        EXPECT_FALSE(error.empty()) << n;
    }
}

// Random corruption (a deterministic miniature of the libFuzzer target): whatever the result,
// an accepted header's ranges lie inside the buffer.
TEST(SafetensorsHeader, RandomCorruptionNeverEscapesTheBuffer) {
    const std::vector<uint8_t> valid = file_of(kValid, 32);
    std::mt19937_64 rng(42);
    for (int iteration = 0; iteration < 20000; ++iteration) {
        std::vector<uint8_t> bytes = valid;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
        }
        bytes.resize(bytes.size() - rng() % 8);
        SafetensorsHeader h;
        std::string error;
        if (parse_safetensors_header(bytes.data(), bytes.size(), &h, &error)) {
            for (const auto& [name, t] : h.tensors) {
                ASSERT_LE(t.begin, t.end) << name;
                ASSERT_LE(h.data_offset + t.end, bytes.size()) << name;
            }
        } else {
            ASSERT_FALSE(error.empty());
        }
    }
}

}  // namespace
