#include "train/trainer_state.h"

#include "common.h"
#include "model/bind_tensor.h"
#include "safetensors/mapped_file.h"
#include "safetensors/safetensors_header.h"
#include "train/safetensors_out.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace moco::train {
namespace {

constexpr const char* kFormat = "moco-trainer-state";
constexpr const char* kVersion = "1";
constexpr const char* kBuffers[] = {"master.", "adam_m.", "adam_v."};

// A non-negative integer written as a decimal string; false otherwise.
bool count_field(const std::map<std::string, std::string>& meta, const char* key, uint64_t* out) {
    const auto it = meta.find(key);
    if (it == meta.end()) return false;
    const std::string& text = it->second;
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
    *out = std::stoull(text);
    return true;
}

}  // namespace

moco_status save_state(const char* fn, const Trainer& trainer, const std::string& path) {
    const TrainerState state = trainer.state();
    const std::vector<float>* buffers[] = {&state.master, &state.m, &state.v};
    std::vector<OutTensor> tensors;
    for (int b = 0; b < 3; ++b) {
        for (const Param& p : trainer.params().list()) {
            tensors.push_back({kBuffers[b] + p.name, p.shape, buffers[b]->data() + p.offset});
        }
    }
    const std::string tmp = path + ".tmp";
    const moco_status status = write_safetensors(
        fn, tmp, tensors, MOCO_DTYPE_F32,
        {{"format", kFormat}, {"version", kVersion}, {"steps", std::to_string(state.steps)},
         {"micro_batches", std::to_string(state.micro_batches)}});
    if (status != MOCO_OK) {
        std::remove(tmp.c_str());
        return status;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        return set_error(MOCO_ERR_IO, "%s: cannot rename %s to %s: %s", fn, tmp.c_str(), path.c_str(),
                         ec.message().c_str());
    }
    return MOCO_OK;
}

moco_status load_state(const char* fn, Trainer& trainer, const std::string& path) {
    MappedFile file;
    moco_status status = MappedFile::open(fn, path, true, &file);
    if (status != MOCO_OK) return status;
    SafetensorsHeader header;
    std::string error;
    if (!parse_safetensors_header(file.data(), file.size(), &header, &error)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is not a safetensors file: %s", fn, path.c_str(),
                         error.c_str());
    }
    const std::map<std::string, std::string>& meta = header.metadata;
    TrainerState state;
    uint64_t steps = 0;
    const auto format = meta.find("format");
    const auto version = meta.find("version");
    if (format == meta.end() || format->second != kFormat || version == meta.end() || version->second != kVersion ||
        !count_field(meta, "steps", &steps) || !count_field(meta, "micro_batches", &state.micro_batches)) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s is not a moco trainer state (version %s): its "
                         "__metadata__ lacks format \"%s\", version, steps or micro_batches; pass a file written "
                         "by moco_trainer_save_state", fn, path.c_str(), kVersion, kFormat);
    }
    state.steps = static_cast<int64_t>(steps);
    const Params& params = trainer.params();
    std::vector<float>* buffers[] = {&state.master, &state.m, &state.v};
    for (int b = 0; b < 3; ++b) {
        buffers[b]->assign(params.size(), 0.0f);
        for (const Param& p : params.list()) {
            const std::string name = kBuffers[b] + p.name;
            const auto it = header.tensors.find(name);
            if (it == header.tensors.end()) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s has no tensor %s; it is the state of a trainer "
                                 "with another model or options (mode, LoRA rank or targets, added rows)",
                                 fn, path.c_str(), name.c_str());
            }
            if (it->second.dtype != "F32" || it->second.shape != p.shape) {
                return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s: tensor %s is %s %s but this trainer's is F32 %s; "
                                 "it is the state of a trainer with another model or options", fn, path.c_str(),
                                 name.c_str(), it->second.dtype.c_str(), shape_string(it->second.shape).c_str(),
                                 shape_string(p.shape).c_str());
            }
            std::memcpy(buffers[b]->data() + p.offset, file.data() + header.data_offset + it->second.begin,
                        p.numel * sizeof(float));
        }
    }
    if (header.tensors.size() != 3 * params.list().size()) {
        return set_error(MOCO_ERR_INVALID_ARGUMENT, "%s: %s holds %zu tensors but this trainer's state has %zu; it "
                         "is the state of a trainer with another model or options", fn, path.c_str(),
                         header.tensors.size(), 3 * params.list().size());
    }
    return trainer.restore(fn, state);
}

}  // namespace moco::train
