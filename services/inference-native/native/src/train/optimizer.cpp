#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

namespace moco::train {
namespace {

constexpr size_t kChunk = size_t{1} << 16;

size_t chunks(size_t n) {
    return (n + kChunk - 1) / kChunk;
}

}  // namespace

double schedule_factor(Schedule schedule, int64_t step, int64_t warmup, int64_t total) {
    if (step < warmup) {
        return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
    }
    const double span = static_cast<double>(std::max<int64_t>(1, total - warmup));
    switch (schedule) {
        case Schedule::Constant: return 1.0;
        case Schedule::Linear: return std::max(0.0, static_cast<double>(total - step) / span);
        case Schedule::Cosine: {
            const double progress = static_cast<double>(step - warmup) / span;
            return std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
        }
    }
    return 1.0;
}

double global_norm(cpu::ThreadPool& pool, const float* g, size_t n) {
    std::vector<double> partial(chunks(n), 0.0);
    pool.run(static_cast<int>(partial.size()), [&](int c, int) {
        const size_t end = std::min(n, (static_cast<size_t>(c) + 1) * kChunk);
        double sum = 0.0;
        for (size_t i = static_cast<size_t>(c) * kChunk; i < end; ++i) {
            sum += static_cast<double>(g[i]) * g[i];
        }
        partial[static_cast<size_t>(c)] = sum;
    });
    double total = 0.0;
    for (double s : partial) total += s;
    return std::sqrt(total);
}

void scale(cpu::ThreadPool& pool, float* g, size_t n, float s) {
    pool.run(static_cast<int>(chunks(n)), [&](int c, int) {
        const size_t end = std::min(n, (static_cast<size_t>(c) + 1) * kChunk);
        for (size_t i = static_cast<size_t>(c) * kChunk; i < end; ++i) g[i] *= s;
    });
}

AdamWFactors adamw_factors(float beta1, float beta2, float weight_decay, double lr, int64_t t) {
    const double bc1 = 1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(t));
    return AdamWFactors{static_cast<float>(lr / bc1), static_cast<float>(std::sqrt(bc2)),
                        static_cast<float>(1.0 - lr * weight_decay)};
}

void AdamW::step(cpu::ThreadPool& pool, float* param, const float* grad, size_t n, double lr,
                 const std::vector<std::pair<size_t, size_t>>& decay_ranges) {
    if (m.size() != n) {
        m.assign(n, 0.0f);
        v.assign(n, 0.0f);
    }
    ++steps;
    const AdamWFactors f = adamw_factors(beta1, beta2, weight_decay, lr, steps);
    const float step_size = f.step_size, bc2_sqrt = f.bc2_sqrt, decay = f.decay;
    const float b1 = beta1, b2 = beta2;
    pool.run(static_cast<int>(chunks(n)), [&](int c, int) {
        const size_t begin = static_cast<size_t>(c) * kChunk;
        const size_t end = std::min(n, begin + kChunk);
        for (size_t i = begin; i < end; ++i) {
            m[i] = m[i] * b1 + grad[i] * (1.0f - b1);
            v[i] = v[i] * b2 + grad[i] * grad[i] * (1.0f - b2);
        }
        if (weight_decay != 0.0f) {
            for (const auto& range : decay_ranges) {
                for (size_t i = std::max(begin, range.first); i < std::min(end, range.second); ++i) {
                    param[i] *= decay;
                }
            }
        }
        for (size_t i = begin; i < end; ++i) {
            param[i] -= step_size * (m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps));
        }
    });
}

}  // namespace moco::train
