// Kernel launches under the emulator. The build rewrites `kernel<<<grid, block, shared, stream>>>(args)`
// (rewrite_launches.cmake) into
//   ::cudaemu::launch("kernel", ::cudaemu::config(grid, block, shared, stream),
//                     [&](auto&... a) { kernel(a...); }, args)
// so that a kernel template deduces its arguments as it does under nvcc. The arguments are copied
// once, as CUDA copies them to the device; every thread then receives its own copy.
#pragma once

#include "cuda_emu/types.h"

#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cudaemu {

struct LaunchConfig {
    dim3 grid;
    dim3 block;
    size_t shared_bytes;
    cudaStream_t stream;
};

inline LaunchConfig config(dim3 grid, dim3 block, size_t shared_bytes = 0, cudaStream_t stream = nullptr) {
    return LaunchConfig{grid, block, shared_bytes, stream};
}

namespace detail {

// One kernel body for every thread: run(self) executes the kernel with the launch's arguments.
struct KernelBody {
    void (*run)(void* self);
    void* self;
};

// Runs every block of the grid; a refused configuration or a fault inside the kernel becomes the
// calling thread's last error.
void run_grid(const char* kernel, const LaunchConfig& config, KernelBody body);

// Stream capture: whether work enqueued on `stream` is being recorded into a graph, and recording
// one operation of it (src/graphs.cpp).
bool capturing(cudaStream_t stream);
void record(cudaStream_t stream, std::function<void()> op);

// Whether p lies in memory the emulated device may read: a cudaMalloc or cudaMallocHost block.
bool device_accessible(const void* p);
void refuse_argument(const char* kernel, int index);

template <class Tuple, size_t... I>
bool arguments_accessible(const char* kernel, const Tuple& args, std::index_sequence<I...>) {
    bool ok = true;
    auto check = [&](const auto& arg, int index) {
        using A = std::decay_t<decltype(arg)>;
        if constexpr (std::is_pointer_v<A>) {
            if (ok && arg != nullptr && !device_accessible(arg)) {
                refuse_argument(kernel, index);
                ok = false;
            }
        }
    };
    (check(std::get<I>(args), static_cast<int>(I)), ...);
    return ok;
}

template <class Pack>
void run_pack(void* self) {
    Pack& p = *static_cast<Pack*>(self);
    std::apply(p.kernel, p.args);
}

}  // namespace detail

template <class Kernel, class... Args>
void launch(const char* name, const LaunchConfig& config, Kernel kernel, Args&&... args) {
    struct Pack {
        Kernel kernel;
        std::tuple<std::decay_t<Args>...> args;
    } pack{kernel, std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)};
    // A raw pointer argument that is neither device nor pinned memory would fault on a GPU.
    if (!detail::arguments_accessible(name, pack.args, std::index_sequence_for<Args...>{})) {
        return;
    }
    if (detail::capturing(config.stream)) {
        // The graph keeps its own copy of the arguments, as a captured kernel node does.
        detail::record(config.stream, [name, config, pack]() mutable {
            detail::run_grid(name, config, detail::KernelBody{&detail::run_pack<Pack>, &pack});
        });
        return;
    }
    detail::run_grid(name, config, detail::KernelBody{&detail::run_pack<Pack>, &pack});
}

}  // namespace cudaemu
