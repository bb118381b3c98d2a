# Tests of src/model and src/safetensors (see ../CMakeLists.txt for the two lists).
# support/hf_writer.cpp, the tiny-checkpoint writer, is listed here for both executables; other
# test folders include "../support/hf_writer.h" and must not list it again.
list(APPEND MOCO_TEST_SOURCES
    support/hf_writer.cpp
    model/test_adapter.cpp
    model/test_model_errors.cpp
    model/test_model_load.cpp)
list(APPEND MOCO_INTERNAL_TEST_SOURCES
    support/hf_writer.cpp
    model/test_model_binding.cpp
    model/test_model_config.cpp
    model/test_safetensors_header.cpp)

# The libFuzzer run of the safetensors header parser. libFuzzer needs clang and its runtime
# (Debian/Ubuntu: clang-14 libclang-rt-14-dev) whatever compiles libmoco, so the fuzzer is a
# small project of its own (model/fuzz) that this test configures with clang, builds and runs for
# 20 seconds. Skipped, with a note, where no clang with the fuzzer runtime is found.
find_program(MOCO_FUZZ_CXX NAMES clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15
                                 clang++-14
             DOC "clang++ used to build the libFuzzer target")
set(MOCO_FUZZ_WORKS FALSE)
if(MOCO_FUZZ_CXX)
    set(probe "${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe")
    file(WRITE "${probe}.cpp" "#include <cstddef>\n#include <cstdint>\nextern \"C\" int "
                              "LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
    execute_process(COMMAND "${MOCO_FUZZ_CXX}" -fsanitize=fuzzer "${probe}.cpp" -o "${probe}"
                    RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
    if(probe_result EQUAL 0)
        set(MOCO_FUZZ_WORKS TRUE)
    endif()
endif()
if(MOCO_FUZZ_WORKS)
    message(STATUS "libmoco: safetensors fuzzer ON (${MOCO_FUZZ_CXX})")
    set(fuzz_build "${CMAKE_CURRENT_BINARY_DIR}/fuzz")
    add_test(NAME Fuzz.SafetensorsHeader
        COMMAND "${CMAKE_CTEST_COMMAND}"
            --build-and-test "${CMAKE_CURRENT_SOURCE_DIR}/model/fuzz" "${fuzz_build}"
            --build-generator "${CMAKE_GENERATOR}"
            --build-makeprogram "${CMAKE_MAKE_PROGRAM}"
            --build-options "-DCMAKE_CXX_COMPILER=${MOCO_FUZZ_CXX}" -DCMAKE_BUILD_TYPE=Release
                            "-Dnlohmann_json_DIR=${nlohmann_json_DIR}"
            --test-command "${fuzz_build}/fuzz_safetensors_header" -max_total_time=20 -timeout=10
                -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
                "-dict=${CMAKE_CURRENT_SOURCE_DIR}/model/fuzz/safetensors.dict"
                "-artifact_prefix=${fuzz_build}/" "${fuzz_build}/corpus"
                "${CMAKE_CURRENT_SOURCE_DIR}/model/fuzz_corpus")
    set_tests_properties(Fuzz.SafetensorsHeader PROPERTIES TIMEOUT 600 LABELS fuzz)
else()
    message(STATUS "libmoco: safetensors fuzzer OFF (needs clang with libFuzzer; Debian/Ubuntu: "
                   "apt-get install clang-14 libclang-rt-14-dev)")
endif()
