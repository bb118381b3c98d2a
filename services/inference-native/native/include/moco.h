/*
 * moco.h - the public C ABI of libmoco, the MoCo.NET native inference engine.
 *
 * This is the ONLY public header. It is plain C (C99 and later) and C++ compatible; no C++ type,
 * exception or allocator ever crosses it.
 *
 * Conventions every function follows (later handles - models, sequences, ... - follow them too):
 *
 *   Status codes  Functions that can fail return moco_status. MOCO_OK is 0; every other value is an
 *                 error. The numeric values are part of the ABI: they are never renumbered or reused,
 *                 new codes are only appended.
 *
 *   Errors        A failing call stores a human-readable message in a thread-local buffer, read with
 *                 moco_last_error() on the same thread. The message names the function, the argument
 *                 at fault and what to do about it. Successful calls do not clear it (like errno).
 *
 *   Ownership     Handles (opaque struct pointers) are created by moco_X_create(..., moco_X** out)
 *                 and owned by the caller until passed to moco_X_destroy(), which accepts NULL. On
 *                 failure *out is set to NULL (when out itself is not NULL) and nothing is leaked.
 *                 Arrays and buffers are owned and allocated by the caller (caller-owned memory,
 *                 explicit capacity). Strings returned as `const char*` are owned by libmoco: never
 *                 free them; each function documents how long they stay valid.
 *
 *   Versioned     Option structs start with `int struct_size`: the caller sets it to
 *   structs       sizeof(the struct) as compiled into the caller. The library rejects sizes smaller
 *                 than the first published layout (MOCO_ERR_INVALID_ARGUMENT), reads only the fields
 *                 that lie within struct_size (fields added later take their documented defaults
 *                 when an older caller omits them), and ignores bytes beyond the fields it knows.
 *                 Use the moco_X_default_options() functions to get a correctly initialised struct.
 *
 *   Threads       Every function may be called from any thread. Global functions are thread-safe.
 *                 A handle may be used from several threads at once unless its documentation says
 *                 otherwise, but destroying it must happen after every other call on it returned.
 *
 *   Exceptions    No C++ exception escapes: std::bad_alloc becomes MOCO_ERR_OUT_OF_MEMORY, any other
 *                 internal failure becomes MOCO_ERR_INTERNAL (with its message).
 */
#ifndef MOCO_H
#define MOCO_H

#include <stddef.h>
#include <stdint.h>

/* MOCO_API marks exported symbols; everything else in libmoco has hidden visibility. */
#if defined(_WIN32) || defined(__CYGWIN__)
#    if defined(MOCO_BUILDING_LIBRARY)
#        define MOCO_API __declspec(dllexport)
#    else
#        define MOCO_API __declspec(dllimport)
#    endif
#elif defined(__GNUC__) || defined(__clang__)
#    define MOCO_API __attribute__((visibility("default")))
#else
#    define MOCO_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------- */

/* Result of every fallible call. Stored as int; values are stable and never renumbered. */
typedef enum moco_status {
    MOCO_OK = 0,                     /* success */
    MOCO_ERR_INVALID_ARGUMENT = 1,   /* a caller error: NULL pointer, bad value, bad struct_size */
    MOCO_ERR_NOT_FOUND = 2,          /* a named thing (device, model, file, tensor) does not exist */
    MOCO_ERR_OUT_OF_MEMORY = 3,      /* host or device allocation failed */
    MOCO_ERR_NUMERIC = 4,            /* NaN/Inf or another numeric failure in a computation */
    MOCO_ERR_IO = 5,                 /* reading or writing a file failed */
    MOCO_ERR_UNIMPLEMENTED = 6,      /* the feature is not compiled in or not supported yet */
    MOCO_ERR_RESOURCE_EXHAUSTED = 7, /* a capacity limit (KV cache, sequences, ...) is reached */
    MOCO_ERR_INTERNAL = 8            /* a libmoco bug or an unexpected failure */
} moco_status;

/*
 * The enumerator's name as a static string ("MOCO_OK", "MOCO_ERR_INVALID_ARGUMENT", ...);
 * "MOCO_ERR_UNKNOWN" for a value this library does not know. Never NULL, never freed.
 * Thread-safe; never fails.
 */
MOCO_API const char* moco_status_name(moco_status status);

/*
 * The message of the last failing libmoco call on the calling thread, or "" when no call on this
 * thread has failed yet. Thread-local: failures on other threads are not visible here. Successful
 * calls do not clear it, so read it right after a call returned a status other than MOCO_OK.
 * The string is owned by libmoco and stays valid until the next failing call on this thread;
 * copy it if you need it longer. Never NULL; never fails.
 */
MOCO_API const char* moco_last_error(void);

/* ---------------------------------------------------------------------------------------------
 * Version and build information
 * ------------------------------------------------------------------------------------------- */

/*
 * The semantic version of the library, e.g. "0.1.0" (the VERSION of the CMake project).
 * Static string, never NULL, never freed. Thread-safe; never fails.
 */
MOCO_API const char* moco_version(void);

/*
 * The version as one comparable number: major * 1000000 + minor * 1000 + patch
 * (0.1.0 -> 1000, 1.2.3 -> 1002003). Thread-safe; never fails.
 */
MOCO_API int moco_version_number(void);

/*
 * What this binary was built with, as "key=value" pairs separated by "; ", e.g.
 *   "version=0.1.0; compiler=GNU 12.2.0; build_type=Release; os=Linux; arch=x86_64;
 *    simd=SSE2; cuda=off; cuda_archs=none; openblas=off"
 * The keys are stable; new keys may be appended. Static string, never NULL, never freed.
 * Thread-safe; never fails.
 */
MOCO_API const char* moco_build_info(void);

/* ---------------------------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------------------------- */

