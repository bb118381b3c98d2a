// The training pass's CUDA kernels (src/cuda/train/pass_kernels.h, and qkv_finish without a cache)
// against host references written from train/pass.cpp's formulas, in double where a sum is
// involved, on a micro-batch of two sequences (5 and 3 rows), 4 q heads over 2 kv heads of 8 dims.
// The backward kernels are also checked against central finite differences of the double forward,
// so a reference that shares a mistake with its kernel cannot pass. Tolerance ~1e-5 relative: the
// kernels sum in F32 in their own order. The row sums (column sums, embedding scatter) and dropout
// are exact: same order, same bits, and so are the probabilities the attention backward recomputes
// (the forward's). Outputs the kernels must write start as NaN, so an element left unwritten shows.
#include "cpu/ops.h"
#include "cuda/kernels.h"
#include "cuda/train/pass_kernels.h"
#include "cuda_test_util.h"
#include "kernels/philox.h"
#include "model/model.h"

#include <cstring>
#include <limits>

namespace moco::cuda_test {
namespace {

namespace train = moco::cuda::train;

constexpr int kHeads = 4, kKvHeads = 2, kHeadDim = 8, kHalf = kHeadDim / 2;
constexpr int kQDim = kHeads * kHeadDim, kKvDim = kKvHeads * kHeadDim, kQkvDim = kQDim + 2 * kKvDim;
constexpr int kGroup = kHeads / kKvHeads;
constexpr float kEps = 1e-6f;
const std::vector<int> kLengths = {5, 3};

std::vector<float> nans(size_t n) { return std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()); }

std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

std::vector<float> to_float(const std::vector<double>& v) {
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
    return out;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

// d/dx_i of f(x) . dy for every i, by central differences of the double function f.
template <class F>
std::vector<double> finite_differences(const std::vector<double>& x, const std::vector<double>& dy, F f) {
    constexpr double h = 1e-5;
    std::vector<double> grad(x.size());
    std::vector<double> xp = x;
    for (size_t i = 0; i < x.size(); ++i) {
        xp[i] = x[i] + h;
        const double up = dot(f(xp), dy);
        xp[i] = x[i] - h;
        const double down = dot(f(xp), dy);
        xp[i] = x[i];
        grad[i] = (up - down) / (2 * h);
    }
    return grad;
}

// ---- rmsnorm backward ---------------------------------------------------------------------------

// dx = r (w dy) - x r^3 / n sum(w dy x), dw = dy x r; r = 1 / sqrt(mean(x^2) + eps).
void rmsnorm_backward_reference(const float* x, const float* w, int n, const float* dy, double* dx,
                                double* dw) {
    double ms = 0.0, wdyx = 0.0;
    for (int i = 0; i < n; ++i) {
        ms += static_cast<double>(x[i]) * x[i];
        wdyx += static_cast<double>(w[i]) * dy[i] * x[i];
    }
    const double r = 1.0 / std::sqrt(ms / n + kEps);
    for (int i = 0; i < n; ++i) {
        dx[i] = r * w[i] * dy[i] - x[i] * r * r * r / n * wdyx;
        if (dw != nullptr) dw[i] = static_cast<double>(dy[i]) * x[i] * r;
    }
}

TEST(CudaPassKernels, RmsNormBackwardOfIndexedRowsAccumulates) {
    MOCO_REQUIRE_GPU();
    // Rows 4, 1, 2 of a 6-row x (ld 43) get the gradient of 3 dense dy rows (ld 41), as the final
    // norm's target rows; dx adds, dw_rows (ld 40) is written.
    const int n = 40, ld_x = 43, ld_dy = 41, ld_dw = 40, rows = 3;
    const std::vector<int32_t> index = {4, 1, 2};
    const std::vector<float> x = random_floats(6 * ld_x, 1, -2.0f, 2.0f);
    const std::vector<float> w = random_floats(n, 2, 0.5f, 1.5f);
    const std::vector<float> dy = random_floats(rows * ld_dy, 3);
    const std::vector<float> dx0 = random_floats(6 * ld_x, 4);
    std::vector<float> dx_want = dx0;
    std::vector<float> dw_want = nans(rows * ld_dw);
    for (int i = 0; i < rows; ++i) {
        std::vector<double> g(n), dw(n);
        const int64_t o = static_cast<int64_t>(index[i]) * ld_x;
        rmsnorm_backward_reference(&x[o], w.data(), n, &dy[i * ld_dy], g.data(), dw.data());
        for (int j = 0; j < n; ++j) {
            dx_want[o + j] = static_cast<float>(dx0[o + j] + g[j]);
            dw_want[i * ld_dw + j] = static_cast<float>(dw[j]);
        }
    }
    DeviceArray<float> dx_(x), dw_(w), ddy(dy), ddx(dx0), ddw(nans(rows * ld_dw));
    DeviceArray<int32_t> dindex(index);
    train::rmsnorm_backward(dx_.get(), dindex.get(), ld_x, rows, dw_.get(), n, kEps, ddy.get(), ld_dy, ddx.get(),
                            true, ddw.get(), ld_dw, nullptr);
    expect_close(ddx.host(), dx_want, 1e-6f, 1e-5f, "dx");
    expect_close(ddw.host(), dw_want, 1e-6f, 1e-5f, "dw_rows");
}

TEST(CudaPassKernels, RmsNormBackwardWritesEveryRowAndMatchesFiniteDifferences) {
    MOCO_REQUIRE_GPU();
    // 300 columns: more than the block, so the strided sums of several passes are covered.
    const int n = 300, rows = 2;
    const std::vector<float> x = random_floats(rows * n, 5, -2.0f, 2.0f);
    const std::vector<float> w = random_floats(n, 6, 0.5f, 1.5f);
    const std::vector<float> dy = random_floats(rows * n, 7);
    DeviceArray<float> dx_(x), dw_(w), ddy(dy), ddx(nans(rows * n));
    train::rmsnorm_backward(dx_.get(), nullptr, n, rows, dw_.get(), n, kEps, ddy.get(), n, ddx.get(), false,
                            nullptr, 0, nullptr);
    const std::vector<float> got = ddx.host();
    for (int r = 0; r < rows; ++r) {
        const std::vector<double> xr(x.begin() + r * n, x.begin() + (r + 1) * n);
        const std::vector<double> dyr(dy.begin() + r * n, dy.begin() + (r + 1) * n);
        const std::vector<double> want = finite_differences(xr, dyr, [&](const std::vector<double>& v) {
            double ms = 0.0;
            for (double e : v) ms += e * e;
            const double inv = 1.0 / std::sqrt(ms / n + kEps);
            std::vector<double> y(v.size());
            for (int i = 0; i < n; ++i) y[i] = w[i] * (v[i] * inv);
            return y;
        });
        expect_close(std::vector<float>(got.begin() + r * n, got.begin() + (r + 1) * n), to_float(want), 1e-5f,
                     1e-4f, "dx_row" + std::to_string(r));
    }
}

// ---- q/k norm and RoPE --------------------------------------------------------------------------

struct QkCase {
    int rows = 8;
    std::vector<float> qkv, q_norm, k_norm, cos, sin;

    explicit QkCase(uint32_t seed) {
        qkv = random_floats(static_cast<size_t>(rows) * kQkvDim, seed, -2.0f, 2.0f);
        q_norm = random_floats(kHeadDim, seed + 1, 0.5f, 1.5f);
        k_norm = random_floats(kHeadDim, seed + 2, 0.5f, 1.5f);
        const std::vector<float> angle = random_floats(static_cast<size_t>(rows) * kHalf, seed + 3, -3.0f, 3.0f);
        for (float a : angle) {
            cos.push_back(std::cos(a));
            sin.push_back(std::sin(a));
        }
    }
};

// The forward in double (cpu::rmsnorm then cpu::rope_apply per q/k head), for finite differences.
std::vector<double> qk_forward_double(const QkCase& c, const std::vector<double>& raw, bool norms,
                                      const std::vector<double>* q_norm = nullptr,
                                      const std::vector<double>* k_norm = nullptr) {
    std::vector<double> out = raw;
    for (int r = 0; r < c.rows; ++r) {
        for (int h = 0; h < kHeads + kKvHeads; ++h) {
            double* v = &out[static_cast<size_t>(r) * kQkvDim + h * kHeadDim];
            if (norms) {
                const std::vector<double>& w = h < kHeads ? *q_norm : *k_norm;
                double ms = 0.0;
                for (int i = 0; i < kHeadDim; ++i) ms += v[i] * v[i];
                const double inv = 1.0 / std::sqrt(ms / kHeadDim + kEps);
                for (int i = 0; i < kHeadDim; ++i) v[i] = w[i] * (v[i] * inv);
            }
            for (int i = 0; i < kHalf; ++i) {
                const double cs = c.cos[r * kHalf + i], sn = c.sin[r * kHalf + i];
                const double a = v[i], b = v[i + kHalf];
                v[i] = a * cs - b * sn;
                v[i + kHalf] = b * cs + a * sn;
            }
        }
    }
    return out;
}

// The training forward's q/k step is qkv_finish without a KV cache.
TEST(CudaPassKernels, QkvFinishWithoutACacheMatchesCpuNormAndRope) {
    MOCO_REQUIRE_GPU();
    for (const bool norms : {true, false}) {
        SCOPED_TRACE(norms ? "with q/k norms" : "without norms");
        const QkCase c(10);
        std::vector<float> want = c.qkv;
        for (int r = 0; r < c.rows; ++r) {
            for (int h = 0; h < kHeads + kKvHeads; ++h) {
                float* v = &want[static_cast<size_t>(r) * kQkvDim + h * kHeadDim];
                if (norms) cpu::rmsnorm(v, h < kHeads ? c.q_norm.data() : c.k_norm.data(), kHeadDim, kEps, v);
                cpu::rope_apply(v, kHeadDim, &c.cos[r * kHalf], &c.sin[r * kHalf]);
            }
        }
        DeviceArray<float> qkv(c.qkv), qn(c.q_norm), kn(c.k_norm), cs(c.cos), sn(c.sin);
        cuda::QkvArgs args;
        args.qkv = qkv.get();
        args.rows = c.rows;
        args.heads = kHeads;
        args.kv_heads = kKvHeads;
        args.head_dim = kHeadDim;
        args.q_norm = norms ? qn.get() : nullptr;
        args.k_norm = norms ? kn.get() : nullptr;
        args.eps = kEps;
        args.cos = cs.get();
        args.sin = sn.get();
        cuda::qkv_finish(args, nullptr);
        const std::vector<float> got = qkv.host();
        expect_close(got, want, 1e-6f, 1e-5f, "qkv");
        for (int r = 0; r < c.rows; ++r) {  // v is left alone, bit for bit
            for (int i = kQDim + kKvDim; i < kQkvDim; ++i) {
                ASSERT_EQ(got[r * kQkvDim + i], c.qkv[r * kQkvDim + i]) << "row " << r << " col " << i;
            }
        }
    }
}

TEST(CudaPassKernels, QkBackwardMatchesHostReference) {
    MOCO_REQUIRE_GPU();
    for (const bool norms : {true, false}) {
        SCOPED_TRACE(norms ? "with q/k norms" : "without norms");
        const QkCase c(20);
        const std::vector<float> dy = random_floats(c.qkv.size(), 25);
        // RoPE's transpose, then (norms) the rmsnorm backward per head; dw rows sum the row's heads.
        std::vector<float> want = dy;
        std::vector<double> dw(static_cast<size_t>(c.rows) * 2 * kHeadDim, 0.0);
        for (int r = 0; r < c.rows; ++r) {
            for (int h = 0; h < kHeads + kKvHeads; ++h) {
                const size_t o = static_cast<size_t>(r) * kQkvDim + h * kHeadDim;
                float g[kHeadDim];
                for (int i = 0; i < kHalf; ++i) {
                    const float cs = c.cos[r * kHalf + i], sn = c.sin[r * kHalf + i];
                    g[i] = dy[o + i] * cs + dy[o + i + kHalf] * sn;
                    g[i + kHalf] = dy[o + i + kHalf] * cs - dy[o + i] * sn;
                }
                if (!norms) {
                    std::copy(g, g + kHeadDim, &want[o]);
                    continue;
                }
                const bool is_q = h < kHeads;
                double dx[kHeadDim], dwh[kHeadDim];
                rmsnorm_backward_reference(&c.qkv[o], is_q ? c.q_norm.data() : c.k_norm.data(), kHeadDim, g, dx, dwh);
                for (int i = 0; i < kHeadDim; ++i) {
                    want[o + i] = static_cast<float>(dx[i]);
                    dw[static_cast<size_t>(r) * 2 * kHeadDim + (is_q ? 0 : kHeadDim) + i] += dwh[i];
                }
            }
        }
        DeviceArray<float> dqkv(dy), raw(c.qkv), qn(c.q_norm), kn(c.k_norm), cs(c.cos), sn(c.sin);
        DeviceArray<float> dw_rows(nans(dw.size()));
        train::qk_backward(dqkv.get(), norms ? raw.get() : nullptr, c.rows, kHeads, kKvHeads, kHeadDim,
                           norms ? qn.get() : nullptr, norms ? kn.get() : nullptr, kEps, cs.get(), sn.get(),
                           norms ? dw_rows.get() : nullptr, nullptr);
        expect_close(dqkv.host(), want, 1e-6f, 1e-5f, "dqkv");
        if (norms) expect_close(dw_rows.host(), to_float(dw), 1e-6f, 1e-5f, "dw_rows");
    }
}

TEST(CudaPassKernels, QkBackwardMatchesFiniteDifferences) {
    MOCO_REQUIRE_GPU();
    const QkCase c(30);
    const std::vector<float> dy = random_floats(c.qkv.size(), 35);
    const std::vector<double> qn = to_double(c.q_norm), kn = to_double(c.k_norm);
    DeviceArray<float> dqkv(dy), raw(c.qkv), dqn(c.q_norm), dkn(c.k_norm), cs(c.cos), sn(c.sin);
    DeviceArray<float> dw_rows(nans(static_cast<size_t>(c.rows) * 2 * kHeadDim));
    train::qk_backward(dqkv.get(), raw.get(), c.rows, kHeads, kKvHeads, kHeadDim, dqn.get(), dkn.get(), kEps,
                       cs.get(), sn.get(), dw_rows.get(), nullptr);

    const std::vector<double> x = to_double(c.qkv), g = to_double(dy);
    const std::vector<double> dx = finite_differences(
        x, g, [&](const std::vector<double>& v) { return qk_forward_double(c, v, true, &qn, &kn); });
    expect_close(dqkv.host(), to_float(dx), 1e-5f, 1e-4f, "dqkv");

    // The weights' gradient: the column sums of dw_rows (q_norm's half, then k_norm's).
    const std::vector<float> rows = dw_rows.host();
    std::vector<float> dw_sum(2 * kHeadDim, 0.0f);
    for (int r = 0; r < c.rows; ++r) {
        for (int i = 0; i < 2 * kHeadDim; ++i) dw_sum[i] += rows[r * 2 * kHeadDim + i];
    }
    const std::vector<double> dq = finite_differences(
        qn, g, [&](const std::vector<double>& w) { return qk_forward_double(c, x, true, &w, &kn); });
    const std::vector<double> dk = finite_differences(
        kn, g, [&](const std::vector<double>& w) { return qk_forward_double(c, x, true, &qn, &w); });
    std::vector<double> dw_want = dq;
    dw_want.insert(dw_want.end(), dk.begin(), dk.end());
    expect_close(dw_sum, to_float(dw_want), 1e-5f, 1e-4f, "dw");
}

// ---- attention ----------------------------------------------------------------------------------

// train::Pass::layout for the sequences of kLengths, `window` = the sliding window (0: none).
struct HostLayout {
    int rows = 0, max_span = 0;
    int64_t prob_total = 0;
    std::vector<int32_t> first, seq_end;
    std::vector<int64_t> prob_offset;
};

HostLayout make_layout(int window) {
    HostLayout l;
    for (const int len : kLengths) {
        const int row0 = l.rows;
        for (int pos = 0; pos < len; ++pos) {
            const int first = window > 0 ? std::max(0, pos - window + 1) : 0;
            const int span = pos - first + 1;
            l.first.push_back(row0 + first);
            l.seq_end.push_back(row0 + len);
            l.prob_offset.push_back(l.prob_total);
            l.prob_total += static_cast<int64_t>(span) * kHeads;
            l.max_span = std::max(l.max_span, span);
        }
        l.rows += len;
    }
    return l;
}

struct DeviceLayout {
    explicit DeviceLayout(const HostLayout& h) : first(h.first), prob_offset(h.prob_offset), seq_end(h.seq_end) {
        layout.rows = h.rows;
        layout.first = first.get();
        layout.prob_offset = prob_offset.get();
        layout.seq_end = seq_end.get();
        layout.max_span = h.max_span;
    }
    DeviceArray<int32_t> first;
    DeviceArray<int64_t> prob_offset;
    DeviceArray<int32_t> seq_end;
    train::RowLayout layout;
};

const double kScale = 1.0 / std::sqrt(static_cast<double>(kHeadDim));

const double* key_row(const std::vector<double>& qkv, int row, int head) {
    return &qkv[static_cast<size_t>(row) * kQkvDim + kQDim + (head / kGroup) * kHeadDim];
}

// Pass::attention_forward in double: probs (the layout's order) and the output rows.
void attention_reference(const std::vector<double>& qkv, const HostLayout& l, std::vector<double>& probs,
                         std::vector<double>& attn) {
    probs.assign(static_cast<size_t>(l.prob_total), 0.0);
    attn.assign(static_cast<size_t>(l.rows) * kQDim, 0.0);
    for (int r = 0; r < l.rows; ++r) {
        const int first = l.first[r], n = r - first + 1;
        for (int h = 0; h < kHeads; ++h) {
            double* p = &probs[static_cast<size_t>(l.prob_offset[r]) + static_cast<size_t>(h) * n];
            const double* q = &qkv[static_cast<size_t>(r) * kQkvDim + h * kHeadDim];
            double max_score = -INFINITY;
            for (int j = 0; j < n; ++j) {
                const double* k = key_row(qkv, first + j, h);
                double s = 0.0;
                for (int d = 0; d < kHeadDim; ++d) s += q[d] * k[d];
                p[j] = s * kScale;
                max_score = std::max(max_score, p[j]);
            }
            double sum = 0.0;
            for (int j = 0; j < n; ++j) sum += p[j] = std::exp(p[j] - max_score);
            for (int j = 0; j < n; ++j) {
                p[j] /= sum;
                const double* v = key_row(qkv, first + j, h) + kKvDim;
                for (int d = 0; d < kHeadDim; ++d) attn[static_cast<size_t>(r) * kQDim + h * kHeadDim + d] += p[j] * v[d];
            }
        }
    }
}

// Pass::attention_backward in double: dS into ds (the probs' layout) and dqkv.
void attention_backward_reference(const std::vector<double>& qkv, const std::vector<double>& probs,
                                  const std::vector<double>& dattn, const HostLayout& l, std::vector<double>& ds,
                                  std::vector<double>& dqkv) {
    ds.assign(probs.size(), 0.0);
    dqkv.assign(qkv.size(), 0.0);
    for (int r = 0; r < l.rows; ++r) {
        const int first = l.first[r], n = r - first + 1;
        for (int h = 0; h < kHeads; ++h) {
            const size_t at = static_cast<size_t>(l.prob_offset[r]) + static_cast<size_t>(h) * n;
            const double* d_out = &dattn[static_cast<size_t>(r) * kQDim + h * kHeadDim];
            const double* q = &qkv[static_cast<size_t>(r) * kQkvDim + h * kHeadDim];
            double pdp = 0.0;
            for (int j = 0; j < n; ++j) {
                const double* v = key_row(qkv, first + j, h) + kKvDim;
                double dp = 0.0;
                for (int d = 0; d < kHeadDim; ++d) dp += d_out[d] * v[d];
                ds[at + j] = dp;
                pdp += probs[at + j] * dp;
            }
            for (int j = 0; j < n; ++j) {
                const double s = ds[at + j] = probs[at + j] * (ds[at + j] - pdp) * kScale;
                const double* k = key_row(qkv, first + j, h);
                const size_t kv = static_cast<size_t>(first + j) * kQkvDim + kQDim + (h / kGroup) * kHeadDim;
                for (int d = 0; d < kHeadDim; ++d) {
                    dqkv[static_cast<size_t>(r) * kQkvDim + h * kHeadDim + d] += s * k[d];
                    dqkv[kv + d] += s * q[d];
                    dqkv[kv + kKvDim + d] += probs[at + j] * d_out[d];
                }
            }
        }
    }
}

TEST(CudaPassKernels, AttentionForwardMatchesHostReference) {
    MOCO_REQUIRE_GPU();
    for (const int window : {0, 2}) {
        SCOPED_TRACE("sliding window " + std::to_string(window));
        const HostLayout hl = make_layout(window);
        const DeviceLayout dl(hl);
        const std::vector<float> qkv = random_floats(static_cast<size_t>(hl.rows) * kQkvDim, 40 + window, -2.0f, 2.0f);
        std::vector<double> probs, attn;
        attention_reference(to_double(qkv), hl, probs, attn);
        DeviceArray<float> dqkv(qkv), dprobs(nans(probs.size())), dattn(nans(attn.size()));
        train::attention_forward(dqkv.get(), dl.layout, kHeads, kKvHeads, kHeadDim, static_cast<float>(kScale),
                                 dprobs.get(), dattn.get(), nullptr);
        expect_close(dprobs.host(), to_float(probs), 1e-6f, 1e-5f, "probs");
        expect_close(dattn.host(), to_float(attn), 1e-6f, 1e-5f, "attn");
    }
}

TEST(CudaPassKernels, AttentionBackwardMatchesHostReferenceAndFiniteDifferences) {
    MOCO_REQUIRE_GPU();
    for (const int window : {0, 2}) {
        SCOPED_TRACE("sliding window " + std::to_string(window));
        const HostLayout hl = make_layout(window);
        const DeviceLayout dl(hl);
        const std::vector<float> qkv = random_floats(static_cast<size_t>(hl.rows) * kQkvDim, 50 + window, -2.0f, 2.0f);
        const std::vector<float> dattn = random_floats(static_cast<size_t>(hl.rows) * kQDim, 60 + window);
        const std::vector<double> x = to_double(qkv), g = to_double(dattn);
        std::vector<double> probs, attn, ds, dqkv_want;
        attention_reference(x, hl, probs, attn);
        attention_backward_reference(x, probs, g, hl, ds, dqkv_want);

        // The backward recomputes the probabilities into scratch that holds NaNs (no layer keeps
        // the forward's): they must be the forward's bits.
        DeviceArray<float> d_qkv(qkv), d_fwd_probs(nans(probs.size())), d_attn(nans(attn.size()));
        train::attention_forward(d_qkv.get(), dl.layout, kHeads, kKvHeads, kHeadDim, static_cast<float>(kScale),
                                 d_fwd_probs.get(), d_attn.get(), nullptr);
        DeviceArray<float> d_dattn(dattn), d_probs(nans(probs.size())), d_ds(nans(ds.size())),
            d_dqkv(nans(qkv.size()));
        train::attention_backward(d_qkv.get(), d_dattn.get(), dl.layout, kHeads, kKvHeads, kHeadDim,
                                  static_cast<float>(kScale), d_probs.get(), d_ds.get(), d_dqkv.get(), nullptr);
        const std::vector<float> got = d_dqkv.host();
        EXPECT_EQ(0, std::memcmp(d_probs.host().data(), d_fwd_probs.host().data(), probs.size() * sizeof(float)))
            << "the recomputed probabilities differ from the forward's";
        expect_close(d_ds.host(), to_float(ds), 1e-6f, 1e-5f, "ds");
        expect_close(got, to_float(dqkv_want), 1e-6f, 1e-5f, "dqkv_vs_reference");

        const std::vector<double> fd = finite_differences(x, g, [&](const std::vector<double>& v) {
            std::vector<double> p, out;
            attention_reference(v, hl, p, out);
            return out;
        });
        expect_close(got, to_float(fd), 1e-5f, 1e-4f, "dqkv_vs_finite_differences");
    }
}

// ---- rows ---------------------------------------------------------------------------------------

TEST(CudaPassKernels, SwigluBackwardMatchesHost) {
    MOCO_REQUIRE_GPU();
    const int rows = 3, inter = 37;
    const std::vector<float> gu = random_floats(static_cast<size_t>(rows) * 2 * inter, 70, -4.0f, 4.0f);
    const std::vector<float> dact = random_floats(static_cast<size_t>(rows) * inter, 71);
    std::vector<float> want(gu.size());
    for (int r = 0; r < rows; ++r) {
        for (int i = 0; i < inter; ++i) {
            const double gate = gu[r * 2 * inter + i], up = gu[r * 2 * inter + inter + i], da = dact[r * inter + i];
            const double s = 1.0 / (1.0 + std::exp(-gate));
            want[r * 2 * inter + i] = static_cast<float>(da * up * s * (1.0 + gate * (1.0 - s)));
            want[r * 2 * inter + inter + i] = static_cast<float>(da * gate * s);
        }
    }
    DeviceArray<float> dgu(gu), dda(dact), out(nans(gu.size()));
    train::swiglu_backward(dgu.get(), dda.get(), rows, inter, out.get(), nullptr);
    expect_close(out.host(), want, 1e-6f, 1e-5f, "dgu");
}

TEST(CudaPassKernels, ColumnSumsAddRowsInOrderExactly) {
    MOCO_REQUIRE_GPU();
    const int rows = 9, cols = 300, ld = 310;  // more columns than a block
    const std::vector<float> m = random_floats(static_cast<size_t>(rows) * ld, 80, -100.0f, 100.0f);
    const std::vector<float> out0 = random_floats(cols, 81);
    std::vector<float> want = out0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) want[c] += m[r * ld + c];  // the CPU pass's order
    }
    DeviceArray<float> dm(m), out(out0);
    train::add_column_sums(dm.get(), rows, cols, ld, out.get(), nullptr);
    EXPECT_EQ(out.host(), want);
}

