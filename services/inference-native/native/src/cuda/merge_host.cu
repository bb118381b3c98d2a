// moco_merge_tensor_on for a CUDA context (merge_host.h): uploads the chunks of host tensors to
// staging buffers, runs the DeviceMerge protocol on them and copies each output chunk back.
#include "cuda/cuda_check.h"
#include "cuda/merge_host.h"
#include "cuda/merge_kernels.h"
#include "kernels/dtype_convert.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace moco::cuda {
namespace {

static_assert(kHostMergeChunk % kMergeSegment == 0, "scan chunks must start at segment multiples");

// A stream of the current device, destroyed with the object.
class Stream {
public:
    Stream() { check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate"); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream() { (void)cudaStreamDestroy(stream_); }
    cudaStream_t get() const { return stream_; }

private:
    cudaStream_t stream_ = nullptr;
};

// Device copies of every operand's part that one output chunk reads.
class Staging {
public:
    Staging(const kernels::MergeSpec& spec, const void* const* inputs, const void* base,
            cudaStream_t stream)
        : spec_(spec), inputs_(inputs), base_(base), stream_(stream), buffers_(spec.inputs.size()),
          pointers_(spec.inputs.size(), nullptr) {}

    // Uploads what output elements [offset, offset + count) read (count >= 1).
    void upload(int64_t offset, int64_t count) {
        for (std::size_t i = 0; i < spec_.inputs.size(); ++i) {
            const kernels::MergeInput& in = spec_.inputs[i];
            if (!in.used) continue;
            pointers_[i] = upload_span(buffers_[i], inputs_[i], in.dtype, in.cols, offset, count,
                                       "a merge input chunk");
        }
        if (spec_.uses_base()) {
            base_pointer_ = upload_span(base_buffer_, base_, spec_.base_dtype, spec_.base_cols,
                                        offset, count, "the merge base chunk");
        }
    }

    const void* const* inputs() const { return pointers_.data(); }
    const void* base() const { return base_pointer_; }

private:
    // The operand's elements from the one output element `offset` reads to the one element
    // offset + count - 1 reads (contiguous: a cut embedding's rows in between come along).
    const void* upload_span(DeviceBuffer& buffer, const void* host, int dtype, int64_t cols,
                            int64_t offset, int64_t count, const char* what) {
        const int64_t first = kernels::mapped_index(offset, spec_.cols, cols);
        const int64_t last = kernels::mapped_index(offset + count - 1, spec_.cols, cols);
        const std::size_t size = kernels::dtype_bytes(dtype);
        const std::size_t bytes = static_cast<std::size_t>(last - first + 1) * size;
        buffer.reserve(bytes, what);
        check(cudaMemcpyAsync(buffer.data(),
                              static_cast<const char*>(host) + static_cast<std::size_t>(first) * size,
                              bytes, cudaMemcpyHostToDevice, stream_),
              what);
        return buffer.data();
    }

    const kernels::MergeSpec& spec_;
    const void* const* inputs_;
    const void* base_;
    cudaStream_t stream_;
    std::vector<DeviceBuffer> buffers_;
    std::vector<const void*> pointers_;
    DeviceBuffer base_buffer_;
    const void* base_pointer_ = nullptr;
};

}  // namespace

moco_status merge_host_tensors(const char* fn, kernels::MergePlan& plan, int device,
                               const void* const* inputs, const void* base, void* out) {
    return run(fn, [&]() -> moco_status {
        use_device(device);
        const kernels::MergeSpec& spec = plan.spec();
        const int64_t chunk = std::min(spec.numel, kHostMergeChunk);
        const bool one_chunk = chunk == spec.numel;  // upload once, reuse for every pass
        const Stream stream;
        Staging staging(spec, inputs, base, stream.get());
        DeviceMerge merge(plan, device, stream.get());
        if (one_chunk) staging.upload(0, spec.numel);

        moco_status st = MOCO_OK;
        bool more = merge.needs_scan();
        while (more) {
            for (int64_t offset = 0; offset < spec.numel; offset += chunk) {
                const int64_t count = std::min(chunk, spec.numel - offset);
                if (!one_chunk) staging.upload(offset, count);
                st = merge.scan(fn, staging.inputs(), staging.base(), offset, count);
                if (st != MOCO_OK) return st;
            }
            st = merge.end_pass(fn, &more);
            if (st != MOCO_OK) return st;
        }
        const std::size_t out_size = kernels::dtype_bytes(spec.out_dtype);
        DeviceBuffer result(static_cast<std::size_t>(chunk) * out_size, "the merge output chunk");
        for (int64_t offset = 0; offset < spec.numel; offset += chunk) {
            const int64_t count = std::min(chunk, spec.numel - offset);
            if (!one_chunk) staging.upload(offset, count);
            st = merge.apply(fn, staging.inputs(), staging.base(), offset, count, result.data());
            if (st != MOCO_OK) return st;
            check(cudaMemcpyAsync(static_cast<char*>(out) + static_cast<std::size_t>(offset) * out_size,
                                  result.data(), static_cast<std::size_t>(count) * out_size,
                                  cudaMemcpyDeviceToHost, stream.get()),
                  "copying a merge output chunk to the host");
            check(cudaStreamSynchronize(stream.get()), "copying a merge output chunk to the host");
        }
        return MOCO_OK;
    });
}

}  // namespace moco::cuda
