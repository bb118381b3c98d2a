// CPU backend: device detection. Cores (affinity and cgroup quota aware), RAM, model name and the
// SIMD features the CPU *and* the operating system support at run time.
#include "cpu/cpu_device.h"

#include "common.h"
#include "moco_config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#    define MOCO_CPU_X86 1
#    if defined(_MSC_VER)
#        include <intrin.h>
#    else
#        include <cpuid.h>
#    endif
#endif

#if defined(__linux__)
#    include <sched.h>
#    include <sys/auxv.h>
#    include <unistd.h>
#elif defined(__APPLE__)
#    include <sys/sysctl.h>
#    include <unistd.h>
#elif defined(_WIN32)
#    define WIN32_LEAN_AND_MEAN
#    define NOMINMAX
#    include <windows.h>
#endif

namespace moco::cpu {
namespace {

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n";
    const auto begin = s.find_first_not_of(ws);
    if (begin == std::string::npos) {
        return {};
    }
    const auto end = s.find_last_not_of(ws);
    return s.substr(begin, end - begin + 1);
}

// ---- SIMD features -----------------------------------------------------------------------------

#if defined(MOCO_CPU_X86)

struct CpuidRegs {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
    CpuidRegs r;
#    if defined(_MSC_VER)
    int regs[4];
    __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
    r.eax = static_cast<uint32_t>(regs[0]);
    r.ebx = static_cast<uint32_t>(regs[1]);
    r.ecx = static_cast<uint32_t>(regs[2]);
    r.edx = static_cast<uint32_t>(regs[3]);
#    else
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#    endif
    return r;
}

// XCR0: which register states the OS saves on context switch (bit 1 SSE, 2 AVX, 5-7 AVX-512).
uint64_t xgetbv0() {
#    if defined(_MSC_VER)
    return _xgetbv(0);
#    else
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
#    endif
}

uint32_t detect_features() {
    const uint32_t max_leaf = cpuid(0, 0).eax;
    if (max_leaf < 1) {
        return 0;
    }
    const CpuidRegs l1 = cpuid(1, 0);
    const bool has_fma = (l1.ecx >> 12) & 1u;
    const bool has_osxsave = (l1.ecx >> 27) & 1u;
    const bool has_avx = (l1.ecx >> 28) & 1u;
    const uint64_t xcr0 = has_osxsave ? xgetbv0() : 0;
    const bool os_avx = has_avx && has_osxsave && (xcr0 & 0x6) == 0x6;
    const bool os_avx512 = os_avx && (xcr0 & 0xE6) == 0xE6;

    uint32_t features = 0;
    if (os_avx && has_fma) {
        features |= MOCO_CPU_FMA;
    }
    if (max_leaf >= 7) {
        const CpuidRegs l7 = cpuid(7, 0);
        if (os_avx && ((l7.ebx >> 5) & 1u)) {
            features |= MOCO_CPU_AVX2;
        }
        if (os_avx512 && ((l7.ebx >> 16) & 1u)) {
            features |= MOCO_CPU_AVX512F;
        }
    }
    return features;
}

// "Intel(R) Xeon(R) ..." from cpuid leaves 0x80000002..4; empty when unsupported.
std::string cpuid_brand_string() {
    if (cpuid(0x80000000u, 0).eax < 0x80000004u) {
        return {};
    }
    char brand[49] = {0};
    for (uint32_t i = 0; i < 3; ++i) {
        const CpuidRegs r = cpuid(0x80000002u + i, 0);
        std::memcpy(brand + 16 * i + 0, &r.eax, 4);
        std::memcpy(brand + 16 * i + 4, &r.ebx, 4);
        std::memcpy(brand + 16 * i + 8, &r.ecx, 4);
        std::memcpy(brand + 16 * i + 12, &r.edx, 4);
    }
    return trim(brand);
}

#elif defined(__aarch64__) || defined(_M_ARM64)

uint32_t detect_features() {
#    if defined(__linux__) && defined(AT_HWCAP)
    constexpr unsigned long kHwcapAsimd = 1ul << 1;  // HWCAP_ASIMD in <asm/hwcap.h>
    return (getauxval(AT_HWCAP) & kHwcapAsimd) ? MOCO_CPU_NEON : 0u;
#    else
    return MOCO_CPU_NEON;  // Advanced SIMD is mandatory on AArch64 (macOS, Windows)
#    endif
}

std::string cpuid_brand_string() {
    return {};
}

#elif defined(__arm__)

uint32_t detect_features() {
#    if defined(__linux__) && defined(AT_HWCAP)
    constexpr unsigned long kHwcapNeon = 1ul << 12;  // HWCAP_NEON in <asm/hwcap.h>
    return (getauxval(AT_HWCAP) & kHwcapNeon) ? MOCO_CPU_NEON : 0u;
#    else
    return 0;
#    endif
}

std::string cpuid_brand_string() {
    return {};
}

#else

uint32_t detect_features() {
    return 0;
}

std::string cpuid_brand_string() {
    return {};
}

#endif

// ---- model name ----------------------------------------------------------------------------------

std::string detect_model() {
#if defined(__linux__)
    // x86 and many Arm kernels say "model name"; older Arm ones "Processor" or "Hardware".
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, model, processor, hardware;
    while (std::getline(cpuinfo, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        const std::string key = trim(line.substr(0, colon));
        const std::string value = trim(line.substr(colon + 1));
        if (key == "model name" && model.empty()) {
            model = value;
        } else if (key == "Processor" && processor.empty()) {
            processor = value;
        } else if (key == "Hardware" && hardware.empty()) {
            hardware = value;
        }
    }
    if (!model.empty()) {
        return model;
    }
    if (!processor.empty()) {
        return processor;
    }
    if (!hardware.empty()) {
        return hardware;
    }
#elif defined(__APPLE__)
    char brand[128] = {0};
    size_t size = sizeof(brand) - 1;
    if (sysctlbyname("machdep.cpu.brand_string", brand, &size, nullptr, 0) == 0 && brand[0] != '\0') {
        return trim(brand);
    }
#endif
    std::string brand = cpuid_brand_string();
    return brand.empty() ? std::string("unknown CPU") : brand;
}

// ---- cores -----------------------------------------------------------------------------------------

#if defined(__linux__)

// Reads the CPU limit of one cgroup directory: cgroup v2 "cpu.max" ("max 100000" or
// "150000 100000") or cgroup v1 "cpu.cfs_quota_us" / "cpu.cfs_period_us". 0 = no limit here.
double cgroup_dir_cpu_limit(const std::string& dir) {
    long long quota = -1, period = 0;
    if (std::FILE* f = std::fopen((dir + "/cpu.max").c_str(), "r")) {
        char q[32] = {0};
        if (std::fscanf(f, "%31s %lld", q, &period) == 2 && std::strcmp(q, "max") != 0) {
            quota = std::atoll(q);
        }
        std::fclose(f);
    } else if (std::FILE* fq = std::fopen((dir + "/cpu.cfs_quota_us").c_str(), "r")) {
        if (std::fscanf(fq, "%lld", &quota) != 1) {
            quota = -1;
        }
        std::fclose(fq);
        if (std::FILE* fp = std::fopen((dir + "/cpu.cfs_period_us").c_str(), "r")) {
            if (std::fscanf(fp, "%lld", &period) != 1) {
                period = 0;
            }
            std::fclose(fp);
        }
    }
    return (quota > 0 && period > 0) ? static_cast<double>(quota) / static_cast<double>(period) : 0.0;
}

// The tightest CPU quota on this process's cgroup path (checking each ancestor as the kernel
// enforces all of them), in CPUs; 0 = unlimited. Best effort, as .NET's Environment.ProcessorCount:
// cgroups mounted elsewhere than /sys/fs/cgroup are not found.
double cgroup_cpu_limit() {
    std::ifstream self("/proc/self/cgroup");
    std::string line;
    double limit = 0.0;
    while (std::getline(self, line)) {
        // "hierarchy-id:controller-list:path"; v2 is "0::/path", v1 lists "cpu" among controllers.
        const auto c1 = line.find(':');
        const auto c2 = c1 == std::string::npos ? std::string::npos : line.find(':', c1 + 1);
        if (c2 == std::string::npos) {
            continue;
        }
        const std::string controllers = "," + line.substr(c1 + 1, c2 - c1 - 1) + ",";
        std::string path = line.substr(c2 + 1);
        std::vector<std::string> mounts;
        if (controllers == ",,") {
            mounts = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
        } else if (controllers.find(",cpu,") != std::string::npos) {
            mounts = {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"};
        } else {
            continue;
        }
        for (const std::string& mount : mounts) {
            // Walk from the process's own cgroup up to the mount root. Inside a container the
            // path often does not exist under the mount (its root *is* the container's cgroup):
            // the walk then ends at the root, which is the limit that applies.
            std::string p = path;
            while (true) {
                const double l = cgroup_dir_cpu_limit(mount + (p == "/" ? "" : p));
                if (l > 0.0 && (limit == 0.0 || l < limit)) {
                    limit = l;
                }
                if (p.empty() || p == "/") {
                    break;
                }
                const auto slash = p.find_last_of('/');
                p = slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
            }
        }
    }
    return limit;
}

int detect_logical_cores() {
    int cores = 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        cores = CPU_COUNT(&set);
    }
    if (cores <= 0) {
        cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    }
    const double quota = cgroup_cpu_limit();
    if (quota > 0.0) {
        // Round up, as the .NET runtime does: a 1.5 CPU quota still lets two threads make progress.
        const int quota_cores = static_cast<int>(quota + 0.999999);
        cores = std::min(cores, std::max(quota_cores, 1));
    }
    return std::max(cores, 1);
}

#else

int detect_logical_cores() {
    return std::max(static_cast<int>(std::thread::hardware_concurrency()), 1);
}

#endif

uint64_t detect_memory_bytes() {
#if defined(_WIN32)
    MEMORYSTATUSEX status;
    status.dwLength = sizeof(status);
    return GlobalMemoryStatusEx(&status) ? static_cast<uint64_t>(status.ullTotalPhys) : 0;
#elif defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    return (pages > 0 && page_size > 0) ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size)
                                        : 0;
#else
    return 0;
#endif
}

CpuInfo detect() {
    CpuInfo info;
    info.model = detect_model();
    info.logical_cores = detect_logical_cores();
    info.memory_bytes = detect_memory_bytes();
    info.features = detect_features();
#if MOCO_HAVE_OPENBLAS
    info.features |= MOCO_HAS_OPENBLAS;
#endif
    return info;
}

}  // namespace

const CpuInfo& info() {
    static const CpuInfo cached = detect();  // thread-safe one-time initialisation
    return cached;
}

void fill_device_info(moco_device_info* out) {
    const CpuInfo& cpu = info();
    std::memset(out, 0, sizeof(*out));
    copy_string(out->name, "cpu");
    out->kind = MOCO_DEVICE_CPU;
    copy_string(out->description, cpu.model.c_str());
    out->memory_bytes = cpu.memory_bytes;
    out->threads = cpu.logical_cores;
    out->cc_major = 0;
    out->cc_minor = 0;
    out->features = cpu.features;
}

}  // namespace moco::cpu
