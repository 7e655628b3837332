// The job queue protocol on Redis, both sides: enqueue (auth-api, jobctl)
// and work (job-worker). Every step that moves a job is one Lua script, so a
// job is always in exactly one place, and the scripts take the time from
// Redis (TIME), so workers on several machines share one clock.
//
// Keys (prefix usersuite:jobs:):
//   queue:high|default|low   LIST of job ids; enqueue at the tail, take from the head
//   job:ID                   HASH: id type args queue request_id status created_at
//                            enqueued_at run_at started_at ended_at attempts worker
//                            token result error; times are Unix milliseconds
//   scheduled                ZSET id -> due time: delayed jobs and retries
//   failed                   ZSET id -> time it failed for good
//   workers                  ZSET worker id -> time of its last heartbeat
//   worker:W:jobs            LIST of the ids worker W holds
//   wake                     LIST of tokens an idle worker BLPOPs on
//
// Transitions (status):
//   enqueue     -> queued (RPUSH) | scheduled (ZADD, with run_at)
//   fetch       queued -> started: LPOP of the first non-empty queue, RPUSH
//               to worker:W:jobs, attempts+1 and a new owner token, in one
//               script; due scheduled jobs are promoted to queued first
//   finish      started -> finished (EXPIRE JOB_RESULT_TTL), only with the token
//   fail        started -> scheduled (retry with backoff) | failed, only with the token
//               (both keep the token, so that a report sent again after its
//               reply was lost is known as recorded, not as taken over)
//   give back   started -> queued at the head of its queue (SIGTERM), attempts-1
//   heartbeat   also the same for each job of the worker's list that it does
//               not know it holds (a fetch whose reply was lost took it),
//               and drops the ids whose record is gone or not its own
//   reap        a worker silent for WORKER_TIMEOUT_MS is dead: its jobs go to
//               the head of their queue, or to failed once attempts reached
//               JOB_MAX_ATTEMPTS; their tokens are cleared, so the dead
//               worker, should it come back, can no longer finish them
//   requeue     failed -> queued, attempts 0
//   purge       a queue's jobs are deleted
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace usersuite {

class RedisClient;

// high, default, low: the order a worker takes them in.
const std::vector<std::string>& job_queue_names();
bool is_job_queue_name(const std::string& name);
// A job type: 1 to 64 of [a-z0-9_].
bool is_job_type(const std::string& type);

// The wait before retry number `attempt` (1 = the first retry): base doubled
// per attempt, at most max_delay, then "equal jitter": a uniform draw in
// [half, whole] of it, from jitter in [0, 1).
std::chrono::milliseconds job_retry_delay(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds max_delay, double jitter);

struct NewJob {
    // Empty: a new id. Given (job_outbox.hpp): queueing the job again under
    // it changes nothing while its record lasts, so a retried enqueue whose
    // first reply was lost does not run the job twice.
    std::string id;
    std::string type;
    std::string args = "{}";  // a JSON object, checked by the caller
    std::string queue = "default";
    std::string request_id = "-";
    std::chrono::milliseconds delay{0};
};

// A job as the worker holding it sees it.
struct Job {
    std::string id;
    std::string type;
    std::string args;
    std::string queue;
    std::string request_id;
    std::string token;  // owner token of this delivery
    int attempts = 0;   // this run included
    std::int64_t enqueued_at = 0;
    std::int64_t started_at = 0;
};

// A job's fields as stored, for jobctl.
using JobRecord = std::map<std::string, std::string>;

struct QueueStats {
    std::map<std::string, std::int64_t> queued;  // per queue
    std::int64_t scheduled = 0;
    std::int64_t started = 0;
    std::int64_t failed = 0;
    std::int64_t workers = 0;  // live: a heartbeat within WORKER_TIMEOUT_MS
};

// A live worker, for jobctl.
struct WorkerInfo {
    std::string id;
    std::int64_t heartbeat_ms_ago = 0;
    std::int64_t jobs = 0;  // the ids its list holds
};

struct ReapCounts {
    std::int64_t requeued = 0;
    std::int64_t failed = 0;
    std::int64_t dead_workers = 0;
};

// recorded_before: this token's report was recorded already (its reply was
// lost); not_owner: the token no longer owns the job (its lease was taken
// over, or its record is gone).
enum class FinishOutcome { finished, recorded_before, not_owner };
enum class FailOutcome { retry_scheduled, failed_for_good, recorded_before, not_owner };

struct WorkerPolicy {
    int max_attempts = 5;
    std::chrono::milliseconds retry_delay{1000};
    std::chrono::milliseconds retry_max_delay{300000};
    std::chrono::seconds result_ttl{500};
    std::chrono::seconds failed_ttl{604800};
    std::chrono::milliseconds worker_timeout{10000};
};

// error is empty on success; otherwise Redis was away or answered an error,
// and the other arguments are empty.
class JobQueue {
public:
    JobQueue(RedisClient& redis, std::chrono::milliseconds timeout);

    static std::string wake_key();
    // HOST:PID:RANDOM, HOST as gethostname() gives it.
    static std::string new_worker_id();
    // The worker id is one of host's: it starts with "host:".
    static bool is_worker_on_host(const std::string& worker, const std::string& host);
    // The owner token of a worker's fetch number `number` (1, 2, ...), new
    // each time: the number lets heartbeat() leave alone the fetches sent
    // after the ones it knows about.
    static std::string fetch_token(std::uint64_t number);

    void enqueue(const NewJob& job, std::function<void(const std::string& id, const std::string& error)> cb);

    // A job, or none with the milliseconds until the next scheduled one is
    // due (-1: none scheduled). token: fetch_token(); when the reply is lost,
    // the next heartbeat returns what the fetch took.
    using FetchCallback =
        std::function<void(std::optional<Job> job, std::int64_t next_due_ms, const std::string& error)>;
    void fetch(const std::string& worker, const std::string& token, FetchCallback cb);
    void finish(const std::string& worker, const Job& job, const std::string& result_json,
                const WorkerPolicy& policy, std::function<void(FinishOutcome, const std::string& error)> cb);
    void fail(const std::string& worker, const Job& job, const std::string& why, const WorkerPolicy& policy,
              double jitter, std::function<void(FailOutcome, std::chrono::milliseconds retry_in, const std::string& error)> cb);
    // The worker is alive. Each job of its list whose token is not in held
    // and was not made after fetch number last_fetch goes back to the head
    // of its queue, the attempt uncounted; returned says how many did.
    void heartbeat(const std::string& worker, std::uint64_t last_fetch, const std::vector<std::string>& held,
                   std::function<void(std::int64_t returned, const std::string& error)> cb);
    void reap(const WorkerPolicy& policy, std::function<void(ReapCounts, const std::string& error)> cb);
    void give_back(const std::string& worker, std::function<void(std::int64_t returned, const std::string& error)> cb);

    void stats(std::chrono::milliseconds worker_timeout, std::function<void(QueueStats, const std::string& error)> cb);
    // The workers whose heartbeat is younger than worker_timeout (those reap
    // leaves alone), oldest heartbeat first.
    void workers(std::chrono::milliseconds worker_timeout,
                 std::function<void(std::vector<WorkerInfo>, const std::string& error)> cb);
    // record absent: no such job (never existed, or expired).
    void status(const std::string& id, std::function<void(std::optional<JobRecord>, const std::string& error)> cb);
    void failed(std::function<void(std::vector<JobRecord>, const std::string& error)> cb);
    // id empty: every failed job. count: the jobs moved back to their queue.
    void requeue(const std::string& id, std::function<void(std::int64_t count, const std::string& error)> cb);
    // name: a queue, "scheduled" or "failed"; count: the jobs deleted.
    void purge(const std::string& name, std::function<void(std::int64_t count, const std::string& error)> cb);

private:
    RedisClient& redis_;
    std::chrono::milliseconds timeout_;
};

}  // namespace usersuite
