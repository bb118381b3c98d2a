// moco_adapter_load and moco_adapter_destroy: a PEFT LoRA adapter bound to a loaded model. The
// adapter owns its own files and views and only reads the model, so any number of adapters can
// share one base. On a model whose weights are on a GPU, A and B are also copied there.
#include "common.h"
#include "cpu/prepared_weights.h"  // complete, so the handles can be constructed here
#include "model/adapter_config.h"
#include "model/bind_tensor.h"
#include "model/model.h"
#include "model/weight_storage.h"
#include "moco_config.h"
#include "safetensors/mapped_file.h"

#if MOCO_HAVE_CUDA
#    include "cuda/backend.h"
#endif

#include <filesystem>
#include <memory>
#include <string>

namespace {

namespace fs = std::filesystem;

constexpr const char* kLoad = "moco_adapter_load";

// The module paths under model.layers.N, in LoraModule order.
constexpr const char* kModulePaths[moco::kLoraModuleCount] = {
    "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

struct LoraName {
    int layer = 0;
    moco::LoraModule module = moco::kLoraQ;
    bool is_b = false;
};

// PEFT's names: base_model.model.model.layers.<N>.<module path>.lora_<A|B>[.default].weight
// (".default" when saved from the raw state dict). False when `name` is not such a name.
bool parse_lora_name(const std::string& name, LoraName* out) {
    const std::string prefix = "base_model.model.model.layers.";
    if (name.compare(0, prefix.size(), prefix) != 0) {
        return false;
    }
    std::size_t pos = prefix.size();
    long long layer = 0;
    const std::size_t digits_begin = pos;
    while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9' && pos - digits_begin < 9) {
        layer = layer * 10 + (name[pos++] - '0');
    }
    if (pos == digits_begin || pos >= name.size() || name[pos] != '.') {
        return false;
    }
    const std::string rest = name.substr(pos + 1);
    for (int m = 0; m < moco::kLoraModuleCount; ++m) {
        for (const char* ab : {".lora_A", ".lora_B"}) {
            for (const char* infix : {"", ".default"}) {
                if (rest == std::string(kModulePaths[m]) + ab + infix + ".weight") {
                    out->layer = static_cast<int>(layer);
                    out->module = static_cast<moco::LoraModule>(m);
                    out->is_b = ab[6] == 'B';
                    return true;
                }
            }
        }
    }
    return false;
}

// [out_features, in_features] of a module's base weight.
void module_shape(const moco::ModelConfig& c, moco::LoraModule m, int64_t* out_features,
                  int64_t* in_features) {
    const int64_t q = static_cast<int64_t>(c.num_heads) * c.head_dim;
    const int64_t kv = static_cast<int64_t>(c.num_kv_heads) * c.head_dim;
    switch (m) {
        case moco::kLoraQ: *out_features = q; *in_features = c.hidden_size; return;
        case moco::kLoraK:
        case moco::kLoraV: *out_features = kv; *in_features = c.hidden_size; return;
        case moco::kLoraO: *out_features = c.hidden_size; *in_features = q; return;
        case moco::kLoraGate:
        case moco::kLoraUp: *out_features = c.intermediate_size; *in_features = c.hidden_size; return;
        default: *out_features = c.hidden_size; *in_features = c.intermediate_size; return;
    }
}

moco_status bind_lora_tensors(const moco_model& model, const moco::AdapterConfig& config,
                              moco_adapter* adapter) {
    const moco::ModelConfig& c = model.config;
    moco::WeightStorage& storage = *adapter->storage;
    const std::string& path = storage.files.description();
    adapter->layers.resize(static_cast<std::size_t>(c.num_layers));
    int pairs = 0;
    for (const auto& [name, where] : storage.files.tensors()) {
        LoraName lora;
        if (!parse_lora_name(name, &lora)) {
            return moco::set_error(
                MOCO_ERR_INVALID_ARGUMENT,
                "%s: %s: tensor \"%.200s\" is not a LoRA matrix libmoco supports "
                "(base_model.model.model.layers.N.{self_attn.{q,k,v,o}_proj,mlp.{gate,up,down}_"
                "proj}.lora_{A,B}.weight); DoRA, embedding or head adapters and modules_to_save "
                "are not supported",
                kLoad, path.c_str(), name.c_str());
        }
        if (lora.layer >= c.num_layers) {
            return moco::set_error(MOCO_ERR_IO, "%s: %s: tensor \"%.200s\" adapts layer %d but the "
                                                "model has %d layers; the adapter was trained for "
                                                "another base model",
                                   kLoad, path.c_str(), name.c_str(), lora.layer, c.num_layers);
        }
        moco::LoraPair& pair = adapter->layers[static_cast<std::size_t>(lora.layer)]
                                   .modules[lora.module];
        moco::TensorView* view = lora.is_b ? &pair.b : &pair.a;
        if (view->present()) {
            return moco::set_error(MOCO_ERR_IO, "%s: %s: tensor \"%.200s\" is stored twice (with "
                                                "and without \".default\"); keep one",
                                   kLoad, path.c_str(), name.c_str());
        }
        int64_t out_features = 0;
        int64_t in_features = 0;
        module_shape(c, lora.module, &out_features, &in_features);
        const std::vector<int64_t> expected =
            lora.is_b ? std::vector<int64_t>{out_features, config.r}
                      : std::vector<int64_t>{config.r, in_features};
        const moco_status status = moco::bind_tensor(
            kLoad, storage, name, where, expected, "the base model with adapter_config.json",
            lora.is_b ? "[out_features, r]" : "[r, in_features]", view);
        if (status != MOCO_OK) {
            return status;
        }
        pairs += lora.is_b ? 1 : 0;
    }
    for (int l = 0; l < c.num_layers; ++l) {
        for (int m = 0; m < moco::kLoraModuleCount; ++m) {
            const moco::LoraPair& pair = adapter->layers[static_cast<std::size_t>(l)].modules[m];
            if (pair.a.present() != pair.b.present()) {
                return moco::set_error(MOCO_ERR_IO, "%s: %s: layer %d %s has lora_%s but no "
                                                    "lora_%s; the adapter file is incomplete",
                                       kLoad, path.c_str(), l, kModulePaths[m],
                                       pair.a.present() ? "A" : "B", pair.a.present() ? "B" : "A");
            }
        }
    }
    if (pairs == 0) {
        return moco::set_error(MOCO_ERR_IO, "%s: %s holds no LoRA tensors; it is not a PEFT LoRA "
                                            "adapter or it is empty",
                               kLoad, path.c_str());
    }
    return MOCO_OK;
}

moco_status load(moco_model* model, const std::string& directory,
                 std::unique_ptr<moco_adapter>* out) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        return moco::set_error(MOCO_ERR_NOT_FOUND, "%s: adapter directory %s %s; pass a PEFT "
                                                   "adapter directory (adapter_config.json + "
                                                   "adapter_model.safetensors)",
                               kLoad, directory.c_str(),
                               fs::exists(directory, ec) ? "is not a directory" : "does not exist");
    }
    const std::string config_path = (fs::path(directory) / "adapter_config.json").string();
    std::string text;
    moco_status status = moco::read_text_file(kLoad, config_path, &text);
    if (status != MOCO_OK) {
        return status;
    }
    moco::AdapterConfig config;
    status = moco::parse_adapter_config(std::string(kLoad) + ": " + config_path, text, &config);
    if (status != MOCO_OK) {
        return status;
    }
    const std::string weights_path = (fs::path(directory) / "adapter_model.safetensors").string();
    if (!fs::exists(weights_path, ec) && fs::exists(fs::path(directory) / "adapter_model.bin", ec)) {
        return moco::set_error(MOCO_ERR_NOT_FOUND, "%s: %s has adapter_model.bin but no "
                                                   "adapter_model.safetensors; re-save the adapter "
                                                   "with safe_serialization=True",
                               kLoad, directory.c_str());
    }
    auto adapter = std::make_unique<moco_adapter>();
    adapter->model = model;
    adapter->rank = config.r;
    adapter->scale = config.scale();
    adapter->storage = std::make_unique<moco::WeightStorage>();
    status = adapter->storage->files.open_file(kLoad, weights_path, /*use_mmap=*/true);
    if (status != MOCO_OK) {
        return status;
    }
    status = bind_lora_tensors(*model, config, adapter.get());
    if (status != MOCO_OK) {
        return status;
    }
    // A model on a GPU gets the adapter there only (as its weights, see model.h).
#if MOCO_HAVE_CUDA
    if (model->device != nullptr) {
        status = moco::cuda::upload_adapter(*adapter);
    } else
#endif
    {
        status = moco::prepare_adapter(*adapter);
    }
    if (status != MOCO_OK) {
        return status;
    }
    *out = std::move(adapter);
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_status moco_adapter_load(moco_model* model, const char* directory, moco_adapter** out) {
    return moco::guard(kLoad, [&]() -> moco_status {
        if (out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_adapter_load: out is NULL; pass the address of a "
                                   "moco_adapter* that receives the adapter");
        }
        *out = nullptr;
        if (model == nullptr || directory == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_adapter_load: %s is NULL; pass %s",
                                   model == nullptr ? "model" : "directory",
                                   model == nullptr ? "a model from moco_model_load"
                                                    : "the path of a PEFT adapter directory");
        }
        std::unique_ptr<moco_adapter> adapter;
        const moco_status status = load(model, directory, &adapter);
        if (status == MOCO_OK) {
            *out = adapter.release();
        }
        return status;
    });
}

void moco_adapter_destroy(moco_adapter* adapter) {
    delete adapter;  // NULL-safe; the model is untouched
}

}  // extern "C"