TEST(CudaPassKernels, EmbeddingBackwardAddsRowsSharingATokenInOrder) {
    MOCO_REQUIRE_GPU();
    const int rows = 7, hidden = 260, vocab = 5;
    const std::vector<int32_t> tokens = {3, 1, 3, 0, 3, 1, 4};
    const std::vector<float> dx = random_floats(static_cast<size_t>(rows) * hidden, 90, -100.0f, 100.0f);
    const std::vector<float> grad0 = random_floats(static_cast<size_t>(vocab) * hidden, 91);
    std::vector<float> want = grad0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < hidden; ++c) want[tokens[r] * hidden + c] += dx[r * hidden + c];
    }
    DeviceArray<int32_t> dt(tokens);
    DeviceArray<float> ddx(dx), grad(grad0);
    train::embedding_backward(dt.get(), ddx.get(), rows, hidden, grad.get(), nullptr);
    EXPECT_EQ(grad.host(), want);
}

// train/pass.cpp dropout_factor, spelt out.
float host_dropout_factor(const train::DropoutKey& k, int64_t index) {
    const kernels::Philox4 ctr = {{static_cast<uint32_t>(index),
                                   static_cast<uint32_t>(k.layer * kLoraModuleCount + k.module),
                                   static_cast<uint32_t>(k.stream), static_cast<uint32_t>(k.stream >> 32)}};
    const uint32_t bits =
        kernels::philox4x32_10(ctr, static_cast<uint32_t>(k.seed), static_cast<uint32_t>(k.seed >> 32)).v[0];
    return kernels::uniform_from_bits(bits) >= k.p ? 1.0f / (1.0f - k.p) : 0.0f;
}

