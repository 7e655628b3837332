#include "libcommon/worker_pool.hpp"

#include <event2/event.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "libcommon/log.hpp"

namespace usersuite {

WorkerPool::WorkerPool(EventLoop& loop, unsigned threads, std::size_t max_waiting)
    : max_waiting_(max_waiting), wakeup_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wakeup_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    wakeup_event_.reset(event_new(
        loop.base(), wakeup_fd_, EV_READ | EV_PERSIST,
        [](evutil_socket_t, short, void* self) { static_cast<WorkerPool*>(self)->deliver(); }, this));
    if (!wakeup_event_ || event_add(wakeup_event_.get(), nullptr) != 0) {
        ::close(wakeup_fd_);
        throw std::runtime_error("cannot watch the worker pool's eventfd");
    }
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        waiting_.clear();
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
    wakeup_event_.reset();
    ::close(wakeup_fd_);
}

bool WorkerPool::submit(std::function<void()> work, std::function<void()> done) {
    {
        std::lock_guard lock(mutex_);
        if (waiting_.size() >= max_waiting_) return false;
        waiting_.push_back({std::move(work), std::move(done)});
    }
    wake_.notify_one();
    return true;
}

std::size_t WorkerPool::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

void WorkerPool::worker() {
    // Below the event loop's priority: when hashing saturates every core, the
    // loop still gets a core at once for the requests that need no bcrypt.
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10) != 0)
        Logger("pool").warning(kNoRequest, std::string("cannot lower the priority of a pool thread: ") +
                                               std::strerror(errno));
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
            if (stopping_) return;
            job = std::move(waiting_.front());
            waiting_.pop_front();
        }
        try {
            job.work();
        } catch (const std::exception& e) {
            // The done callback sees what work left behind; the pool goes on.
            Logger("pool").error(kNoRequest, std::string("a pool job raised: ") + e.what());
        }
        {
            std::lock_guard lock(mutex_);
            finished_.push_back(std::move(job.done));
        }
        std::uint64_t one = 1;
        while (::write(wakeup_fd_, &one, sizeof one) < 0 && errno == EINTR) {}
    }
}

void WorkerPool::deliver() {
    std::uint64_t count;
    while (::read(wakeup_fd_, &count, sizeof count) < 0 && errno == EINTR) {}
    std::vector<std::function<void()>> ready;
    {
        std::lock_guard lock(mutex_);
        ready.swap(finished_);
    }
    for (auto& done : ready) done();
}

}  // namespace usersuite
