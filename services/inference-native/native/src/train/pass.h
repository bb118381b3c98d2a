// One training pass of a Llama-family decoder over a micro-batch of whole sequences: the forward of
// cpu/forward.h with every activation the backward needs kept, and the backward itself.
//
// Forward (per layer; the same kernels and order as the inference forward, so with the same
// weights its logits are the inference forward's bits):
//   h1 = rmsnorm(x) w1;  qkv = h1 Wqkv^T (+ b) (+ LoRA);  [Qwen3: q, k rmsnorm per head];  RoPE
//   a = causal softmax(q k^T / sqrt(d)) v (GQA, sliding window);  x += a Wo^T (+ LoRA)
//   h2 = rmsnorm(x) w2;  gu = h2 Wgu^T (+ LoRA);  x += (silu(g) u) Wd^T (+ LoRA)
//   logits = rmsnorm(x) wf Whead^T for the rows that have a target.
// Backward, in reverse:
//   rmsnorm    y = w x r, r = (sum x^2 / n + eps)^-1/2:  dx = r (w dy) - x r^3 / n sum(w dy x),
//              dw += dy x r
//   RoPE       the transposed rotation;  attention: dP = dO v^T, dS = P (dP - sum P dP) / sqrt(d),
//              dq = dS k, dk += dS^T q, dv += P^T dO (the K/V heads shared by a GQA group summed)
//   SwiGLU     du = da silu(g), dg = da u s (1 + g (1 - s)), s = sigmoid(g)
//   Linear     dx = dy W, dW += dy^T x (linear.h);  LoRA: delta = s B (A drop(x)): dB += s dy^T t,
//              dt = s dy B, dA += dt^T drop(x), dx += drop(dt A)
//   embedding  dE[token] += dx (a tied head's gradient lands in the same rows)
//
// Determinism: every reduction has one order fixed by the batch alone - GEMMs (gemm.h), per-row
// work, column sums over rows in row order, attention gradients per (sequence, K/V head) in
// (head, query, key) order - so results do not depend on the thread count.
#pragma once

#include "cpu/gemm.h"
#include "cpu/thread_pool.h"
#include "model/model.h"
#include "train/linear.h"

#include <array>
#include <cstdint>
#include <vector>

namespace moco::train {

// The weights a pass runs with. Matrices are packed for the GEMM; *_t are their transposes for the
// backward (nullptr in a forward-only pass). Vectors are F32; nullptr = absent.
struct PassLayer {
    const float* input_norm = nullptr;
    const float* post_norm = nullptr;
    const float* qkv_bias = nullptr;   // q, k, v biases stacked like qkv's columns
    const float* q_norm = nullptr;     // Qwen3, [head_dim]
    const float* k_norm = nullptr;
    const cpu::PackedMatrix *qkv = nullptr, *o = nullptr, *gate_up = nullptr, *down = nullptr;
    const cpu::PackedMatrix *qkv_t = nullptr, *o_t = nullptr, *gate_up_t = nullptr, *down_t = nullptr;
};

// One LoRA pair (A [rank, in], B [out, rank]) and its transposes; a == nullptr: not adapted.
struct PassLoraPair {
    const cpu::PackedMatrix *a = nullptr, *b = nullptr, *a_t = nullptr, *b_t = nullptr;
};

struct PassWeights {
    TensorView embed;                  // [vocab, hidden] in any stored dtype
    std::vector<PassLayer> layers;
    const float* final_norm = nullptr;
    const cpu::PackedMatrix* head = nullptr;    // [vocab, hidden]
    const cpu::PackedMatrix* head_t = nullptr;
    const std::vector<float>* inv_freq = nullptr;
    // LoRA: [layer][LoraModule], empty without an adapter.
    std::vector<std::array<PassLoraPair, kLoraModuleCount>> lora;
    float lora_scale = 1.0f;
};

// Where gradients accumulate (+=); nullptr = not trained. In the stacked layouts of PassLayer.
struct GradLayer {
    float *input_norm = nullptr, *post_norm = nullptr, *qkv_bias = nullptr, *q_norm = nullptr,
          *k_norm = nullptr, *qkv = nullptr, *o = nullptr, *gate_up = nullptr, *down = nullptr;
    std::array<float*, kLoraModuleCount> lora_a{}, lora_b{};
};
struct PassGrads {
    float* embed = nullptr;
    std::vector<GradLayer> layers;
    float* final_norm = nullptr;
    float* head = nullptr;             // == embed for a tied head
};

// LoRA dropout (PEFT applies nn.Dropout to the adapter's input): element (row, col) of module m's
// input in layer l is kept iff u >= p, u = Philox4x32-10 uniform with key = seed and counter =
// {row * in + col, l * kLoraModuleCount + m, stream low, stream high}; kept values are scaled by
// 1 / (1 - p). `stream` numbers the micro-batches, so a run is reproducible draw for draw.
struct Dropout {
    float p = 0.0f;
    uint64_t seed = 0;
    uint64_t stream = 0;
};

// A micro-batch: sequences laid out one after another as rows, every sequence from position 0.
// target_rows lists the rows whose next token is a target (row r predicts token r + 1 of its
// sequence) with that token, in any order; logits are computed for those rows only.
struct PassBatch {
    std::vector<int32_t> tokens;       // all sequences concatenated
    std::vector<int> seq_start;        // row of each sequence's first token, plus one past the end
    std::vector<int> target_rows;
    std::vector<int32_t> targets;
};

// Where each row of a batch sits and what it attends: its position, sequence, first key row (the
// sliding window applied), one past its sequence's last row, the widest span, and where its heads'
// attention probabilities start in a layer's layout of them (num_heads * span per row) with their
// total - the GPU pass keeps one layer's probabilities and score gradients in that layout.
struct RowPlan {
    std::vector<int> pos, seq, first, seq_end;
    std::vector<int64_t> prob_offset;
    int64_t prob_total = 0;
    int max_span = 0;
};
RowPlan plan_rows(const ModelConfig& config, const PassBatch& batch);

// One sequence with every row a target (of token 0: only the logits are wanted), for a forward
// that returns the logits of every position.
PassBatch whole_sequence(const std::vector<int32_t>& tokens);

class Pass {
public:
    // keep_activations = false: a forward-only pass (every layer reuses one set of buffers).
    Pass(const ModelConfig& config, cpu::ThreadPool& pool, bool keep_activations);

