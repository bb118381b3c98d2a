// A whole file's bytes, read-only: memory-mapped (POSIX mmap) or read into an owned buffer.
#pragma once

#include "moco.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace moco {

class MappedFile {
public:
    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    // Maps `path` (use_mmap) or reads it whole into memory. Windows builds always read. On failure
    // records "fn: path: ..." as the last error and returns MOCO_ERR_NOT_FOUND (no such file) or
    // MOCO_ERR_IO (anything else: not a regular file, unreadable, mmap failed).
    static moco_status open(const char* fn, const std::string& path, bool use_mmap,
                            MappedFile* out);

    const uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }

private:
    void release() noexcept;

    const uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool mapped_ = false;              // data_ comes from mmap and must be munmap'ed
    std::unique_ptr<uint8_t[]> owned_; // the buffer when read
};

// Reads a small text file (config.json, adapter_config.json, an index) whole. Same errors as
// MappedFile::open.
moco_status read_text_file(const char* fn, const std::string& path, std::string* out);

}  // namespace moco
