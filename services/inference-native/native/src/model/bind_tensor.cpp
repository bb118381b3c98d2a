// bind_tensor: the last check between a file's bytes and the compute kernels.
#include "model/bind_tensor.h"

#include "common.h"

#include <cstring>

namespace moco {
namespace {

bool dtype_from_string(const std::string& name, DType* out) {
    if (name == "F32") *out = DType::F32;
    else if (name == "F16") *out = DType::F16;
    else if (name == "BF16") *out = DType::BF16;
    else return false;
    return true;
}

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        s += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
    }
    return s + "]";
}

moco_status bind_tensor(const char* fn, WeightStorage& storage, const std::string& name,
                        const TensorLocation& where, const std::vector<int64_t>& expected,
                        const char* source, const char* formula, TensorView* out) {
    const SafetensorsTensor& stored = *where.tensor;
    DType dtype;
    if (!dtype_from_string(stored.dtype, &dtype)) {
        return set_error(MOCO_ERR_IO, "%s: %s: tensor \"%.200s\" has dtype %.40s; libmoco reads "
                                      "F32, F16 and BF16 weights: convert the checkpoint to one of "
                                      "them (quantized weights are not supported)",
                         fn, where.file->path.c_str(), name.c_str(), stored.dtype.c_str());
    }
    if (stored.shape != expected) {
        return set_error(MOCO_ERR_IO, "%s: %s: tensor \"%.200s\" has shape %s but %s requires %s = "
                                      "%s; the weights do not match the configuration",
                         fn, where.file->path.c_str(), name.c_str(),
                         shape_string(stored.shape).c_str(), source,
                         shape_string(expected).c_str(), formula);
    }
    const uint8_t* data = where.data();
    const std::size_t bytes = stored.end - stored.begin;
    const std::size_t element_size = dtype == DType::F32 ? 4 : 2;
    if (reinterpret_cast<std::uintptr_t>(data) % element_size != 0) {
        // operator new[] memory is aligned for any scalar type.
        std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes]);
        std::memcpy(copy.get(), data, bytes);
        data = copy.get();
        storage.realigned.push_back(std::move(copy));
    }
    out->dtype = dtype;
    out->shape = stored.shape;
    out->data = data;
    return MOCO_OK;
}

}  // namespace moco
