// The CUDA backend's throughput on a ~1.2B-parameter Llama (Llama-3.2-1B's shapes: hidden 2048,
// 16 layers, 32 heads / 8 kv heads, intermediate 8192, vocab 128256, untied head; random BF16
// weights built in memory), against the memory-bandwidth bound of decoding:
//
//   HBM copy bandwidth   cudaMemcpy device-to-device of 1 GiB, bytes read + written per second
//   decode tokens/s      batch 1, 32, 128; one token per sequence per call over a 512-token context
//                        (batch 1 also without CUDA graphs, MOCO_CUDA_GRAPHS=0)
//   decode + draw        batch 32, 128: drawing on the host from copied logits vs moco_forward_sample
//   logit fusion         two models' decode at batch 1 fused on the host per step, vs one model
//   bound (batch 1)      bandwidth / bytes of the weights read per token (every matrix once)
//   prefill tokens/s     one call of 1 x 2048 and of 8 x 512 new tokens
//   merge GB/s           LINEAR / TIES / DARE_TIES of ~1.3 GB of BF16 tensors (bench_cuda_merge.h)
//   sampling             device sample_rows vs copy + moco_sample (bench_cuda_sampling.cpp)
//   training             optimizer steps of a ~110M Llama on the GPU vs the CPU trainer (bench_cuda_train.cpp)
//
// Prints a markdown table (tools/cuda/device_check.sh saves it). Plain timing with a warm-up call,
// not Google Benchmark, so it builds wherever the CUDA backend does.
//
//   moco_cuda_bench [device]      (default cuda:0)
#include "bench_cuda_merge.h"
#include "bench_cuda_sampling.h"
#include "bench_cuda_train.h"
#include "bench_model.h"
#include "moco.h"

#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using moco::bench::BenchModel;
using moco::bench::BenchShape;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "moco_cuda_bench: %s: %s\n", what, moco_last_error());
    std::exit(1);
}

// Bytes read plus written per second by a device-to-device copy of 1 GiB (best of 10).
double copy_bandwidth() {
    const size_t bytes = size_t{1} << 30;
    void* a = nullptr;
    void* b = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) {
        std::fprintf(stderr, "moco_cuda_bench: cudaMalloc of 2 GiB failed\n");
        std::exit(1);
    }
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    float best_ms = 1e30f;
    for (int i = 0; i < 11; ++i) {
        cudaEventRecord(start);
        cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
        cudaEventRecord(stop);
        cudaEventSynchronize(stop);
        float ms = 0.0f;
        cudaEventElapsedTime(&ms, start, stop);
        if (i > 0 && ms < best_ms) best_ms = ms;
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    cudaFree(a);
    cudaFree(b);
    return 2.0 * static_cast<double>(bytes) / (best_ms * 1e-3);
}

// `batch` sequences on one cache sized for them.
struct Batch {
    Batch(moco_model* model, int batch, int max_tokens) : vocab(model->config.vocab_size) {
        moco_kv_cache_options o = moco_kv_cache_default_options();
        const moco::ModelConfig& c = model->config;
        const uint64_t per_token = uint64_t{2} * c.num_layers * c.num_kv_heads * c.head_dim * sizeof(float);
        o.memory_bytes = per_token * static_cast<uint64_t>(batch) * static_cast<uint64_t>(max_tokens + 16);
        o.max_sequences = batch;
        if (moco_kv_cache_create(model, &o, &cache) != MOCO_OK) die("moco_kv_cache_create");
        entries.resize(static_cast<size_t>(batch));
        logits.resize(static_cast<size_t>(batch) * vocab);
        for (int b = 0; b < batch; ++b) {
            if (moco_seq_create(cache, &entries[static_cast<size_t>(b)].seq) != MOCO_OK) die("moco_seq_create");
        }
    }
    ~Batch() { moco_kv_cache_destroy(cache); }

