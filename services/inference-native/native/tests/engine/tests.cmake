# Tests of the KV cache and forward (src/cpu) (see ../CMakeLists.txt for the two lists).
#   reference.*        a model spec and a naive double-precision forward (both executables)
#   tiny_model.*       models built in memory, as the loader hands them over (white-box)
#   test_loaded_model  the public API on checkpoints written by support/hf_writer and loaded
#   test_forward_sample moco_forward_sample against moco_forward + moco_sample (public API)
#   test_host_compute  the context's shared threads: leases, caches forwarding from several threads
list(APPEND MOCO_TEST_SOURCES
    engine/reference.cpp
    engine/test_loaded_model.cpp
    engine/test_forward_sample.cpp)
list(APPEND MOCO_INTERNAL_TEST_SOURCES
    engine/reference.cpp
    engine/tiny_model.cpp
    engine/test_kernels.cpp
    engine/test_forward.cpp
    engine/test_host_compute.cpp
    engine/test_sequences.cpp
    engine/test_lora.cpp
    engine/test_api_errors.cpp)
