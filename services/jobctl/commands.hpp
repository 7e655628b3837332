// The jobctl commands, sharing one Redis connection on an event loop that
// runs until the command has its answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/job_queue.hpp"

namespace usersuite::jobctl {

inline constexpr int kExitNotFound = 1;  // nothing found: no such job, no live worker
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: Redis, or a corrupt job record in it

struct Options {
    std::vector<std::string> args;  // the command's operands
    bool json = false;
    std::string queue = "default";
    std::chrono::milliseconds delay{0};
    std::int64_t count = 1;
    bool all = false;
    std::string host;  // workers --host; empty: every host
    std::chrono::milliseconds worker_timeout{10000};
};

// A bad operand: exit 2 with the usage line.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

int cmd_enqueue(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_status(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_stats(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_workers(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_failed(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_requeue(EventLoop& loop, JobQueue& queue, const Options& o);
int cmd_purge(EventLoop& loop, JobQueue& queue, const Options& o);

}  // namespace usersuite::jobctl
