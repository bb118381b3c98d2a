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
 *
 * The budget is shared: the context keeps one pool of `threads` host threads, and the CPU forward
 * passes of all its caches and the steps of its trainers take that pool in turn (first come, first
 * served) rather than each running its own: each already spreads over the whole pool, and calls
 * from several threads at once (two models' loops, a trainer beside serving) would otherwise put
 * several pools' spinning workers on the same cores.
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
 * Measures the copy bandwidth of the context's device: `bytes` copied from one buffer of the
 * device's memory to another (on the CPU by the context's threads, each copying its own slice; on a
 * GPU by a device-to-device copy timed with events), after one untimed copy, best of three.
 * *out_bytes_per_s receives bytes read plus bytes written per second (2 * bytes / seconds), the
 * figure a decode step's weight reads are bounded by. Allocates 2 * bytes for the duration of the
 * call. Benchmarks use it as the baseline they report ratios against (moco bench).
 *
 * Errors:
 *   MOCO_ERR_INVALID_ARGUMENT  ctx or out_bytes_per_s is NULL; bytes below 1 MiB (too small to
 *                              leave the caches) or above 64 GiB
 *   MOCO_ERR_OUT_OF_MEMORY     the device cannot hold the two buffers
 * Thread-safe; it competes with concurrent work on the device, which lowers the figure.
 */
MOCO_API moco_status moco_context_copy_bandwidth(const moco_context* ctx, uint64_t bytes,
                                                 double* out_bytes_per_s);

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
    int use_mmap;      /* 1 (default): map the safetensors files (they must not change while the
                          model lives); 0: read them into memory. Other values are rejected.
                          Windows builds always read. */
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
 *   MOCO_ERR_INVALID_ARGUMENT  ctx, directory or out is NULL; opts->struct_size too small or
 *                              use_mmap not 0/1; config.json malformed, unsupported
 *                              (architecture - the message lists the supported ones -
 *                              rope_scaling type, hidden_act, quantization) or inconsistent
 *   MOCO_ERR_NOT_FOUND         the directory, config.json, the safetensors weights (a directory
 *                              with only PyTorch .bin weights is told so), a shard named by the
 *                              index, or a tensor the config needs
 *   MOCO_ERR_IO                a file cannot be read or mapped; a truncated file; a malformed
 *                              safetensors header or index (bad JSON, offsets out of range or
 *                              overlapping, a tensor in two shards, shape/dtype mismatch with the
 *                              config or with the byte size, a dtype other than F32/F16/BF16)
 * Tensors the config does not use (rotary inv_freq buffers, a saved lm_head.weight when
 * tie_word_embeddings is true) are ignored.
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
    uint64_t parameter_count;     /* elements of the tensors the model uses, a tied LM head
                                     counted once */
} moco_model_info;

/*
 * Fills *info (whose struct_size the caller set), writing no byte beyond struct_size. Errors:
 * MOCO_ERR_INVALID_ARGUMENT when model or info is NULL or info->struct_size is too small.
 * Thread-safe.
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
 * Tensors are read under PEFT's names, base_model.model.model.layers.N.<module>.lora_A.weight and
 * .lora_B.weight (or .lora_A.default.weight); which modules and layers are adapted follows from
 * the tensors present.
 *
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL arguments; malformed adapter_config.json; an
 * unsupported field value - bias, modules_to_save, use_dora, fan_in_fan_out, rank_pattern,
 * alpha_pattern, a target module outside the list - or an unsupported tensor such as an lm_head
 * LoRA, named), MOCO_ERR_NOT_FOUND (directory or files missing), MOCO_ERR_IO (malformed
 * safetensors; an A/B shape that does not fit the base model or r, a lora_A without its lora_B, a
 * layer the model lacks, named). The model must outlive the adapter. Thread-safe.
 *
 * On a CUDA context the adapter's A and B are also copied to the model's GPU (as F32, whatever
 * their stored dtype: the CPU backend's numerics) and moco_forward applies them there; the device
 * memory is freed by moco_adapter_destroy. There also MOCO_ERR_OUT_OF_MEMORY (A and B do not fit on
 * the GPU; nothing is kept and the model stays usable) and MOCO_ERR_INTERNAL (a failed CUDA call).
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
    uint64_t memory_bytes;  /* budget for K and V of every layer; 0 = room for 8192 tokens. The
                               cache holds memory_bytes / block_bytes blocks, a block taking
                               num_layers * 2 * num_kv_heads * head_dim * block_tokens * 4 bytes
                               (K and V in float32) */
    int block_tokens;       /* tokens per block: 0 = 16; else 1..1024 */
    int max_sequences;      /* live sequences at most: 0 = 256; else 1..65536 */
} moco_kv_cache_options;

/* Options with every field at its default. */
MOCO_API moco_kv_cache_options moco_kv_cache_default_options(void);

/*
 * Creates a KV cache for `model`, allocating the whole budget up front (so it fails now, not
 * mid-generation). Its forward calls run on the model's context's threads (taken in turn with the
 * context's other caches and trainers; see "Context" above), or on the model's GPU for a CUDA
 * context (the blocks then live in device memory; memory_bytes budgets them as on the CPU: K and V
 * in float32).
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL, bad option values, a budget below one block),
 * MOCO_ERR_UNIMPLEMENTED (a model on a CUDA context whose weights are not on the GPU, e.g. in a
 * build without CUDA), MOCO_ERR_OUT_OF_MEMORY (host or device memory). The model must outlive the
 * cache.
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

/* Errors: MOCO_ERR_INVALID_ARGUMENT (NULL cache or stats, stats->struct_size too small). */
MOCO_API moco_status moco_kv_cache_get_stats(const moco_kv_cache* cache,
                                             moco_kv_cache_stats* stats);

/* Destroys the cache and every sequence in it. NULL is a no-op. Never fails. */
MOCO_API void moco_kv_cache_destroy(moco_kv_cache* cache);

