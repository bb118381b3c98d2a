// moco_context: creation (option validation, device resolution), accessors and destruction. The
// pattern here - validate everything, allocate last, hand ownership out through an out pointer,
// NULL-safe destroy - is the one every later handle follows.
#include "context.h"

#include "common.h"
#include "cpu/cpu_device.h"
#include "devices.h"
#include "moco_config.h"

#include <cstddef>
#include <cstring>
#include <memory>

namespace {

// The first published layout ends after `threads`: callers compiled against it pass at least this.
constexpr int kContextOptionsV1Size =
    static_cast<int>(offsetof(moco_context_options, threads) + sizeof(int));

struct ResolvedDevice {
    std::string name;
    moco_device_kind kind = MOCO_DEVICE_CPU;
    int cuda_index = -1;
};

// Parses the N of "cuda:N": 1 to 6 decimal digits, nothing else. -1 when malformed.
int parse_cuda_index(const char* digits) {
    int value = 0;
    int n = 0;
    for (; digits[n] != '\0'; ++n) {
        if (n >= 6 || digits[n] < '0' || digits[n] > '9') {
            return -1;
        }
        value = value * 10 + (digits[n] - '0');
    }
    return n == 0 ? -1 : value;
}

moco_status resolve_device(const char* requested, ResolvedDevice* out) {
    const char* device = requested != nullptr ? requested : "auto";
    const int cuda_count = moco::cuda_device_count();

    if (std::strcmp(device, "auto") == 0) {
        if (cuda_count > 0) {
            *out = {"cuda:0", MOCO_DEVICE_CUDA, 0};
        } else {
            *out = {"cpu", MOCO_DEVICE_CPU, -1};
        }
        return MOCO_OK;
    }
    if (std::strcmp(device, "cpu") == 0) {
        *out = {"cpu", MOCO_DEVICE_CPU, -1};
        return MOCO_OK;
    }
    const int index = std::strncmp(device, "cuda:", 5) == 0 ? parse_cuda_index(device + 5) : -1;
    if (index < 0) {
        return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                               "moco_context_create: unknown device \"%.64s\"; valid devices: %s "
                               "(options.device; NULL means auto)",
                               device, moco::valid_device_list().c_str());
    }
    if (!MOCO_HAVE_CUDA) {
        return moco::set_error(MOCO_ERR_UNIMPLEMENTED,
                               "moco_context_create: device \"%.64s\" requested but CUDA support not "
                               "compiled in: rebuild libmoco with MOCO_CUDA=ON on a machine with "
                               "nvcc, or use one of: %s",
                               device, moco::valid_device_list().c_str());
    }
    if (index >= cuda_count) {
        return moco::set_error(MOCO_ERR_NOT_FOUND,
                               "moco_context_create: device \"%.64s\" not found: %d CUDA device(s) "
                               "visible to this process (valid devices: %s); check the GPU, its "
                               "driver and CUDA_VISIBLE_DEVICES",
                               device, cuda_count, moco::valid_device_list().c_str());
    }
    *out = {"cuda:" + std::to_string(index), MOCO_DEVICE_CUDA, index};
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_context_options moco_context_default_options(void) {
    moco_context_options opts;
    std::memset(&opts, 0, sizeof(opts));
    opts.struct_size = static_cast<int>(sizeof(moco_context_options));
    opts.device = nullptr;  // auto
    opts.threads = 0;       // every usable core
    return opts;
}

moco_status moco_context_create(const moco_context_options* opts, moco_context** out) {
    return moco::guard("moco_context_create", [&]() -> moco_status {
        if (out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_context_create: out is NULL; pass the address of a "
                                   "moco_context* that receives the new context");
        }
        *out = nullptr;

        moco_context_options o = moco_context_default_options();
        if (opts != nullptr) {
            if (opts->struct_size < kContextOptionsV1Size) {
                return moco::set_error(
                    MOCO_ERR_INVALID_ARGUMENT,
                    "moco_context_create: options.struct_size is %d but must be at least %d; set it "
                    "to sizeof(moco_context_options) (%d in this build) or start from "
                    "moco_context_default_options()",
                    opts->struct_size, kContextOptionsV1Size,
                    static_cast<int>(sizeof(moco_context_options)));
            }
            // Every v1 field lies within kContextOptionsV1Size. Fields added later must be read
            // only when offsetof(field) + sizeof(field) <= opts->struct_size.
            o.device = opts->device;
            o.threads = opts->threads;
        }

        const int cores = moco::cpu::info().logical_cores;
        if (o.threads < 0 || o.threads > MOCO_MAX_THREADS) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_context_create: threads is %d; it must be 0 (use all %d "
                                   "usable cores) or between 1 and MOCO_MAX_THREADS (%d)",
                                   o.threads, cores, MOCO_MAX_THREADS);
        }

        ResolvedDevice device;
        const moco_status status = resolve_device(o.device, &device);
        if (status != MOCO_OK) {
            return status;
        }

        auto ctx = std::make_unique<moco_context>();
        ctx->device = std::move(device.name);
        ctx->kind = device.kind;
        ctx->cuda_index = device.cuda_index;
        moco::set_host_threads(*ctx, o.threads == 0 ? cores : o.threads);
        *out = ctx.release();
        return MOCO_OK;
    });
}

const char* moco_context_device(const moco_context* ctx) {
    if (ctx == nullptr) {
        moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_context_device: ctx is NULL; pass a context "
                                                   "from moco_context_create");
        return nullptr;
    }
    return ctx->device.c_str();
}

int moco_context_threads(const moco_context* ctx) {
    if (ctx == nullptr) {
        moco::set_error(MOCO_ERR_INVALID_ARGUMENT, "moco_context_threads: ctx is NULL; pass a context "
                                                   "from moco_context_create");
        return -1;
    }
    return ctx->threads;
}

void moco_context_destroy(moco_context* ctx) {
    delete ctx;  // NULL-safe; moco_context's destructor cannot throw
}

}  // extern "C"
