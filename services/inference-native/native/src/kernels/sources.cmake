# Kernel families: sampling, logits (L1-L6), merges (M1-M12); exported through api_*.cpp.
set(MOCO_KERNEL_SOURCES
    src/kernels/logits.cpp
    src/kernels/vocab_align.cpp
    src/kernels/sampling.cpp
    src/kernels/merge_spec.cpp
    src/kernels/merge_select.cpp
    src/kernels/merge_plan.cpp
    src/kernels/merge_lora.cpp
    src/kernels/merge_swarm.cpp
    src/kernels/api_random.cpp
    src/kernels/api_logits.cpp
    src/kernels/api_sampling.cpp
    src/kernels/api_merge.cpp
    src/kernels/api_lora_swarm.cpp)
# The kernels promise the same bits on every build: no fused multiply-add contraction, whatever
# -march a build adds later (GCC contracts by default in GNU modes when FMA is available).
# -fno-trapping-math changes no value; it only lets GCC if-convert (and so vectorise) the selects
# of the exp and dtype loops, since nothing here reads floating-point exception flags.
if(NOT MSVC)
    set_source_files_properties(${MOCO_KERNEL_SOURCES} PROPERTIES
        COMPILE_OPTIONS "-ffp-contract=off;-fno-trapping-math")
endif()
list(APPEND MOCO_SOURCES ${MOCO_KERNEL_SOURCES})
