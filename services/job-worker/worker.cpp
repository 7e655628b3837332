#include "services/job-worker/worker.hpp"

#include <hiredis/hiredis.h>

#include <cstdio>

#include "libcommon/redis_client.hpp"
#include "libcommon/request_id.hpp"

namespace usersuite {

namespace {

using Clock = std::chrono::steady_clock;

std::string format_ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
    return buf;
}

std::string format_s(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000);
    return buf;
}

// Why Redis did not count an outcome. A report sent again after its reply
// was lost learns from Redis when the first one was recorded; a failure's
// retry may have been taken again since, which Redis cannot tell from a
// job handed on.
const char* const kRecordedBefore = "recorded already, by the report whose reply was lost";
const char* const kNotOwner = "handed on after this worker was counted dead, or its record is gone";
const char* const kNotOwnerAfterLostReply =
    "recorded by the report whose reply was lost and taken again since, handed on after this worker was "
    "counted dead, or its record is gone";

}  // namespace

struct Worker::Run {
    Run(EventLoop& loop, Job j, std::function<void()> on_timeout) : job(std::move(j)), timeout(loop, std::move(on_timeout)) {}
    Job job;
    Clock::time_point started = Clock::now();
    std::unique_ptr<JobRun> work;
    Timer timeout;
};

struct Worker::Report {
    Job job;
    JobOutcome outcome;
    bool permanent = false;  // no retry can help: fail for good now
    double took_ms = 0;
    bool sent = false;
    bool sent_before = false;  // an earlier send got no answer: Redis may have recorded it
};

Worker::Worker(EventLoop& loop, RedisClient& redis, RedisClient& wait_redis, WorkerSettings settings,
               JobHandlers handlers)
    : loop_(loop),
      wait_redis_(wait_redis),
      queue_(redis, settings.redis_timeout),
      settings_(std::move(settings)),
      handlers_(std::move(handlers)),
      id_(JobQueue::new_worker_id()),
      random_(std::random_device{}()),
      retry_timer_(loop, [this] { pump(); }),
      tick_timer_(loop, [this] { tick(); }),
      cleanup_timer_(loop, [this] { ended_.clear(); }),
      report_timer_(loop, [this] { resend(); }),
      drain_timer_(loop, [this] {
          log_.warning(kNoRequest, "SHUTDOWN_TIMEOUT passed with " + std::to_string(runs_.size()) +
                                       " job(s) still running: stopping them");
          auto done = std::move(on_drained_);
          on_drained_ = nullptr;
          hurry(std::move(done));
      }) {}

Worker::~Worker() = default;

void Worker::start() {
    tick();
    pump();
}

void Worker::pump() {
    // A fetch may fail at once (Redis unreachable) and arm the retry timer
    // from inside this loop: it is checked on every turn.
    while (!stopping_ && !waiting_ && !retry_timer_.pending() &&
           runs_.size() + fetching_.size() < settings_.concurrency) {
        std::string token = JobQueue::fetch_token(++fetches_sent_);
        fetching_.insert(token);
        queue_.fetch(id_, token,
                     [this, token](std::optional<Job> job, std::int64_t next_due_ms, const std::string& error) {
                         on_fetched(token, std::move(job), next_due_ms, error);
                     });
    }
}

void Worker::on_fetched(const std::string& token, std::optional<Job> job, std::int64_t next_due_ms,
                        const std::string& error) {
    // Forgotten even when the reply was lost: should the script have run and
    // taken a job, the next heartbeat returns that job to its queue.
    fetching_.erase(token);
    if (!error.empty()) {
        redis_failed("taking a job", error);
        maybe_stopped();
        return;
    }
    redis_ok();
    if (stopping_) {
        maybe_stopped();  // a job taken now is given back with the rest
        return;
    }
    if (job) {
        start_job(std::move(*job));
        pump();
    } else if (fetching_.empty()) {
        wait_for_work(next_due_ms);
    }
}

void Worker::start_job(Job job) {
    std::uint64_t key = next_run_id_++;
    const std::string rid = is_valid_request_id(job.request_id) ? job.request_id : std::string(kNoRequest);
    log_.info(rid, "job " + job.id + " started: " + job.type + " from " + job.queue + ", attempt " +
                       std::to_string(job.attempts) + ", " + std::to_string(job.started_at - job.enqueued_at) +
                       " ms after it was queued");
    auto run = std::make_unique<Run>(loop_, std::move(job), [this, key, timeout = settings_.job_timeout] {
        on_job_done(key, JobOutcome{false, "", "timed out after " + std::to_string(timeout.count()) + " s"});
    });
    auto fail_now = [&](const std::string& why, bool permanent) {
        auto r = std::make_unique<Report>();
        r->job = run->job;
        r->outcome.error = why;
        r->permanent = permanent;
        report(std::move(r));
    };
    auto handler = handlers_.find(run->job.type);
    if (handler == handlers_.end()) {
        fail_now("unknown job type \"" + run->job.type + "\"", true);
        return;
    }
    std::string why;
    auto args = Json::parse(run->job.args, &why);
    if (!args || !args->is_object()) {
        fail_now("bad arguments: not a JSON object" + (why.empty() ? "" : ": " + why), true);
        return;
    }
    try {
        run->work = handler->second(run->job, *args, [this, key](JobOutcome o) { on_job_done(key, std::move(o)); });
    } catch (const JobError& e) {
        fail_now(e.what(), e.permanent());
        return;
    } catch (const std::exception& e) {
        fail_now(std::string("could not start: ") + e.what(), false);
        return;
    }
    run->timeout.arm(settings_.job_timeout);
    runs_[key] = std::move(run);
}

