// The host threads of one context, shared by every KV cache and trainer made on it.
//
// A context's thread count is its budget: each forward pass or training phase already spreads over
// all of those threads, so two running at once (two models' loops, an ensemble's members, a
// trainer beside serving) would put twice the budget's threads on the cores, and spinning workers
// of one pool then steal the cores the other needs (on 2 cores a two-model ensemble ran at a
// quarter of one model's speed, not half). Work takes the one pool in turn instead, first come
// first served, so no caller starves behind a busy neighbour.
#pragma once

#include "cpu/thread_pool.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace moco::cpu {

class HostCompute {
public:
    explicit HostCompute(int threads) : pool_(threads) {}
    HostCompute(const HostCompute&) = delete;
    HostCompute& operator=(const HostCompute&) = delete;

    // Holds the pool from construction (waiting for earlier holders) until destruction.
    class Lease {
    public:
        explicit Lease(HostCompute& owner);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        ThreadPool& pool() const { return owner_.pool_; }

    private:
        HostCompute& owner_;
    };

    // The pool for work set up once and only run under a Lease (a trainer's passes keep it).
    ThreadPool& pool() { return pool_; }

private:
    ThreadPool pool_;
    std::mutex mutex_;
    std::condition_variable turn_;
    uint64_t next_ticket_ = 0;  // the ticket the next Lease draws
    uint64_t serving_ = 0;      // the ticket that holds the pool
};

}  // namespace moco::cpu
