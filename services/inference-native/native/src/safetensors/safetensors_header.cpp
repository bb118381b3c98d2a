// Parsing and validation of a safetensors header (format: github.com/huggingface/safetensors).
// Every check here guards a later read: once this returns true, each tensor's bytes lie inside the
// buffer, so binding a tensor never reads out of bounds whatever the file contains.
#include "safetensors/safetensors_header.h"

#include "common.h"
#include "safetensors/json_excerpt.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <limits>

namespace moco {
namespace {

using nlohmann::json;

std::string format(const char* fmt, ...) MOCO_PRINTF_FORMAT(1, 2);

std::string format(const char* fmt, ...) {
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof(buffer), fmt, args);
    va_end(args);
    return buffer;
}

bool fail(std::string* error, std::string message) {
    *error = std::move(message);
    return false;
}

// Reads one tensor entry {"dtype": ..., "shape": [...], "data_offsets": [begin, end]}.
bool parse_entry(const std::string& name, const json& entry, uint64_t data_size,
                 SafetensorsTensor* out, std::string* error) {
    const char* n = name.c_str();
    if (!entry.is_object()) {
        return fail(error, format("tensor \"%.200s\" is described by %s, not by an object with "
                                  "dtype, shape and data_offsets",
                                  n, json_excerpt(entry).c_str()));
    }
    const auto dtype = entry.find("dtype");
    const auto shape = entry.find("shape");
    const auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || shape == entry.end() || offsets == entry.end()) {
        return fail(error, format("tensor \"%.200s\" lacks \"%s\"", n,
                                  dtype == entry.end() ? "dtype"
                                  : shape == entry.end() ? "shape"
                                                         : "data_offsets"));
    }
    if (!dtype->is_string()) {
        return fail(error, format("tensor \"%.200s\" has dtype %s, not a string", n,
                                  json_excerpt(*dtype).c_str()));
    }
    out->dtype = dtype->get<std::string>();
    const std::size_t element_size = safetensors_element_size(out->dtype);
    if (element_size == 0) {
        return fail(error, format("tensor \"%.200s\" has dtype \"%.40s\", which the safetensors "
                                  "format does not define",
                                  n, out->dtype.c_str()));
    }

    if (!shape->is_array()) {
        return fail(error, format("tensor \"%.200s\" has shape %s, not an array", n,
                                  json_excerpt(*shape).c_str()));
    }
    // numel * element_size must equal the byte range; a product beyond 64 bits is wrong whatever
    // the range, so stop multiplying before it could overflow.
    uint64_t bytes = element_size;
    bool overflow = false;
    bool empty = false;
    out->shape.clear();
    for (const json& dim : *shape) {
        if (!dim.is_number_unsigned() ||
            dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return fail(error, format("tensor \"%.200s\" has shape %s; dimensions must be "
                                      "non-negative integers",
                                      n, json_excerpt(*shape).c_str()));
        }
        const uint64_t d = dim.get<uint64_t>();
        out->shape.push_back(static_cast<int64_t>(d));
        if (d == 0) {
            empty = true;
        } else if (!overflow) {
            overflow = bytes > std::numeric_limits<uint64_t>::max() / d;
            bytes = overflow ? bytes : bytes * d;
        }
    }
    if (empty) {
        bytes = 0;
        overflow = false;
    }

    if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned()) {
        return fail(error, format("tensor \"%.200s\" has data_offsets %s; they must be two "
                                  "non-negative integers [begin, end]",
                                  n, json_excerpt(*offsets).c_str()));
    }
    out->begin = (*offsets)[0].get<uint64_t>();
    out->end = (*offsets)[1].get<uint64_t>();
    if (out->begin > out->end) {
        return fail(error, format("tensor \"%.200s\" has data_offsets [%llu, %llu]: begin is after "
                                  "end",
                                  n, static_cast<unsigned long long>(out->begin),
                                  static_cast<unsigned long long>(out->end)));
    }
    if (out->end > data_size) {
        return fail(error, format("tensor \"%.200s\" has data_offsets [%llu, %llu] beyond the "
                                  "%llu-byte data section (truncated file or corrupt header)",
                                  n, static_cast<unsigned long long>(out->begin),
                                  static_cast<unsigned long long>(out->end),
                                  static_cast<unsigned long long>(data_size)));
    }
    if (overflow || bytes != out->end - out->begin) {
        return fail(error, format("tensor \"%.200s\" (%.40s, shape %s) spans %llu bytes but its "
                                  "shape needs %s bytes",
                                  n, out->dtype.c_str(), json_excerpt(*shape).c_str(),
                                  static_cast<unsigned long long>(out->end - out->begin),
                                  overflow ? "more than 2^64" : std::to_string(bytes).c_str()));
    }
    return true;
}

