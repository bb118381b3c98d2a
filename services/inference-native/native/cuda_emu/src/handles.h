// The live handles of one kind (streams, events, graphs, cuBLAS handles): the API checks what it is
// given back against them, so a destroyed or made-up handle is an error, as the CUDA libraries
// report it, instead of a use after free.
#pragma once

#include <mutex>
#include <set>

namespace cudaemu::detail {

template <class T>
class Handles {
public:
    T* add(T* h) {
        std::lock_guard<std::mutex> lock(mutex_);
        live_.insert(h);
        return h;
    }
    bool live(const T* h) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return h != nullptr && live_.count(h) != 0;
    }
    // Deletes h; false (nothing done) when it is not live.
    bool destroy(T* h) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (h == nullptr || live_.erase(h) == 0) return false;
        delete h;
        return true;
    }

private:
    mutable std::mutex mutex_;
    std::set<const T*> live_;
};

}  // namespace cudaemu::detail
