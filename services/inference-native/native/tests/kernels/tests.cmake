# Tests of src/kernels (see ../CMakeLists.txt for the two lists): the public kernel API against
# references written in the tests and PyTorch fixtures (fixtures/, made by tools/kernels), plus
# white-box tests of what the API cannot reach exactly (exp, dtype conversions, selection).
list(APPEND MOCO_TEST_SOURCES
    kernels/test_philox.cpp
    kernels/test_logits.cpp
    kernels/test_vocab_align.cpp
    kernels/test_sampling.cpp
    kernels/test_merge.cpp
    kernels/test_merge_streaming.cpp
    kernels/test_lora_swarm.cpp
    kernels/test_torch_fixtures.cpp)
list(APPEND MOCO_INTERNAL_TEST_SOURCES
    kernels/test_kernel_internals.cpp)
