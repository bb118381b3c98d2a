// Which instruction set the CPU kernels run with. Every kernel exists once per Isa and all of
// them give bit-identical results (they perform the same sequence of correctly rounded fused
// multiply-adds; see gemm.h and vec.h), so the choice changes speed only.
#pragma once

namespace moco::cpu {

enum class Isa {
    Scalar,  // portable C++ (std::fma): any CPU; slow where FMA is emulated in software
    Avx2,    // x86-64 AVX2 + FMA + F16C
    Avx512,  // x86-64 AVX-512F
};

// The fastest Isa this CPU and OS support (detected once).
Isa best_isa();

// Whether this CPU and OS can run `isa` (tests run every supported one).
bool isa_supported(Isa isa);

const char* isa_name(Isa isa);

}  // namespace moco::cpu

// Function attributes that compile one function for a wider ISA than the rest of the library
// (which stays at the baseline, so libmoco loads on any x86-64). GCC and Clang only; other
// compilers get the scalar kernels.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#    define MOCO_X86_KERNELS 1
#    define MOCO_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#    define MOCO_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma,f16c")))
#else
#    define MOCO_X86_KERNELS 0
#endif
