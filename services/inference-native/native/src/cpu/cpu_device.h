// CPU backend: what the host CPU is and what it supports.
#pragma once

#include "moco.h"

#include <cstdint>
#include <string>

namespace moco::cpu {

struct CpuInfo {
    std::string model;          // e.g. "AMD EPYC 7B13"; "unknown CPU" when nothing says
    int logical_cores = 1;      // usable by this process: affinity mask and cgroup CPU quota applied
    uint64_t memory_bytes = 0;  // physical RAM (sysconf); 0 when unknown
    uint32_t features = 0;      // MOCO_CPU_* flags (runtime-detected) | MOCO_HAS_OPENBLAS
};

// Detected once per process (thread-safe); later calls return the cached result.
const CpuInfo& info();

// Writes the "cpu" entry of moco_devices.
void fill_device_info(moco_device_info* out);

}  // namespace moco::cpu
