# CUDA backend (CUDA builds only, see ../../CMakeLists.txt): device enumeration, the weights and KV
# cache on the GPU, the forward's kernels and its cuBLAS GEMMs, the device logit and merge kernels,
# the trainer's engine (src/cuda/train).
set(MOCO_CUDA_SOURCES
    src/cuda/cuda_device.cu
    src/cuda/cuda_check.cu
    src/cuda/copy_bandwidth.cu
    src/cuda/device_buffer.cu
    src/cuda/upload_weights.cu
    src/cuda/upload_adapter.cu
    src/cuda/lora.cu
    src/cuda/cache_state.cu
    src/cuda/embed.cu
    src/cuda/rmsnorm.cu
    src/cuda/rope.cu
    src/cuda/attention.cu
    src/cuda/swiglu.cu
    src/cuda/convert.cu
    src/cuda/gemm.cu
    src/cuda/forward.cu
    src/cuda/logits.cu
    src/cuda/merge.cu
    src/cuda/merge_pointwise.cu
    src/cuda/merge_host.cu
    src/cuda/sampling.cu
    src/cuda/train/rmsnorm_backward.cu
    src/cuda/train/qk_rope_train.cu
    src/cuda/train/attention_train.cu
    src/cuda/train/rows_train.cu
    src/cuda/train/loss_kernels.cu
    src/cuda/train/optimizer_kernels.cu
    src/cuda/train/device_pass.cu
    src/cuda/train/device_engine.cu)
# The merge kernels promise the CPU's bits (merge_kernels.h): no fused multiply-add contraction.
set_source_files_properties(src/cuda/merge.cu src/cuda/merge_pointwise.cu PROPERTIES
    COMPILE_OPTIONS "--fmad=false")
