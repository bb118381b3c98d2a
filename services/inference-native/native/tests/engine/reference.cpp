#include "reference.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace moco::test {
namespace {

// ---- reference math (double) ----

using Vec = std::vector<double>;

// y[n, out] = x[n, in] W^T
Vec linear(const Vec& x, int n, int in, const std::vector<float>& w, int out) {
    Vec y(static_cast<size_t>(n) * out, 0.0);
    for (int r = 0; r < n; ++r) {
        for (int c = 0; c < out; ++c) {
            double acc = 0.0;
            for (int k = 0; k < in; ++k) {
                acc += x[static_cast<size_t>(r) * in + k] * w[static_cast<size_t>(c) * in + k];
            }
            y[static_cast<size_t>(r) * out + c] = acc;
        }
    }
    return y;
}

// y += scale * B (A x) when the adapter targets `module`.
void add_lora(Vec& y, const Vec& x, int n, const TinySpec& s, const FloatLora* lora, int layer,
              int module) {
    if (lora == nullptr || lora->a[static_cast<size_t>(layer)][static_cast<size_t>(module)].empty()) {
        return;
    }
    int in = 0, out = 0;
    lora_dims(s, module, in, out);
    const Vec t = linear(x, n, in, lora->a[static_cast<size_t>(layer)][static_cast<size_t>(module)], lora->rank);
    const Vec d = linear(t, n, lora->rank, lora->b[static_cast<size_t>(layer)][static_cast<size_t>(module)], out);
    for (size_t i = 0; i < y.size(); ++i) {
        y[i] += lora->scale * d[i];
    }
}

void rmsnorm(double* v, int n, const std::vector<float>& w, double eps) {
    double ss = 0.0;
    for (int i = 0; i < n; ++i) {
        ss += v[i] * v[i];
    }
    const double inv = 1.0 / std::sqrt(ss / n + eps);
    for (int i = 0; i < n; ++i) {
        v[i] = v[i] * inv * w[static_cast<size_t>(i)];
    }
}

Vec rmsnorm_rows(const Vec& x, int n, int dim, const std::vector<float>& w, double eps) {
    Vec y = x;
    for (int r = 0; r < n; ++r) {
        rmsnorm(&y[static_cast<size_t>(r) * dim], dim, w, eps);
    }
    return y;
}

std::vector<double> inv_freq(const TinySpec& s) {
    std::vector<double> f(static_cast<size_t>(s.head_dim / 2));
    for (size_t i = 0; i < f.size(); ++i) {
        f[i] = 1.0 / std::pow(static_cast<double>(s.rope_theta), 2.0 * static_cast<double>(i) / s.head_dim);
    }
    const TinyRope& r = s.rope;
    for (double& v : f) {
        if (r.kind == kRopeLinear) {
            v /= r.factor;
        } else if (r.kind == kRopeLlama3) {
            const double wavelen = 2.0 * M_PI / v;
            const double low = r.original_max_position / r.low_freq_factor;
            const double high = r.original_max_position / r.high_freq_factor;
            if (wavelen > low) {
                v /= r.factor;
            } else if (wavelen >= high) {
                const double smooth = (r.original_max_position / wavelen - r.low_freq_factor) /
                                      (r.high_freq_factor - r.low_freq_factor);
                v = (1.0 - smooth) * v / r.factor + smooth * v;
            }
        }
    }
    return f;
}

void rope(double* v, int hd, int pos, const std::vector<double>& freq) {
    const int half = hd / 2;
    for (int i = 0; i < half; ++i) {
        const double angle = pos * freq[static_cast<size_t>(i)];
        const double a = v[i], b = v[i + half];
        v[i] = a * std::cos(angle) - b * std::sin(angle);
        v[i + half] = b * std::cos(angle) + a * std::sin(angle);
    }
}

}  // namespace

