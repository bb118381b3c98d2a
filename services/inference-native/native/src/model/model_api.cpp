// moco_model_load, moco_model_get_info, moco_model_destroy: config.json, then the safetensors
// files, then every tensor bound and checked, then the backend's prepare_weights (and, on a CUDA
// context, the upload to the GPU). Nothing is handed out until all of it succeeded.
#include "common.h"
#include "context.h"
#include "cpu/prepared_weights.h"  // complete, so the handles can be constructed here
#include "model/model.h"
#include "model/model_config.h"
#include "model/model_weights.h"
#include "model/weight_storage.h"
#include "moco_config.h"
#include "safetensors/mapped_file.h"

#if MOCO_HAVE_CUDA
#    include "cuda/backend.h"
#endif

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>

namespace {

constexpr const char* kLoad = "moco_model_load";

// The first published layouts: callers compiled against them pass at least these sizes.
constexpr int kModelOptionsV1Size =
    static_cast<int>(offsetof(moco_model_options, use_mmap) + sizeof(int));
constexpr int kModelInfoV1Size =
    static_cast<int>(offsetof(moco_model_info, parameter_count) + sizeof(uint64_t));

moco_status load(moco_context* ctx, const std::string& directory, bool use_mmap,
                 std::unique_ptr<moco_model>* out) {
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) {
        return moco::set_error(MOCO_ERR_NOT_FOUND, "%s: model directory %s %s; pass a Hugging Face "
                                                   "model directory (config.json + safetensors)",
                               kLoad, directory.c_str(),
                               std::filesystem::exists(directory, ec) ? "is not a directory"
                                                                      : "does not exist");
    }
    const std::string config_path = (std::filesystem::path(directory) / "config.json").string();
    std::string text;
    moco_status status = moco::read_text_file(kLoad, config_path, &text);
    if (status != MOCO_OK) {
        return status;
    }
    auto model = std::make_unique<moco_model>();
    model->ctx = ctx;
    status = moco::parse_model_config(std::string(kLoad) + ": " + config_path, text,
                                      &model->config);
    if (status != MOCO_OK) {
        return status;
    }
    model->storage = std::make_unique<moco::WeightStorage>();
    status = model->storage->files.open_checkpoint(kLoad, directory, use_mmap);
    if (status != MOCO_OK) {
        return status;
    }
    status = moco::bind_model_weights(kLoad, model->config, *model->storage, &model->weights,
                                      &model->parameter_count);
    if (status != MOCO_OK) {
        return status;
    }
    model->stored_dtype = model->weights.embed_tokens.dtype;
    status = moco::check_bound_weights(*model);
    if (status != MOCO_OK) {
        return status;
    }
#if MOCO_HAVE_CUDA
    if (ctx->kind == MOCO_DEVICE_CUDA) {
        status = moco::cuda::upload_model(*model);
    } else
#endif
    {
        status = moco::prepare_weights(*model);
    }
    if (status != MOCO_OK) {
        return status;
    }
    *out = std::move(model);
    return MOCO_OK;
}

}  // namespace

extern "C" {

moco_model_options moco_model_default_options(void) {
    moco_model_options opts;
    std::memset(&opts, 0, sizeof(opts));
    opts.struct_size = static_cast<int>(sizeof(moco_model_options));
    opts.use_mmap = 1;
    return opts;
}

moco_status moco_model_load(moco_context* ctx, const char* directory,
                            const moco_model_options* opts, moco_model** out) {
    return moco::guard(kLoad, [&]() -> moco_status {
        if (out == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_load: out is NULL; pass the address of a "
                                   "moco_model* that receives the model");
        }
        *out = nullptr;
        if (ctx == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_load: ctx is NULL; pass a context from "
                                   "moco_context_create");
        }
        if (directory == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_load: directory is NULL; pass the path of a Hugging "
                                   "Face model directory");
        }
        moco_model_options o = moco_model_default_options();
        if (opts != nullptr) {
            if (opts->struct_size < kModelOptionsV1Size) {
                return moco::set_error(
                    MOCO_ERR_INVALID_ARGUMENT,
                    "moco_model_load: options.struct_size is %d but must be at least %d; set it "
                    "to sizeof(moco_model_options) (%d in this build) or start from "
                    "moco_model_default_options()",
                    opts->struct_size, kModelOptionsV1Size,
                    static_cast<int>(sizeof(moco_model_options)));
            }
            o.use_mmap = opts->use_mmap;  // every v1 field lies within kModelOptionsV1Size
        }
        if (o.use_mmap != 0 && o.use_mmap != 1) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_load: options.use_mmap is %d; it must be 1 (map the "
                                   "files) or 0 (read them into memory)",
                                   o.use_mmap);
        }
        std::unique_ptr<moco_model> model;
        const moco_status status = load(ctx, directory, o.use_mmap == 1, &model);
        if (status == MOCO_OK) {
            *out = model.release();
        }
        return status;
    });
}

moco_status moco_model_get_info(const moco_model* model, moco_model_info* info) {
    return moco::guard("moco_model_get_info", [&]() -> moco_status {
        if (model == nullptr || info == nullptr) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_get_info: %s is NULL; pass a model from "
                                   "moco_model_load and a moco_model_info with struct_size set",
                                   model == nullptr ? "model" : "info");
        }
        if (info->struct_size < kModelInfoV1Size) {
            return moco::set_error(MOCO_ERR_INVALID_ARGUMENT,
                                   "moco_model_get_info: info->struct_size is %d but must be at "
                                   "least %d; set it to sizeof(moco_model_info) (%d in this build)",
                                   info->struct_size, kModelInfoV1Size,
                                   static_cast<int>(sizeof(moco_model_info)));
        }
        const moco::ModelConfig& c = model->config;
        moco_model_info full;
        std::memset(&full, 0, sizeof(full));
        full.struct_size = info->struct_size;
        moco::copy_string(full.architecture, c.architecture.c_str());
        full.vocab_size = c.vocab_size;
        full.hidden_size = c.hidden_size;
        full.intermediate_size = c.intermediate_size;
        full.num_layers = c.num_layers;
        full.num_heads = c.num_heads;
        full.num_kv_heads = c.num_kv_heads;
        full.head_dim = c.head_dim;
        full.max_position_embeddings = c.max_position_embeddings;
        full.output_size = moco::output_size(c);
        full.is_classifier = c.classifier ? 1 : 0;
        full.dtype = static_cast<int>(model->stored_dtype);
        full.parameter_count = model->parameter_count;
        // Only what the caller's struct holds: a newer library never writes past an older struct.
        std::memcpy(info, &full,
                    std::min(sizeof(full), static_cast<std::size_t>(info->struct_size)));
        return MOCO_OK;
    });
}

void moco_model_destroy(moco_model* model) {
    delete model;  // NULL-safe; unmaps the files and frees the backend's prepared weights
}

}  // extern "C"
