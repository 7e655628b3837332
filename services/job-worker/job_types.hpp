// The job types job-worker runs, one file each under jobs/, named by type.
// A handler checks its arguments (a bad one throws JobError, which fails the
// job with that message, for good when nothing a retry changes is wrong),
// starts the work and returns a JobRun; it calls
// done once, later, from the event loop. Destroying the JobRun stops the
// work (a job timeout, a second SIGTERM), and done is then never called.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "libcommon/config.hpp"
#include "libcommon/event_loop.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/json.hpp"

namespace usersuite {

class JobError : public std::runtime_error {
public:
    enum class Kind { retry, permanent };
    JobError(const std::string& why, Kind kind = Kind::permanent) : std::runtime_error(why), kind_(kind) {}
    bool permanent() const { return kind_ == Kind::permanent; }

private:
    Kind kind_;
};

struct JobOutcome {
    bool ok = false;
    std::string result = "null";  // JSON, when ok
    std::string error;            // when not
};

class JobRun {
public:
    virtual ~JobRun() = default;
};

using JobDone = std::function<void(JobOutcome)>;
using JobHandler = std::function<std::unique_ptr<JobRun>(const Job& job, const Json& args, JobDone done)>;
using JobHandlers = std::map<std::string, JobHandler>;

// noop: {"sleep_ms": N, "fail": "why"}, both optional, for tests and benchmarks.
JobHandler noop_job(EventLoop& loop);
// send_email: {"to": ADDRESS, "name": NAME, "subject": TEXT, "body": TEXT}; name optional.
JobHandler send_email_job(EventLoop& loop, const Config& config);

}  // namespace usersuite
