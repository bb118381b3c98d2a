# Tests of the CUDA backend (src/cuda), built only in CUDA builds: moco_cuda_tests, white-box
# (forward, logit and merge kernels against the CPU's) and public-API (cuda:0 against cpu). Every test
# skips where no GPU is visible, so the executable also runs, and passes by skipping, on a
# CPU-only machine with nvcc.
# tools/cuda/device_check.sh runs it on the GPU machine.
if(MOCO_HAVE_CUDA)
    add_executable(moco_cuda_tests
        support/hf_writer.cpp
        cuda/engine_pair.cpp
        cuda/test_cuda_copy_bandwidth.cpp
        cuda/test_cuda_kernels.cpp
        cuda/test_cuda_logits.cpp
        cuda/test_cuda_merge.cpp
        cuda/test_cuda_forward.cpp
        cuda/test_cuda_forward_sample.cpp
        cuda/test_cuda_graphs.cpp
        cuda/test_cuda_lora.cpp
        cuda/test_cuda_sampling.cpp
        cuda/test_cuda_pass_kernels.cpp
        cuda/test_cuda_train_kernels.cpp
        cuda/test_cuda_train.cpp)
    moco_cuda_sources(moco_cuda_tests cuda/device_probe.cu)
    target_link_libraries(moco_cuda_tests PRIVATE moco_core GTest::gtest GTest::gtest_main CUDA::cudart_static
                                                  CUDA::cublas)
    target_compile_definitions(moco_cuda_tests PRIVATE
        "MOCO_TEST_GOLDEN_DIR=\"${MOCO_GOLDEN_DIR}\"")
    moco_target_warnings(moco_cuda_tests)
    gtest_discover_tests(moco_cuda_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS cuda)
endif()