/*
 * Creates an empty sequence; *seq receives its id, the lowest one not live (ids run from 0 to
 * max_sequences - 1). Errors: MOCO_ERR_INVALID_ARGUMENT (NULL),
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
    const moco_adapter* adapter;  /* LoRA adapter of the same model, or NULL for the base; the
                                     entries of one call may each use a different one */
    int logits_mode;              /* a moco_output_mode */
    float* logits;                /* caller-owned: rows * output_size floats, row-major (rows = 1
                                     for LAST, n_tokens for ALL); ignored (may be NULL) when the
                                     mode is NONE */
    int hidden_mode;              /* a moco_output_mode: the final-norm hidden states */
    float* hidden;                /* caller-owned: rows * hidden_size floats; ignored when NONE */
    int32_t attend_prefix;        /* 0: causal (the default of a zero-initialised entry). n > 0:
                                     every new token of this entry attends only to the sequence's
                                     first n positions (its own and any later key masked; the
                                     sliding window still applies) - the padding positions of an
                                     HF attention_mask whose text is the first n tokens. Their
                                     K/V are still stored and positions still advance. Requires
                                     n <= the sequence's length before this call and, with a
                                     sliding window, at least one of the n keys inside it */
} moco_batch_entry;

/*
 * Runs the model over every entry. Deterministic: on the CPU a sequence's outputs are bit-identical
 * whatever the other entries, the prefill chunking and the thread count (every reduction has a
 * fixed order; the kernels give the same bits with AVX-512, AVX2 or neither).
 *
 * All or nothing: on failure no sequence changes (no tokens appended, no K/V kept) and output
 * buffers hold unspecified values. Entries are checked in order and the first fault is reported.
 *
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL cache/entries, n_entries < 1, a seq twice, bad mode,
 * NULL buffer for a mode other than NONE, a token id out of range - entry and position named -, an
 * adapter of another model, a sequence longer than max_position_embeddings, an attend_prefix
 * outside [0, length before the call] or leaving a token no key inside its sliding window),
 * MOCO_ERR_NOT_FOUND (unknown seq), MOCO_ERR_RESOURCE_EXHAUSTED (not enough free KV blocks; the
 * message says how many are needed and free), MOCO_ERR_NUMERIC (NaN/Inf in a requested output,
 * logits or hidden states; outputs are not checked for entries that request none). On a CUDA
 * context also MOCO_ERR_OUT_OF_MEMORY (device scratch memory) and MOCO_ERR_INTERNAL (a failed CUDA
 * call, named).
 */
MOCO_API moco_status moco_forward(moco_kv_cache* cache, const moco_batch_entry* entries,
                                  int n_entries);

/* ---------------------------------------------------------------------------------------------
 * Kernels: the numerics of the logit-level and weight-level methods (methods-logit-weight.md
 * section 1) on caller-owned buffers - sampling, logit arithmetic (L1-L6), weight merges (M1-M12).
 *
 * No context is needed. Every kernel is thread-safe and deterministic: the same inputs give the
 * same bits whatever the thread, batch composition or chunking, because every sum runs in one
 * documented order. Host scalars are float (a caller holding doubles rounds them first, as PyTorch
 * does with a Python float on an f32 tensor) except densities, which stay double (see M4/M5).
 * Logits are f32 row-major [rows, vocab]: -inf is allowed (probability 0), NaN and +inf are not
 * (MOCO_ERR_NUMERIC). Argument errors are MOCO_ERR_INVALID_ARGUMENT naming the argument. On any
 * failure the output buffers hold unspecified values.
 * ------------------------------------------------------------------------------------------- */

/* -- Counter-based random stream: Philox4x32-10 (Salmon et al., SC'11; Random123) ------------- */

/* One Philox4x32-10 block: out = philox4x32_10(counter, key). Never fails. */
MOCO_API void moco_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/*
 * The uniform of the L5 draw (contracts.md section 10), i.e. what moco_sample draws with:
 *   key     = { (uint32_t)seed, (uint32_t)(seed >> 32) }
 *   counter = { (uint32_t)tokens_generated, (uint32_t)(tokens_generated >> 32),
 *               (uint32_t)sample_index, (uint32_t)(sample_index >> 32) }
 *   u       = (out[0] >> 8) * 2^-24      (exact in float; 0 <= u < 1)
 * tokens_generated counts the tokens this sample produced before the draw (0 for the first), so a
 * draw depends on neither the batch nor the caller. Never fails.
 */
MOCO_API float moco_sampling_uniform(uint64_t seed, uint64_t tokens_generated,
                                     uint64_t sample_index);

/*
 * The DARE keep mask (M5) of elements [offset, offset + count) of input `model_index`'s task vector
 * for tensor `tensor_name`, exactly as the merge kernels draw it:
 *   key     = seed ^ FNV-1a-64(tensor_name bytes), split as { low 32 bits, high 32 bits }
 *   counter = { (uint32_t)j, (uint32_t)(j >> 32), (uint32_t)model_index, 0 }   (j = element index)
 *   keep[j - offset] = 1 iff (double)u < density, u from out[0] as in moco_sampling_uniform.
 * density >= 1: all 1 and nothing drawn; density <= 0: all 0.
 * Errors: INVALID_ARGUMENT (tensor_name NULL; keep NULL with count > 0; offset or count < 0;
 * model_index < 0; density NaN).
 */
MOCO_API moco_status moco_dare_mask(uint64_t seed, int model_index, const char* tensor_name,
                                    int64_t offset, int64_t count, double density, uint8_t* keep);

/* -- Logits (L1-L4 and per-row statistics) --------------------------------------------------- */
/*
 * Row reductions share one order: with m = the row max, sum_v exp(z[v] - m) is summed in f64 with
 * element v in lane v % 8 (each lane in index order), lanes combined as
 * ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)). exp is libmoco's own f32 exp (Cephes' expf polynomial,
 * about 1 ulp; results below 2^-126 are 0), identical on every platform.
 */

/* L1: out[r][v] = (z[r][v] - m) - ln sum_u exp(z[r][u] - m). out may be logits (in place). Errors:
 * INVALID_ARGUMENT (NULL, rows < 0, vocab < 1), NUMERIC (NaN/+inf, or a row without a finite
 * entry). */
MOCO_API moco_status moco_log_softmax(const float* logits, int rows, int vocab, float* out);

/*
 * L2 weighted fusion of n distributions in logit space:
 *   out = sum over i with w_i != 0 of w_i * z_i, in input order, the first contributing term
 *         starting the sum;
 *   weights NULL (the reference's uniform case): out = (z_1 + ... + z_n) / n, one division.
 * Weight-0 inputs are skipped, never multiplied (so (1, 0) reproduces input 0 bit for bit). Raw
 * logits and log-probs give the same softmax; the result is unnormalised, sum(w) != 1 acting as an
 * inverse temperature. Row r of input i starts at inputs[i] + r * strides[i] (strides NULL: vocab);
 * only its first vocab columns are read (the L6 common vocabulary). out must not overlap an input.
 * Errors: INVALID_ARGUMENT (NULL pointers, n < 1, rows < 0, vocab < 1, a stride < vocab, a weight
 * not finite, every weight 0), NUMERIC (NaN/+inf in a contributing input; a NaN/+inf result).
 */
