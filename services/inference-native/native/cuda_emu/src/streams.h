// The emulator's stream object (runtime.cpp creates them) and the checks other files need on it.
#pragma once

#include "cuda_emu/types.h"

#include <functional>
#include <vector>

struct CUgraph_st {
    std::vector<std::function<void()>> ops;  // in enqueue order
};

struct CUstream_st {
    unsigned flags = 0;
    CUgraph_st* capture = nullptr;  // the graph being recorded while the stream is captured
};

namespace cudaemu::detail {

// Whether s is the default stream (nullptr) or a live stream of cudaStreamCreate.
bool valid_stream(cudaStream_t s);
// Whether this host thread has begun a capture it has not ended (graphs.cpp).
bool capture_open_in_thread();

}  // namespace cudaemu::detail