/* moco_device_info.kind */
typedef enum moco_device_kind {
    MOCO_DEVICE_CPU = 0,
    MOCO_DEVICE_CUDA = 1
} moco_device_kind;

/* moco_device_info.features bit flags (stable values). */
#define MOCO_CPU_AVX2 (1u << 0)     /* CPU and OS support AVX2 */
#define MOCO_CPU_AVX512F (1u << 1)  /* CPU and OS support AVX-512 Foundation */
#define MOCO_CPU_FMA (1u << 2)      /* CPU and OS support FMA3 */
#define MOCO_CPU_NEON (1u << 3)     /* CPU supports Arm NEON / Advanced SIMD */
#define MOCO_HAS_OPENBLAS (1u << 8) /* libmoco was built with OpenBLAS for this device */

#define MOCO_DEVICE_NAME_SIZE 32
#define MOCO_DEVICE_DESCRIPTION_SIZE 128

/*
 * One compute device. The layout is frozen (192 bytes on every supported platform); new
 * information will come through new functions, never by changing this struct.
 * All strings are NUL-terminated UTF-8, truncated to fit.
 */
typedef struct moco_device_info {
    char name[MOCO_DEVICE_NAME_SIZE];               /* "cpu", "cuda:0", "cuda:1", ... (the device
                                                       string moco_context_create accepts) */
    int kind;                                       /* a moco_device_kind */
    char description[MOCO_DEVICE_DESCRIPTION_SIZE]; /* CPU model name / GPU product name */
    uint64_t memory_bytes;                          /* CPU: physical RAM; CUDA: total device memory */
    int threads;     /* CPU: logical cores usable by this process (affinity and cgroup CPU quota
                        applied); CUDA: number of streaming multiprocessors */
    int cc_major;    /* CUDA compute capability major; 0 for CPU */
    int cc_minor;    /* CUDA compute capability minor; 0 for CPU */
    uint32_t features; /* MOCO_CPU_* / MOCO_HAS_OPENBLAS flags; 0 for CUDA devices */
} moco_device_info;

/*
 * Lists the devices this process can use: the CPU first (always present), then each CUDA device
 * ("cuda:0", "cuda:1", ... in CUDA runtime order, CUDA_VISIBLE_DEVICES applied) when libmoco was
 * built with CUDA. A CUDA build on a machine without a GPU or driver lists only the CPU.
 *
 *   out       caller-owned array of `capacity` entries; may be NULL only when capacity is 0
 *   capacity  number of entries `out` can hold (>= 0)
 *   count     receives the total number of devices, even when it exceeds capacity
 *
 * Fills min(capacity, total) entries. Call with (NULL, 0, &n) to learn the size, then again.
 * Errors: MOCO_ERR_INVALID_ARGUMENT when count is NULL, capacity < 0, or out is NULL with
 * capacity > 0. Thread-safe. Device detection runs once per process; later calls are cheap.
 */
MOCO_API moco_status moco_devices(moco_device_info* out, int capacity, int* count);

/* ---------------------------------------------------------------------------------------------
 * Context: the device and thread budget every later handle (models, sequences) runs on.
 * ------------------------------------------------------------------------------------------- */

/* Upper bound accepted for moco_context_options.threads. */
#define MOCO_MAX_THREADS 1024

typedef struct moco_context moco_context; /* opaque */

/* Options for moco_context_create. Versioned: see "Versioned structs" above. */
typedef struct moco_context_options {
    int struct_size;    /* sizeof(moco_context_options) as compiled by the caller */
    const char* device; /* "cpu", "cuda:N" or "auto" (NULL = "auto": the first CUDA device when
                           there is one, else the CPU). Only read during the call. */
    int threads;        /* host threads for CPU work: 0 = every usable core (moco_devices' cpu
                           threads); 1..MOCO_MAX_THREADS = exactly that many */
} moco_context_options;

/* Options with every field at its default (struct_size set, device "auto", threads 0). */
MOCO_API moco_context_options moco_context_default_options(void);

/*
 * Creates a context on the chosen device.
 *
 *   opts  the options, or NULL for moco_context_default_options(); only read during the call
 *   out   receives the new context, owned by the caller; release it with moco_context_destroy().
 *         Set to NULL on failure.
 *
 * Errors:
 *   MOCO_ERR_INVALID_ARGUMENT  out is NULL; opts->struct_size too small; threads < 0 or
 *                              > MOCO_MAX_THREADS; an unknown device string (the message lists
 *                              the valid devices)
 *   MOCO_ERR_UNIMPLEMENTED     "cuda:N" in a build without CUDA support
 *   MOCO_ERR_NOT_FOUND         "cuda:N" with N beyond the visible CUDA devices
 *   MOCO_ERR_OUT_OF_MEMORY     allocation failed
 * Thread-safe.
 */
MOCO_API moco_status moco_context_create(const moco_context_options* opts, moco_context** out);

/*
 * The device the context runs on, in canonical form ("cpu" or "cuda:N"; "auto" is resolved).
 * Owned by the context, valid until it is destroyed. NULL (and MOCO_ERR_INVALID_ARGUMENT in
 * moco_last_error) when ctx is NULL. Thread-safe.
 */
MOCO_API const char* moco_context_device(const moco_context* ctx);

/*
 * The number of host threads the context uses (0 in the options is resolved to the core count).
 * -1 (and MOCO_ERR_INVALID_ARGUMENT in moco_last_error) when ctx is NULL. Thread-safe.
 */
MOCO_API int moco_context_threads(const moco_context* ctx);

/*
 * Destroys the context and frees everything it owns. NULL is a no-op. Every other call on ctx
 * must have returned before; ctx is invalid afterwards. Never fails.
 */
MOCO_API void moco_context_destroy(moco_context* ctx);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOCO_H */
