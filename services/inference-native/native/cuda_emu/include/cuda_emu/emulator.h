// Controls of the emulator itself (not part of CUDA): for tests of the emulator and of kernels that
// want to run under both thread orders in one process.
#pragma once

namespace cudaemu {

// The order in which a block's threads run between two synchronisation points. Forward is index
// order; Reverse runs the last thread first, so a read of shared memory that only index order
// happens to satisfy (a missing __syncthreads) gets the stale value. Alternate, the default, runs
// even blocks forward and odd ones in reverse: one run of a grid of two blocks or more exercises
// both orders. MOCO_CUDA_EMU_ORDER=forward|reverse|alternate sets the initial order.
enum class Order { Forward, Reverse, Alternate };

void set_order(Order order);
Order order();

}  // namespace cudaemu
