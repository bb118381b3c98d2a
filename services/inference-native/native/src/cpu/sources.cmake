# CPU backend: device detection, weight preparation, kernels, KV cache and forward.
list(APPEND MOCO_SOURCES
    src/cpu/cpu_device.cpp)
