# Build options of libmoco and the helpers that act on them.
#
#   MOCO_CUDA            AUTO | ON | OFF | EMULATE
#                                          CUDA backend. AUTO: on when a CUDA compiler (nvcc) is found.
#                                          ON without one is a configure error. EMULATE: the CUDA
#                                          backend compiled as C++ against the CPU emulator in
#                                          cuda_emu/ (tests only: cuda:0 is then the CPU).
#   CMAKE_CUDA_ARCHITECTURES  "80;90"      GPU architectures to compile for (CUDA builds only).
#   MOCO_OPENBLAS        AUTO | ON | OFF   OpenBLAS for CPU matrix products. AUTO: on when found
#                                          (pkg-config "openblas", else FindBLAS with vendor OpenBLAS).
#   MOCO_BUILD_TESTS     ON                GoogleTest suite (skipped with a warning if GTest is missing).
#   MOCO_BUILD_BENCHMARKS ON               Google Benchmark programs (skipped if benchmark is missing).
#   MOCO_WERROR          ON                -Werror / /WX on libmoco's own code.

set(MOCO_CUDA "AUTO" CACHE STRING "CUDA backend: AUTO (if nvcc is found), ON (required), OFF or EMULATE")
set_property(CACHE MOCO_CUDA PROPERTY STRINGS AUTO ON OFF EMULATE)
set(MOCO_OPENBLAS "AUTO" CACHE STRING "OpenBLAS: AUTO (if found), ON (required) or OFF")
set_property(CACHE MOCO_OPENBLAS PROPERTY STRINGS AUTO ON OFF)
option(MOCO_BUILD_TESTS "Build the GoogleTest suite" ON)
option(MOCO_BUILD_BENCHMARKS "Build the Google Benchmark programs" ON)
option(MOCO_WERROR "Treat compiler warnings in libmoco's own code as errors" ON)

# Normalises an AUTO/ON/OFF option in place (accepting CMake's usual spellings of true and false).
function(moco_tristate name)
    string(TOUPPER "${${name}}" value)
    if(value STREQUAL "AUTO")
        set(value AUTO)
    elseif(value STREQUAL "EMULATE" AND name STREQUAL "MOCO_CUDA")
        set(value EMULATE)
    elseif(value MATCHES "^(ON|YES|TRUE|Y|1)$")
        set(value ON)
    elseif(value MATCHES "^(OFF|NO|FALSE|N|0)$")
        set(value OFF)
    else()
        if(name STREQUAL "MOCO_CUDA")
            message(FATAL_ERROR "${name}=${${name}} is not valid: use AUTO, ON, OFF or EMULATE.")
        endif()
        message(FATAL_ERROR "${name}=${${name}} is not valid: use AUTO, ON or OFF.")
    endif()
    set(${name} "${value}" PARENT_SCOPE)
endfunction()

moco_tristate(MOCO_CUDA)
moco_tristate(MOCO_OPENBLAS)

# Warnings for libmoco's own targets (never for third-party code).
function(moco_target_warnings target)
    if(MSVC)
        target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:/W4>")
        if(MOCO_WERROR)
            target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:/WX>")
        endif()
    else()
        target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:-Wall;-Wextra>")
        if(MOCO_WERROR)
            target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:C,CXX>:-Werror>")
        endif()
        # nvcc: warn in host code too (not -Werror: CUDA's own headers are not warning-clean).
        target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>")
    endif()
endfunction()

# Decides MOCO_HAVE_CUDA and, when on, enables the CUDA language with C++17 and the requested
# architectures - or, for EMULATE, sets up the emulator (MOCO_CUDA_EMULATED) in its place. Either
# way moco_cuda_sources(target files...) adds .cu files to a target.
macro(moco_configure_cuda)
    set(MOCO_HAVE_CUDA OFF)
    set(MOCO_CUDA_EMULATED OFF)
    if(MOCO_CUDA STREQUAL "EMULATE")
        include("${CMAKE_CURRENT_SOURCE_DIR}/cuda_emu/cuda_emu.cmake")
        set(MOCO_HAVE_CUDA ON)
        set(MOCO_CUDA_EMULATED ON)
    elseif(NOT MOCO_CUDA STREQUAL "OFF")
        include(CheckLanguage)
        check_language(CUDA)
        if(CMAKE_CUDA_COMPILER)
            if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
                set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to compile for" FORCE)
            endif()
            enable_language(CUDA)
            set(CMAKE_CUDA_STANDARD 17)
            set(CMAKE_CUDA_STANDARD_REQUIRED ON)
            set(MOCO_HAVE_CUDA ON)
        elseif(MOCO_CUDA STREQUAL "ON")
            message(FATAL_ERROR
                "MOCO_CUDA=ON but no CUDA compiler was found.\n"
                "Install the CUDA toolkit and put nvcc on PATH (or pass "
                "-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc), then configure a fresh build "
                "directory; or configure with -DMOCO_CUDA=AUTO or -DMOCO_CUDA=OFF for a CPU-only "
                "libmoco.")
        else()
            message(STATUS "libmoco: no CUDA compiler found; building the CPU backend only")
        endif()
    endif()
