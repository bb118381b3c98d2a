#include "cpu/host_compute.h"

namespace moco::cpu {

HostCompute::Lease::Lease(HostCompute& owner) : owner_(owner) {
    std::unique_lock<std::mutex> lock(owner_.mutex_);
    const uint64_t ticket = owner_.next_ticket_++;
    owner_.turn_.wait(lock, [&] { return owner_.serving_ == ticket; });
}

HostCompute::Lease::~Lease() {
    {
        std::lock_guard<std::mutex> lock(owner_.mutex_);
        ++owner_.serving_;
    }
    // Every waiter checks whether the next ticket is its own; only one is.
    owner_.turn_.notify_all();
}

}  // namespace moco::cpu
