// Writes tiny Hugging Face checkpoints for tests: config.json + model.safetensors (or shards with
// model.safetensors.index.json) and PEFT LoRA adapter directories, with deterministic
// pseudo-random weights in F32, F16 or BF16. Depends on the standard library only.
//
//   hf::ModelSpec spec;                     // a 2-layer LlamaForCausalLM, hidden 32, vocab 64
//   spec.architecture = "Qwen2ForCausalLM";
//   hf::TempDir dir("qwen2");
//   hf::write_model(dir.path(), spec);      // what transformers' save_pretrained would write
//   for (const hf::Tensor& t : hf::model_tensors(spec)) { ... t.values ... }  // the same weights
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hf {

// One tensor as stored. `values` are the floats the stored bytes represent (already rounded to
// the dtype), row-major; empty for non-float dtypes, whose `bytes` are zeros.
struct Tensor {
    std::string name;
    std::string dtype;            // "F32", "F16", "BF16", or any other safetensors dtype string
    std::vector<int64_t> shape;
    std::vector<float> values;
    std::vector<uint8_t> bytes;
};

// A tensor filled deterministically from (seed, name): a 2-D tensor uniform in
// +-1/sqrt(shape[1]), a 1-D tensor called "*norm*" 1 + uniform(+-0.1), any other 1-D tensor
// uniform(+-0.1).
Tensor make_tensor(const std::string& name, const std::string& dtype,
                   const std::vector<int64_t>& shape, uint64_t seed);

// Float <-> 16-bit conversions with round-to-nearest-even, as torch does.
uint16_t to_f16(float value);
float from_f16(uint16_t bits);
uint16_t to_bf16(float value);
float from_bf16(uint16_t bits);

struct ModelSpec {
    std::string architecture = "LlamaForCausalLM";  // any of the 8 libmoco supports
    int vocab_size = 64;
    int hidden_size = 32;
    int intermediate_size = 48;
    int num_layers = 2;
    int num_heads = 4;
    int num_kv_heads = 2;
    int head_dim = 0;                 // 0: hidden_size / num_heads (config.json always says)
    int max_position_embeddings = 128;
    int num_labels = 1;               // *ForSequenceClassification: rows of score.weight
    bool tie_word_embeddings = false;
    bool attention_bias = false;      // Llama / Qwen3 "attention_bias"; Qwen2 always has biases
    double rms_norm_eps = 1e-5;
    double rope_theta = 10000.0;
    std::string rope_scaling = "null";  // raw JSON
    std::string dtype = "F32";
    uint64_t seed = 1;
    // Raw JSON values replacing config.json keys (or added); "" removes the key.
    std::map<std::string, std::string> config_overrides;

    bool classifier() const;
    bool has_bias() const;            // q/k/v biases present
    bool has_qk_norm() const;         // Qwen3
    int resolved_head_dim() const;
};

// config.json's text for `spec`.
std::string config_json(const ModelSpec& spec);

// Every tensor transformers would save for `spec`, in a stable order: no lm_head.weight when tied,
// score.weight instead of lm_head.weight for classifiers.
std::vector<Tensor> model_tensors(const ModelSpec& spec);

// Writes a safetensors file (header padded to 8 bytes, tensors in the given order).
void write_safetensors(const std::string& path, const std::vector<Tensor>& tensors);

// Writes 8-byte length + `header` + `data` verbatim, for malformed-file tests.
void write_raw_safetensors(const std::string& path, const std::string& header,
                           const std::vector<uint8_t>& data);

void write_text(const std::string& path, const std::string& text);

// Creates `dir` and writes config.json plus model.safetensors (shards == 1) or
// model-0000i-of-0000N.safetensors + model.safetensors.index.json (tensors dealt round-robin).
void write_model(const std::string& dir, const ModelSpec& spec, int shards = 1);

// Same with an explicit tensor list (to drop, reshape or retype tensors).
void write_model(const std::string& dir, const ModelSpec& spec, const std::vector<Tensor>& tensors,
                 int shards = 1);

struct LoraSpec {
    int r = 4;
    double lora_alpha = 8.0;
    bool use_rslora = false;
    std::vector<std::string> target_modules = {"q_proj", "v_proj"};  // short module names
    std::string dtype = "F32";
    bool default_infix = false;       // ".lora_A.default.weight" names instead of ".lora_A.weight"
    uint64_t seed = 7;
    std::map<std::string, std::string> config_overrides;  // as ModelSpec::config_overrides
};

std::string adapter_config_json(const LoraSpec& lora);

// lora_A [r, in] and lora_B [out, r] for every layer of `base` and every target module, named as
// PEFT saves them (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight). B is random,
// not PEFT's zero initialisation, so an adapter changes the output.
std::vector<Tensor> adapter_tensors(const ModelSpec& base, const LoraSpec& lora);

// Creates `dir` with adapter_config.json and adapter_model.safetensors.
void write_adapter(const std::string& dir, const ModelSpec& base, const LoraSpec& lora);
void write_adapter(const std::string& dir, const LoraSpec& lora, const std::vector<Tensor>& tensors);

// A new empty directory under the system temp directory (unique per call, also across test
// processes running in parallel), removed with everything in it when the object goes away.
class TempDir {
public:
    explicit TempDir(const std::string& label);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const;  // path() + "/" + name

private:
    std::string path_;
};

}  // namespace hf