MOCO_API moco_status moco_logits_fuse(const float* const* inputs, const int* strides,
                                      const float* weights, int n, int rows, int vocab, float* out);

/*
 * L3 contrastive combination of 2k models in ranking order: inputs[0..k) = top_1..top_k (best
 * first), inputs[k..2k) = bottom_1..bottom_k (the k worst, in ranking order):
 *   acc = 0; for j = 1..k: { acc += top_j; acc -= bottom_j; }   out = lambda * acc + top_1
 * (k = 1: (1 + lambda) z_best - lambda z_worst). Strides as in moco_logits_fuse.
 * Errors: INVALID_ARGUMENT (NULL, k < 1, lambda not finite, ...), NUMERIC (a non-finite input or
 * result: contrastive inputs must be finite).
 */
MOCO_API moco_status moco_logits_contrast(const float* const* inputs, const int* strides, int k,
                                          float lambda, int rows, int vocab, float* out);

/*
 * L4 plausibility cut (apply after L3 with the anchor = top_1's raw row): for alpha > 0,
 * logits[r][v] = -inf unless anchor[r][v] >= (float)(max anchor[r] + ln alpha) (sum in double);
 * alpha = 0 leaves logits unchanged. The anchor's argmax always survives; alpha = 1 keeps only its
 * maximal entries. Row r of the anchor starts at anchor + r * anchor_stride.
 * Errors: INVALID_ARGUMENT (NULL, alpha outside [0, 1] or NaN, anchor_stride < vocab, ...),
 * NUMERIC (the anchor row holds NaN/+inf or no finite entry).
 */
MOCO_API moco_status moco_logits_plausibility_cut(const float* anchor, int anchor_stride,
                                                  float alpha, int rows, int vocab, float* logits);

/* Entropy in nats of softmax(z[r]): out[r] = ln s - sum_v exp(z_v - m)(z_v - m) / s with
 * s = sum_v exp(z_v - m) (both sums in the order above; entries of probability 0 skipped).
 * Errors as moco_log_softmax. */
MOCO_API moco_status moco_logits_entropy(const float* logits, int rows, int vocab, float* out);

/* The largest probability of softmax(z[r]): out[r] = 1 / sum_v exp(z_v - m). Untempered.
 * Errors as moco_log_softmax. */
MOCO_API moco_status moco_logits_top1_prob(const float* logits, int rows, int vocab, float* out);

/*
 * The k largest values of each row, in descending order, equal values lowest index first:
 * ids[r * k + j] and, when top_values is not NULL, top_values[r * k + j]. Pass log-probs for
 * (id, log-prob) pairs. Errors: INVALID_ARGUMENT (NULL, k < 1 or k > vocab, ...), NUMERIC (NaN).
 */
MOCO_API moco_status moco_logits_top_k(const float* values, int rows, int vocab, int k,
                                       int32_t* ids, float* top_values);

/* -- Vocabulary alignment (L6) --------------------------------------------------------------- */

/* moco_vocab_align modes (GenerateEnsemble's vocab_alignment). */
typedef enum moco_vocab_alignment {
    MOCO_VOCAB_MIN_COMMON = 0, /* V* = min head rows, if the tokenizers agree on every id < V* */
    MOCO_VOCAB_EXACT = 1       /* every head as wide as the others, else INVALID_ARGUMENT */
} moco_vocab_alignment;

/* One model's vocabulary for moco_vocab_align. Only read during the call. */
typedef struct moco_vocab {
    const char* model_name;       /* for messages; may be NULL */
    int head_rows;                /* V_i: rows of the model's output head (>= 1) */
    int n_tokens;                 /* ids 0..n_tokens-1 have a token string; higher ids have none */
    const char* token_bytes;      /* the token strings concatenated (any bytes, no terminators) */
    const int64_t* token_offsets; /* n_tokens + 1 non-decreasing offsets into token_bytes: token id
                                     is bytes [token_offsets[id], token_offsets[id + 1]) */
    int eos_id;                   /* the stopping EOS id */
} moco_vocab;

/*
 * L6: the common vocabulary V* of n models whose logits are to be fused or contrasted. V* = the
 * smallest head_rows; allowed iff every model maps each id < V* to the same token string (or to
 * none in all of them: alignment padding) and all share eos_id, which must be < V*. Kernels then
 * use the first V* columns (strides carry each model's own width) and ids >= V* are never emitted.
 * Errors: INVALID_ARGUMENT (NULL, n < 1, a malformed moco_vocab, an unknown mode; models that
 * cannot be aligned: the message names both models and the first differing id with its tokens,
 * or the differing EOS ids or widths).
 */
MOCO_API moco_status moco_vocab_align(const moco_vocab* vocabs, int n, int mode,
                                      int* common_vocab);

/* -- Sampling -------------------------------------------------------------------------------- */

/* Options for moco_sample. Versioned: see "Versioned structs" above. */
typedef struct moco_sampling_options {
    int struct_size;          /* sizeof(moco_sampling_options) as compiled by the caller */
    float temperature;        /* 0 = greedy; else > 0, finite. Default 1 */
    int top_k;                /* 0 = off (default); else >= 1 */
    float top_p;              /* in [0, 1]; 1 = off (default) */
    float min_p;              /* in [0, 1]; 0 = off (default) */
    float repetition_penalty; /* > 0, finite; 1 = off (default) */
} moco_sampling_options;

/* Options with every field at its default: plain sampling at temperature 1. */
MOCO_API moco_sampling_options moco_sampling_default_options(void);

