// noop: does nothing, after sleep_ms on a timer (never blocking the loop),
// and fails with `fail` when that is given: the job type of the tests and of
// `make bench`.
#include "services/job-worker/job_types.hpp"

namespace usersuite {

namespace {

class NoopRun : public JobRun {
public:
    NoopRun(EventLoop& loop, std::chrono::milliseconds after, JobOutcome outcome, JobDone done)
        : timer_(loop, [this, outcome = std::move(outcome), done = std::move(done)] { done(outcome); }) {
        timer_.arm(after);
    }

private:
    Timer timer_;
};

}  // namespace

JobHandler noop_job(EventLoop& loop) {
    return [&loop](const Job&, const Json& args, JobDone done) -> std::unique_ptr<JobRun> {
        Json sleep = args.get("sleep_ms");
        Json fail = args.get("fail");
        if (sleep.is_valid() && (!sleep.is_integer() || sleep.as_integer() < 0 || sleep.as_integer() > 86400000))
            throw JobError("bad arguments: sleep_ms must be an integer from 0 to 86400000");
        if (fail.is_valid() && !fail.is_string()) throw JobError("bad arguments: fail must be a string");
        JobOutcome outcome;
        outcome.ok = !fail.is_valid();
        outcome.error = fail.as_string();
        return std::make_unique<NoopRun>(loop, std::chrono::milliseconds(sleep.is_valid() ? sleep.as_integer() : 0),
                                         std::move(outcome), std::move(done));
    };
}

}  // namespace usersuite
