// Gradients of every parameter kind against central finite differences of the loss computed in
// double precision by the reference forward (engine/reference.h): full fine-tuning over every model
// family of all_specs() (embedding, tied head, RMSNorms, q/k/v with bias, Qwen3 q/k norms, GQA,
// MQA, RoPE scalings, sliding window, SwiGLU MLP, LM head) with the SFT loss, the DPO, policy-
// gradient and deferral losses, and LoRA A and B.
//
// The bound. Per tensor, over sampled elements (some random, the largest analytic ones too):
//   max |analytic - fd| / max |fd|  <  kRelativeBound.
// The analytic gradient is computed in float32 by the trainer; the finite difference uses steps of
// h = 1e-3 (the exact float step taken) on a double-precision loss, so its truncation error is
// O(h^2) ~ 1e-6 relative and the bound measures the float32 backward.
#include "../engine/tiny_model.h"
#include "train/trainer.h"
#include "train_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <random>

namespace moco::test {
namespace {

constexpr double kRelativeBound = 1e-4;  // measured worst: 2.9e-6 (qwen2_qkv_bias, bf16)

struct Check {
    int kind = MOCO_LOSS_SFT;
    bool lora = false;
    int added_rows = 0;
    int prompt = 2;
    float pg_temperature = 1.0f;
    bool pg_token_mean = false;
};

// Runs one micro-batch through a trainer and compares its gradients with finite differences.
void check_gradients(const TinySpec& spec, const Check& check, uint32_t seed) {
    TinyModel tm(spec, seed);
    train::TrainerConfig config;
    config.lora = check.lora;
    config.lora_settings.rank = 3;
    config.lora_settings.scale = 2.0f;
    config.lora_settings.targets = (1u << kLoraModuleCount) - 1;
    config.lora_settings.seed = seed;
    config.added_vocab_rows = check.added_rows;
    config.learning_rate = 0.05;
    config.kl_beta = 0.5f;
    config.dpo_beta = 0.5f;
    config.pg_temperature = check.pg_temperature;
    config.pg_token_mean = check.pg_token_mean;
    train::Trainer trainer(*tm.model(), config);
    const std::vector<TrainExample> examples = random_examples(4, spec.vocab, check.prompt, seed + 1);
    const std::vector<moco_train_example> ex = views(examples);
    if (check.lora) {
        // One step first, so that B is no longer zero and A's gradient is not either.
        ASSERT_EQ(trainer.add_batch("test", MOCO_LOSS_SFT, ex.data(), static_cast<int>(ex.size())), MOCO_OK);
        ASSERT_EQ(trainer.step("test", nullptr), MOCO_OK);
    }
    ASSERT_EQ(trainer.add_batch("test", check.kind, ex.data(), static_cast<int>(ex.size())), MOCO_OK)
        << moco_last_error();
    const train::Params& params = trainer.params();
    const std::vector<float>& grad = trainer.gradients();
    TinySpec policy_spec = spec;
    policy_spec.vocab = params.vocab();
    LossSettings settings;
    settings.kind = check.kind;
    settings.dpo_beta = config.dpo_beta;
    settings.kl_beta = config.kl_beta;
    settings.pg_temperature = config.pg_temperature;
    settings.pg_token_mean = config.pg_token_mean;

    std::mt19937 rng(seed);
    std::vector<float> master = params.master;
    FloatWeights w;
    FloatLora lora;
    auto loss_at = [&]() {
        float_weights(policy_spec, params, master, tm.weights(), &w, &lora);
        return reference_loss(policy_spec, w, params.is_lora() ? &lora : nullptr, tm.weights(), examples, settings);
    };
    double worst = 0.0;
    for (const train::Param& p : params.list()) {
        // Three random elements and the three largest analytic gradients.
        std::vector<size_t> order(p.numel);
        for (size_t i = 0; i < p.numel; ++i) order[i] = i;
        std::partial_sort(order.begin(), order.begin() + std::min<size_t>(3, p.numel), order.end(), [&](size_t a, size_t b) {
            return std::abs(grad[p.offset + a]) > std::abs(grad[p.offset + b]);
        });
        std::vector<size_t> picks(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(3, p.numel)));
        std::uniform_int_distribution<size_t> any(0, p.numel - 1);
        for (int i = 0; i < 3; ++i) picks.push_back(any(rng));
        double max_err = 0.0, max_fd = 0.0;
        for (size_t e : picks) {
            float& v = master[p.offset + e];
            const float original = v;
            v = original + 1e-3f;
            const double up_step = static_cast<double>(v) - original;
            const double up = loss_at();
            v = original - 1e-3f;
            const double down_step = static_cast<double>(original) - v;
            const double down = loss_at();
            v = original;
            const double fd = (up - down) / (up_step + down_step);
            max_err = std::max(max_err, std::abs(fd - grad[p.offset + e]));
            max_fd = std::max(max_fd, std::abs(fd));
        }
        ASSERT_GT(max_fd, 0.0) << p.name << ": no sampled element has a gradient";
        EXPECT_LT(max_err / max_fd, kRelativeBound) << spec.name << " " << p.name << " (loss kind " << check.kind
                                                    << "): max error " << max_err << ", max |fd| " << max_fd;
        worst = std::max(worst, max_err / max_fd);
    }
    std::printf("[ fd      ] %s, loss kind %d%s: worst relative error %.2e\n", spec.name.c_str(), check.kind,
                check.lora ? " (LoRA)" : "", worst);
}

class FullGradients : public ::testing::TestWithParam<TinySpec> {};

TEST_P(FullGradients, SftMatchFiniteDifferences) {
    check_gradients(GetParam(), Check{}, 301);
}

std::vector<TinySpec> causal_specs() {
    std::vector<TinySpec> out;
    for (const TinySpec& s : all_specs()) {
        if (!s.classifier()) out.push_back(s);
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Train, FullGradients, ::testing::ValuesIn(causal_specs()),
                         [](const ::testing::TestParamInfo<TinySpec>& info) { return info.param.name; });

TEST(TrainGradients, DpoMatchesFiniteDifferences) {
    Check c;
    c.kind = MOCO_LOSS_DPO;
    check_gradients(TinySpec{}, c, 302);
}

TEST(TrainGradients, PolicyGradientWithKlMatchesFiniteDifferences) {
    Check c;
    c.kind = MOCO_LOSS_POLICY_GRADIENT;
    check_gradients(TinySpec{}, c, 303);
}

// TRL 0.19's GRPO as text_agglm configures it: log-probs at the sampling temperature, the loss a
// mean over every completion token of the batch.
TEST(TrainGradients, PolicyGradientTokenMeanAtATemperatureMatchesFiniteDifferences) {
    Check c;
    c.kind = MOCO_LOSS_POLICY_GRADIENT;
    c.pg_temperature = 0.7f;
    c.pg_token_mean = true;
    check_gradients(TinySpec{}, c, 305);
}

TEST(TrainGradients, DeferralWithAddedRowMatchesFiniteDifferences) {
    Check c;
    c.kind = MOCO_LOSS_DEFER;
    c.added_rows = 1;
    check_gradients(TinySpec{}, c, 304);
}

TEST(TrainGradients, LoraAllModulesMatchFiniteDifferences) {
    Check c;
    c.lora = true;
    TinySpec spec;
    spec.architecture = "Qwen3ForCausalLM";
    spec.qk_norm = true;
    spec.attention_bias = true;
    check_gradients(spec, c, 305);
}

}  // namespace
}  // namespace moco::test