void Worker::on_job_done(std::uint64_t key, JobOutcome outcome) {
    auto it = runs_.find(key);
    if (it == runs_.end()) return;
    std::unique_ptr<Run> run = std::move(it->second);
    runs_.erase(it);
    run->timeout.cancel();
    auto r = std::make_unique<Report>();
    r->job = run->job;
    r->outcome = std::move(outcome);
    r->took_ms = std::chrono::duration<double, std::milli>(Clock::now() - run->started).count();
    ended_.push_back(std::move(run));
    cleanup_timer_.arm(std::chrono::milliseconds(0));
    report(std::move(r));
    pump();
}

void Worker::report(std::unique_ptr<Report> r) {
    std::uint64_t key = next_run_id_++;
    reports_[key] = std::move(r);
    send_report(key);
}

void Worker::send_report(std::uint64_t key) {
    Report& r = *reports_.at(key);
    r.sent = true;
    const Job& job = r.job;
    const std::string rid = is_valid_request_id(job.request_id) ? job.request_id : std::string(kNoRequest);
    std::string head = "job " + job.id + " (" + job.type + ") ";
    std::string took = format_ms(r.took_ms);
    if (r.outcome.ok) {
        queue_.finish(id_, job, r.outcome.result, settings_.policy,
                      [this, key, rid, head, took](FinishOutcome o, const std::string& error) {
                          if (!error.empty()) {
                              on_reported(key, true);
                              return;
                          }
                          std::string line = head + "finished in " + took;
                          switch (o) {
                              case FinishOutcome::finished: log_.info(rid, line); break;
                              case FinishOutcome::recorded_before: log_.info(rid, line + "; " + kRecordedBefore); break;
                              case FinishOutcome::not_owner:
                                  log_.warning(rid, line + ", but the job is no longer this worker's (" + kNotOwner +
                                                        "): the result is dropped");
                                  break;
                          }
                          on_reported(key, false);
                      });
        return;
    }
    WorkerPolicy policy = settings_.policy;
    if (r.permanent) policy.max_attempts = 0;
    std::string attempt = "attempt " + std::to_string(job.attempts) + " of " + std::to_string(settings_.policy.max_attempts);
    std::string error_text = r.outcome.error;
    const char* not_owner = r.sent_before ? kNotOwnerAfterLostReply : kNotOwner;
    queue_.fail(id_, job, error_text, policy, std::uniform_real_distribution<double>(0, 1)(random_),
                [this, key, rid, head, took, attempt, error_text, not_owner](
                    FailOutcome o, std::chrono::milliseconds retry_in, const std::string& error) {
                    if (!error.empty()) {
                        on_reported(key, true);
                        return;
                    }
                    std::string line = head + "failed in " + took + " (" + attempt + "): " + error_text;
                    switch (o) {
                        case FailOutcome::retry_scheduled: log_.warning(rid, line + "; retry in " + format_s(retry_in)); break;
                        case FailOutcome::failed_for_good: log_.error(rid, line + "; moved to the failed registry"); break;
                        case FailOutcome::recorded_before: log_.warning(rid, line + "; " + kRecordedBefore); break;
                        case FailOutcome::not_owner:
                            log_.warning(rid, line + "; the job is no longer this worker's (" + not_owner + ")");
                            break;
                    }
                    on_reported(key, false);
                });
}

void Worker::on_reported(std::uint64_t key, bool retry_later) {
    auto it = reports_.find(key);
    if (it == reports_.end()) return;
    if (retry_later) {
        it->second->sent = false;
        it->second->sent_before = true;
        redis_failed("recording job " + it->second->job.id + "'s outcome", "kept, and tried again every second");
        if (!report_timer_.pending()) report_timer_.arm(std::chrono::seconds(1));
        return;
    }
    reports_.erase(it);
    redis_ok();
    maybe_stopped();
}

void Worker::resend() {
    for (auto& [key, r] : reports_)
        if (!r->sent) send_report(key);
}

