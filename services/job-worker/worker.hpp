// The worker: takes jobs (high, then default, then low) while it has free
// slots, runs each through its type's handler, and reports the outcome with
// the job's owner token. An idle worker waits in BLPOP on a second Redis
// connection, woken by each enqueue or by the next scheduled job's time.
// Every heartbeat it also reaps dead workers' jobs.
//
// An outcome that cannot be reported (Redis away) is kept and retried every
// second: a job leaves the worker's list only when Redis has recorded it.
// Whatever a fetch took when its reply was lost stays in that list unknown
// to the worker: each heartbeat returns such jobs to their queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "libcommon/drainable.hpp"
#include "libcommon/event_loop.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/log.hpp"
#include "services/job-worker/job_types.hpp"

namespace usersuite {

class RedisClient;

struct WorkerSettings {
    std::size_t concurrency = 10;
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::seconds job_timeout{180};
    std::chrono::milliseconds redis_timeout{1000};
    WorkerPolicy policy;
};

class Worker : public Drainable {
public:
    // redis carries every command; wait_redis only the blocking BLPOP.
    Worker(EventLoop& loop, RedisClient& redis, RedisClient& wait_redis, WorkerSettings settings, JobHandlers handlers);
    ~Worker() override;

    const std::string& id() const { return id_; }
    void start();

    std::size_t in_flight() const override { return runs_.size() + reports_.size(); }
    const char* in_flight_noun() const override { return "job(s)"; }
    void drain(std::chrono::seconds timeout, std::function<void()> done) override;
    void hurry(std::function<void()> done) override;

private:
    struct Run;
    struct Report;

    void pump();
    void on_fetched(const std::string& token, std::optional<Job> job, std::int64_t next_due_ms, const std::string& error);
    void start_job(Job job);
    void on_job_done(std::uint64_t run_id, JobOutcome outcome);
    void report(std::unique_ptr<Report> r);
    void send_report(std::uint64_t key);
    void on_reported(std::uint64_t key, bool retry_later);
    void resend();
    void wait_for_work(std::int64_t next_due_ms);
    void on_wait_refused(const std::string& error);
    void redis_failed(const std::string& what, const std::string& error);
    void redis_ok();
    void tick();
    void maybe_stopped();
    void give_back_and(std::function<void()> done);

    EventLoop& loop_;
    RedisClient& wait_redis_;
    JobQueue queue_;
    WorkerSettings settings_;
    JobHandlers handlers_;
    std::string id_;
    Logger log_{"worker"};

    std::uint64_t next_run_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Run>> runs_;
    std::list<std::unique_ptr<Run>> ended_;  // destroyed on the next turn, never inside their own callback
    std::map<std::uint64_t, std::unique_ptr<Report>> reports_;  // by run id
    std::uint64_t fetches_sent_ = 0;  // numbers the fetch tokens
    std::set<std::string> fetching_;  // tokens of the fetches in flight
    bool waiting_ = false;
    bool wait_refused_ = false;  // Redis answered the wait with an error
    bool redis_down_ = false;
    bool stopping_ = false;
    std::function<void()> on_drained_;
    std::mt19937_64 random_;

    Timer retry_timer_;     // fetching again after Redis failed or refused the wait
    Timer tick_timer_;      // heartbeat and reaping
    Timer cleanup_timer_;   // frees ended runs
    Timer report_timer_;    // reports Redis could not take
    Timer drain_timer_;
};

}  // namespace usersuite
