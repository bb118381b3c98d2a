// Internal helpers shared by every translation unit of libmoco: error reporting and the exception
// firewall that keeps C++ exceptions from crossing the C ABI. Not part of the public API.
#pragma once

#include "moco.h"

#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__GNUC__) || defined(__clang__)
#    define MOCO_PRINTF_FORMAT(fmt_index, first_arg) \
        __attribute__((format(printf, fmt_index, first_arg)))
#else
#    define MOCO_PRINTF_FORMAT(fmt_index, first_arg)
#endif

namespace moco {

// Records a printf-formatted message as this thread's last error and returns `status`, so a
// failing path reads `return set_error(MOCO_ERR_..., "fn: what is wrong; how to fix it", ...);`.
// Never allocates and never throws (the buffer is a fixed thread-local array; long messages are
// truncated).
moco_status set_error(moco_status status, const char* fmt, ...) noexcept MOCO_PRINTF_FORMAT(2, 3);

// An error that already knows its status and message (a backend's, e.g. a failed GPU allocation:
// MOCO_ERR_OUT_OF_MEMORY), thrown where the code between it and the C ABI cannot return a status.
class StatusError : public std::runtime_error {
public:
    StatusError(moco_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    moco_status status() const { return status_; }

private:
    moco_status status_;
};

// Runs `body` (a callable returning moco_status) and converts any escaping C++ exception into a
// status: StatusError -> its status and message, std::bad_alloc -> MOCO_ERR_OUT_OF_MEMORY,
// anything else -> MOCO_ERR_INTERNAL. Every exported function that can fail wraps its body in this.
template <class Body>
moco_status guard(const char* function, Body&& body) noexcept {
    try {
        return body();
    } catch (const StatusError& e) {
        return set_error(e.status(), "%s: %s", function, e.what());
    } catch (const std::bad_alloc&) {
        return set_error(MOCO_ERR_OUT_OF_MEMORY, "%s: out of host memory", function);
    } catch (const std::exception& e) {
        return set_error(MOCO_ERR_INTERNAL, "%s: internal error: %s (a libmoco bug; please report it)",
                         function, e.what());
    } catch (...) {
        return set_error(MOCO_ERR_INTERNAL,
                         "%s: internal error: unknown exception (a libmoco bug; please report it)",
                         function);
    }
}

// Copies a NUL-terminated string into a fixed char array, truncating and always terminating.
template <std::size_t N>
void copy_string(char (&dst)[N], const char* src) noexcept {
    static_assert(N > 0, "destination must hold at least the terminator");
    std::size_t n = 0;
    if (src != nullptr) {
        for (; n + 1 < N && src[n] != '\0'; ++n) {
            dst[n] = src[n];
        }
    }
    std::memset(dst + n, 0, N - n);
}

}  // namespace moco