void Worker::wait_for_work(std::int64_t next_due_ms) {
    if (waiting_ || stopping_) return;
    // Woken by an enqueue; at the latest when the next scheduled job is due,
    // or after 5 s in case a wake-up was missed.
    double seconds = next_due_ms < 0 ? 5.0 : std::clamp(static_cast<double>(next_due_ms) / 1000, 0.01, 5.0);
    char timeout[32];
    std::snprintf(timeout, sizeof timeout, "%.3f", seconds);
    waiting_ = true;
    auto deadline = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)) + settings_.redis_timeout;
    wait_redis_.command({"BLPOP", JobQueue::wake_key(), timeout}, deadline,
                        [this](const redisReply* reply, const std::string& error) {
                            waiting_ = false;
                            if (!error.empty()) {
                                redis_failed("waiting for jobs", error);
                                return;
                            }
                            if (reply->type == REDIS_REPLY_ERROR) {
                                on_wait_refused(std::string(reply->str, reply->len));
                                return;
                            }
                            if (wait_refused_) {
                                wait_refused_ = false;
                                log_.info(kNoRequest, "Redis takes the wait for jobs again");
                            }
                            pump();
                        });
}

// An error reply comes at once (a Redis before 6.0 refuses the fractional
// timeout; a wake key of another type): fetching again at once would loop
// fetch and BLPOP at full speed. So each fetch waits a second, as when
// Redis is away; logged once, as the fetches themselves succeed.
void Worker::on_wait_refused(const std::string& error) {
    if (!wait_refused_) {
        log_.error(kNoRequest, "Redis refused the wait for jobs (" + error + "); fetching every second instead");
        wait_refused_ = true;
    }
    if (!retry_timer_.pending()) retry_timer_.arm(std::chrono::seconds(1));
}

void Worker::redis_failed(const std::string& what, const std::string& error) {
    if (!redis_down_) {
        log_.error(kNoRequest, "Redis failed while " + what + ": " + error + "; trying again every second");
        redis_down_ = true;
    }
    if (!retry_timer_.pending()) retry_timer_.arm(std::chrono::seconds(1));
}

void Worker::redis_ok() {
    if (!redis_down_) return;
    redis_down_ = false;
    log_.info(kNoRequest, "Redis answers again; taking jobs");
}

void Worker::tick() {
    // Every token this worker knows: the heartbeat returns to their queue the
    // jobs of its list that hold any other.
    std::vector<std::string> held(fetching_.begin(), fetching_.end());
    for (const auto& [key, run] : runs_) held.push_back(run->job.token);
    for (const auto& [key, r] : reports_) held.push_back(r->job.token);
    queue_.heartbeat(id_, fetches_sent_, held, [this](std::int64_t returned, const std::string& error) {
        if (!error.empty()) {
            redis_failed("sending a heartbeat", error);
            return;
        }
        if (returned > 0)
            log_.warning(kNoRequest, "returned " + std::to_string(returned) +
                                         " job(s) that this worker held in Redis but did not run to the head of their "
                                         "queue (taken by a fetch whose reply was lost, or during a shutdown)");
    });
    queue_.reap(settings_.policy, [this](ReapCounts c, const std::string& error) {
        if (error.empty() && c.dead_workers > 0)
            log_.warning(kNoRequest, "found " + std::to_string(c.dead_workers) + " dead worker(s): returned " +
                                         std::to_string(c.requeued) + " job(s) to the head of their queue, " +
                                         std::to_string(c.failed) + " to the failed registry");
    });
    tick_timer_.arm(settings_.heartbeat);
}

void Worker::drain(std::chrono::seconds timeout, std::function<void()> done) {
    stopping_ = true;
    on_drained_ = std::move(done);
    drain_timer_.arm(timeout);
    maybe_stopped();
}

void Worker::maybe_stopped() {
    // The give-back returns every job still held, also those that fetches
    // whose replies were lost took.
    if (!stopping_ || !on_drained_ || !runs_.empty() || !reports_.empty() || !fetching_.empty()) return;
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    drain_timer_.cancel();
    give_back_and(std::move(done));
}

void Worker::hurry(std::function<void()> done) {
    stopping_ = true;
    on_drained_ = nullptr;
    drain_timer_.cancel();
    runs_.clear();  // stops the work: timers cancelled, commands killed
    ended_.clear();
    // Outcomes not yet recorded go first, on the same connection, so that a
    // finished job is not given back to run again.
    for (auto& [key, r] : reports_)
        if (!r->sent) send_report(key);
    give_back_and(std::move(done));
}

void Worker::give_back_and(std::function<void()> done) {
    // After the give-back, this worker holds nothing and sends no heartbeat
    // that would count it live again.
    tick_timer_.cancel();
    retry_timer_.cancel();
    report_timer_.cancel();
    queue_.give_back(id_, [this, done = std::move(done)](std::int64_t returned, const std::string& error) {
        if (!error.empty())
            log_.error(kNoRequest, "could not return this worker's jobs to their queues (" + error +
                                       "); another worker returns them once WORKER_TIMEOUT_MS has passed");
        else if (returned > 0)
            log_.info(kNoRequest, "returned " + std::to_string(returned) + " unfinished job(s) to the head of their queue");
        done();
    });
}

}  // namespace usersuite