/*
 * Picks the next token from one row of `vocab` logits with the processors in Hugging Face's order
 * (methods-text.md section 0.4):
 *   repetition penalty -> temperature -> top-k -> top-p -> min-p -> draw.
 *   repetition penalty  each distinct id of history[0..n_history) (prompt and generated tokens)
 *                       once: z < 0 ? z * penalty : z / penalty
 *   greedy              temperature 0: the argmax after the penalty, lowest id on ties; nothing
 *                       else applies and nothing is drawn
 *   temperature         z / temperature (a division; skipped for 1)
 *   top-k               keep every id whose logit is >= the k-th largest (ties survive)
 *   top-p               walking ids by (logit desc, id asc), keep an id while the probability mass
 *                       strictly before it is < top_p (the first always)
 *   min-p               keep ids with exp(z - max z) >= min_p
 *   draw (L5)           u = moco_sampling_uniform(seed, tokens_generated, sample_index); the token
 *                       is the smallest id whose running sum of exp(z - m) exceeds u * total
 * Probabilities are exp(z - m) / total with m = the max of the surviving logits and total the sum
 * of exp(z - m) over them. total and the draw's running sum are sequential f64 sums over the
 * surviving ids in ascending order; top-p's mass adds the probabilities (f64) in its walking
 * order. exp is the kernels' f32 exp (see Logits).
 *   processed  NULL, or vocab floats receiving the logits after the processors (filtered ids
 *              -inf; greedy: after the penalty) - LogprobOptions' PROCESSED source; may be
 *              logits itself (in place)
 *   token      receives the id
 * Errors: INVALID_ARGUMENT (NULL logits/token, vocab < 1, n_history < 0, history NULL with
 * n_history > 0, an id outside [0, vocab), an option out of range, struct_size too small),
 * NUMERIC (NaN/+inf or no finite logit, also after the penalty or the temperature). Thread-safe.
 */
MOCO_API moco_status moco_sample(const float* logits, int vocab, const moco_sampling_options* opts,
                                 const int32_t* history, int n_history, uint64_t seed,
                                 uint64_t tokens_generated, uint64_t sample_index,
                                 float* processed, int32_t* token);

/* -- Forward and draw: one decode step with the sampling on the model's device ------------------ */

/* What moco_forward_sample draws for one entry: moco_sample's arguments for its last new position. */
typedef struct moco_sample_request {
    int draw;                      /* nonzero: draw this entry's next token; 0: none (a prefill chunk
                                      that does not end its prompt), tokens[i] is set to -1 */
    moco_sampling_options options; /* as for moco_sample (its struct_size versions it) */
    const int32_t* history;        /* the repetition penalty's ids, n_history of them (prompt and
                                      generated tokens; the entry's new tokens are not added) */
    int32_t n_history;
    uint64_t seed;                 /* the draw's uniform: moco_sampling_uniform(seed, */
    uint64_t tokens_generated;     /*   tokens_generated, sample_index) */
    uint64_t sample_index;
    float* processed;              /* NULL, or output_size floats receiving moco_sample's `processed`
                                      (the LogprobOptions PROCESSED source) */
} moco_sample_request;

/*
 * moco_forward, then tokens[i] = the token moco_sample picks from entry i's last new position with
 * requests[i] - in one call, so that on a CUDA context the logits stay on the GPU: the draw runs
 * there and only the token ids (and the `processed` rows asked for) come back, instead of a
 * vocabulary-wide row per entry. The entries' own logits and hidden outputs work as in moco_forward
 * (logits_mode NONE is the usual choice here). The model must be a causal LM.
 *
 * All or nothing, like moco_forward: if a draw fails (MOCO_ERR_NUMERIC: moco_sample's numeric
 * failures, the entry named), no sequence changes. On the CPU the tokens are moco_sample's exactly.
 * On a CUDA context they are too except where top-p's mass or the draw's running sum lies within
 * about 1e-8 of its threshold (the device sums in fixed point; src/cuda/sampling.h).
 *
 * Errors: those of moco_forward and of moco_sample's argument checks (requests[i] named), plus
 * MOCO_ERR_INVALID_ARGUMENT for NULL requests or tokens and for a sequence classifier.
 */
MOCO_API moco_status moco_forward_sample(moco_kv_cache* cache, const moco_batch_entry* entries,
                                         int n_entries, const moco_sample_request* requests,
                                         int32_t* tokens);

/* -- Weight merges (M1-M8, SLERP), streamed chunk by chunk ----------------------------------- */

#define MOCO_MAX_DIMS 8

/* Dtype and shape of one tensor. */
typedef struct moco_tensor_desc {
    int dtype;                      /* a moco_dtype */
    int ndim;                       /* 0..MOCO_MAX_DIMS */
    int64_t shape[MOCO_MAX_DIMS];   /* the first ndim entries, each >= 1 */
} moco_tensor_desc;

/* moco_merge_spec.method (the mergekit 0.1.4 methods of M7, plus ExPO and SLERP). */
typedef enum moco_merge_method {
    MOCO_MERGE_LINEAR = 0,          /* M1 (+ M2): sum w_i theta_i, divided by sum w_i when normalize
                                       (default on). No base. Also M10 (normalize 0, per A and B) */
    MOCO_MERGE_TASK_ARITHMETIC = 1, /* M3 + M6 without consensus (normalize default off) */
    MOCO_MERGE_TIES = 2,            /* M3 + M4 magnitude trim + M6 (normalize default on) */
    MOCO_MERGE_DARE_TIES = 3,       /* M3 + M5 random drop + M6 (normalize default off) */
    MOCO_MERGE_DARE_LINEAR = 4,     /* M3 + M5 + M6 without consensus */
    MOCO_MERGE_EXTRAPOLATE = 5,     /* M8: theta_t + alpha (theta_t - theta_s); input 0 = theta_t,
                                       base = theta_s */
    MOCO_MERGE_SLERP = 6            /* spherical interpolation from base (t = 0) to input 0 (t = 1)
                                     */
} moco_merge_method;

/* moco_merge_spec.consensus (TIES, DARE_TIES). */
typedef enum moco_merge_consensus {
    MOCO_CONSENSUS_SUM = 0,   /* sign of sum_i w_i delta_i (default) */
    MOCO_CONSENSUS_COUNT = 1  /* sign of sum_i sign(w_i delta_i) */
} moco_merge_consensus;

/* moco_merge_spec.rescale (DARE_TIES, DARE_LINEAR). */
typedef enum moco_merge_rescale {
    MOCO_RESCALE_NONE = 0,           /* delta~ as dropped */
    MOCO_RESCALE_L1 = 1,             /* delta~ *= |delta|_1 / |delta~|_1 if both >= 1e-7; default */
    MOCO_RESCALE_INVERSE_DENSITY = 2 /* delta~ /= density (the DARE paper) */
} moco_merge_rescale;

/* One input of a tensor merge. Frozen layout. */
typedef struct moco_merge_input {
    moco_tensor_desc tensor; /* the input's tensor */
    float weight;            /* finite; M6 and M1 weight */
    double density;          /* TIES/DARE: fraction kept (>= 1 keeps all; the default, 1). Other
                                methods require 1. k = floor(density * numel) in double (M4);
                                DARE keeps u < density (M5) */
    int model_index;         /* the input's index in the merge's model list: the M5 stream */
} moco_merge_input;

