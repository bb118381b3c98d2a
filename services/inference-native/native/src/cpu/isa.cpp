#include "cpu/isa.h"

#include "cpu/cpu_device.h"

#if MOCO_X86_KERNELS
#    include <cpuid.h>
#endif

namespace moco::cpu {
namespace {

#if MOCO_X86_KERNELS
// F16C (cpuid leaf 1, ecx bit 29) is not among the device features; every AVX2 CPU has it, but
// checking costs nothing.
bool has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && ((ecx >> 29) & 1u) != 0;
}
#endif

Isa detect() {
#if MOCO_X86_KERNELS
    const uint32_t f = info().features;  // AVX2/AVX-512/FMA with OS support checked
    if ((f & MOCO_CPU_AVX512F) != 0) {
        return Isa::Avx512;
    }
    if ((f & MOCO_CPU_AVX2) != 0 && (f & MOCO_CPU_FMA) != 0 && has_f16c()) {
        return Isa::Avx2;
    }
#endif
    return Isa::Scalar;
}

}  // namespace

Isa best_isa() {
    static const Isa isa = detect();
    return isa;
}

bool isa_supported(Isa isa) {
    return static_cast<int>(isa) <= static_cast<int>(best_isa());
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Scalar: return "scalar";
        case Isa::Avx2: return "avx2";
        case Isa::Avx512: return "avx512";
    }
    return "unknown";
}

}  // namespace moco::cpu
