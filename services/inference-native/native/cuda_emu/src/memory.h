// The emulated device's memory: cudaMalloc blocks within a fixed budget (MOCO_CUDA_EMU_MEMORY_MB,
// default 2048), pinned host blocks, and the lookups that let copies and launches refuse a pointer
// a GPU could not use.
#pragma once

#include "cuda_emu/types.h"

#include <cstddef>

namespace cudaemu::detail {

cudaError_t device_alloc(void** ptr, size_t bytes);
cudaError_t device_free(void* ptr);
cudaError_t pinned_alloc(void** ptr, size_t bytes);
cudaError_t pinned_free(void* ptr);
void memory_info(size_t* free_bytes, size_t* total_bytes);

// Whether [p, p + bytes) lies inside one cudaMalloc block (pinned = also cudaMallocHost blocks).
bool in_device_block(const void* p, size_t bytes);
bool in_accessible_block(const void* p, size_t bytes);

}  // namespace cudaemu::detail
