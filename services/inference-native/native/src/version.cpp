// Version and build information, all compile-time constants.
#include "common.h"
#include "moco_config.h"

#ifndef MOCO_BUILD_TYPE
#    define MOCO_BUILD_TYPE "unspecified"
#endif

// The instruction sets the compiler was allowed to use for this binary (not what the CPU running
// it supports: moco_devices reports that). Written as BASE+EXT+EXT.
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#    define MOCO_SIMD_BASE "SSE2"
#elif defined(__aarch64__) || defined(_M_ARM64) || defined(__ARM_NEON)
#    define MOCO_SIMD_BASE "NEON"
#else
#    define MOCO_SIMD_BASE "none"
#endif
#if defined(__AVX__)
#    define MOCO_SIMD_AVX "+AVX"
#else
#    define MOCO_SIMD_AVX ""
#endif
#if defined(__AVX2__)
#    define MOCO_SIMD_AVX2 "+AVX2"
#else
#    define MOCO_SIMD_AVX2 ""
#endif
#if defined(__FMA__)
#    define MOCO_SIMD_FMA "+FMA"
#else
#    define MOCO_SIMD_FMA ""
#endif
#if defined(__AVX512F__)
#    define MOCO_SIMD_AVX512F "+AVX512F"
#else
#    define MOCO_SIMD_AVX512F ""
#endif

#if defined(__x86_64__) || defined(_M_X64)
#    define MOCO_ARCH "x86_64"
#elif defined(__aarch64__) || defined(_M_ARM64)
#    define MOCO_ARCH "arm64"
#elif defined(__i386__) || defined(_M_IX86)
#    define MOCO_ARCH "x86"
#elif defined(__arm__) || defined(_M_ARM)
#    define MOCO_ARCH "arm"
#else
#    define MOCO_ARCH "unknown"
#endif

#if MOCO_HAVE_CUDA
#    define MOCO_CUDA_INFO "cuda=on; cuda_version=" MOCO_CUDA_COMPILER_VERSION "; cuda_archs=" MOCO_CUDA_ARCHITECTURES
#else
#    define MOCO_CUDA_INFO "cuda=off; cuda_archs=none"
#endif

#if MOCO_HAVE_OPENBLAS
#    define MOCO_OPENBLAS_INFO "openblas=on"
#else
#    define MOCO_OPENBLAS_INFO "openblas=off"
#endif

namespace {

constexpr const char kBuildInfo[] =
    "version=" MOCO_VERSION_STRING "; compiler=" MOCO_COMPILER_ID "; build_type=" MOCO_BUILD_TYPE
    "; os=" MOCO_SYSTEM_NAME "; arch=" MOCO_ARCH "; simd=" MOCO_SIMD_BASE MOCO_SIMD_AVX MOCO_SIMD_AVX2
    MOCO_SIMD_FMA MOCO_SIMD_AVX512F "; " MOCO_CUDA_INFO "; " MOCO_OPENBLAS_INFO;

}  // namespace

extern "C" {

const char* moco_version(void) {
    return MOCO_VERSION_STRING;
}

int moco_version_number(void) {
    return MOCO_VERSION_MAJOR * 1000000 + MOCO_VERSION_MINOR * 1000 + MOCO_VERSION_PATCH;
}

const char* moco_build_info(void) {
    return kBuildInfo;
}

}  // extern "C"
