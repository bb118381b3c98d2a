#include "cpu/ops.h"

#include "cpu/vec.h"

#include <cmath>

namespace moco::cpu {

void rmsnorm(const float* x, const float* w, int n, float eps, float* out) {
    const float mean_square = vec_ops().dot(x, x, n) / static_cast<float>(n);
    const float inv_rms = 1.0f / std::sqrt(mean_square + eps);
    for (int i = 0; i < n; ++i) {
        out[i] = w[i] * (x[i] * inv_rms);
    }
}

std::vector<float> rope_inv_freq(const ModelConfig& config) {
    const int half = config.head_dim / 2;
    std::vector<float> inv_freq(static_cast<size_t>(half));
    for (int i = 0; i < half; ++i) {
        // HF: 1.0 / (theta ** (arange(0, dim, 2).float() / dim)), the exponent in float32.
        const float exponent = static_cast<float>(2 * i) / static_cast<float>(config.head_dim);
        const float power = static_cast<float>(std::pow(static_cast<double>(config.rope_theta),
                                                        static_cast<double>(exponent)));
        inv_freq[static_cast<size_t>(i)] = 1.0f / power;
    }
    const RopeScaling& s = config.rope_scaling;
    if (s.kind == RopeScaling::Kind::Linear) {
        for (float& f : inv_freq) {
            f /= s.factor;
        }
    } else if (s.kind == RopeScaling::Kind::Llama3) {
        // transformers' _compute_llama3_parameters, in float32 like its tensor arithmetic.
        const float old_context = static_cast<float>(s.original_max_position);
        const float low_freq_wavelen = old_context / s.low_freq_factor;
        const float high_freq_wavelen = old_context / s.high_freq_factor;
        const float two_pi = static_cast<float>(2.0 * 3.14159265358979323846);
        for (float& f : inv_freq) {
            const float wavelen = two_pi / f;
            if (wavelen > low_freq_wavelen) {
                f = f / s.factor;  // low frequencies: fully interpolated
            } else if (!(wavelen < high_freq_wavelen)) {
                // medium frequencies: blend of interpolated and original
                const float smooth = (old_context / wavelen - s.low_freq_factor) /
                                     (s.high_freq_factor - s.low_freq_factor);
                f = (1.0f - smooth) * f / s.factor + smooth * f;
            }
        }
    }
    return inv_freq;
}

void rope_cos_sin(const std::vector<float>& inv_freq, int pos, float* cos, float* sin) {
    const float p = static_cast<float>(pos);
    for (size_t i = 0; i < inv_freq.size(); ++i) {
        const double angle = static_cast<double>(p * inv_freq[i]);
        cos[i] = static_cast<float>(std::cos(angle));
        sin[i] = static_cast<float>(std::sin(angle));
    }
}

void rope_apply(float* v, int head_dim, const float* cos, const float* sin) {
    const int half = head_dim / 2;
    for (int i = 0; i < half; ++i) {
        const float a = v[i];
        const float b = v[i + half];
        v[i] = a * cos[i] + (-b) * sin[i];
        v[i + half] = b * cos[i] + a * sin[i];
    }
}

void softmax_scaled(float* p, int n, float scale) {
    vec_ops().softmax_scaled(p, n, scale);
}

void silu_mul(const float* gate, const float* up, int n, float* out) {
    for (int i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

}  // namespace moco::cpu
