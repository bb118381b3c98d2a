#include "train/checkpoint.h"

#include "common.h"
#include "safetensors/mapped_file.h"
#include "train/safetensors_out.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace moco::train {
namespace {

namespace fs = std::filesystem;

moco_status make_directory(const char* fn, const std::string& directory) {
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec || !fs::is_directory(directory, ec)) {
        return set_error(MOCO_ERR_IO, "%s: cannot create directory %s; pass a writable path", fn, directory.c_str());
    }
    return MOCO_OK;
}

moco_status write_text(const char* fn, const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        return set_error(MOCO_ERR_IO, "%s: cannot write %s", fn, path.c_str());
    }
    return MOCO_OK;
}

bool is_weight_file(const std::string& name) {
    auto ends = [&](const char* suffix) {
        const std::string s(suffix);
        return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    return ends(".safetensors") || ends(".safetensors.index.json") || ends(".bin") || ends(".bin.index.json") ||
           ends(".pt") || ends(".pth");
}

}  // namespace

moco_status save_adapter(const char* fn, const Trainer& trainer, const std::string& directory) {
    const Params& params = trainer.params();
    const TrainerConfig& config = trainer.config();
    moco_status status = make_directory(fn, directory);
    if (status != MOCO_OK) return status;
    nlohmann::ordered_json cfg;
    cfg["peft_type"] = "LORA";
    cfg["task_type"] = "CAUSAL_LM";
    cfg["base_model_name_or_path"] = nullptr;
    cfg["r"] = config.lora_settings.rank;
    cfg["lora_alpha"] = config.lora_alpha;
    cfg["lora_dropout"] = config.lora_dropout;
    cfg["use_rslora"] = config.use_rslora;
    std::vector<std::string> targets;
    for (int m = 0; m < kLoraModuleCount; ++m) {
        if (config.lora_settings.targets >> m & 1u) {
            const std::string path = lora_module_path(m);
            targets.push_back(path.substr(path.find('.') + 1));
        }
    }
    cfg["target_modules"] = targets;
    cfg["bias"] = "none";
    cfg["fan_in_fan_out"] = false;
    cfg["modules_to_save"] = nullptr;
    cfg["inference_mode"] = true;
    status = write_text(fn, (fs::path(directory) / "adapter_config.json").string(), cfg.dump(2) + "\n");
    if (status != MOCO_OK) return status;
    std::vector<OutTensor> tensors;
    for (const Param& p : params.list()) {
        tensors.push_back({p.name, p.shape, params.master.data() + p.offset});
    }
    return write_safetensors(fn, (fs::path(directory) / "adapter_model.safetensors").string(), tensors,
                             MOCO_DTYPE_F32);
}

moco_status save_model(const char* fn, const Trainer& trainer, const std::string& base_directory,
                       const std::string& directory) {
    const moco_model& model = trainer.model();
    const Params& trained = trainer.params();
    std::string config_text;
    moco_status status = read_text_file(fn, (fs::path(base_directory) / "config.json").string(), &config_text);
    if (status != MOCO_OK) return status;
    status = make_directory(fn, directory);
    if (status != MOCO_OK) return status;

    // Full fine-tuning: the masters. LoRA: the base in F32 with W += scale B A per adapted module.
    Params merged_storage;
    const Params* full = &trained;
    if (trained.is_lora()) {
        merged_storage = Params::full(model, 0);
        const LoraSettings& lora = trained.lora_settings();
        for (int l = 0; l < model.config.num_layers; ++l) {
            for (int m = 0; m < kLoraModuleCount; ++m) {
                if ((lora.targets >> m & 1u) == 0) continue;
                const std::string layer = "model.layers." + std::to_string(l) + "." + lora_module_path(m);
                const Param* a = trained.find("base_model.model." + layer + ".lora_A.weight");
                const Param* b = trained.find("base_model.model." + layer + ".lora_B.weight");
                const Param* w = merged_storage.find(layer + ".weight");
                const int64_t rank = a->shape[0], in = a->shape[1], out = b->shape[0];
                const float* A = trained.master.data() + a->offset;
                const float* B = trained.master.data() + b->offset;
                float* W = merged_storage.master.data() + w->offset;
                for (int64_t o = 0; o < out; ++o) {
                    for (int64_t i = 0; i < in; ++i) {
                        float delta = 0.0f;
                        for (int64_t k = 0; k < rank; ++k) delta += B[o * rank + k] * A[k * in + i];
                        W[o * in + i] += lora.scale * delta;
                    }
                }
            }
        }
        full = &merged_storage;
    }
    if (full->vocab() != model.config.vocab_size) {
        nlohmann::ordered_json cfg = nlohmann::ordered_json::parse(config_text, nullptr, false);
        if (cfg.is_discarded() || !cfg.is_object()) {
            return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s/config.json is not a JSON object", fn,
                             base_directory.c_str());
        }
        cfg["vocab_size"] = full->vocab();
        config_text = cfg.dump(2) + "\n";
    }
    status = write_text(fn, (fs::path(directory) / "config.json").string(), config_text);
    if (status != MOCO_OK) return status;
    std::error_code ec;
    if (!fs::equivalent(base_directory, directory, ec)) {
        for (const fs::directory_entry& entry : fs::directory_iterator(base_directory, ec)) {
            const std::string name = entry.path().filename().string();
            if (!entry.is_regular_file() || name == "config.json" || is_weight_file(name)) continue;
            fs::copy_file(entry.path(), fs::path(directory) / name, fs::copy_options::overwrite_existing, ec);
            if (ec) {
                return set_error(MOCO_ERR_IO, "%s: cannot copy %s into %s", fn, entry.path().string().c_str(),
                                 directory.c_str());
            }
        }
    }
    std::vector<OutTensor> tensors;
    for (const Param& p : full->list()) {
        tensors.push_back({p.name, p.shape, full->master.data() + p.offset});
    }
    return write_safetensors(fn, (fs::path(directory) / "model.safetensors").string(), tensors,
                             static_cast<int>(model.stored_dtype));
}

}  // namespace moco::train