    // Appends n tokens to every sequence; the last position's logits come back.
    void append(int n) {
        tokens.resize(entries.size() * static_cast<size_t>(n));
        for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7919 + step++) % vocab);
        for (size_t b = 0; b < entries.size(); ++b) {
            moco_batch_entry& e = entries[b];
            e.tokens = tokens.data() + b * static_cast<size_t>(n);
            e.n_tokens = n;
            e.logits_mode = MOCO_OUTPUT_LAST;
            e.logits = logits.data() + b * static_cast<size_t>(vocab);
        }
        if (moco_forward(cache, entries.data(), static_cast<int>(entries.size())) != MOCO_OK) die("moco_forward");
    }
    void truncate(int n) {
        for (const moco_batch_entry& e : entries) moco_seq_truncate(cache, e.seq, n);
    }

    // One decode step as a server runs it: the forward, then a draw per sequence (temperature 0.8,
    // top-p 0.95) - on the host from the copied-back logits (moco_forward + moco_sample), or where the
    // logits are (moco_forward_sample, no logits copied). Each next step feeds the drawn tokens.
    void step_and_draw(bool on_device) {
        const size_t n = entries.size();
        drawn.resize(n, 0);
        requests.resize(n);
        for (size_t b = 0; b < n; ++b) {
            moco_sample_request& r = requests[b];
            r = moco_sample_request{};
            r.draw = 1;
            r.options = moco_sampling_default_options();
            r.options.temperature = 0.8f;
            r.options.top_p = 0.95f;
            r.seed = b;
            r.tokens_generated = step;
            moco_batch_entry& e = entries[b];
            e.tokens = &drawn[b];
            e.n_tokens = 1;
            e.logits_mode = on_device ? MOCO_OUTPUT_NONE : MOCO_OUTPUT_LAST;
            e.logits = logits.data() + b * static_cast<size_t>(vocab);
        }
        ++step;
        if (on_device) {
            next.resize(n);
            if (moco_forward_sample(cache, entries.data(), static_cast<int>(n), requests.data(), next.data()) != MOCO_OK) {
                die("moco_forward_sample");
            }
        } else {
            if (moco_forward(cache, entries.data(), static_cast<int>(n)) != MOCO_OK) die("moco_forward");
            next.resize(n);
            for (size_t b = 0; b < n; ++b) {
                const moco_sample_request& r = requests[b];
                if (moco_sample(entries[b].logits, vocab, &r.options, nullptr, 0, r.seed, r.tokens_generated,
                                r.sample_index, nullptr, &next[b]) != MOCO_OK) {
                    die("moco_sample");
                }
            }
        }
        drawn.swap(next);
    }

    int vocab;
    moco_kv_cache* cache = nullptr;
    std::vector<moco_batch_entry> entries;
    std::vector<int32_t> tokens;
    std::vector<float> logits;
    std::vector<moco_sample_request> requests;
    std::vector<int32_t> drawn, next;
    size_t step = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const char* device = argc > 1 ? argv[1] : "cuda:0";
    const double bandwidth = copy_bandwidth();
    // First, so that its few seconds are measured even when the decode runs out of time.
    moco::bench::bench_merges(std::strncmp(device, "cuda:", 5) == 0 ? std::atoi(device + 5) : 0, bandwidth);

    BenchShape shape;
    shape.vocab = 128256;
    shape.hidden = 2048;
    shape.intermediate = 8192;
    shape.layers = 16;
    shape.heads = 32;
    shape.kv_heads = 8;
    shape.max_positions = 4096;
    const auto load_start = Clock::now();
    BenchModel bench(shape, moco::DType::BF16, 0, device);
    const double load_s = seconds_since(load_start);
    moco_model* model = bench.model();
    // Per decoded token every matrix is read once, the embedding only one row.
    const double weight_bytes =
        2.0 * (static_cast<double>(bench.parameters()) - static_cast<double>(shape.vocab) * shape.hidden);
    const double bound = bandwidth / weight_bytes;

    std::printf("## moco_cuda_bench on %s\n\n", device);
    std::printf("model: Llama %.2fB parameters (BF16), built and uploaded in %.1f s\n", bench.parameters() / 1e9, load_s);
    std::printf("HBM copy bandwidth: %.0f GB/s (read + write); weights read per token: %.2f GB; "
                "batch-1 bound: %.1f tokens/s\n\n", bandwidth / 1e9, weight_bytes / 1e9, bound);
    std::printf("| workload | tokens/s | ms/call | vs batch-1 bandwidth bound |\n|---|---|---|---|\n");

    const int context = 512;
    const int steps = 32;
    double single_tps = 0.0;  // decode batch 1, for the fusion row's ratio
    for (int batch : {1, 32, 128}) {
        if (batch == 1) {
            // The same decode without CUDA graphs: every kernel launched from the host.
            setenv("MOCO_CUDA_GRAPHS", "0", 1);
            Batch b(model, 1, context + steps + 1);
            b.append(context);
            b.append(1);
            const auto start = Clock::now();
            for (int s = 0; s < steps; ++s) b.append(1);
            const double t = seconds_since(start);
            unsetenv("MOCO_CUDA_GRAPHS");
            std::printf("| decode batch 1, context %d, no CUDA graphs | %.1f | %.2f | %.2f |\n", context, steps / t,
                        1e3 * t / steps, steps / t / bound);
        }
        Batch b(model, batch, context + steps + 1);
        b.append(context);
        b.append(1);  // warm-up: the decode-shaped scratch is allocated here
        const auto start = Clock::now();
        for (int s = 0; s < steps; ++s) b.append(1);
        const double t = seconds_since(start);
        const double tps = batch * steps / t;
        if (batch == 1) single_tps = tps;
        std::printf("| decode batch %d, context %d | %.1f | %.2f | %.2f |\n", batch, context, tps, 1e3 * t / steps,
                    batch == 1 ? tps / bound : tps / (bound * batch));
        std::fflush(stdout);
    }
    {
        // Logit fusion (L2) of two models at batch 1, as the logit-level methods run it: both forwards, the
        // last rows fused on the host (moco_logits_fuse), each step's next token fed to both. Against one
        // model's decode above, the ideal ratio is 0.5 (twice the weights read per token).
        BenchModel second(shape, moco::DType::BF16, 0, device);
        Batch a(model, 1, context + steps + 1), b(second.model(), 1, context + steps + 1);
        a.append(context);
        b.append(context);
        std::vector<float> fused(static_cast<size_t>(a.vocab));
        auto fuse = [&] {
            const float* rows[2] = {a.logits.data(), b.logits.data()};
            if (moco_logits_fuse(rows, nullptr, nullptr, 2, 1, a.vocab, fused.data()) != MOCO_OK) die("moco_logits_fuse");
        };
        a.append(1);
        b.append(1);
        fuse();
        const auto start = Clock::now();
        for (int s = 0; s < steps; ++s) {
            a.append(1);
            b.append(1);
            fuse();
        }
        const double t = seconds_since(start);
        std::printf("| logit fusion of 2 models, decode batch 1 | %.1f | %.2f | %.2f |\n", steps / t, 1e3 * t / steps,
                    steps / t / bound);
        std::printf("| fusion of 2 vs one model, batch 1 | %.2fx | - | - |\n", steps / t / single_tps);
        std::fflush(stdout);
    }
    for (int batch : {32, 128}) {
        double tps[2] = {0.0, 0.0};
        for (int on_device = 0; on_device < 2; ++on_device) {
            Batch b(model, batch, context + steps + 1);
            b.append(context);
            b.step_and_draw(on_device != 0);  // warm-up
            const auto start = Clock::now();
            for (int s = 0; s < steps; ++s) b.step_and_draw(on_device != 0);
            const double t = seconds_since(start);
            tps[on_device] = batch * steps / t;
            std::printf("| decode + draw batch %d, %s | %.1f | %.2f | %.2f |\n", batch,
                        on_device ? "moco_forward_sample (draw on the GPU)" : "moco_forward + moco_sample on the host",
                        tps[on_device], 1e3 * t / steps, tps[on_device] / (bound * batch));
            std::fflush(stdout);
        }
        std::printf("| draw on the GPU vs on the host, batch %d | %.2fx | - | - |\n", batch, tps[1] / tps[0]);
    }
    struct Prefill {
        int batch;
        int tokens;
    };
    for (const Prefill p : {Prefill{1, 2048}, Prefill{8, 512}}) {
        Batch b(model, p.batch, p.tokens);
        b.append(p.tokens);  // warm-up
        b.truncate(0);
        const auto start = Clock::now();
        b.append(p.tokens);
        const double t = seconds_since(start);
        std::printf("| prefill %d x %d | %.0f | %.1f | - |\n", p.batch, p.tokens, p.batch * p.tokens / t, 1e3 * t);
        std::fflush(stdout);
    }
    std::printf("\n(ratio column: decode tokens/s per sequence over the batch-1 bound)\n");
    moco::bench::print_sampling_table();
    moco::bench::print_train_table(device);
    return 0;
}
