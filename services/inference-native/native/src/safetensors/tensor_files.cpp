// Opening a checkpoint's safetensors files. A sharded checkpoint's index only says which files
// exist; every tensor is then found through the shards' own headers, as transformers does.
#include "safetensors/tensor_files.h"

#include "common.h"
#include "safetensors/json_excerpt.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <system_error>

namespace moco {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_file(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// A shard name from an index must stay inside the model directory.
bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of("/\\") == std::string::npos;
}

// The shard file names of an index's weight_map ({"weight_map": {tensor: file}}), sorted, once
// each. Records the error (MOCO_ERR_IO) and returns false when the index is malformed.
bool read_shard_names(const char* fn, const std::string& index_path, const std::string& text,
                      std::set<std::string>* shards) {
    const json index = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (index.is_discarded() || !index.is_object()) {
        set_error(MOCO_ERR_IO, "%s: %s is not a JSON object; the index is corrupt, re-download it",
                  fn, index_path.c_str());
        return false;
    }
    const auto map = index.find("weight_map");
    if (map == index.end() || !map->is_object() || map->empty()) {
        set_error(MOCO_ERR_IO, "%s: %s has no \"weight_map\" object naming the shard of each "
                               "tensor; the index is corrupt, re-download it",
                  fn, index_path.c_str());
        return false;
    }
    for (const auto& [tensor, file] : map->items()) {
        if (!file.is_string() || !is_plain_file_name(file.get<std::string>())) {
            set_error(MOCO_ERR_IO, "%s: %s maps tensor \"%.200s\" to %.100s; shards must be plain "
                                   "file names in the model directory",
                      fn, index_path.c_str(), tensor.c_str(),
                      json_excerpt(file).c_str());
            return false;
        }
        shards->insert(file.get<std::string>());
    }
    return true;
}

}  // namespace

moco_status TensorFiles::add_file(const char* fn, const std::string& path, bool use_mmap) {
    auto file = std::make_unique<SafetensorsFile>();
    file->path = path;
    moco_status status = MappedFile::open(fn, path, use_mmap, &file->bytes);
    if (status != MOCO_OK) {
        return status;
    }
    std::string error;
    if (!parse_safetensors_header(file->bytes.data(), file->bytes.size(), &file->header, &error)) {
        return set_error(MOCO_ERR_IO, "%s: %s is not a valid safetensors file: %s; re-download or "
                                      "re-save the checkpoint",
                         fn, path.c_str(), error.c_str());
    }
    for (const auto& [name, tensor] : file->header.tensors) {
        const auto [it, inserted] = tensors_.emplace(name, TensorLocation{file.get(), &tensor});
        if (!inserted) {
            return set_error(MOCO_ERR_IO, "%s: tensor \"%.200s\" is stored in both %s and %s; the "
                                          "checkpoint's shards are inconsistent, re-download it",
                             fn, name.c_str(), it->second.file->path.c_str(), path.c_str());
        }
    }
    files_.push_back(std::move(file));
    return MOCO_OK;
}

moco_status TensorFiles::open_file(const char* fn, const std::string& path, bool use_mmap) {
    description_ = path;
    return add_file(fn, path, use_mmap);
}

moco_status TensorFiles::open_checkpoint(const char* fn, const std::string& directory,
                                         bool use_mmap) {
    const std::string single = (fs::path(directory) / "model.safetensors").string();
    if (is_file(single)) {
        return open_file(fn, single, use_mmap);
    }
    const std::string index_path = (fs::path(directory) / "model.safetensors.index.json").string();
    if (!is_file(index_path)) {
        const bool has_bin = is_file((fs::path(directory) / "pytorch_model.bin").string()) ||
                             is_file((fs::path(directory) / "pytorch_model.bin.index.json").string());
        return set_error(MOCO_ERR_NOT_FOUND, "%s: %s has neither model.safetensors nor "
                                             "model.safetensors.index.json; %s",
                         fn, directory.c_str(),
                         has_bin ? "it holds PyTorch weights (pytorch_model.bin), which libmoco does not read: "
                                   "convert them with transformers' save_pretrained(..., "
                                   "safe_serialization=True)"
                                 : "point at a Hugging Face model directory with safetensors "
                                   "weights");
    }

    std::string text;
    moco_status status = read_text_file(fn, index_path, &text);
    if (status != MOCO_OK) {
        return status;
    }
    std::set<std::string> shards;
    if (!read_shard_names(fn, index_path, text, &shards)) {
        return MOCO_ERR_IO;
    }
    for (const std::string& shard : shards) {
        const std::string path = (fs::path(directory) / shard).string();
        if (!is_file(path)) {
            return set_error(MOCO_ERR_NOT_FOUND, "%s: shard %s named by %s is missing from %s; the "
                                                 "download is incomplete, fetch every shard",
                             fn, shard.c_str(), index_path.c_str(), directory.c_str());
        }
        status = add_file(fn, path, use_mmap);
        if (status != MOCO_OK) {
            return status;
        }
    }
    description_ = "the " + std::to_string(shards.size()) + " shards of " + index_path;
    return MOCO_OK;
}

const TensorLocation* TensorFiles::find(const std::string& name) const {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace moco