bool TinySpec::classifier() const {
    const std::string suffix = "ForSequenceClassification";
    return architecture.size() > suffix.size() &&
           architecture.compare(architecture.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void lora_dims(const TinySpec& s, int target, int& in, int& out) {
    const int q_dim = s.heads * s.head_dim;
    const int kv_dim = s.kv_heads * s.head_dim;
    switch (target) {
        case kTargetQ: in = s.hidden; out = q_dim; return;
        case kTargetK:
        case kTargetV: in = s.hidden; out = kv_dim; return;
        case kTargetO: in = q_dim; out = s.hidden; return;
        case kTargetGate:
        case kTargetUp: in = s.hidden; out = s.intermediate; return;
        default: in = s.intermediate; out = s.hidden; return;
    }
}

Reference reference_forward(const TinySpec& s, const FloatWeights& w, const std::vector<int32_t>& tokens,
                            const FloatLora* lora, int attend_prefix) {
    const int n = static_cast<int>(tokens.size());
    const int H = s.hidden, hd = s.head_dim, I = s.intermediate;
    const int q_dim = s.heads * hd, kv_dim = s.kv_heads * hd;
    const std::vector<double> freq = inv_freq(s);
    Vec x(static_cast<size_t>(n) * H);
    for (int r = 0; r < n; ++r) {
        for (int i = 0; i < H; ++i) {
            x[static_cast<size_t>(r) * H + i] = w.embed[static_cast<size_t>(tokens[static_cast<size_t>(r)]) * H + i];
        }
    }
    for (int l = 0; l < s.layers; ++l) {
        const FloatLayer& L = w.layers[static_cast<size_t>(l)];
        const Vec h = rmsnorm_rows(x, n, H, L.input_norm, s.eps);
        Vec q = linear(h, n, H, L.q, q_dim);
        Vec k = linear(h, n, H, L.k, kv_dim);
        Vec v = linear(h, n, H, L.v, kv_dim);
        if (s.attention_bias) {
            for (int r = 0; r < n; ++r) {
                for (int i = 0; i < q_dim; ++i) q[static_cast<size_t>(r) * q_dim + i] += L.q_bias[static_cast<size_t>(i)];
                for (int i = 0; i < kv_dim; ++i) k[static_cast<size_t>(r) * kv_dim + i] += L.k_bias[static_cast<size_t>(i)];
                for (int i = 0; i < kv_dim; ++i) v[static_cast<size_t>(r) * kv_dim + i] += L.v_bias[static_cast<size_t>(i)];
            }
        }
        add_lora(q, h, n, s, lora, l, kTargetQ);
        add_lora(k, h, n, s, lora, l, kTargetK);
        add_lora(v, h, n, s, lora, l, kTargetV);
        for (int r = 0; r < n; ++r) {
            for (int head = 0; head < s.heads; ++head) {
                double* qh = &q[static_cast<size_t>(r) * q_dim + head * hd];
                if (s.qk_norm) rmsnorm(qh, hd, L.q_norm, s.eps);
                rope(qh, hd, r, freq);
            }
            for (int head = 0; head < s.kv_heads; ++head) {
                double* kh = &k[static_cast<size_t>(r) * kv_dim + head * hd];
                if (s.qk_norm) rmsnorm(kh, hd, L.k_norm, s.eps);
                rope(kh, hd, r, freq);
            }
        }
        Vec attn(static_cast<size_t>(n) * q_dim, 0.0);
        for (int r = 0; r < n; ++r) {
            const int first = s.sliding_window > 0 ? std::max(0, r - s.sliding_window + 1) : 0;
            const int last = attend_prefix > 0 ? std::min(r, attend_prefix - 1) : r;
            for (int head = 0; head < s.heads; ++head) {
                const int kvh = head / (s.heads / s.kv_heads);
                std::vector<double> scores;
                double max_score = -INFINITY;
                for (int j = first; j <= last; ++j) {
                    double dot = 0.0;
                    for (int d = 0; d < hd; ++d) {
                        dot += q[static_cast<size_t>(r) * q_dim + head * hd + d] * k[static_cast<size_t>(j) * kv_dim + kvh * hd + d];
                    }
                    scores.push_back(dot / std::sqrt(static_cast<double>(hd)));
                    max_score = std::max(max_score, scores.back());
                }
                double sum = 0.0;
                for (double& sc : scores) {
                    sc = std::exp(sc - max_score);
                    sum += sc;
                }
                for (int j = first; j <= last; ++j) {
                    const double p = scores[static_cast<size_t>(j - first)] / sum;
                    for (int d = 0; d < hd; ++d) {
                        attn[static_cast<size_t>(r) * q_dim + head * hd + d] += p * v[static_cast<size_t>(j) * kv_dim + kvh * hd + d];
                    }
                }
            }
        }
        Vec o = linear(attn, n, q_dim, L.o, H);
        add_lora(o, attn, n, s, lora, l, kTargetO);
        for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
        const Vec h2 = rmsnorm_rows(x, n, H, L.post_norm, s.eps);
        Vec g = linear(h2, n, H, L.gate, I);
        Vec u = linear(h2, n, H, L.up, I);
        add_lora(g, h2, n, s, lora, l, kTargetGate);
        add_lora(u, h2, n, s, lora, l, kTargetUp);
        Vec a(g.size());
        for (size_t i = 0; i < a.size(); ++i) a[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
        Vec d = linear(a, n, I, L.down, H);
        add_lora(d, a, n, s, lora, l, kTargetDown);
        for (size_t i = 0; i < x.size(); ++i) x[i] += d[i];
    }
    Reference ref;
    ref.hidden = rmsnorm_rows(x, n, H, w.final_norm, s.eps);
    const int out = s.output_size();
    ref.logits = linear(ref.hidden, n, H, w.head, out);
    return ref;
}

FloatWeights merge_lora(const TinySpec& s, const FloatWeights& w, const FloatLora& lora) {
    FloatWeights merged = w;
    for (int l = 0; l < s.layers; ++l) {
        FloatLayer& L = merged.layers[static_cast<size_t>(l)];
        std::vector<float>* targets[kTargetCount] = {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down};
        for (int m = 0; m < kTargetCount; ++m) {
            const std::vector<float>& a = lora.a[static_cast<size_t>(l)][static_cast<size_t>(m)];
            const std::vector<float>& b = lora.b[static_cast<size_t>(l)][static_cast<size_t>(m)];
            if (a.empty()) continue;
            int in = 0, out = 0;
            lora_dims(s, m, in, out);
            for (int o = 0; o < out; ++o) {
                for (int i = 0; i < in; ++i) {
                    double delta = 0.0;
                    for (int r = 0; r < lora.rank; ++r) {
                        delta += static_cast<double>(b[static_cast<size_t>(o) * lora.rank + r]) * a[static_cast<size_t>(r) * in + i];
                    }
                    float& wv = (*targets[m])[static_cast<size_t>(o) * in + i];
                    wv = static_cast<float>(wv + lora.scale * delta);
                }
            }
        }
    }
    return merged;
}

std::vector<int32_t> random_tokens(int n, int vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> dist(0, vocab - 1);
    std::vector<int32_t> out(static_cast<size_t>(n));
    for (int32_t& t : out) t = dist(rng);
    return out;
}

double relative_error(const std::vector<float>& got, const std::vector<double>& want) {
    double max_diff = 0.0, scale = 1.0;
    for (size_t i = 0; i < want.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(static_cast<double>(got[i]) - want[i]));
        scale = std::max(scale, std::abs(want[i]));
    }
    return max_diff / scale;
}

}  // namespace moco::test
