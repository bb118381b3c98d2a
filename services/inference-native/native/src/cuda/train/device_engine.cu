#include "cuda/train/device_engine.h"

#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"
#include "cuda/device_weights.h"
#include "cuda/train/device_pass.h"
#include "cuda/train/loss_kernels.h"
#include "cuda/train/optimizer_kernels.h"
#include "train/params.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace moco::cuda::train {
namespace {

using moco::train::Dropout;
using moco::train::PassBatch;

// A run of elements [begin, end) that AdamW treats alike (weight decay or not).
struct DecayRun {
    size_t begin, end;
    bool decay;
};

std::vector<DecayRun> decay_runs(const std::vector<std::pair<size_t, size_t>>& decay, size_t n) {
    std::vector<DecayRun> runs;
    size_t at = 0;
    for (const auto& range : decay) {
        if (range.first > at) runs.push_back({at, range.first, false});
        runs.push_back({range.first, range.second, true});
        at = range.second;
    }
    if (at < n) runs.push_back({at, n, false});
    return runs;
}

// The engine's stream and cuBLAS handle, released last (after every buffer) and also when the
// engine's constructor throws. cuBLAS gets its workspace here (the size it recommends for Hopper):
// left to itself it would allocate one at its first GEMM, which may be in the middle of a backward.
struct Queue {
    explicit Queue(int device) {
        use_device(device);
        check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
        check(cublasCreate(&blas), "cublasCreate");
        check(cublasSetStream(blas, stream), "cublasSetStream");
        constexpr size_t kWorkspace = size_t{32} << 20;
        workspace.reserve(kWorkspace, "the trainer's cuBLAS workspace");
        check(cublasSetWorkspace(blas, workspace.data(), kWorkspace), "cublasSetWorkspace");
    }
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    ~Queue() {
        if (stream != nullptr) (void)cudaStreamSynchronize(stream);
        if (blas != nullptr) (void)cublasDestroy(blas);
        if (stream != nullptr) (void)cudaStreamDestroy(stream);
    }
    cudaStream_t stream = nullptr;
    cublasHandle_t blas = nullptr;
    DeviceBuffer workspace;
};

class DeviceEngine final : public moco::train::Engine {
public:
    DeviceEngine(const moco_model& model, moco::train::Params& params, const moco::train::TrainerConfig& config)
        : model_(model), params_(params), weights_(static_cast<const DeviceWeights&>(*model.device)),
          device_(weights_.device), n_(params.size()), queue_(device_), stream_(queue_.stream), blas_(queue_.blas) {
        // Masters, gradients and both moments: one allocation, 16 bytes per trained parameter.
        state_.reserve(4 * n_ * sizeof(float), "the trainer's masters, gradients and AdamW moments");
        master_ = state_.as<float>();
        grad_ = master_ + n_;
        check(cudaMemcpyAsync(master_, params.master.data(), n_ * sizeof(float), cudaMemcpyHostToDevice, stream_),
              "cudaMemcpyAsync (the masters)");
        check(cudaMemsetAsync(grad_, 0, 3 * n_ * sizeof(float), stream_), "cudaMemsetAsync (gradients, moments)");
        runs_ = decay_runs(params.decay_ranges(), n_);
        adam_.beta1 = config.beta1;
        adam_.beta2 = config.beta2;
        adam_.eps = config.epsilon;
        adam_.weight_decay = config.weight_decay;
        adam_.t = 0;
        policy_ = policy_weights(config);
        reference_ = reference_weights();
        grads_ = params_.pass_grads(grad_);
        pass_ = std::make_unique<DevicePass>(model.config, stream_, blas_, true);
        eval_pass_ = std::make_unique<DevicePass>(model.config, stream_, blas_, false);
        sync();
    }

    ~DeviceEngine() override {
        (void)cudaSetDevice(device_);  // the members' cudaFree act on the current device
    }

    void forward(const PassBatch& batch, const Dropout& dropout) override {
        use_device(device_);
        logits_ = pass_->forward(policy_, batch, dropout);
        rows_ = static_cast<int>(batch.target_rows.size());
    }

    void policy_logprobs(const PassBatch&, double scale, double* out) override {
        use_device(device_);
        const int vocab = pass_->vocab();
        target_logprobs(logits_, rows_, vocab, vocab, pass_->targets(), scale, doubles(), stream_);
        download(doubles(), out, static_cast<size_t>(rows_) * sizeof(double));
    }

