// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11)
// and the counter layouts built on it. A counter-based generator: every draw is a pure function of
// (key, counter), so a draw never depends on which batch, thread or chunk asked for it - the
// property L5 sampling, M5 DARE masks (methods-logit-weight.md §1.1, §1.2) and training's LoRA
// dropout need.
#pragma once

#include "kernels/host_device.h"

#include <cmath>
#include <cstdint>

namespace moco::kernels {

struct Philox4 {
    uint32_t v[4];
};

// Ten rounds of the Philox 4x32 bijection, as in Random123's philox4x32_R(10, ...). Integer only,
// so the CUDA backend (the device sampler, the DARE merge mask) runs this same definition bit for bit.
MOCO_HOST_DEVICE inline Philox4 philox4x32_10(Philox4 ctr, uint32_t k0, uint32_t k1) {
    constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
    constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        const uint64_t p0 = static_cast<uint64_t>(kMul0) * ctr.v[0];
        const uint64_t p1 = static_cast<uint64_t>(kMul1) * ctr.v[2];
        ctr = {{static_cast<uint32_t>(p1 >> 32) ^ ctr.v[1] ^ k0, static_cast<uint32_t>(p1),
                static_cast<uint32_t>(p0 >> 32) ^ ctr.v[3] ^ k1, static_cast<uint32_t>(p0)}};
        k0 += kWeyl0;
        k1 += kWeyl1;
    }
    return ctr;
}

// u in [0, 1) from the top 24 bits of a word: (bits >> 8) * 2^-24. Exact in float (24 bits fit the
// significand), so every language that can shift and multiply by a power of two gets the same u.
MOCO_HOST_DEVICE inline float uniform_from_bits(uint32_t bits) {
    return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

// L5: the u of draw number `tokens_generated` of sample `sample_index` of a sequence seeded `seed`.
MOCO_HOST_DEVICE inline float sampling_uniform(uint64_t seed, uint64_t tokens_generated,
                                               uint64_t sample_index) {
    const Philox4 ctr = {
        {static_cast<uint32_t>(tokens_generated), static_cast<uint32_t>(tokens_generated >> 32),
         static_cast<uint32_t>(sample_index), static_cast<uint32_t>(sample_index >> 32)}};
    const Philox4 out =
        philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    return uniform_from_bits(out.v[0]);
}

// Training's LoRA dropout (train/pass.h Dropout): the u of element `element` of the input of
// adapted projection `unit` (layer * modules + module) in micro-batch `stream` of a run seeded
// `seed`; the element is dropped iff u < p. The CPU pass and the CUDA kernels both draw here.
MOCO_HOST_DEVICE inline float lora_dropout_uniform(uint64_t seed, uint64_t stream, uint32_t unit, uint32_t element) {
    const Philox4 ctr = {{element, unit, static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)}};
    return uniform_from_bits(
        philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)).v[0]);
}

// FNV-1a, 64 bits, over the bytes of a NUL-terminated string (the M5 tensor identity).
inline uint64_t fnv1a64(const char* text) {
    uint64_t hash = 0xCBF29CE484222325ull;
    for (const unsigned char* p = reinterpret_cast<const unsigned char*>(text); *p != 0; ++p) {
        hash = (hash ^ *p) * 0x100000001B3ull;
    }
    return hash;
}

// M5's keep test for 0 < density < 1: u = a * 2^-24 with a integer, so u < density  <=>
// a < ceil(density * 2^24). The product is exact, so this integer test equals the comparison in
// double of the caller's density.
inline uint32_t dare_threshold(double density) {
    return static_cast<uint32_t>(std::ceil(density * 16777216.0));
}

// Whether element `element` of the stream keyed (k0, k1) for input `model_index` is kept.
MOCO_HOST_DEVICE inline bool dare_keeps(uint32_t k0, uint32_t k1, uint32_t model_index,
                                        uint64_t element, uint32_t threshold) {
    const Philox4 ctr = {{static_cast<uint32_t>(element), static_cast<uint32_t>(element >> 32),
                          model_index, 0u}};
    return (philox4x32_10(ctr, k0, k1).v[0] >> 8) < threshold;
}

// M5: the stream of one input's task vector for one tensor. The run seed and the tensor name form
// the key (seed ^ fnv1a64(name)); the element index and the model index form the counter, so every
// element's draw is independent of how the tensor is chunked.
struct DareStream {
    uint32_t k0 = 0, k1 = 0, model_index = 0;

    DareStream(uint64_t seed, uint64_t name_hash, int model) {
        const uint64_t key = seed ^ name_hash;
        k0 = static_cast<uint32_t>(key);
        k1 = static_cast<uint32_t>(key >> 32);
        model_index = static_cast<uint32_t>(model);
    }

    // keep[j] = 1 iff u(first + j) < density (u as in uniform_from_bits), for 0 < density < 1; a
    // loop the compiler vectorises.
    void keep_mask(uint64_t first, int64_t n, double density, uint8_t* keep) const {
        const uint32_t threshold = dare_threshold(density);
        for (int64_t j = 0; j < n; ++j) {
            keep[j] = dare_keeps(k0, k1, model_index, first + static_cast<uint64_t>(j), threshold);
        }
    }
};

}  // namespace moco::kernels
