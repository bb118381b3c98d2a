// The in-memory form of a loaded checkpoint, shared by the loader (src/model/, src/safetensors/)
// and the compute backends (src/cpu/ forward, later src/cuda/). Internal: callers only ever see
// the opaque moco_model / moco_adapter pointers.
//
// Division of labour:
//   - the loader parses config.json into ModelConfig and binds every tensor the config needs into
//     ModelWeights as a TensorView in its STORED dtype (pointing into a mapped file or an owned
//     buffer), checking shapes against the config;
//   - then, on a CPU context, it calls prepare_weights(model), which the backend implements: it may
//     convert or repack weights into `prepared` storage of its choosing (e.g. F32 copies for
//     OpenBLAS) - the TensorViews stay valid and describe the checkpoint as stored. On a CUDA
//     context it uploads them instead (src/cuda/), and `prepared` stays empty: a packed host copy
//     there would only hold memory (about 5 GB for a 1.2B model).
#pragma once

#include "moco.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moco {

enum class DType { F32 = MOCO_DTYPE_F32, F16 = MOCO_DTYPE_F16, BF16 = MOCO_DTYPE_BF16 };

// A read-only view of one tensor: row-major, contiguous, shape as in the checkpoint (a Linear's
// weight is [out_features, in_features]). data == nullptr means "absent" (e.g. no q bias).
struct TensorView {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    const void* data = nullptr;

    bool present() const { return data != nullptr; }
    int64_t numel() const {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return n;
    }
};

enum class Family { Llama, Mistral, Qwen2, Qwen3 };

struct RopeScaling {
    enum class Kind { Default, Linear, Llama3 };
    Kind kind = Kind::Default;
    float factor = 1.0f;                 // linear and llama3
    float low_freq_factor = 1.0f;        // llama3
    float high_freq_factor = 4.0f;       // llama3
    int original_max_position = 8192;    // llama3: original_max_position_embeddings
};

struct ModelConfig {
    std::string architecture;            // config.json "architectures"[0]
    Family family = Family::Llama;
    bool classifier = false;             // *ForSequenceClassification
    int num_labels = 0;                  // classifier only
    int pad_token_id = -1;               // classifier: HF pools the last non-pad token
    int vocab_size = 0;
    int hidden_size = 0;
    int intermediate_size = 0;
    int num_layers = 0;
    int num_heads = 0;
    int num_kv_heads = 0;
    int head_dim = 0;                    // config "head_dim" or hidden_size / num_heads
    int max_position_embeddings = 0;
    float rms_norm_eps = 1e-6f;
    float rope_theta = 10000.0f;
    RopeScaling rope_scaling;
    bool tie_word_embeddings = false;
    bool attention_bias = false;         // q/k/v biases (Qwen2 always; Llama "attention_bias")
    bool qk_norm = false;                // Qwen3: RMSNorm over head_dim on q and k before RoPE
    int sliding_window = 0;              // Mistral/Qwen2 when enabled; 0 = full attention
};

// The width of the forward's output rows: the vocabulary, or a classifier's labels.
inline int output_size(const ModelConfig& c) {
    return c.classifier ? c.num_labels : c.vocab_size;
}

struct LayerWeights {
    TensorView input_norm;               // [hidden]
    TensorView q_proj, k_proj, v_proj;   // [heads*head_dim, hidden], [kv_heads*head_dim, hidden] x2
    TensorView q_bias, k_bias, v_bias;   // absent unless attention_bias
    TensorView q_norm, k_norm;           // [head_dim], absent unless qk_norm
    TensorView o_proj;                   // [hidden, heads*head_dim]
    TensorView post_attention_norm;      // [hidden]
    TensorView gate_proj, up_proj;       // [intermediate, hidden]
    TensorView down_proj;                // [hidden, intermediate]
};

struct ModelWeights {
    TensorView embed_tokens;             // [vocab, hidden]
    std::vector<LayerWeights> layers;
    TensorView final_norm;               // [hidden]
    TensorView lm_head;                  // [vocab, hidden]; == embed_tokens when tied; absent for classifiers
    TensorView score;                    // [num_labels, hidden]; classifiers only
};

// What a device backend (src/cuda/) keeps for a model or a KV cache (weights uploaded to the GPU,
// device KV blocks, streams): owned by the handle, opaque to everyone else, so the CPU-only build
// and the handles' definitions need no CUDA type.
struct DeviceState {
    virtual ~DeviceState() = default;
};

// Where the bytes behind the TensorViews live (mapped files, owned buffers). Defined by the loader.
struct WeightStorage;
// What the backend derived from the weights in prepare_weights (converted copies, packed panels).
struct PreparedWeights;

// The projections a LoRA adapter may target, in this order (index into LoraLayer::modules).
enum LoraModule { kLoraQ, kLoraK, kLoraV, kLoraO, kLoraGate, kLoraUp, kLoraDown, kLoraModuleCount };

struct LoraPair {
    TensorView a;                        // [r, in_features]
    TensorView b;                        // [out_features, r]
    bool present() const { return a.present(); }
};

struct LoraLayer {
    LoraPair modules[kLoraModuleCount];
};

}  // namespace moco

struct moco_model {
    moco_context* ctx = nullptr;
    moco::ModelConfig config;
    moco::ModelWeights weights;
    moco::DType stored_dtype = moco::DType::F32;
    uint64_t parameter_count = 0;
    std::unique_ptr<moco::WeightStorage> storage;
    std::unique_ptr<moco::PreparedWeights> prepared;
    std::unique_ptr<moco::DeviceState> device;  // CUDA contexts: the weights on the GPU
    ~moco_model();                       // defined where WeightStorage / PreparedWeights are complete
};

struct moco_adapter {
    const moco_model* model = nullptr;
    int rank = 0;
    float scale = 1.0f;                  // lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora
    std::vector<moco::LoraLayer> layers; // one per model layer
    std::unique_ptr<moco::WeightStorage> storage;
    std::unique_ptr<moco::PreparedWeights> prepared;  // backend copies of A and B, if it wants them
    std::unique_ptr<moco::DeviceState> device;  // the model is on a GPU: A and B there (src/cuda/)
    ~moco_adapter();
};

namespace moco {

// MOCO_ERR_INTERNAL unless every tensor the config requires is bound (a loader bug otherwise);
// every backend's preparation relies on it.
moco_status check_bound_weights(const moco_model& model);

// Implemented by the CPU backend: called by the loader on a CPU context once every TensorView of
// the model is bound and checked. May throw (the caller's guard turns it into a status).
moco_status prepare_weights(moco_model& model);
moco_status prepare_adapter(moco_adapter& adapter);

}  // namespace moco
