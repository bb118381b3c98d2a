// A small fork-join thread pool: run(n, fn) calls fn(task, thread) for every task in [0, n) on the
// calling thread plus threads-1 workers and returns when all are done.
//
// Tasks are handed out dynamically (an atomic counter), so which thread runs a task varies from
// call to call. Determinism does not depend on it: every task computes a fixed set of outputs in a
// fixed order, and `thread` only selects per-thread scratch memory.
//
// Workers spin for a short while after a job before they sleep, because a forward pass issues
// hundreds of short jobs back to back and a condition-variable wake-up costs tens of microseconds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace moco::cpu {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return threads_; }

    // fn(int task, int thread) must not throw. Not reentrant: one run at a time per pool.
    template <class Fn>
    void run(int n_tasks, Fn&& fn) {
        auto call = [](void* f, int task, int thread) { (*static_cast<Fn*>(f))(task, thread); };
        run_erased(n_tasks, call, &fn);
    }

private:
    using Call = void (*)(void*, int, int);

    void run_erased(int n_tasks, Call call, void* fn);
    void work(int thread);  // runs tasks of the current job until none is left
    void worker_main(int thread);

    int threads_;
    std::vector<std::thread> workers_;

    std::mutex mutex_;
    std::condition_variable wake_;     // a new job (or stop) for the workers
    std::condition_variable finished_; // the last worker left the job
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> busy_workers_{0};
    std::atomic<int> next_task_{0};
    std::atomic<bool> stop_{false};

    // The current job; written before generation_ is bumped, read by workers after they see it.
    int n_tasks_ = 0;
    Call call_ = nullptr;
    void* fn_ = nullptr;
};

}  // namespace moco::cpu
