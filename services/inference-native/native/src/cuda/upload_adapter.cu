// cuda::upload_adapter: copies a LoRA adapter's A and B matrices, as F32, to the GPU of its model
// (device_adapter.h says why F32), and their teardown.
#include "cuda/backend.h"

#include "cpu/dtype.h"
#include "cuda/cuda_check.h"
#include "cuda/device_adapter.h"

#include <memory>
#include <vector>

namespace moco::cuda {

DeviceAdapter::~DeviceAdapter() {
    // The buffer is freed on the device it was allocated on; teardown cannot report errors.
    (void)cudaSetDevice(device);
}

moco_status upload_adapter(moco_adapter& adapter) {
    return run("moco_adapter_load", [&]() -> moco_status {
        const auto& weights = static_cast<const DeviceWeights&>(*adapter.model->device);
        use_device(weights.device);
        auto d = std::make_unique<DeviceAdapter>();
        d->device = weights.device;
        d->scale = adapter.scale;
        d->layers.resize(adapter.layers.size());

        // Every present A then B, layer by layer, in one host array: one allocation and one copy,
        // so that running out of device memory fails before anything is half uploaded.
        std::vector<float> host;
        std::vector<size_t> offsets;
        for (const LoraLayer& layer : adapter.layers) {
            for (const LoraPair& pair : layer.modules) {
                if (!pair.present()) {
                    continue;
                }
                for (const TensorView* t : {&pair.a, &pair.b}) {
                    offsets.push_back(host.size());
                    host.resize(host.size() + static_cast<size_t>(t->numel()));
                    cpu::load_row(t->data, t->dtype, 0, t->numel(), host.data() + offsets.back());
                }
            }
        }
        d->buffer.reserve(host.size() * sizeof(float), "the LoRA adapter's A and B matrices (F32)");
        check(cudaMemcpy(d->buffer.data(), host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice),
              "cudaMemcpy of the LoRA adapter's A and B matrices");

        // The same walk again, handing out the uploaded matrices in the same order.
        size_t next = 0;
        const float* base = d->buffer.as<float>();
        auto place = [&](const TensorView& view) {
            DeviceMatrix m;
            m.data = base + offsets[next++];
            m.dtype = DType::F32;
            m.n = static_cast<int>(view.shape.at(0));
            m.k = static_cast<int>(view.shape.at(1));
            return m;
        };
        for (size_t l = 0; l < adapter.layers.size(); ++l) {
            for (int m = 0; m < kLoraModuleCount; ++m) {
                const LoraPair& pair = adapter.layers[l].modules[m];
                if (!pair.present()) {
                    continue;
                }
                DeviceLoraPair& out = d->layers[l][static_cast<size_t>(m)];
                out.a = place(pair.a);
                out.b = place(pair.b);
                if (out.a.n > d->max_rank) {
                    d->max_rank = out.a.n;
                }
            }
        }
        adapter.device = std::move(d);
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