    void reference_logprobs(const PassBatch& batch, double scale, double* out) override {
        use_device(device_);
        const float* ref = eval_pass_->forward(reference_, batch, Dropout{});
        const int vocab = eval_pass_->vocab();
        target_logprobs(ref, rows_, vocab, vocab, eval_pass_->targets(), scale, doubles(), stream_);
        download(doubles(), out, static_cast<size_t>(rows_) * sizeof(double));
    }

    void set_logprob_gradients(const PassBatch&, double scale, const double* coef) override {
        use_device(device_);
        double* d_coef = doubles();
        upload(coef, d_coef, static_cast<size_t>(rows_) * sizeof(double));
        const int vocab = pass_->vocab();
        logprob_gradients(logits_, rows_, vocab, vocab, pass_->targets(), scale, d_coef, dlogits(), stream_);
    }

    double set_defer_gradients(const PassBatch&, const float* mentor_logprobs) override {
        use_device(device_);
        const size_t rows = static_cast<size_t>(rows_);
        mentor_.reserve(rows * sizeof(float), "the mentor's log-probs");
        upload(mentor_logprobs, mentor_.data(), rows * sizeof(float));
        defer_loss(logits_, rows_, pass_->vocab(), pass_->targets(), mentor_.as<float>(), doubles(), dlogits(),
                   stream_);
        std::vector<double> losses(rows);
        download(doubles(), losses.data(), rows * sizeof(double));
        double sum = 0.0;
        for (double l : losses) sum += l;
        return sum;
    }

    void backward(const PassBatch&, const Dropout& dropout) override {
        use_device(device_);
        pass_->backward(policy_, dropout, dlogits_.as<float>(), grads_);
        sync();
    }

    void scale_gradients(float s) override {
        use_device(device_);
        scale(grad_, n_, s, stream_);
    }

    double gradient_norm() override {
        use_device(device_);
        const size_t chunks = norm_chunks(n_);
        partial_.reserve(chunks * sizeof(double), "the gradient norm's partial sums");
        square_sums(grad_, n_, partial_.as<double>(), stream_);
        std::vector<double> host(chunks);
        download(partial_.data(), host.data(), chunks * sizeof(double));
        double total = 0.0;
        for (double s : host) total += s;
        return std::sqrt(total);
    }

    void zero_gradients() override {
        use_device(device_);
        check(cudaMemsetAsync(grad_, 0, n_ * sizeof(float), stream_), "cudaMemsetAsync (gradients)");
        sync();
    }

    void update(double lr) override {
        use_device(device_);
        AdamWStep step = adam_;
        step.lr = lr;
        step.t = ++adam_.t;
        float* m = grad_ + n_;
        float* v = m + n_;
        for (const DecayRun& run : runs_) {
            adamw(master_ + run.begin, grad_ + run.begin, m + run.begin, v + run.begin, run.end - run.begin, step,
                  run.decay, stream_);
        }
        check_launch("adamw");
        zero_gradients();
    }

    std::vector<float> logits(const std::vector<int32_t>& tokens) override {
        use_device(device_);
        const float* out = eval_pass_->forward(policy_, moco::train::whole_sequence(tokens), Dropout{});
        std::vector<float> host(tokens.size() * static_cast<size_t>(eval_pass_->vocab()));
        download(out, host.data(), host.size() * sizeof(float));
        return host;
    }

    void read_masters(std::vector<float>& master) override {
        use_device(device_);
        master.resize(n_);
        download(master_, master.data(), n_ * sizeof(float));
    }

    const std::vector<float>& gradients() override {
        use_device(device_);
        host_grad_.resize(n_);
        download(grad_, host_grad_.data(), n_ * sizeof(float));
        return host_grad_;
    }

    void read_moments(std::vector<float>& m, std::vector<float>& v) override {
        use_device(device_);
        m.resize(n_);
        v.resize(n_);
        download(grad_ + n_, m.data(), n_ * sizeof(float));
        download(grad_ + 2 * n_, v.data(), n_ * sizeof(float));
    }

    size_t activation_bytes() const override {
        return pass_->held_bytes() + eval_pass_->held_bytes() + dlogits_.bytes();
    }

