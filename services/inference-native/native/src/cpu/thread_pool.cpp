#include "cpu/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#    include <immintrin.h>
#endif

namespace moco::cpu {
namespace {

// How long a thread polls before it sleeps: longer than the gap between the jobs of one forward
// pass, far shorter than the gap between forward calls, and short enough not to steal much from
// other processes when the machine is oversubscribed.
constexpr std::chrono::microseconds kSpin(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

// Polls `ready` for up to kSpin (checking the clock every 64 polls); whether it became true.
template <class Ready>
bool spin_until(Ready&& ready) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (ready()) {
                return true;
            }
            cpu_relax();
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
    }
}

}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
    workers_.reserve(static_cast<size_t>(threads_ - 1));
    for (int t = 1; t < threads_; ++t) {
        workers_.emplace_back([this, t] { worker_main(t); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_.store(true, std::memory_order_release);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& w : workers_) {
        w.join();
    }
}

void ThreadPool::work(int thread) {
    for (int task = next_task_.fetch_add(1, std::memory_order_relaxed); task < n_tasks_;
         task = next_task_.fetch_add(1, std::memory_order_relaxed)) {
        call_(fn_, task, thread);
    }
}

void ThreadPool::run_erased(int n_tasks, Call call, void* fn) {
    if (n_tasks <= 0) {
        return;
    }
    if (workers_.empty() || n_tasks == 1) {
        for (int task = 0; task < n_tasks; ++task) {
            call(fn, task, 0);
        }
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        n_tasks_ = n_tasks;
        call_ = call;
        fn_ = fn;
        next_task_.store(0, std::memory_order_relaxed);
        busy_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(0);
    if (spin_until([this] { return busy_workers_.load(std::memory_order_acquire) == 0; })) {
        return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [this] { return busy_workers_.load(std::memory_order_acquire) == 0; });
}

void ThreadPool::worker_main(int thread) {
    uint64_t seen = 0;
    for (;;) {
        if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
        seen = generation_.load(std::memory_order_acquire);
        if (stop_.load(std::memory_order_acquire)) {
            return;
        }
        work(thread);
        if (busy_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> lock(mutex_);  // the waiter checks under this mutex
            finished_.notify_one();
        }
    }
}

}  // namespace moco::cpu
