#include "train/losses.h"

#include <cmath>
#include <map>

namespace moco::train {
namespace {

// max and log sum exp(s z - max) of s z[0..n) (s > 0), the sum in double in index order.
void log_normaliser(const float* z, int n, double s, double* max_out, double* log_sum) {
    float m = z[0];
    for (int v = 1; v < n; ++v) m = z[v] > m ? z[v] : m;
    const double top = s * m;
    double sum = 0.0;
    for (int v = 0; v < n; ++v) sum += std::exp(s * z[v] - top);
    *max_out = top;
    *log_sum = std::log(sum);
}

}  // namespace

double log_sigmoid(double x) {
    return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

void target_logprobs(cpu::ThreadPool& pool, const float* logits, int rows, int vocab, int classes,
                     const int32_t* targets, double scale, double* out) {
    pool.run(rows, [&](int r, int) {
        const float* z = logits + static_cast<int64_t>(r) * vocab;
        double m = 0.0, log_sum = 0.0;
        log_normaliser(z, classes, scale, &m, &log_sum);
        out[r] = scale * z[targets[r]] - m - log_sum;
    });
}

void logprob_gradients(cpu::ThreadPool& pool, const float* logits, int rows, int vocab, int classes,
                       const int32_t* targets, double scale, const double* coef, float* dlogits) {
    pool.run(rows, [&](int r, int) {
        const float* z = logits + static_cast<int64_t>(r) * vocab;
        float* d = dlogits + static_cast<int64_t>(r) * vocab;
        double m = 0.0, log_sum = 0.0;
        log_normaliser(z, classes, scale, &m, &log_sum);
        // d log p(y) / d z_v = s ([v == y] - softmax(s z)_v)
        for (int v = 0; v < classes; ++v) {
            const double p = std::exp(scale * z[v] - m - log_sum);
            d[v] = static_cast<float>(coef[r] * scale * ((v == targets[r] ? 1.0 : 0.0) - p));
        }
        for (int v = classes; v < vocab; ++v) d[v] = 0.0f;
    });
}

double defer_loss(cpu::ThreadPool& pool, const float* logits, int rows, int vocab,
                  const int32_t* targets, const float* mentor_logprobs, float* dlogits) {
    std::vector<double> losses(static_cast<size_t>(rows));
    const int classes = vocab - 1;  // the deferral entry is the last one
    pool.run(rows, [&](int r, int) {
        const float* z = logits + static_cast<int64_t>(r) * vocab;
        float* d = dlogits + static_cast<int64_t>(r) * vocab;
        double m = 0.0, log_sum = 0.0;
        log_normaliser(z, classes, 1.0, &m, &log_sum);
        const double defer = z[classes];
        // a = log(sigmoid(-z) p(y)), b = log(sigmoid(z) exp(m_t)); loss = -logsumexp(a, b).
        const double a = log_sigmoid(-defer) + (static_cast<double>(z[targets[r]]) - m - log_sum);
        const double b = log_sigmoid(defer) + mentor_logprobs[r];
        const double top = a > b ? a : b;
        const double lse = top + std::log(std::exp(a - top) + std::exp(b - top));
        losses[static_cast<size_t>(r)] = -lse;
        const double wa = std::exp(a - lse), wb = std::exp(b - lse);
        const double s = 1.0 / (1.0 + std::exp(-defer));
        // d loss / d z_v = -wa (d a / d z_v) - wb (d b / d z_v).
        for (int v = 0; v < classes; ++v) {
            const double p = std::exp(static_cast<double>(z[v]) - m - log_sum);
            d[v] = static_cast<float>(-wa * ((v == targets[r] ? 1.0 : 0.0) - p));
        }
        d[classes] = static_cast<float>(wa * s - wb * (1.0 - s));
    });
    double sum = 0.0;
    for (double l : losses) sum += l;
    return sum;
}

std::vector<double> group_advantages(const std::vector<float>& rewards, const std::vector<int32_t>& groups) {
    std::map<int32_t, std::vector<size_t>> members;
    for (size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(i);
    std::vector<double> out(rewards.size());
    for (const auto& entry : members) {
        const std::vector<size_t>& idx = entry.second;
        double mean = 0.0;
        for (size_t i : idx) mean += rewards[i];
        mean /= static_cast<double>(idx.size());
        double var = 0.0;
        for (size_t i : idx) var += (rewards[i] - mean) * (rewards[i] - mean);
        const double std_dev = std::sqrt(var / static_cast<double>(idx.size() - 1));
        for (size_t i : idx) out[i] = (rewards[i] - mean) / (std_dev + 1e-4);
    }
    return out;
}

}  // namespace moco::train
