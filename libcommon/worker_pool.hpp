// A small pool of threads for CPU-bound work (bcrypt) whose results come
// back to the event loop. The queue is bounded: past it, submit() refuses at
// once, so a storm of logins is answered 503 instead of waiting unboundedly,
// and the loop itself never waits on the pool.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "libcommon/event_loop.hpp"

namespace usersuite {

class WorkerPool {
public:
    // threads 0 means one per core.
    WorkerPool(EventLoop& loop, unsigned threads, std::size_t max_waiting);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Runs work on a worker, then done on the loop thread. Returns false,
    // running nothing, when max_waiting jobs are already waiting.
    bool submit(std::function<void()> work, std::function<void()> done);

    unsigned threads() const { return static_cast<unsigned>(threads_.size()); }
    std::size_t waiting() const;

private:
    struct Job {
        std::function<void()> work;
        std::function<void()> done;
    };
    void worker();
    void deliver();  // on the loop: runs the done callbacks of finished jobs

    std::size_t max_waiting_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> waiting_;
    std::vector<std::function<void()>> finished_;
    bool stopping_ = false;
    int wakeup_fd_;
    EventPtr wakeup_event_;
    std::vector<std::thread> threads_;
};

}  // namespace usersuite
