// LoRA adapters applied on the fly: a zero B changes nothing (bit for bit), a random adapter equals
// the merged weights W + scale * B A (within float rounding) and the reference, and sequences with
// different adapters batch together without affecting each other.
#include "tiny_model.h"

#include <gtest/gtest.h>


namespace moco::test {
namespace {

const std::vector<int> kAllModules = {kTargetQ, kTargetK, kTargetV, kTargetO, kTargetGate, kTargetUp, kTargetDown};

TEST(Lora, ZeroBLeavesOutputsBitIdentical) {
    for (int dtype : {MOCO_DTYPE_F32, MOCO_DTYPE_BF16}) {
        TinySpec spec;
        spec.dtype = dtype;
        TinyModel tm(spec, 60);
        const moco_adapter* adapter = tm.make_adapter(kAllModules, 4, 2.0f, true, 61);
        const std::vector<int32_t> tokens = random_tokens(9, spec.vocab, 62);
        Cache cache(tm.model());
        const int32_t base = cache.create();
        const int32_t lora = cache.create();
        EXPECT_TRUE(bits_equal(cache.append(lora, tokens, MOCO_OUTPUT_ALL, adapter),
                               cache.append(base, tokens)));
        EXPECT_TRUE(bits_equal(cache.append(lora, {3}, MOCO_OUTPUT_LAST, adapter),
                               cache.append(base, {3}, MOCO_OUTPUT_LAST)));
    }
}

TEST(Lora, EqualsMergedWeights) {
    TinySpec spec;
    spec.architecture = "Qwen2ForCausalLM";
    spec.attention_bias = true;
    TinyModel tm(spec, 63);
    const moco_adapter* adapter = tm.make_adapter(kAllModules, 8, 0.5f, false, 64);
    TinyModel merged(spec, merge_lora(spec, tm.weights(), tm.adapter_weights(adapter)));
    const std::vector<int32_t> tokens = random_tokens(12, spec.vocab, 65);

    Cache cache(tm.model());
    const std::vector<float> with_adapter = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, adapter);
    Cache merged_cache(merged.model());
    const std::vector<float> with_merged = merged_cache.append(merged_cache.create(), tokens);
    EXPECT_LT(relative_error(with_adapter, std::vector<double>(with_merged.begin(), with_merged.end())), 1e-5);

    const Reference ref = reference_forward(spec, tm.weights(), tokens,
                                            &tm.adapter_weights(adapter));
    EXPECT_LT(relative_error(with_adapter, ref.logits), 1e-5);
    // And the adapter does change the outputs.
    Cache base_cache(tm.model());
    const std::vector<float> base = base_cache.append(base_cache.create(), tokens);
    EXPECT_GT(relative_error(base, std::vector<double>(with_adapter.begin(), with_adapter.end())), 1e-3);
}

TEST(Lora, SomeModulesOnly16BitAdapter) {
    TinySpec spec;
    spec.dtype = MOCO_DTYPE_F16;
    TinyModel tm(spec, 66);
    const moco_adapter* adapter = tm.make_adapter({kTargetV, kTargetUp}, 2, 1.0f, false, 67);
    const std::vector<int32_t> tokens = random_tokens(7, spec.vocab, 68);
    Cache cache(tm.model());
    const std::vector<float> got = cache.append(cache.create(), tokens, MOCO_OUTPUT_ALL, adapter);
    const Reference ref = reference_forward(spec, tm.weights(), tokens,
                                            &tm.adapter_weights(adapter));
    EXPECT_LT(relative_error(got, ref.logits), 1e-5);
}

TEST(Lora, MixedAdaptersInOneBatchEqualEachAlone) {
    TinySpec spec;
    TinyModel tm(spec, 69);
    const moco_adapter* first = tm.make_adapter(kAllModules, 4, 1.0f, false, 70);
    const moco_adapter* second = tm.make_adapter({kTargetQ, kTargetDown}, 3, 2.0f, false, 71);
    const moco_adapter* per_entry[] = {first, nullptr, second, first, nullptr};
    const int n = 5;
    const int out = tm.output_size();

    std::vector<std::vector<int32_t>> prompts;
    std::vector<std::vector<float>> alone;
    for (int i = 0; i < n; ++i) {
        prompts.push_back(random_tokens(2 + 3 * i, spec.vocab, 80 + static_cast<uint32_t>(i)));
        Cache cache(tm.model());
        alone.push_back(cache.append(cache.create(), prompts.back(), MOCO_OUTPUT_ALL, per_entry[i]));
    }
    Cache cache(tm.model());
    std::vector<std::vector<float>> logits;
    std::vector<moco_batch_entry> entries;
    for (int i = 0; i < n; ++i) logits.emplace_back(prompts[static_cast<size_t>(i)].size() * out);
    for (int i = 0; i < n; ++i) {
        moco_batch_entry e{};
        e.seq = cache.create();
        e.tokens = prompts[static_cast<size_t>(i)].data();
        e.n_tokens = static_cast<int32_t>(prompts[static_cast<size_t>(i)].size());
        e.adapter = per_entry[i];
        e.logits_mode = MOCO_OUTPUT_ALL;
        e.logits = logits[static_cast<size_t>(i)].data();
        entries.push_back(e);
    }
    ASSERT_EQ(moco_forward(cache.get(), entries.data(), n), MOCO_OK) << moco_last_error();
    for (int i = 0; i < n; ++i) {
        EXPECT_TRUE(bits_equal(logits[static_cast<size_t>(i)], alone[static_cast<size_t>(i)])) << "entry " << i;
    }
}

}  // namespace
}  // namespace moco::test