// No byte may belong to two tensors (a crafted file could otherwise alias weights).
bool check_no_overlap(const SafetensorsHeader& header, std::string* error) {
    std::vector<const std::pair<const std::string, SafetensorsTensor>*> ranges;
    for (const auto& entry : header.tensors) {
        if (entry.second.end > entry.second.begin) {
            ranges.push_back(&entry);
        }
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const auto* a, const auto* b) { return a->second.begin < b->second.begin; });
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        const auto& prev = *ranges[i - 1];
        const auto& next = *ranges[i];
        if (next.second.begin < prev.second.end) {
            return fail(error, format("tensors \"%.200s\" [%llu, %llu) and \"%.200s\" [%llu, %llu) "
                                      "overlap",
                                      prev.first.c_str(),
                                      static_cast<unsigned long long>(prev.second.begin),
                                      static_cast<unsigned long long>(prev.second.end),
                                      next.first.c_str(),
                                      static_cast<unsigned long long>(next.second.begin),
                                      static_cast<unsigned long long>(next.second.end)));
        }
    }
    return true;
}

}  // namespace

std::size_t safetensors_element_size(const std::string& dtype) {
    static const std::pair<const char*, std::size_t> kSizes[] = {
        {"F64", 8}, {"I64", 8}, {"U64", 8}, {"F32", 4}, {"I32", 4}, {"U32", 4},
        {"F16", 2}, {"BF16", 2}, {"I16", 2}, {"U16", 2}, {"I8", 1}, {"U8", 1},
        {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"F8_E8M0", 1}};
    for (const auto& [name, size] : kSizes) {
        if (dtype == name) {
            return size;
        }
    }
    return 0;
}

bool parse_safetensors_header(const uint8_t* bytes, std::size_t size, SafetensorsHeader* out,
                              std::string* error) {
    if (size < 8) {
        return fail(error, format("the file is %zu bytes, shorter than the 8-byte header length "
                                  "every safetensors file starts with (truncated or empty file)",
                                  size));
    }
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) {
        header_size = (header_size << 8) | bytes[i];
    }
    if (header_size > kMaxSafetensorsHeaderBytes) {
        return fail(error, format("the header length field says %llu bytes, more than the %llu a "
                                  "safetensors header may have (not a safetensors file, or corrupt)",
                                  static_cast<unsigned long long>(header_size),
                                  static_cast<unsigned long long>(kMaxSafetensorsHeaderBytes)));
    }
    if (header_size > size - 8) {
        return fail(error, format("the header length field says %llu bytes but only %zu follow it "
                                  "(truncated file)",
                                  static_cast<unsigned long long>(header_size), size - 8));
    }

    const char* text = reinterpret_cast<const char*>(bytes) + 8;
    const json header = json::parse(text, text + header_size, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) {
        return fail(error, format("the %llu-byte header is not valid JSON (corrupt file)",
                                  static_cast<unsigned long long>(header_size)));
    }
    if (!header.is_object()) {
        return fail(error, format("the header is %s, not an object of tensors",
                                  json_excerpt(header).c_str()));
    }

    out->data_offset = 8 + header_size;
    out->tensors.clear();
    out->metadata.clear();
    const uint64_t data_size = size - out->data_offset;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) {
                return fail(error, format("\"__metadata__\" is %s, not an object",
                                          json_excerpt(entry).c_str()));
            }
            for (const auto& [key, value] : entry.items()) {
                if (value.is_string()) out->metadata.emplace(key, value.get<std::string>());
            }
            continue;
        }
        SafetensorsTensor tensor;
        if (!parse_entry(name, entry, data_size, &tensor, error)) {
            return false;
        }
        out->tensors.emplace(name, std::move(tensor));
    }
    return check_no_overlap(*out, error);
}

}  // namespace moco
