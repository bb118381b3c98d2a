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

/* ---------------------------------------------------------------------------------------------
 * Models: Hugging Face checkpoints (config.json + safetensors) loaded onto a context.
 * ------------------------------------------------------------------------------------------- */

typedef struct moco_model moco_model;     /* opaque; a loaded checkpoint, read-only once loaded */
typedef struct moco_adapter moco_adapter; /* opaque; a PEFT LoRA adapter bound to one model */

/* Element types of stored tensors (moco_model_info.dtype). Stable values. */
typedef enum moco_dtype {
    MOCO_DTYPE_F32 = 0,
    MOCO_DTYPE_F16 = 1,
    MOCO_DTYPE_BF16 = 2
} moco_dtype;

/* Options for moco_model_load. Versioned: see "Versioned structs" above. */
typedef struct moco_model_options {
    int struct_size;   /* sizeof(moco_model_options) as compiled by the caller */
    int use_mmap;      /* 1 (default): map the safetensors files; 0: read them into memory */
} moco_model_options;

/* Options with every field at its default (struct_size set, use_mmap 1). */
MOCO_API moco_model_options moco_model_default_options(void);

/*
 * Loads the Hugging Face model directory `directory` (config.json plus model.safetensors, or the
 * shards named by model.safetensors.index.json) onto the context's device.
 *
 * Supported config.json architectures: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM,
 * Qwen3ForCausalLM and their *ForSequenceClassification variants (a score head of num_labels
 * outputs instead of the LM head, used for reward models). Tensor dtypes F32, F16, BF16.
 *
 * Errors (the message names the file, the tensor or config key, and the fix):
 *   MOCO_ERR_INVALID_ARGUMENT  ctx, directory or out is NULL; opts->struct_size too small;
 *                              config.json unsupported (architecture - the message lists the
 *                              supported ones - rope_scaling type, hidden_act) or inconsistent
 *   MOCO_ERR_NOT_FOUND         the directory, config.json, a shard, or a tensor the config needs
 *   MOCO_ERR_IO                a file cannot be read or mapped; a truncated file; a malformed
 *                              safetensors header (bad JSON, offsets out of range or overlapping,
 *                              shape/dtype mismatch with the config or with the byte size)
 *   MOCO_ERR_OUT_OF_MEMORY     allocation failed
 * The context must outlive the model. Thread-safe.
 */
MOCO_API moco_status moco_model_load(moco_context* ctx, const char* directory,
                                     const moco_model_options* opts, moco_model** out);

/* What a loaded model is. Versioned: set struct_size before calling moco_model_get_info. */
typedef struct moco_model_info {
    int struct_size;              /* sizeof(moco_model_info) as compiled by the caller */
    char architecture[64];        /* config.json "architectures"[0], e.g. "Qwen2ForCausalLM" */
    int vocab_size;               /* rows of the embedding (padding rows included) */
    int hidden_size;
    int intermediate_size;
    int num_layers;
    int num_heads;
    int num_kv_heads;
    int head_dim;
    int max_position_embeddings;
    int output_size;              /* floats per position in moco_batch_entry.logits: vocab_size for
                                     a causal LM, num_labels for a sequence classifier */
    int is_classifier;            /* 1 for *ForSequenceClassification, else 0 */
    int dtype;                    /* a moco_dtype: the dtype the weights were stored in */
    uint64_t parameter_count;     /* tensors of the checkpoint, tied weights counted once */
} moco_model_info;

/*
 * Fills *info (whose struct_size the caller set). Errors: MOCO_ERR_INVALID_ARGUMENT when model or
 * info is NULL or info->struct_size is too small. Thread-safe.
 */
MOCO_API moco_status moco_model_get_info(const moco_model* model, moco_model_info* info);

/*
 * Destroys the model. NULL is a no-op. Every adapter and KV cache created from it must have been
 * destroyed first. Never fails.
 */
MOCO_API void moco_model_destroy(moco_model* model);

/*
 * Loads a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors) for
 * `model`. The adapter is applied on the fly (y = W x + scale * B (A x)); the base weights are
 * never changed or copied, so any number of adapters share one resident base. Supported:
 * peft_type "LORA", target_modules among q_proj k_proj v_proj o_proj gate_proj up_proj down_proj,
 * r, lora_alpha, use_rslora.
 *
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL arguments; an unsupported adapter_config.json field
 * value, named), MOCO_ERR_NOT_FOUND (directory or files missing), MOCO_ERR_IO (malformed
 * safetensors; an A/B shape that does not fit the base model, named). The model must outlive the
 * adapter. Thread-safe.
 */
MOCO_API moco_status moco_adapter_load(moco_model* model, const char* directory,
                                       moco_adapter** out);

/* Destroys the adapter. NULL is a no-op. No forward using it may be running. Never fails. */
MOCO_API void moco_adapter_destroy(moco_adapter* adapter);

/* ---------------------------------------------------------------------------------------------
 * KV cache and sequences: a paged key/value cache of fixed-size blocks with a memory budget.
 * Sequences live in a cache and are named by small non-negative integer ids.
 * ------------------------------------------------------------------------------------------- */

typedef struct moco_kv_cache moco_kv_cache; /* opaque */

/* Options for moco_kv_cache_create. Versioned: see "Versioned structs" above. */
typedef struct moco_kv_cache_options {
    int struct_size;        /* sizeof(moco_kv_cache_options) as compiled by the caller */
    uint64_t memory_bytes;  /* budget for K and V of every layer; 0 = room for 8192 tokens */
    int block_tokens;       /* tokens per block: 0 = 16; else 1..1024 */
    int max_sequences;      /* live sequences at most: 0 = 256 */
} moco_kv_cache_options;

