# moco_cuda_emu_tests: the emulator's own tests (MOCO_CUDA=EMULATE builds only; included from
# tests/CMakeLists.txt, where GoogleTest has been found).
add_executable(moco_cuda_emu_tests)
moco_cuda_sources(moco_cuda_emu_tests "${CMAKE_CURRENT_LIST_DIR}/test_emulator.cu")
target_link_libraries(moco_cuda_emu_tests PRIVATE moco_cuda_emu GTest::gtest GTest::gtest_main)
# cuda_test_util.h (the CUDA tests' device arrays) and the moco.h it includes.
target_include_directories(moco_cuda_emu_tests PRIVATE
    "${PROJECT_SOURCE_DIR}/include" "${PROJECT_SOURCE_DIR}/tests/cuda")
moco_target_warnings(moco_cuda_emu_tests)
gtest_discover_tests(moco_cuda_emu_tests DISCOVERY_TIMEOUT 60 PROPERTIES LABELS cuda)
