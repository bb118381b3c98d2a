// CUDA graphs on the emulator: between cudaStreamBeginCapture and cudaStreamEndCapture a stream
// records what is enqueued on it (kernels with a copy of their arguments, device-to-device copies,
// memsets, cuBLAS GEMMs) instead of running it; cudaGraphLaunch replays the recording in order, so
// the graph reads device memory as it is at launch, as a GPU's does.
#include "cuda_emu/launch.h"
#include "cuda_emu/runtime_api.h"

#include "errors.h"
#include "handles.h"
#include "streams.h"


struct CUgraphExec_st {
    std::vector<std::function<void()>> ops;
};

namespace cudaemu::detail {
namespace {

// Captures begun by this host thread and not ended: a synchronous copy then is refused, as CUDA
// refuses it in the global and thread-local capture modes.
thread_local int open_captures = 0;

Handles<CUgraph_st> graphs;
Handles<CUgraphExec_st> execs;

}  // namespace

bool capturing(cudaStream_t stream) {
    return stream != nullptr && stream->capture != nullptr;
}

void record(cudaStream_t stream, std::function<void()> op) {
    stream->capture->ops.push_back(std::move(op));
}

bool capture_open_in_thread() {
    return open_captures > 0;
}

}  // namespace cudaemu::detail

using namespace cudaemu::detail;

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
    // The legacy default stream cannot be captured.
    if (stream == nullptr || !valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (stream->capture != nullptr) return fail(cudaErrorIllegalState);
    stream->capture = new CUgraph_st;
    ++open_captures;
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
    if (graph == nullptr) return fail(cudaErrorInvalidValue);
    if (stream == nullptr || !valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (stream->capture == nullptr) return fail(cudaErrorIllegalState);
    *graph = graphs.add(stream->capture);
    stream->capture = nullptr;
    --open_captures;
    return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
    if (status == nullptr) return fail(cudaErrorInvalidValue);
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    *status = capturing(stream) ? cudaStreamCaptureStatusActive : cudaStreamCaptureStatusNone;
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
    if (exec == nullptr || !graphs.live(graph)) return fail(cudaErrorInvalidValue);
    *exec = execs.add(new CUgraphExec_st{graph->ops});
    return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    if (!execs.live(exec)) return fail(cudaErrorInvalidValue);
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) return fail(cudaErrorStreamCaptureUnsupported);
    for (const std::function<void()>& op : exec->ops) op();
    return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    return execs.destroy(exec) ? cudaSuccess : fail(cudaErrorInvalidValue);
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    return graphs.destroy(graph) ? cudaSuccess : fail(cudaErrorInvalidValue);
}