/* What to merge for one tensor name. Versioned: see "Versioned structs" above. Only read during
 * moco_merge_plan_create / moco_merge_tensor. */
typedef struct moco_merge_spec {
    int struct_size;                 /* sizeof(moco_merge_spec) as compiled by the caller */
    int method;                      /* a moco_merge_method */
    const char* tensor_name;         /* the tensor's name: the M5 stream and messages; not NULL */
    int is_embedding;                /* 1 for the input embedding / output head (embed_tokens,
                                        lm_head): M2/M3 shape rectification applies */
    int n_inputs;                    /* >= 1 */
    const moco_merge_input* inputs;  /* n_inputs entries */
    const moco_tensor_desc* base;    /* theta_b (TASK_ARITHMETIC, TIES, DARE_*), theta_s
                                        (EXTRAPOLATE), the t = 0 end (SLERP); NULL for LINEAR */
    int out_dtype;                   /* a moco_dtype: the output's storage dtype */
    int normalize;                   /* -1 = the method's default (M7), 0, 1 */
    int consensus;                   /* a moco_merge_consensus */
    int rescale;                     /* -1 = the method's default (L1 for DARE), else a
                                        moco_merge_rescale; DARE methods only */
    float lambda;                    /* M6 scale of the merged delta (default 1) */
    float alpha;                     /* EXTRAPOLATE's alpha (default 0) */
    float t;                         /* SLERP's t (default 0) */
    uint64_t seed;                   /* the run seed: the M5 stream */
} moco_merge_spec;

/* A spec with every field at its default: LINEAR, no inputs, F32 output, normalize -1, lambda 1. */
MOCO_API moco_merge_spec moco_merge_default_spec(void);

/*
 * Shapes (M2, M3, M8). The output has the base's shape (LINEAR: the inputs'). Inputs of another
 * shape: for an embedding whose tensors are all 2-D, LINEAR and SLERP cut every tensor to
 * [min rows, min cols] (M2) and the base methods cut an input at least as large as the base to
 * [base rows, base cols] (M3); a non-embedding input of another shape is skipped by the base
 * methods (no delta, no divisor weight: see moco_merge_plan_input_used) - every other mismatch,
 * and any for EXTRAPOLATE, is INVALID_ARGUMENT naming the tensor and both shapes.
 *
 * Per element, in f32 (each input read in its dtype, one rounding into out_dtype):
 *   LINEAR          acc = w_1 theta_1 + w_2 theta_2 + ... in input order, weight-0 inputs skipped
 *                   (0 when none is left); normalize: acc / sum w_i (sum in input order;
 *                   |sum w_i| < 1e-8 is INVALID_ARGUMENT)
 *   base methods    delta_i = theta_i - theta_b; sparsify (TIES: keep the k = floor(density *
 *                   numel) largest |delta| of the tensor, equal magnitudes lowest index first,
 *                   k = 0 INVALID; DARE: the moco_dare_mask drop at the output's flat element
 *                   index, then rescale); u_i = w_i delta_i; then M6: consensus methods elect
 *                   sigma = +1 where sum u_i >= 0 (COUNT: sum sign(u_i) >= 0) else -1,
 *                   mixed = sum u_i [sign(u_i) = sigma], D = sum w_i [sign(u_i) = sigma]
 *                   (0 -> 1), sign(0) never agreeing; the others mixed = sum u_i, D = sum w_i
 *                   (|D| < 1e-8 -> 1); normalize: mixed /= D; lambda != 1: mixed *= lambda;
 *                   out = theta_b + mixed
 *   EXTRAPOLATE     out = theta_t + alpha (theta_t - theta_s)
 *   SLERP           mergekit's slerp over the whole tensor: with c = <theta_b, theta_1> /
 *                   (|theta_b| |theta_1|) (a norm <= 1e-8 counts as 1), |c| > 0.9995 gives
 *                   (1 - t) theta_b + t theta_1, else s_0 theta_b + s_1 theta_1 with
 *                   s_0 = sin((1 - t) phi) / sin phi, s_1 = sin(t phi) / sin phi,
 *                   phi = acos c (dot product and norms in f64, coefficients rounded to f32)
 * Adding a zero delta leaves the base's bits unchanged (-0 included), so merging identical models,
 * alpha = 0 and density-1 single-model TIES reproduce their input exactly when the deltas are
 * exact (always for F16/BF16 storage). A non-finite result, or one beyond out_dtype's range, is
 * NUMERIC naming the tensor and element.
 */

typedef struct moco_merge_plan moco_merge_plan; /* opaque: one tensor's merge */

/*
 * Validates `spec` and prepares the merge of one tensor. *out is owned by the caller until
 * moco_merge_plan_destroy. Errors: INVALID_ARGUMENT (NULL, struct_size too small, an unknown
 * method/dtype/consensus/rescale, a weight not finite, a density NaN or != 1 for a method without
 * sparsification, a field that does not apply to the method set to a non-default value, a shape
 * mismatch, TIES k = 0), OUT_OF_MEMORY.
 */
MOCO_API moco_status moco_merge_plan_create(const moco_merge_spec* spec, moco_merge_plan** out);

/* What a plan produces. Versioned: set struct_size before calling moco_merge_plan_get_info. */
typedef struct moco_merge_plan_info {
    int struct_size;
    moco_tensor_desc output; /* out_dtype and the output shape */
    int64_t numel;           /* elements of the output */
    int64_t cols;            /* output row length: the last dimension (numel for 1-D, 1 for 0-D) */
    int inputs_used;         /* inputs that take part (the others were skipped, M3) */
    int needs_scan;          /* 1: a scan pass over the whole tensor must run before apply */
} moco_merge_plan_info;

MOCO_API moco_status moco_merge_plan_get_info(const moco_merge_plan* plan,
                                              moco_merge_plan_info* info);

/* *used = 1 if input `input` takes part, 0 if M3 skipped it (a warning the caller reports). */
MOCO_API moco_status moco_merge_plan_input_used(const moco_merge_plan* plan, int input, int* used);

