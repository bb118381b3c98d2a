#include "train/safetensors_out.h"

#include "common.h"
#include "kernels/dtype_convert.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace moco::train {
namespace {

const char* dtype_string(int dtype) {
    return dtype == MOCO_DTYPE_F32 ? "F32" : dtype == MOCO_DTYPE_BF16 ? "BF16" : "F16";
}

}  // namespace

moco_status write_safetensors(const char* fn, const std::string& path, const std::vector<OutTensor>& tensors,
                              int dtype, const std::vector<std::pair<std::string, std::string>>& metadata) {
    const size_t elem = kernels::dtype_bytes(dtype);
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    for (const auto& [key, value] : metadata) header["__metadata__"][key] = value;
    size_t offset = 0;
    for (const OutTensor& t : tensors) {
        size_t numel = 1;
        for (int64_t d : t.shape) numel *= static_cast<size_t>(d);
        header[t.name] = {{"dtype", dtype_string(dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + numel * elem}}};
        offset += numel * elem;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    uint64_t length = text.size();
    unsigned char length_bytes[8];
    for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(length >> (8 * i));
    out.write(reinterpret_cast<const char*>(length_bytes), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::vector<unsigned char> buffer;
    for (const OutTensor& t : tensors) {
        size_t numel = 1;
        for (int64_t d : t.shape) numel *= static_cast<size_t>(d);
        buffer.resize(numel * elem);
        kernels::store_f32(t.values, numel, dtype, buffer.data());
        out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
    }
    out.close();
    if (!out) {
        return set_error(MOCO_ERR_IO, "%s: cannot write %s; check the directory's permissions and free space",
                         fn, path.c_str());
    }
    return MOCO_OK;
}

}  // namespace moco::train
