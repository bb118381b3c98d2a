# MOCO_CUDA=EMULATE: the CUDA backend built for the CPU, against the emulator in this folder, so that
# the CUDA code and its tests (moco_cuda_tests) run, and are checked, on machines without a GPU.
#
# The emulator (moco_cuda_emu) stands in for the CUDA runtime and cuBLAS under their CMake names
# (CUDA::cudart_static, CUDA::cublas); moco_cuda_emu_sources() (called by moco_cuda_sources) compiles .cu files as C++ after
# rewrite_launches.cmake has turned their <<<...>>> launches into calls. A library built this way is
# for tests only: its "cuda:0" is the CPU, thousands of times slower than a GPU.

add_library(moco_cuda_emu STATIC
    ${CMAKE_CURRENT_LIST_DIR}/src/fiber.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/scheduler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/memory.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/runtime.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/graphs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/src/cublas.cpp)
target_include_directories(moco_cuda_emu PUBLIC "${CMAKE_CURRENT_LIST_DIR}/include")
target_compile_definitions(moco_cuda_emu PUBLIC MOCO_CUDA_EMULATED=1)
target_link_libraries(moco_cuda_emu PUBLIC Threads::Threads)
add_library(CUDA::cudart_static ALIAS moco_cuda_emu)
add_library(CUDA::cublas ALIAS moco_cuda_emu)

set(MOCO_CUDA_EMU_REWRITE "${CMAKE_CURRENT_LIST_DIR}/rewrite_launches.cmake")

# Adds CUDA sources (paths relative to the current source directory) to a target.
function(moco_cuda_emu_sources target)
    foreach(source IN LISTS ARGN)
        get_filename_component(absolute "${source}" ABSOLUTE)
        file(RELATIVE_PATH relative "${PROJECT_SOURCE_DIR}" "${absolute}")
        set(generated "${PROJECT_BINARY_DIR}/cuda_emu/${relative}.cpp")
        add_custom_command(OUTPUT "${generated}"
            COMMAND "${CMAKE_COMMAND}" "-DIN=${absolute}" "-DOUT=${generated}" -P "${MOCO_CUDA_EMU_REWRITE}"
            DEPENDS "${absolute}" "${MOCO_CUDA_EMU_REWRITE}"
            COMMENT "cuda emulator: ${relative}"
            VERBATIM)
        target_sources(${target} PRIVATE "${generated}")
        # The .cu's own folder, for includes relative to it.
        get_filename_component(folder "${absolute}" DIRECTORY)
        set_source_files_properties("${generated}" PROPERTIES INCLUDE_DIRECTORIES "${folder}")
    endforeach()
endfunction()