/*
 * Streaming. Both scan and apply take one chunk: elements [offset, offset + count) of the output.
 *   inputs[i]  points at the element of input i that output element `offset` reads: flat index
 *              (offset / cols) * in_cols + offset % cols, in_cols = input i's last dimension
 *              (equal to offset unless an embedding is cut); later elements follow the same
 *              mapping, so a cut input's chunk must span the rows the output chunk touches.
 *              Skipped inputs are not read (NULL allowed).
 *   base       likewise for the base (NULL for LINEAR).
 * TIES (density < 1), DARE with L1 rescale (0 < density < 1) and SLERP need whole-tensor statistics
 * first: while needs_scan (from moco_merge_plan_get_info, then from end_pass's *more), feed every
 * chunk to moco_merge_plan_scan in increasing, contiguous offset order from 0 to numel, then call
 * moco_merge_plan_end_pass. TIES takes 2 or 3 passes, the others 1. Scanning is not thread-safe
 * on one plan. Results never depend on the chunk sizes. The kernels run on the calling thread: a
 * caller parallelises by applying chunks (or tensors) from several threads.
 * Errors: INVALID_ARGUMENT (NULL pointers, a chunk outside [0, numel), out of order, or a pass
 * ended before it covered the tensor; scan when no pass is needed).
 */
MOCO_API moco_status moco_merge_plan_scan(moco_merge_plan* plan, const void* const* inputs,
                                          const void* base, int64_t offset, int64_t count);
MOCO_API moco_status moco_merge_plan_end_pass(moco_merge_plan* plan, int* more);

/*
 * Writes output elements [offset, offset + count) into out (pointing at element `offset`, in
 * out_dtype). Chunks may come in any order and from several threads at once. Errors:
 * INVALID_ARGUMENT (NULL, a chunk outside the tensor, scan passes not finished), NUMERIC.
 */
MOCO_API moco_status moco_merge_plan_apply(const moco_merge_plan* plan, const void* const* inputs,
                                           const void* base, int64_t offset, int64_t count,
                                           void* out);

/* Destroys the plan. NULL is a no-op. No other call on it may be running. Never fails. */
MOCO_API void moco_merge_plan_destroy(moco_merge_plan* plan);

/*
 * One whole tensor in one call: inputs[i], base and out point at element 0 of complete tensors
 * (memory-mapped files are fine: the kernel walks them in chunks, so the working set stays small).
 * Same rules and errors as the plan functions; bit-identical to any chunked use of them.
 */
MOCO_API moco_status moco_merge_tensor(const moco_merge_spec* spec, const void* const* inputs,
                                       const void* base, void* out);

/*
 * moco_merge_tensor on the device of `ctx` (moco_merge_tensor stays the context-free CPU call).
 * A CPU context runs exactly moco_merge_tensor. A CUDA context ("cuda:N") merges on that GPU: the
 * host tensors are uploaded in chunks of at most 2^24 output elements (once when the tensor fits
 * one chunk, else once per scan pass and once for the apply), merged by the device kernels, and
 * the result is written to `out` in host memory. Same spec,
 * pointers, rules and errors as moco_merge_tensor, and the same bits except DARE with L1 rescale
 * and SLERP: their f64 statistics add in another order on the GPU, so the f32 rescale factor or
 * slerp coefficients may differ from the CPU's by one f32 ulp (rarely; outputs then agree within
 * one rounding of out_dtype). Further errors: INVALID_ARGUMENT (ctx NULL), OUT_OF_MEMORY (device
 * memory), INTERNAL (a failed CUDA call, named). A build without CUDA cannot create a CUDA context
 * (moco_context_create answers MOCO_ERR_UNIMPLEMENTED), so there every call runs on the CPU.
 */
MOCO_API moco_status moco_merge_tensor_on(const moco_context* ctx, const moco_merge_spec* spec,
                                          const void* const* inputs, const void* base, void* out);

/* -- LoRA (M9, M10), PSO (M11), weight softmax (M12) ----------------------------------------- */

/*
 * M9 LoRA apply, rows [row_offset, row_offset + row_count) of W' = W + scale * (B A), rounded once
 * into out_dtype. W is stored [rows, cols] in w_dtype; w and out point at row row_offset.
 *   fan_in_fan_out 0: W is [out, in] = [rows, cols], A [rank, cols], B [rows, rank]
 *   fan_in_fan_out 1: W is [in, out] = [rows, cols], gets (B A)^T: A [rank, rows], B [cols, rank]
 * A and B are complete. (B A)[o][i] = sum_k B[o][k] A[k][i] in f32, k ascending; then * scale (the
 * caller's lora_alpha / r or / sqrt(r), per-module patterns resolved); then + W.
 * Errors: INVALID_ARGUMENT (NULL, sizes < 1 or out of range, rank < 1, scale not finite, a bad
 * dtype), NUMERIC (a non-finite result or one beyond out_dtype's range).
 */
MOCO_API moco_status moco_lora_apply(const void* w, int w_dtype, int64_t rows, int64_t cols,
                                     const void* a, int a_dtype, const void* b, int b_dtype,
                                     int rank, float scale, int fan_in_fan_out,
                                     int64_t row_offset, int64_t row_count, void* out,
                                     int out_dtype);
/* M10 (LoRAHub's A' = sum w_i A_i, B' = sum w_i B_i, separately) is MOCO_MERGE_LINEAR with
 * normalize 0 applied to every A and every B tensor of the adapters. */

/*
 * M11 particle-swarm step over `count` elements of x (position), v (velocity), p (personal best),
 * g (global best), w (global worst), all in `dtype`:
 *   v' = a v + b (p - x) + c (g - x) + d (x - w)   (left to right, f32)
 *   x' = x + step v'                               (with the f32 v', before its rounding)
 * written to x_out and v_out in out_dtype (they may alias x and v). Errors: INVALID_ARGUMENT
 * (NULL, count < 0, a coefficient not finite, a bad dtype), NUMERIC.
 */
MOCO_API moco_status moco_pso_step(const void* x, const void* v, const void* p, const void* g,
                                   const void* w, int dtype, int64_t count, float a, float b,
                                   float c, float d, float step, void* x_out, void* v_out,
                                   int out_dtype);

/* M12: out_i = exp(x_i - max x) / sum_j exp(x_j - max x), rounded to f32 (exp and the sum in
 * double, in index order). out may be x. Errors: INVALID_ARGUMENT (NULL, n < 1, a non-finite x). */
MOCO_API moco_status moco_softmax_weights(const float* x, int n, float* out);

