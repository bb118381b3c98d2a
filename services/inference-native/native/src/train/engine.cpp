#include "train/engine.h"

#include "moco_config.h"
#include "train/cpu_engine.h"

#if MOCO_HAVE_CUDA
#include "cuda/train/device_engine.h"
#endif

namespace moco::train {

std::unique_ptr<Engine> make_engine(const moco_model& model, Params& params, const TrainerConfig& config) {
#if MOCO_HAVE_CUDA
    if (model.device != nullptr) {
        return cuda::train::make_device_engine(model, params, config);
    }
#endif
    return std::make_unique<CpuEngine>(model, params, config);
}

}  // namespace moco::train
