// MappedFile: mmap where the platform has it (the weights then cost no copy and load lazily from
// the page cache), a plain read otherwise or on request (use_mmap = 0).
#include "safetensors/mapped_file.h"

#include "common.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#if !defined(_WIN32)
#    include <fcntl.h>
#    include <sys/mman.h>
#    include <sys/stat.h>
#    include <unistd.h>
#endif

namespace moco {
namespace {

moco_status open_failed(const char* fn, const std::string& path, int err) {
    if (err == ENOENT) {
        return set_error(MOCO_ERR_NOT_FOUND, "%s: %s does not exist; check the path", fn,
                         path.c_str());
    }
    return set_error(MOCO_ERR_IO, "%s: cannot open %s: %s; check that it is a readable file", fn,
                     path.c_str(), std::strerror(err));
}

// Reads the whole file into `buffer`. Portable (stdio) so Windows builds load too.
moco_status read_whole(const char* fn, const std::string& path, std::unique_ptr<uint8_t[]>* buffer,
                       std::size_t* size) {
    // Checked first: fopen succeeds on a directory, whose "size" can be huge.
    std::error_code ec;
    const auto type = std::filesystem::status(path, ec).type();
    if (type == std::filesystem::file_type::not_found) {
        return open_failed(fn, path, ENOENT);
    }
    if (type != std::filesystem::file_type::regular) {
        return set_error(MOCO_ERR_IO, "%s: %s is not a regular file%s%s", fn, path.c_str(),
                         ec ? ": " : "", ec ? ec.message().c_str() : "");
    }
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        return open_failed(fn, path, errno);
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, &std::fclose);
    long long length = -1;
    if (std::fseek(file, 0, SEEK_END) == 0) {
        length = std::ftell(file);
    }
    if (length < 0 || std::fseek(file, 0, SEEK_SET) != 0) {
        return set_error(MOCO_ERR_IO, "%s: cannot read %s: seeking in it failed", fn,
                         path.c_str());
    }
    *size = static_cast<std::size_t>(length);
    buffer->reset(new uint8_t[*size == 0 ? 1 : *size]);
    if (std::fread(buffer->get(), 1, *size, file) != *size) {
        return set_error(MOCO_ERR_IO, "%s: reading %s failed after fewer than its %zu bytes (was it "
                                      "changed while loading?)",
                         fn, path.c_str(), *size);
    }
    return MOCO_OK;
}

}  // namespace

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, false);
        owned_ = std::move(other.owned_);
    }
    return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() noexcept {
#if !defined(_WIN32)
    if (mapped_) {
        munmap(const_cast<uint8_t*>(data_), size_);
    }
#endif
    owned_.reset();
    data_ = nullptr;
    size_ = 0;
    mapped_ = false;
}

moco_status MappedFile::open(const char* fn, const std::string& path, bool use_mmap,
                             MappedFile* out) {
    MappedFile file;
#if !defined(_WIN32)
    if (use_mmap) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return open_failed(fn, path, errno);
        }
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            return set_error(MOCO_ERR_IO, "%s: %s is not a regular file", fn, path.c_str());
        }
        file.size_ = static_cast<std::size_t>(st.st_size);
        // mmap rejects length 0; an empty file keeps data_ == nullptr and fails header parsing.
        if (file.size_ > 0) {
            void* p = mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
            const int err = errno;
            ::close(fd);  // the mapping keeps the file alive
            if (p == MAP_FAILED) {
                return set_error(MOCO_ERR_IO, "%s: cannot map %s (%zu bytes): %s; retry with "
                                              "moco_model_options.use_mmap = 0",
                                 fn, path.c_str(), file.size_, std::strerror(err));
            }
            file.data_ = static_cast<const uint8_t*>(p);
            file.mapped_ = true;
        } else {
            ::close(fd);
        }
        *out = std::move(file);
        return MOCO_OK;
    }
#else
    (void)use_mmap;
#endif
    const moco_status status = read_whole(fn, path, &file.owned_, &file.size_);
    if (status != MOCO_OK) {
        return status;
    }
    file.data_ = file.owned_.get();
    *out = std::move(file);
    return MOCO_OK;
}

moco_status read_text_file(const char* fn, const std::string& path, std::string* out) {
    std::unique_ptr<uint8_t[]> buffer;
    std::size_t size = 0;
    const moco_status status = read_whole(fn, path, &buffer, &size);
    if (status == MOCO_OK) {
        out->assign(reinterpret_cast<const char*>(buffer.get()), size);
    }
    return status;
}

}  // namespace moco