    // Logits [target_rows, vocab] of the batch's target rows, row-major. Dropout applies when
    // dropout.p > 0 (training); the returned buffer lives until the next forward.
    float* forward(const PassWeights& w, const PassBatch& batch, const Dropout& dropout);

    // Accumulates into `grads` the gradients of sum(dlogits * logits) through the last forward
    // (which must have kept its activations, with the same weights, batch and dropout).
    void backward(const PassWeights& w, const PassBatch& batch, const Dropout& dropout,
                  const float* dlogits, const PassGrads& grads);

    int vocab() const { return vocab_; }
    // Bytes held for activations and scratch (grown to the largest batch so far).
    size_t held_bytes() const;

private:
    struct Layer {
        // No attention probabilities: the backward recomputes them from qkv (attention_probs), so a
        // pass keeps O(rows) floats per layer, not O(rows x span x heads).
        std::vector<float> x_in, h1, qkv_raw, qkv, attn, x_mid, h2, gate_up, act;
        std::array<std::vector<float>, kLoraModuleCount> lora_t;  // A drop(x) per module
    };

    Layer& slot(int l) { return layers_[keep_ ? static_cast<size_t>(l) : 0]; }
    void lora_forward(const PassWeights& w, int l, int m, const float* in, int64_t ld_in, float* out,
                      int64_t ld_out, const Dropout& dropout, std::vector<float>& t_saved);
    void lora_backward(const PassWeights& w, int l, int m, const float* in, int64_t ld_in,
                       const float* dy, int64_t ld_dy, float* dx, int64_t ld_dx,
                       const Dropout& dropout, const std::vector<float>& t_saved,
                       const GradLayer& g);
    const float* dropped(const float* in, int64_t ld_in, int cols, int l, int m, const Dropout& dropout);
    void attention_forward(Layer& a);
    void attention_backward(const Layer& a, const float* dattn, float* dqkv);

    const ModelConfig& c_;
    cpu::ThreadPool& pool_;
    bool keep_;
    int H_, hd_, q_dim_, kv_dim_, qkv_dim_, I_, vocab_ = 0;
    int R_ = 0;
    RowPlan plan_;
    std::vector<float> rope_;                          // per row: cos [hd/2], sin [hd/2]
    std::vector<Layer> layers_;
    std::vector<float> x_final_, hidden_, logits_;
    // Backward scratch.
    std::vector<float> dx_, dh_, dbig_, dw_rows_, dmid_, lora_dd_, lora_dt_, lora_dx_,
        lora_in_, scratch_;
    WeightGrad wgrad_;
};

}  // namespace moco::train
