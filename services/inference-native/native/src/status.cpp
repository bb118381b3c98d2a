// Status names and the thread-local last-error message.
#include "common.h"

#include <cstdarg>
#include <cstdio>

namespace moco {
namespace {

// One message per thread. A fixed array (not std::string) so that recording an error can never
// allocate or throw, even while handling std::bad_alloc.
constexpr std::size_t kLastErrorSize = 2048;
thread_local char t_last_error[kLastErrorSize] = {0};

}  // namespace

moco_status set_error(moco_status status, const char* fmt, ...) noexcept {
    va_list args;
    va_start(args, fmt);
    const int written = std::vsnprintf(t_last_error, kLastErrorSize, fmt, args);
    va_end(args);
    if (written < 0) {
        copy_string(t_last_error, "(libmoco could not format this error message)");
    }
    return status;
}

}  // namespace moco

// The values are part of the ABI: a compile-time check that nobody renumbers them.
static_assert(MOCO_OK == 0 && MOCO_ERR_INVALID_ARGUMENT == 1 && MOCO_ERR_NOT_FOUND == 2 &&
                  MOCO_ERR_OUT_OF_MEMORY == 3 && MOCO_ERR_NUMERIC == 4 && MOCO_ERR_IO == 5 &&
                  MOCO_ERR_UNIMPLEMENTED == 6 && MOCO_ERR_RESOURCE_EXHAUSTED == 7 &&
                  MOCO_ERR_INTERNAL == 8,
              "moco_status values are frozen");
static_assert(sizeof(moco_status) == sizeof(int), "moco_status must be int-sized");

extern "C" {

const char* moco_status_name(moco_status status) {
    // Switch on the int: callers may pass any value, including ones this build does not know.
    switch (static_cast<int>(status)) {
        case MOCO_OK: return "MOCO_OK";
        case MOCO_ERR_INVALID_ARGUMENT: return "MOCO_ERR_INVALID_ARGUMENT";
        case MOCO_ERR_NOT_FOUND: return "MOCO_ERR_NOT_FOUND";
        case MOCO_ERR_OUT_OF_MEMORY: return "MOCO_ERR_OUT_OF_MEMORY";
        case MOCO_ERR_NUMERIC: return "MOCO_ERR_NUMERIC";
        case MOCO_ERR_IO: return "MOCO_ERR_IO";
        case MOCO_ERR_UNIMPLEMENTED: return "MOCO_ERR_UNIMPLEMENTED";
        case MOCO_ERR_RESOURCE_EXHAUSTED: return "MOCO_ERR_RESOURCE_EXHAUSTED";
        case MOCO_ERR_INTERNAL: return "MOCO_ERR_INTERNAL";
    }
    return "MOCO_ERR_UNKNOWN";
}

const char* moco_last_error(void) {
    return moco::t_last_error;
}

}  // extern "C"
