// cuda::upload_model: copies a loaded checkpoint's tensors to the GPU of the model's context.
#include "cuda/backend.h"

#include "common.h"
#include "context.h"
#include "cpu/dtype.h"
#include "cpu/ops.h"
#include "cuda/cuda_check.h"
#include "cuda/device_weights.h"
#include "cuda/kernels.h"

#include <memory>
#include <string>
#include <vector>

namespace moco::cuda {
namespace {

class Uploader {
public:
    explicit Uploader(DeviceWeights& w) : w_(w) {}

    // Rows of `parts` stacked into one matrix; in their common dtype, or F32 when they differ.
    DeviceMatrix matrix(std::initializer_list<const TensorView*> parts, const char* what) {
        DeviceMatrix m;
        m.dtype = (*parts.begin())->dtype;
        m.k = static_cast<int>((*parts.begin())->shape.at(1));
        for (const TensorView* t : parts) {
            m.n += static_cast<int>(t->shape.at(0));
            if (t->dtype != m.dtype) {
                m.dtype = DType::F32;
            }
        }
        const size_t elem = cpu::dtype_size(m.dtype);
        DeviceBuffer& buf = add(static_cast<size_t>(m.n) * m.k * elem, what);
        size_t offset = 0;
        for (const TensorView* t : parts) {
            const size_t count = static_cast<size_t>(t->numel());
            if (t->dtype == m.dtype) {
                copy(buf.as<char>() + offset, t->data, count * elem, what);
            } else {
                const std::vector<float> f = to_f32(*t);
                copy(buf.as<char>() + offset, f.data(), count * elem, what);
            }
            offset += count * elem;
        }
        m.data = buf.data();
        return m;
    }

    // F32 copy of the concatenation of `parts` (norms, biases).
    const float* vector(std::initializer_list<const TensorView*> parts, const char* what) {
        std::vector<float> all;
        for (const TensorView* t : parts) {
            const std::vector<float> f = to_f32(*t);
            all.insert(all.end(), f.begin(), f.end());
        }
        return floats(all, what);
    }

    const float* floats(const std::vector<float>& v, const char* what) {
        DeviceBuffer& buf = add(v.size() * sizeof(float), what);
        copy(buf.data(), v.data(), v.size() * sizeof(float), what);
        return buf.as<float>();
    }

private:
    static std::vector<float> to_f32(const TensorView& t) {
        std::vector<float> out(static_cast<size_t>(t.numel()));
        cpu::load_row(t.data, t.dtype, 0, t.numel(), out.data());
        return out;
    }

    DeviceBuffer& add(size_t bytes, const char* what) {
        const std::string purpose = std::string("the weights (") + what + ")";
        w_.buffers.emplace_back(bytes, purpose.c_str());
        return w_.buffers.back();
    }

    static void copy(void* dst, const void* src, size_t bytes, const char* what) {
        const std::string call = std::string("cudaMemcpy of the weights (") + what + ")";
        check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), call.c_str());
    }

    DeviceWeights& w_;
};

}  // namespace

moco_status upload_model(moco_model& model) {
    return run("moco_model_load", [&]() -> moco_status {
        const ModelConfig& c = model.config;
        if (c.head_dim > kMaxHeadDim || c.head_dim % 2 != 0) {
            return set_error(MOCO_ERR_UNIMPLEMENTED,
                             "moco_model_load: head_dim %d is not supported by the CUDA backend "
                             "(even values up to %d are); load the model on a \"cpu\" context",
                             c.head_dim, kMaxHeadDim);
        }
        use_device(model.ctx->cuda_index);
        auto w = std::make_unique<DeviceWeights>();
        w->device = model.ctx->cuda_index;
        w->layers.reserve(static_cast<size_t>(c.num_layers));
        Uploader up(*w);
        const ModelWeights& mw = model.weights;
        w->embed = up.matrix({&mw.embed_tokens}, "embed_tokens");
        for (const LayerWeights& l : mw.layers) {
            DeviceLayer d;
            d.input_norm = up.vector({&l.input_norm}, "input_layernorm");
            d.qkv = up.matrix({&l.q_proj, &l.k_proj, &l.v_proj}, "q/k/v_proj");
            if (c.attention_bias) {
                d.qkv_bias = up.vector({&l.q_bias, &l.k_bias, &l.v_bias}, "q/k/v bias");
            }
            if (c.qk_norm) {
                d.q_norm = up.vector({&l.q_norm}, "q_norm");
                d.k_norm = up.vector({&l.k_norm}, "k_norm");
            }
            d.o = up.matrix({&l.o_proj}, "o_proj");
            d.post_attention_norm = up.vector({&l.post_attention_norm}, "post_attention_layernorm");
            d.gate_up = up.matrix({&l.gate_proj, &l.up_proj}, "gate/up_proj");
            d.down = up.matrix({&l.down_proj}, "down_proj");
            w->layers.push_back(d);
        }
        w->final_norm = up.vector({&mw.final_norm}, "norm");
        const TensorView& head = c.classifier ? mw.score : mw.lm_head;
        w->head = head.data == mw.embed_tokens.data ? w->embed : up.matrix({&head}, "lm_head / score");
        w->inv_freq = up.floats(cpu::rope_inv_freq(c), "RoPE inv_freq");
        model.device = std::move(w);
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