/* ---------------------------------------------------------------------------------------------
 * Training: full fine-tuning or LoRA of a loaded causal LM on the CPU or a GPU, with SFT, DPO,
 * policy-gradient (GRPO-style) and CoLLM deferral losses, AdamW and gradient accumulation.
 *
 * A trainer keeps F32 master copies of what it trains (every tensor for full fine-tuning, whatever
 * the stored dtype; the LoRA factors otherwise) and never changes the model it was created on: the
 * model stays the frozen reference of DPO and of the KL term (for LoRA, the base without the
 * adapter). Each optimizer step takes the micro-batches added since the previous step (gradient
 * accumulation): add one or more with moco_trainer_add_batch, then call moco_trainer_step.
 *
 * Deterministic: for the same model, options, seed and batches the weights after N steps are
 * bit-identical whatever the thread count (every reduction has a fixed order, as in moco_forward).
 * On a CUDA context the masters, gradients, moments and activations live on the model's GPU; its
 * steps are deterministic run to run on one GPU and agree with the CPU's to float rounding (cuBLAS
 * sums in its own order).
 * A trainer is NOT thread-safe: one call at a time per trainer.
 * ------------------------------------------------------------------------------------------- */

typedef struct moco_trainer moco_trainer; /* opaque */

/* moco_trainer_options.mode */
typedef enum moco_train_mode {
    MOCO_TRAIN_LORA = 0, /* train a new LoRA adapter; the base stays frozen */
    MOCO_TRAIN_FULL = 1  /* train every tensor of the model (F32 masters) */
} moco_train_mode;

/* moco_trainer_options.lora_targets bits (the projections of every layer a LoRA adapts). */
#define MOCO_LORA_Q_PROJ (1u << 0)
#define MOCO_LORA_K_PROJ (1u << 1)
#define MOCO_LORA_V_PROJ (1u << 2)
#define MOCO_LORA_O_PROJ (1u << 3)
#define MOCO_LORA_GATE_PROJ (1u << 4)
#define MOCO_LORA_UP_PROJ (1u << 5)
#define MOCO_LORA_DOWN_PROJ (1u << 6)

/* moco_trainer_options.schedule: the learning-rate multiplier after warmup_steps of linear warmup
 * (transformers' get_*_schedule_with_warmup; the first optimizer step is step 0, so with warmup it
 * has learning rate 0, as in HF). */
typedef enum moco_lr_schedule {
    MOCO_LR_CONSTANT = 0, /* 1 */
    MOCO_LR_LINEAR = 1,   /* linear decay to 0 at total_steps */
    MOCO_LR_COSINE = 2    /* half a cosine to 0 at total_steps */
} moco_lr_schedule;

/* Options for moco_trainer_create. Versioned: see "Versioned structs" above. */
typedef struct moco_trainer_options {
    int struct_size;           /* sizeof(moco_trainer_options) as compiled by the caller */
    int mode;                  /* a moco_train_mode; default MOCO_TRAIN_LORA */
    int lora_rank;             /* >= 1; default 8 */
    float lora_alpha;          /* > 0; default 8; scale = alpha / rank (alpha / sqrt(rank) with
                                  use_rslora) */
    int use_rslora;            /* 0 (default) or 1 */
    uint32_t lora_targets;     /* MOCO_LORA_* bits, not 0; default Q_PROJ | V_PROJ (PEFT's Llama
                                  default) */
    float lora_dropout;        /* in [0, 1); default 0. PEFT's dropout of the adapter input, drawn
                                  from Philox keyed by seed (reproducible) */
    float learning_rate;       /* >= 0, finite; default 1e-5 */
    float adam_beta1;          /* in [0, 1); default 0.9 */
    float adam_beta2;          /* in [0, 1); default 0.999 */
    float adam_epsilon;        /* > 0; default 1e-8 */
    float weight_decay;        /* >= 0; default 0. Decoupled (AdamW); biases and norm weights
                                  are exempt (HF Trainer) */
    float max_grad_norm;       /* > 0: clip the global gradient norm to it (torch's
                                  clip_grad_norm_); 0 = no clipping; default 1 */
    int schedule;              /* a moco_lr_schedule; default MOCO_LR_LINEAR (HF's default) */
    int warmup_steps;          /* >= 0; default 0 */
    int total_steps;           /* >= 1: the schedule's length; default 1 */
    uint64_t seed;             /* LoRA initialisation and dropout; default 42 */
    float dpo_beta;            /* > 0; default 0.1 */
    float kl_beta;             /* >= 0: weight of the policy-gradient KL term; default 0.04 (TRL
                                  GRPO); 0 skips the reference forward */
    int added_vocab_rows;      /* 0 (default) or 1 (MOCO_TRAIN_FULL only): append one vocabulary
                                  entry, CoLLM's <|defer|>, as the last row of the embedding and
                                  the head: its input row is the mean of the other input rows */
    const float* added_output_row; /* NULL, or hidden_size floats: the added entry's head row
                                      (CoLLM's g; with tied embeddings the one row it shares);
                                      NULL = the mean of the head's rows. Read during create */
    /* --- v2 (struct_size covers them; older callers get the defaults) --- */
    float pg_temperature;      /* > 0, finite; default 1: POLICY_GRADIENT log-probs (policy and
                                  reference) come from logits / pg_temperature, the temperature
                                  the rollouts were sampled at (TRL's GRPOTrainer) */
    int pg_token_mean;         /* 0 (default) or 1: POLICY_GRADIENT's unit. 0 = sequence (each
                                  sequence's mean over its target tokens, the GRPO paper); 1 =
                                  target token (the sum over every target of the step divided by
                                  their count: TRL 0.19's default loss_type "bnpo") */
} moco_trainer_options;

/* Options with every field at its default. */
MOCO_API moco_trainer_options moco_trainer_default_options(void);

/*
 * Creates a trainer for `model` (a causal LM; it runs on the model's context: the CPU context's
 * threads, or the GPU of a "cuda:N" context, which then holds 16 bytes per trained parameter).
 * The model must outlive the trainer; it is only read.
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL model/out, struct_size too small, a field out of range -
 * named -, a classifier model), MOCO_ERR_OUT_OF_MEMORY (host or GPU memory; on a GPU also from
 * moco_trainer_add_batch, whose activations live there, with nothing of the step lost).
 */
MOCO_API moco_status moco_trainer_create(moco_model* model, const moco_trainer_options* opts,
                                         moco_trainer** out);

/* moco_trainer_add_batch's loss_kind: what a micro-batch trains. All micro-batches of one
 * optimizer step must have the same kind; the step's loss is the mean over its units. */