endmacro()

# Adds .cu sources to a target: as they are for nvcc, or rewritten to C++ for the emulator.
function(moco_cuda_sources target)
    if(MOCO_CUDA_EMULATED)
        moco_cuda_emu_sources(${target} ${ARGN})
    else()
        target_sources(${target} PRIVATE ${ARGN})
    endif()
endfunction()

# Decides MOCO_HAVE_OPENBLAS; sets MOCO_OPENBLAS_TARGET to the imported target to link.
macro(moco_configure_openblas)
    set(MOCO_HAVE_OPENBLAS OFF)
    set(MOCO_OPENBLAS_TARGET "")
    set(MOCO_OPENBLAS_FROM "")
    if(NOT MOCO_OPENBLAS STREQUAL "OFF")
        find_package(PkgConfig QUIET)
        if(PKG_CONFIG_FOUND)
            pkg_check_modules(MOCO_OPENBLAS_PC QUIET IMPORTED_TARGET openblas)
        endif()
        if(MOCO_OPENBLAS_PC_FOUND)
            set(MOCO_HAVE_OPENBLAS ON)
            set(MOCO_OPENBLAS_TARGET PkgConfig::MOCO_OPENBLAS_PC)
            set(MOCO_OPENBLAS_FROM "pkg-config openblas ${MOCO_OPENBLAS_PC_VERSION}")
        else()
            set(BLA_VENDOR OpenBLAS)
            find_package(BLAS QUIET)
            unset(BLA_VENDOR)
            find_path(MOCO_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas)
            if(BLAS_FOUND AND MOCO_CBLAS_INCLUDE_DIR)
                add_library(moco_openblas INTERFACE IMPORTED)
                target_link_libraries(moco_openblas INTERFACE BLAS::BLAS)
                target_include_directories(moco_openblas INTERFACE "${MOCO_CBLAS_INCLUDE_DIR}")
                set(MOCO_HAVE_OPENBLAS ON)
                set(MOCO_OPENBLAS_TARGET moco_openblas)
                set(MOCO_OPENBLAS_FROM "FindBLAS (${BLAS_LIBRARIES})")
            endif()
        endif()
        if(NOT MOCO_HAVE_OPENBLAS AND MOCO_OPENBLAS STREQUAL "ON")
            message(FATAL_ERROR
                "MOCO_OPENBLAS=ON but OpenBLAS was not found (neither pkg-config 'openblas' nor "
                "FindBLAS with BLA_VENDOR=OpenBLAS and cblas.h).\n"
                "Install it (Debian/Ubuntu: apt-get install libopenblas-dev) or configure with "
                "-DMOCO_OPENBLAS=AUTO or -DMOCO_OPENBLAS=OFF.")
        endif()
    endif()
endmacro()

function(moco_print_summary)
    if(MOCO_MULTI_CONFIG)
        set(build_type "multi-config (${CMAKE_CONFIGURATION_TYPES})")
    else()
        set(build_type "${CMAKE_BUILD_TYPE}")
    endif()
    if(MOCO_CUDA_EMULATED)
        set(cuda "EMULATED (cuda_emu/: the CUDA backend on the CPU, for tests only)")
    elseif(MOCO_HAVE_CUDA)
        set(cuda "ON  (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
    else()
        set(cuda "OFF (MOCO_CUDA=${MOCO_CUDA})")
    endif()
    if(MOCO_HAVE_OPENBLAS)
        set(openblas "ON  (${MOCO_OPENBLAS_FROM})")
    else()
        set(openblas "OFF (MOCO_OPENBLAS=${MOCO_OPENBLAS})")
    endif()
    message(STATUS "")
    message(STATUS "libmoco ${PROJECT_VERSION} configuration")
    message(STATUS "  build type     : ${build_type}")
    message(STATUS "  C++ compiler   : ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
    message(STATUS "  CUDA           : ${cuda}")
    message(STATUS "  OpenBLAS       : ${openblas}")
    message(STATUS "  tests          : ${MOCO_TESTS_SUMMARY}")
    message(STATUS "  benchmarks     : ${MOCO_BENCHMARKS_SUMMARY}")
    message(STATUS "  output         : ${CMAKE_BINARY_DIR}/bin")
    message(STATUS "")
endfunction()
