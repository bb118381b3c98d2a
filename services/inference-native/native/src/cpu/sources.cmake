# CPU backend: device detection, weight preparation, kernels, KV cache and forward.
list(APPEND MOCO_SOURCES
    src/cpu/cpu_device.cpp
    src/cpu/isa.cpp
    src/cpu/thread_pool.cpp
    src/cpu/host_compute.cpp
    src/cpu/copy_bandwidth.cpp
    src/cpu/gemm.cpp
    src/cpu/gemm_scalar.cpp
    src/cpu/gemm_avx2.cpp
    src/cpu/gemm_avx512.cpp
    src/cpu/vec.cpp
    src/cpu/vec_avx2.cpp
    src/cpu/vec_avx512.cpp
    src/cpu/ops.cpp
    src/cpu/attention.cpp
    src/cpu/kv_cache.cpp
    src/cpu/forward.cpp
    src/cpu/prepare_weights.cpp
    src/cpu/api_kv.cpp
    src/cpu/api_forward.cpp)
# The vector primitives promise one set of bits on every instruction set (vec.h): a multiply and an
# add must stay two roundings, which GCC's default contraction would fuse once a target has FMA.
if(NOT MSVC)
    set_source_files_properties(src/cpu/vec.cpp src/cpu/vec_avx2.cpp src/cpu/vec_avx512.cpp
        PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
endif()
