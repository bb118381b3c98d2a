// M11 PSO step and M12 weight softmax (see merge_swarm.h).
#include "kernels/merge_swarm.h"

#include "common.h"
#include "kernels/dtype_convert.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace moco::kernels {

moco_status pso_step(const PsoStep& s) {
    constexpr int64_t kTile = 512;
    float x[kTile], v[kTile], p[kTile], g[kTile], w[kTile];
    const std::size_t in_size = dtype_bytes(s.dtype), out_size = dtype_bytes(s.out_dtype);
    const float limit = dtype_finite_limit(s.out_dtype);
    for (int64_t first = 0; first < s.count; first += kTile) {
        const std::size_t n = static_cast<std::size_t>(std::min(kTile, s.count - first));
        const std::size_t at = static_cast<std::size_t>(first) * in_size;
        load_f32(static_cast<const char*>(s.x) + at, s.dtype, n, x);
        load_f32(static_cast<const char*>(s.v) + at, s.dtype, n, v);
        load_f32(static_cast<const char*>(s.p) + at, s.dtype, n, p);
        load_f32(static_cast<const char*>(s.g) + at, s.dtype, n, g);
        load_f32(static_cast<const char*>(s.w) + at, s.dtype, n, w);
        for (std::size_t e = 0; e < n; ++e) {
            // v' left to right as M11 writes it; x' from the unrounded v'. The operands are all in
            // registers now, so x_out / v_out may alias x / v.
            v[e] = s.a * v[e] + s.b * (p[e] - x[e]) + s.c * (g[e] - x[e]) + s.d * (x[e] - w[e]);
            x[e] = x[e] + s.step * v[e];
        }
        for (std::size_t e = 0; e < n; ++e) {
            if (!(std::fabs(x[e]) < limit) || !(std::fabs(v[e]) < limit)) {
                return set_error(
                    MOCO_ERR_NUMERIC,
                    "moco_pso_step: element %lld: x' = %g, v' = %g, not both finite in %s",
                    static_cast<long long>(first) + static_cast<long long>(e),
                    static_cast<double>(x[e]), static_cast<double>(v[e]), dtype_name(s.out_dtype));
            }
        }
        const std::size_t out_at = static_cast<std::size_t>(first) * out_size;
        store_f32(x, n, s.out_dtype, static_cast<char*>(s.x_out) + out_at);
        store_f32(v, n, s.out_dtype, static_cast<char*>(s.v_out) + out_at);
    }
    return MOCO_OK;
}

void softmax_weights(const float* x, int n, float* out) {
    const float m = *std::max_element(x, x + n);
    std::vector<double> e(static_cast<std::size_t>(n));
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        e[static_cast<std::size_t>(i)] =
            std::exp(static_cast<double>(x[i]) - static_cast<double>(m));
        sum += e[static_cast<std::size_t>(i)];
    }
    for (int i = 0; i < n; ++i) out[i] = static_cast<float>(e[static_cast<std::size_t>(i)] / sum);
}

}  // namespace moco::kernels