typedef enum moco_loss_kind {
    MOCO_LOSS_SFT = 0,             /* token cross-entropy of the target tokens; unit: target token
                                      (the sum over every micro-batch of the step divided by their
                                      total target tokens, as transformers >= 4.46 with
                                      num_items_in_batch) */
    MOCO_LOSS_DPO = 1,             /* examples in pairs (chosen, rejected): -log sigmoid(dpo_beta *
                                      margin), margin = (policy - reference log-prob of chosen) -
                                      (the same of rejected), log-probs summed over the target
                                      tokens; unit: pair */
    MOCO_LOSS_POLICY_GRADIENT = 2, /* GRPO: advantage = (reward - group mean) / (group std + 1e-4)
                                      (unbiased std over the examples of one call sharing `group`);
                                      per target token -advantage * ratio + kl_beta * KL(k3
                                      estimator to the reference), log-probs at pg_temperature;
                                      unit: sequence (its tokens' mean) or, with pg_token_mean,
                                      target token */
    MOCO_LOSS_DEFER = 3            /* CoLLM deferral: per target token, -log(sigmoid(-z) p(y) +
                                      sigmoid(z) exp(mentor_logprob)), z = the last vocabulary
                                      entry's logit, p = softmax over the others; unit: target token
                                      */
} moco_loss_kind;

/*
 * One training sequence. Frozen layout. Sequences are trained whole, from position 0; variable
 * lengths need no padding (right padding with target_mask 0 changes nothing either).
 */
typedef struct moco_train_example {
    const int32_t* tokens;         /* n_tokens ids in [0, vocab) (vocab includes an added row) */
    int32_t n_tokens;              /* >= 2 */
    const uint8_t* target_mask;    /* NULL: tokens 1..n_tokens-1 are targets; else n_tokens flags,
                                      1 = this token is a target (predicted from the ones before;
                                      a prompt token is 0); flag 0 is ignored. At least one
                                      target. */
    float reward;                  /* POLICY_GRADIENT: the sequence's reward; else ignored */
    int32_t group;                 /* POLICY_GRADIENT: examples of one call with the same group
                                      are normalised together (>= 2 per group); else ignored */
    const float* mentor_logprobs;  /* DEFER: n_tokens floats, at each target t the mentor's
                                      log-prob of tokens[t] (others ignored); else ignored */
} moco_train_example;

/*
 * Runs the forward and backward of one micro-batch and accumulates its gradients (and loss) into
 * the current step. DPO: examples 2i (chosen) and 2i+1 (rejected) form pair i (n_examples even).
 * All or nothing: on failure nothing is accumulated.
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL trainer/examples, n_examples < 1, an unknown loss_kind or
 * one other than the step's, a malformed example - index and field named -, a group of one,
 * DEFER without mentor_logprobs), MOCO_ERR_NUMERIC (a non-finite loss).
 */
MOCO_API moco_status moco_trainer_add_batch(moco_trainer* trainer, int loss_kind,
                                            const moco_train_example* examples, int n_examples);

/* What a step did. Versioned: set struct_size before calling moco_trainer_step. */
typedef struct moco_train_step_stats {
    int struct_size;
    int64_t step;              /* optimizer steps taken, this one included */
    float loss;                /* the step's mean loss (see moco_loss_kind), before the update */
    float grad_norm;           /* global gradient norm before clipping */
    float learning_rate;       /* the learning rate this step used */
    int64_t tokens;            /* tokens forwarded through the policy in this step */
    int64_t target_tokens;     /* of which targets */
    float dpo_margin;          /* DPO: mean over the step's pairs of the margin (log-ratio of
                                  chosen minus that of rejected, without beta); else 0 */
} moco_train_step_stats;

/*
 * Ends the step: divides the accumulated gradients by the step's units, clips, applies AdamW with
 * this step's learning rate, and clears the accumulation. stats may be NULL.
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL trainer, no micro-batch since the last step,
 * stats->struct_size too small), MOCO_ERR_NUMERIC (a non-finite gradient: the weights are left
 * unchanged and the step's batches dropped).
 */
MOCO_API moco_status moco_trainer_step(moco_trainer* trainer, moco_train_step_stats* stats);

/*
 * Writes the trained LoRA adapter as a PEFT directory (created if needed; existing files replaced):
 * adapter_config.json and adapter_model.safetensors (F32 tensors named
 * base_model.model.model.layers.N.<module>.lora_{A,B}.weight), loadable by moco_adapter_load and
 * PEFT. Errors: MOCO_ERR_INVALID_ARGUMENT (NULL, a full fine-tuning trainer), MOCO_ERR_IO.
 */
MOCO_API moco_status moco_trainer_save_adapter(const moco_trainer* trainer, const char* directory);

/*
 * Writes the trained model as a Hugging Face checkpoint directory: config.json copied from
 * base_directory (vocab_size updated when a row was added) with the other files there that are
 * not weights (tokenizer, generation config), and model.safetensors in the model's stored dtype
 * (masters rounded to nearest even), loadable by moco_model_load. A LoRA trainer writes the
 * merged weights W + scale B A. Errors: MOCO_ERR_INVALID_ARGUMENT (NULL), MOCO_ERR_NOT_FOUND
 * (base_directory/config.json), MOCO_ERR_IO.
 */
MOCO_API moco_status moco_trainer_save_model(const moco_trainer* trainer, const char* base_directory,
                                             const char* directory);

/*
 * Writes what the trainer's next step depends on - the masters, AdamW's moments, the optimizer steps
 * taken and the micro-batches they consumed (LoRA dropout's stream) - as of its last
 * moco_trainer_step (micro-batches added since are not part of it), to one safetensors file at
 * `path` (replaced; written under path + ".tmp" and renamed, so a crash never leaves half a file).
 * A trainer created later with the same model and options continues from it with
 * moco_trainer_load_state: its next step gives the bits an uninterrupted trainer's would (on the same
 * device). The options are the new trainer's own (learning rate, schedule, ... may change).
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL), MOCO_ERR_IO, MOCO_ERR_OUT_OF_MEMORY.
 */
MOCO_API moco_status moco_trainer_save_state(const moco_trainer* trainer, const char* path);

/*
 * Continues from a state written by moco_trainer_save_state, on any device. The trainer must have
 * no micro-batch pending (a fresh trainer, or right after moco_trainer_step); every tensor of the
 * file is checked against the trainer's parameters before anything changes.
 * Errors: MOCO_ERR_INVALID_ARGUMENT (NULL; micro-batches pending; not a trainer state; the state of
 * another model or options - naming the first tensor that differs), MOCO_ERR_NOT_FOUND (no file at
 * path), MOCO_ERR_IO.
 */
MOCO_API moco_status moco_trainer_load_state(moco_trainer* trainer, const char* path);

/* Destroys the trainer. NULL is a no-op. Never fails. */
MOCO_API void moco_trainer_destroy(moco_trainer* trainer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOCO_H */