/* Options with every field at its default. */
MOCO_API moco_kv_cache_options moco_kv_cache_default_options(void);

/*
 * Creates a KV cache for `model`, allocating the whole budget up front (so it fails now, not
 * mid-generation). Errors: MOCO_ERR_INVALID_ARGUMENT (NULL, bad option values, a budget below
 * one block), MOCO_ERR_OUT_OF_MEMORY. The model must outlive the cache.
 *
 * A cache and its sequences are NOT thread-safe: one thread at a time may call functions on a
 * given cache (different caches may be used concurrently, even on the same model).
 */
MOCO_API moco_status moco_kv_cache_create(moco_model* model, const moco_kv_cache_options* opts,
                                          moco_kv_cache** out);

/* Usage of a cache. Versioned: set struct_size before calling moco_kv_cache_get_stats. */
typedef struct moco_kv_cache_stats {
    int struct_size;
    int block_tokens;       /* tokens per block */
    int total_blocks;       /* blocks the budget holds */
    int free_blocks;        /* blocks not used by any sequence */
    int sequences;          /* live sequences */
    uint64_t memory_bytes;  /* bytes allocated for K and V */
} moco_kv_cache_stats;

MOCO_API moco_status moco_kv_cache_get_stats(const moco_kv_cache* cache,
                                             moco_kv_cache_stats* stats);

/* Destroys the cache and every sequence in it. NULL is a no-op. Never fails. */
MOCO_API void moco_kv_cache_destroy(moco_kv_cache* cache);

/*
 * Creates an empty sequence; *seq receives its id. Errors: MOCO_ERR_INVALID_ARGUMENT (NULL),
 * MOCO_ERR_RESOURCE_EXHAUSTED (max_sequences live sequences already).
 */
MOCO_API moco_status moco_seq_create(moco_kv_cache* cache, int32_t* seq);

/*
 * Creates a new sequence that shares `src`'s tokens and KV blocks copy-on-write (no K/V is copied
 * until one of them writes into a shared block); *dst receives its id. Errors: as moco_seq_create,
 * plus MOCO_ERR_NOT_FOUND for an unknown src.
 */
MOCO_API moco_status moco_seq_fork(moco_kv_cache* cache, int32_t src, int32_t* dst);

/*
 * Keeps the first n_tokens tokens of `seq` and drops the K/V of the rest (blocks no longer used
 * return to the free list). Errors: MOCO_ERR_NOT_FOUND (unknown seq), MOCO_ERR_INVALID_ARGUMENT
 * (n_tokens < 0 or greater than the length).
 */
MOCO_API moco_status moco_seq_truncate(moco_kv_cache* cache, int32_t seq, int32_t n_tokens);

/* Frees `seq` and its blocks; its id may be reused. Errors: MOCO_ERR_NOT_FOUND (unknown seq). */
MOCO_API moco_status moco_seq_free(moco_kv_cache* cache, int32_t seq);

/* The number of tokens in `seq`. Errors: MOCO_ERR_NOT_FOUND, MOCO_ERR_INVALID_ARGUMENT (NULL). */
MOCO_API moco_status moco_seq_length(const moco_kv_cache* cache, int32_t seq, int32_t* n_tokens);

/* ---------------------------------------------------------------------------------------------
 * Forward: one call prefills and/or decodes a batch of sequences.
 * ------------------------------------------------------------------------------------------- */

/* moco_batch_entry.logits_mode / hidden_mode */
typedef enum moco_output_mode {
    MOCO_OUTPUT_NONE = 0, /* nothing written */
    MOCO_OUTPUT_LAST = 1, /* the last new position only: 1 row */
    MOCO_OUTPUT_ALL = 2   /* every new position: n_tokens rows */
} moco_output_mode;

/*
 * One sequence's share of a forward call: its new tokens are appended (a prefill chunk or a
 * single decode token - any n_tokens >= 1) and their K/V stored in the cache.
 */
typedef struct moco_batch_entry {
    int32_t seq;                  /* a live sequence of the cache; at most once per call */
    const int32_t* tokens;        /* n_tokens token ids, each in [0, vocab_size) */
    int32_t n_tokens;             /* >= 1 */
    const moco_adapter* adapter;  /* LoRA adapter of the same model, or NULL for the base */
    int logits_mode;              /* a moco_output_mode */
    float* logits;                /* caller-owned: rows * output_size floats, row-major (rows = 1
                                     for LAST, n_tokens for ALL); NULL when mode is NONE */
    int hidden_mode;              /* a moco_output_mode: the final-norm hidden states */
    float* hidden;                /* caller-owned: rows * hidden_size floats; NULL when NONE */
} moco_batch_entry;

/*
 * Runs the model over every entry. Deterministic: on the CPU a sequence's outputs are bit-identical
 * whatever the other entries, the prefill chunking and the thread count.
 *
 * All or nothing: on failure no sequence changes (no tokens appended, no K/V kept) and output
 * buffers hold unspecified values.
 *
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL cache/entries, n_entries < 1, a seq twice, bad mode,
 * NULL buffer for a mode other than NONE, a token id out of range - entry and position named -, an
 * adapter of another model, a sequence longer than max_position_embeddings),
 * MOCO_ERR_NOT_FOUND (unknown seq), MOCO_ERR_RESOURCE_EXHAUSTED (not enough free KV blocks; the
 * message says how many are needed and free), MOCO_ERR_NUMERIC (NaN/Inf in the outputs).
 */
MOCO_API moco_status moco_forward(moco_kv_cache* cache, const moco_batch_entry* entries,
                                  int n_entries);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOCO_H */