    void restore(const std::vector<float>& master, const std::vector<float>& m, const std::vector<float>& v,
                 int64_t steps) override {
        use_device(device_);
        upload(master.data(), master_, n_ * sizeof(float));
        upload(m.data(), grad_ + n_, n_ * sizeof(float));
        upload(v.data(), grad_ + 2 * n_, n_ * sizeof(float));
        adam_.t = steps;
        zero_gradients();
    }

private:
    // Full fine-tuning: every matrix and vector from the masters. LoRA: the loaded model's weights
    // with the masters' A and B.
    PassWeights policy_weights(const moco::train::TrainerConfig& config) const {
        const ModelConfig& c = model_.config;
        const moco::train::PassGrads at = params_.pass_grads(master_);  // the layout, on the masters
        PassWeights w = reference_weights();
        const int H = c.hidden_size, I = c.intermediate_size;
        const int q_dim = c.num_heads * c.head_dim, kv_dim = c.num_kv_heads * c.head_dim;
        if (!config.lora) {
            const int V = params_.vocab();
            w.embed = DeviceMatrix{at.embed, DType::F32, V, H};
            for (int l = 0; l < c.num_layers; ++l) {
                const moco::train::GradLayer& g = at.layers[static_cast<size_t>(l)];
                w.layers[static_cast<size_t>(l)] = DeviceLayer{g.input_norm,
                                                              DeviceMatrix{g.qkv, DType::F32, q_dim + 2 * kv_dim, H},
                                                              g.qkv_bias,
                                                              g.q_norm,
                                                              g.k_norm,
                                                              DeviceMatrix{g.o, DType::F32, H, q_dim},
                                                              g.post_norm,
                                                              DeviceMatrix{g.gate_up, DType::F32, 2 * I, H},
                                                              DeviceMatrix{g.down, DType::F32, H, I}};
            }
            w.final_norm = at.final_norm;
            w.head = DeviceMatrix{at.head, DType::F32, V, H};
            return w;
        }
        const int rank = config.lora_settings.rank;
        w.lora_scale = config.lora_settings.scale;
        w.lora.resize(static_cast<size_t>(c.num_layers));
        for (int l = 0; l < c.num_layers; ++l) {
            for (int m = 0; m < kLoraModuleCount; ++m) {
                const float* a = at.layers[static_cast<size_t>(l)].lora_a[static_cast<size_t>(m)];
                if (a == nullptr) continue;
                int in = 0, out = 0;
                moco::train::lora_module_dims(c, m, &in, &out);
                w.lora[static_cast<size_t>(l)][static_cast<size_t>(m)] =
                    DeviceLoraPair{DeviceMatrix{a, DType::F32, rank, in},
                                   DeviceMatrix{at.layers[static_cast<size_t>(l)].lora_b[static_cast<size_t>(m)],
                                                DType::F32, out, rank}};
            }
        }
        return w;
    }

    PassWeights reference_weights() const {
        PassWeights w;
        w.embed = weights_.embed;
        w.layers = weights_.layers;
        w.final_norm = weights_.final_norm;
        w.head = weights_.head;
        w.inv_freq = weights_.inv_freq;
        return w;
    }

    double* doubles() {
        doubles_.reserve(static_cast<size_t>(std::max(rows_, 1)) * sizeof(double), "the rows' log-probs");
        return doubles_.as<double>();
    }

    float* dlogits() {
        dlogits_.reserve(static_cast<size_t>(std::max(rows_, 1)) * static_cast<size_t>(pass_->vocab()) * sizeof(float),
                         "the logits' gradients");
        return dlogits_.as<float>();
    }

    void upload(const void* host, void* device, size_t bytes) {
        check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (to the GPU)");
    }

    void download(const void* device, void* host, size_t bytes) {
        check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync (from the GPU)");
        sync();
    }

    void sync() { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (the trainer)"); }

    const moco_model& model_;
    moco::train::Params& params_;
    const DeviceWeights& weights_;
    int device_;
    size_t n_;
    Queue queue_;
    cudaStream_t stream_;
    cublasHandle_t blas_;
    DeviceBuffer state_;
    float* master_ = nullptr;
    float* grad_ = nullptr;
    std::vector<DecayRun> runs_;
    AdamWStep adam_;  // t: the steps taken
    PassWeights policy_, reference_;
    moco::train::PassGrads grads_;
    std::unique_ptr<DevicePass> pass_, eval_pass_;
    const float* logits_ = nullptr;
    int rows_ = 0;
    DeviceBuffer dlogits_, doubles_, mentor_, partial_;
    std::vector<float> host_grad_;
};

}  // namespace

std::unique_ptr<moco::train::Engine> make_device_engine(const moco_model& model, moco::train::Params& params,
                                                        const moco::train::TrainerConfig& config) {
    return std::make_unique<DeviceEngine>(model, params, config);
}

}  // namespace moco::cuda::train
