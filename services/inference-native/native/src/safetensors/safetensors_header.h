// The safetensors header: an 8-byte little-endian length N, N bytes of JSON describing every
// tensor (dtype, shape, byte range in the data section), then the data section. The parser is a
// pure function over the file's bytes so the fuzzer (tests/model/fuzz_safetensors_header.cpp) can
// drive it; it depends on nothing of libmoco but the standard library and nlohmann/json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moco {

// Headers longer than this are rejected before parsing: the reference implementation's limit, far
// above any real checkpoint (a 1000-tensor header is about 100 KB).
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsTensor {
    std::string dtype;           // as written in the header: "F32", "BF16", "I8", ...
    std::vector<int64_t> shape;  // may be empty (a scalar)
    uint64_t begin = 0;          // byte range [begin, end) relative to the data section
    uint64_t end = 0;
};

struct SafetensorsHeader {
    uint64_t data_offset = 0;    // where the data section starts in the file: 8 + N
    std::map<std::string, SafetensorsTensor> tensors;
    std::map<std::string, std::string> metadata;  // "__metadata__"'s string entries (the format's only kind)
};

// Bytes per element of a safetensors dtype string; 0 for a string the format does not define.
std::size_t safetensors_element_size(const std::string& dtype);

// Parses and validates the header of a whole safetensors file held in `bytes` (`size` bytes):
// header length within the file, JSON object of tensor entries (plus an optional "__metadata__"
// object), known dtypes, byte ranges inside the data section, sizes equal to numel * element size,
// and no two tensors sharing a byte. On failure returns false and says what is wrong in *error
// (one sentence without the file name, which the caller adds). Never throws except std::bad_alloc.
bool parse_safetensors_header(const uint8_t* bytes, std::size_t size, SafetensorsHeader* out,
                              std::string* error);

}  // namespace moco