train::DropoutKey test_key() {
    train::DropoutKey key;
    key.p = 0.3f;
    key.seed = 0x0123456789ABCDEFull;
    key.stream = 0x100000002ull;  // both halves of the counter's stream words matter
    key.layer = 2;
    key.module = kLoraUp;
    return key;
}

TEST(CudaPassKernels, DropoutRowsKeepsTheCpuPassElements) {
    MOCO_REQUIRE_GPU();
    const int rows = 6, cols = 11, ld_in = 13;
    const train::DropoutKey key = test_key();
    const std::vector<float> in = random_floats(static_cast<size_t>(rows) * ld_in, 100);
    std::vector<float> want(static_cast<size_t>(rows) * cols);
    int dropped = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const float f = host_dropout_factor(key, static_cast<int64_t>(r) * cols + c);
            dropped += f == 0.0f;
            want[r * cols + c] = in[r * ld_in + c] * f;
        }
    }
    // p = 0.3 of 66 elements: both kinds occur, so a kernel that keeps or drops all fails.
    EXPECT_GT(dropped, 5);
    EXPECT_LT(dropped, 40);
    DeviceArray<float> din(in), out(nans(want.size()));
    train::dropout_rows(din.get(), ld_in, rows, cols, key, out.get(), nullptr);
    EXPECT_EQ(out.host(), want);

    // Another layer draws another mask.
    train::DropoutKey other = key;
    other.layer = 3;
    train::dropout_rows(din.get(), ld_in, rows, cols, other, out.get(), nullptr);
    EXPECT_NE(out.host(), want);
}

