// The safetensors files of one checkpoint, opened and validated, with every tensor findable by
// name: a single file, or the shards a model.safetensors.index.json names.
#pragma once

#include "moco.h"
#include "safetensors/mapped_file.h"
#include "safetensors/safetensors_header.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace moco {

struct SafetensorsFile {
    std::string path;
    MappedFile bytes;
    SafetensorsHeader header;
};

// Where one tensor lives. Valid as long as the TensorFiles that returned it.
struct TensorLocation {
    const SafetensorsFile* file = nullptr;
    const SafetensorsTensor* tensor = nullptr;

    const uint8_t* data() const {
        return file->bytes.data() + file->header.data_offset + tensor->begin;
    }
};

class TensorFiles {
public:
    // Opens one safetensors file. Errors (recorded as "fn: path: ..."): MOCO_ERR_NOT_FOUND when
    // it does not exist, MOCO_ERR_IO when it cannot be read or its header is malformed.
    moco_status open_file(const char* fn, const std::string& path, bool use_mmap);

    // Opens <directory>/model.safetensors, or else every shard of
    // <directory>/model.safetensors.index.json. MOCO_ERR_NOT_FOUND when neither exists or a shard
    // is missing (named); MOCO_ERR_IO for a malformed index, a shard that cannot be read, a
    // malformed header, or a tensor stored in two shards.
    moco_status open_checkpoint(const char* fn, const std::string& directory, bool use_mmap);

    // The tensor called `name`, or nullptr.
    const TensorLocation* find(const std::string& name) const;

    const std::map<std::string, TensorLocation>& tensors() const { return tensors_; }

    // What was opened, for messages: a file's path, or "the N shards of <index path>".
    const std::string& description() const { return description_; }

private:
    moco_status add_file(const char* fn, const std::string& path, bool use_mmap);

    std::vector<std::unique_ptr<SafetensorsFile>> files_;  // stable addresses for TensorLocation
    std::map<std::string, TensorLocation> tensors_;
    std::string description_;
};

}  // namespace moco
