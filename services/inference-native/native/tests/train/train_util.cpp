#include "train_util.h"

#include <cmath>
#include <map>
#include <random>
#include <string>

namespace moco::test {
namespace {

bool target(const TrainExample& e, size_t t) {
    return t >= 1 && (e.mask.empty() || e.mask[t] != 0);
}

// log p(tokens[t]) at every target t of one example under (w, lora), in double.
std::vector<double> target_logprobs(const TinySpec& spec, const FloatWeights& w, const FloatLora* lora,
                                    const TrainExample& e, int classes, std::vector<double>* defer_logit,
                                    double scale = 1.0) {
    const Reference ref = reference_forward(spec, w, e.tokens, lora);
    std::vector<double> out;
    for (size_t t = 1; t < e.tokens.size(); ++t) {
        if (!target(e, t)) continue;
        const double* z = ref.logits.data() + (t - 1) * static_cast<size_t>(spec.vocab);
        double m = scale * z[0];
        for (int v = 1; v < classes; ++v) m = std::max(m, scale * z[v]);
        double sum = 0.0;
        for (int v = 0; v < classes; ++v) sum += std::exp(scale * z[v] - m);
        out.push_back(scale * z[e.tokens[t]] - m - std::log(sum));
        if (defer_logit != nullptr) defer_logit->push_back(z[spec.vocab - 1]);
    }
    return out;
}

double log_sigmoid(double x) {
    return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

std::vector<float>* layer_tensor(FloatLayer& L, const std::string& rest) {
    const std::pair<const char*, std::vector<float>*> table[] = {
        {"input_layernorm.weight", &L.input_norm}, {"self_attn.q_proj.weight", &L.q},
        {"self_attn.k_proj.weight", &L.k},          {"self_attn.v_proj.weight", &L.v},
        {"self_attn.q_proj.bias", &L.q_bias},       {"self_attn.k_proj.bias", &L.k_bias},
        {"self_attn.v_proj.bias", &L.v_bias},       {"self_attn.q_norm.weight", &L.q_norm},
        {"self_attn.k_norm.weight", &L.k_norm},     {"self_attn.o_proj.weight", &L.o},
        {"post_attention_layernorm.weight", &L.post_norm}, {"mlp.gate_proj.weight", &L.gate},
        {"mlp.up_proj.weight", &L.up},              {"mlp.down_proj.weight", &L.down}};
    for (const auto& entry : table) {
        if (rest == entry.first) return entry.second;
    }
    return nullptr;
}

}  // namespace

moco_train_example TrainExample::view() const {
    moco_train_example e{};
    e.tokens = tokens.data();
    e.n_tokens = static_cast<int32_t>(tokens.size());
    e.target_mask = mask.empty() ? nullptr : mask.data();
    e.reward = reward;
    e.group = group;
    e.mentor_logprobs = mentor.empty() ? nullptr : mentor.data();
    return e;
}

std::vector<moco_train_example> views(const std::vector<TrainExample>& examples) {
    std::vector<moco_train_example> out;
    for (const TrainExample& e : examples) out.push_back(e.view());
    return out;
}

std::vector<TrainExample> random_examples(int n, int vocab, int prompt, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> mentor(-3.0f, 0.0f);
    std::vector<TrainExample> out;
    for (int i = 0; i < n; ++i) {
        TrainExample e;
        const int length = 5 + (i * 2) % 3;
        e.tokens = random_tokens(length, vocab, seed * 31u + static_cast<uint32_t>(i));
        e.mask.assign(static_cast<size_t>(length), 1);
        for (int t = 0; t < prompt && t < length - 1; ++t) e.mask[static_cast<size_t>(t)] = 0;
        e.reward = static_cast<float>(i % 3);
        e.group = i / 2;
        for (int t = 0; t < length; ++t) e.mentor.push_back(mentor(rng));
        out.push_back(e);
    }
    return out;
}

void float_weights(const TinySpec& spec, const train::Params& params, const std::vector<float>& master,
                   const FloatWeights& base, FloatWeights* weights, FloatLora* lora) {
    *weights = base;
    if (params.is_lora()) {
        lora->rank = params.lora_settings().rank;
        lora->scale = params.lora_settings().scale;
        lora->a.assign(static_cast<size_t>(spec.layers), std::vector<std::vector<float>>(kTargetCount));
        lora->b = lora->a;
    }
    for (const train::Param& p : params.list()) {
        const std::vector<float> values(master.begin() + static_cast<std::ptrdiff_t>(p.offset),
                                        master.begin() + static_cast<std::ptrdiff_t>(p.offset + p.numel));
        const std::string layers = "model.layers.";
        if (params.is_lora()) {
            // base_model.model.model.layers.L.<module>.lora_X.weight
            const size_t at = p.name.find(layers) + layers.size();
            const int l = std::stoi(p.name.substr(at));
            const std::string rest = p.name.substr(p.name.find('.', at) + 1);
            for (int m = 0; m < kTargetCount; ++m) {
                const std::string path = train::lora_module_path(m);
                if (rest.compare(0, path.size() + 1, path + ".") != 0) continue;
                const bool is_a = rest.find(".lora_A.") != std::string::npos;
                (is_a ? lora->a : lora->b)[static_cast<size_t>(l)][static_cast<size_t>(m)] = values;
            }
            continue;
        }
        if (p.name == "model.embed_tokens.weight") {
            weights->embed = values;
            if (spec.tied) weights->head = values;
        } else if (p.name == "lm_head.weight") {
            weights->head = values;
        } else if (p.name == "model.norm.weight") {
            weights->final_norm = values;
        } else {
            const int l = std::stoi(p.name.substr(layers.size()));
            const std::string rest = p.name.substr(p.name.find('.', layers.size()) + 1);
            *layer_tensor(weights->layers[static_cast<size_t>(l)], rest) = values;
        }
    }
}

double reference_loss(const TinySpec& spec, const FloatWeights& w, const FloatLora* lora, const FloatWeights& ref,
                      const std::vector<TrainExample>& examples, const LossSettings& s) {
    double loss = 0.0;
    if (s.kind == MOCO_LOSS_SFT) {
        for (const TrainExample& e : examples) {
            for (double lp : target_logprobs(spec, w, lora, e, spec.vocab, nullptr)) loss -= lp;
        }
    } else if (s.kind == MOCO_LOSS_DPO) {
        TinySpec ref_spec = spec;
        for (size_t i = 0; i + 1 < examples.size(); i += 2) {
            double margin = 0.0;
            for (size_t j = 0; j < 2; ++j) {
                double ratio = 0.0;
                for (double lp : target_logprobs(spec, w, lora, examples[i + j], spec.vocab, nullptr)) ratio += lp;
                for (double lp : target_logprobs(ref_spec, ref, nullptr, examples[i + j], spec.vocab, nullptr)) ratio -= lp;
                margin += j == 0 ? ratio : -ratio;
            }
            loss -= log_sigmoid(s.dpo_beta * margin);
        }
    } else if (s.kind == MOCO_LOSS_POLICY_GRADIENT) {
        std::map<int32_t, std::vector<size_t>> groups;
        for (size_t i = 0; i < examples.size(); ++i) groups[examples[i].group].push_back(i);
        for (const auto& group : groups) {
            double mean = 0.0, var = 0.0;
            for (size_t i : group.second) mean += examples[i].reward;
            mean /= static_cast<double>(group.second.size());
            for (size_t i : group.second) var += (examples[i].reward - mean) * (examples[i].reward - mean);
            const double std_dev = std::sqrt(var / static_cast<double>(group.second.size() - 1));
            for (size_t i : group.second) {
                const double adv = (examples[i].reward - mean) / (std_dev + 1e-4);
                const double scale = 1.0 / s.pg_temperature;
                const std::vector<double> lp = target_logprobs(spec, w, lora, examples[i], spec.vocab, nullptr, scale);
                const std::vector<double> rp = target_logprobs(spec, ref, nullptr, examples[i], spec.vocab, nullptr, scale);
                double sum = 0.0;
                for (size_t t = 0; t < lp.size(); ++t) {
                    const double diff = rp[t] - lp[t];
                    sum += -adv * lp[t] + s.kl_beta * (std::exp(diff) - diff - 1.0);
                }
                loss += s.pg_token_mean ? sum : sum / static_cast<double>(lp.size());
            }
        }
    } else {
        for (const TrainExample& e : examples) {
            std::vector<double> z;
            const std::vector<double> lp = target_logprobs(spec, w, lora, e, spec.vocab - 1, &z);
            size_t k = 0;
            for (size_t t = 1; t < e.tokens.size(); ++t) {
                if (!target(e, t)) continue;
                const double a = log_sigmoid(-z[k]) + lp[k];
                const double b = log_sigmoid(z[k]) + e.mentor[t];
                const double top = std::max(a, b);
                loss -= top + std::log(std::exp(a - top) + std::exp(b - top));
                ++k;
            }
        }
    }
    return loss;
}

}  // namespace moco::test