TEST(CudaPassKernels, AddScaledRowsWithAndWithoutDropout) {
    MOCO_REQUIRE_GPU();
    const int rows = 5, cols = 9, ld_in = 10, ld_out = 12;
    const float s = 0.75f;
    const train::DropoutKey key = test_key();
    const std::vector<float> in = random_floats(static_cast<size_t>(rows) * ld_in, 110);
    const std::vector<float> out0 = random_floats(static_cast<size_t>(rows) * ld_out, 111);
    std::vector<float> plain = out0, dropped = out0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const float v = s * in[r * ld_in + c];
            plain[r * ld_out + c] += v;
            dropped[r * ld_out + c] += v * host_dropout_factor(key, static_cast<int64_t>(r) * cols + c);
        }
    }
    ASSERT_NE(plain, dropped);
    DeviceArray<float> din(in), a(out0), b(out0);
    train::add_scaled_rows(din.get(), ld_in, rows, cols, s, nullptr, a.get(), ld_out, nullptr);
    train::add_scaled_rows(din.get(), ld_in, rows, cols, s, &key, b.get(), ld_out, nullptr);
    expect_close(a.host(), plain, 1e-7f, 1e-6f, "plain");  // the columns past cols stay as they were
    expect_close(b.host(), dropped, 1e-7f, 1e-6f, "dropped");
}

TEST(CudaPassKernels, AddBiasRows) {
    MOCO_REQUIRE_GPU();
    const int rows = 4, cols = 7, ld = 9;
    const std::vector<float> bias = random_floats(cols, 120);
    const std::vector<float> out0 = random_floats(static_cast<size_t>(rows) * ld, 121);
    std::vector<float> want = out0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) want[r * ld + c] += bias[c];
    }
    DeviceArray<float> db(bias), out(out0);
    train::add_bias_rows(db.get(), rows, cols, out.get(), ld, nullptr);
    EXPECT_EQ(out.host(), want);
}

}  // namespace
}  // namespace moco::cuda_test
