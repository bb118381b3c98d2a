// libFuzzer target: any byte string given to the safetensors header parser must be rejected with
// a message or accepted with every tensor inside the buffer - never a crash, a sanitizer report,
// a hang or a range that escapes. Built and run by tests/model/fuzz/CMakeLists.txt.
#include "safetensors/safetensors_header.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    moco::SafetensorsHeader header;
    std::string error;
    if (!moco::parse_safetensors_header(data, size, &header, &error)) {
        if (error.empty()) __builtin_trap();  // every rejection says why
        return 0;
    }
    for (const auto& entry : header.tensors) {
        const moco::SafetensorsTensor& t = entry.second;
        if (t.begin > t.end || header.data_offset + t.end > size) __builtin_trap();
    }
    return 0;
}
