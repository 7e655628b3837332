#include "libcommon/job_queue.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "libcommon/redis_client.hpp"
#include "libcommon/redis_script.hpp"
#include "libcommon/request_id.hpp"

namespace usersuite {

namespace {

// Shared by every script: the key prefix, Redis's clock, waking an idle
// worker, and moving a job to the failed registry. The job keys are built
// inside the scripts, which a single Redis (not a cluster) allows.
#define JOBS_PRELUDE                                                                          \
    "local P = 'usersuite:jobs:' "                                                            \
    "local t = redis.call('TIME') "                                                           \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "                  \
    "local function wake(n) "                                                                 \
    "  for i = 1, math.min(n, 64) do redis.call('RPUSH', P .. 'wake', '1') end "               \
    "  redis.call('LTRIM', P .. 'wake', -64, -1) "                                            \
    "end "                                                                                    \
    "local function to_failed(id, why, ttl, token) "                                          \
    "  local key = P .. 'job:' .. id "                                                        \
    "  redis.call('HSET', key, 'status', 'failed', 'error', why, 'ended_at', now, 'token', token) " \
    "  redis.call('ZADD', P .. 'failed', now, id) "                                           \
    "  redis.call('EXPIRE', key, ttl) "                                                       \
    "end "

// ARGV: id type args queue request_id delay_ms
const RedisScript kEnqueueScript{JOBS_PRELUDE
    "local key = P .. 'job:' .. ARGV[1] "
    // The same id again is the same job (an outbox row queued twice): no-op.
    "if redis.call('EXISTS', key) == 1 then return ARGV[1] end "
    "local delay = tonumber(ARGV[6]) "
    "redis.call('HSET', key, 'id', ARGV[1], 'type', ARGV[2], 'args', ARGV[3], 'queue', ARGV[4], "
    "  'request_id', ARGV[5], 'created_at', now, 'enqueued_at', now, 'attempts', 0) "
    "if delay > 0 then "
    "  redis.call('HSET', key, 'status', 'scheduled', 'run_at', now + delay) "
    "  redis.call('ZADD', P .. 'scheduled', now + delay, ARGV[1]) "
    "else "
    "  redis.call('HSET', key, 'status', 'queued') "
    "  redis.call('RPUSH', P .. 'queue:' .. ARGV[4], ARGV[1]) "
    "end "
    // A delayed job wakes an idle worker too, so that it learns the new due time.
    "wake(1) "
    "return ARGV[1]"};

// ARGV: worker token. Promotes due scheduled jobs, then takes the head of
// the first non-empty queue into the worker's list. Returns the job as
// {id type args queue request_id attempts enqueued_at started_at}, or the
// milliseconds until the next scheduled job (-1: none).
const RedisScript kFetchScript{JOBS_PRELUDE
    "redis.call('ZADD', P .. 'workers', now, ARGV[1]) "
    "local due = redis.call('ZRANGEBYSCORE', P .. 'scheduled', '-inf', now, 'LIMIT', 0, 100) "
    "for _, id in ipairs(due) do "
    "  redis.call('ZREM', P .. 'scheduled', id) "
    "  local key = P .. 'job:' .. id "
    "  local q = redis.call('HGET', key, 'queue') "
    "  if q then "
    "    redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now) "
    "    redis.call('RPUSH', P .. 'queue:' .. q, id) "
    "  end "
    "end "
    "for _, q in ipairs({'high', 'default', 'low'}) do "
    "  while true do "
    "    local id = redis.call('LPOP', P .. 'queue:' .. q) "
    "    if not id then break end "
    "    local key = P .. 'job:' .. id "
    "    if redis.call('EXISTS', key) == 1 then "
    "      local attempts = redis.call('HINCRBY', key, 'attempts', 1) "
    "      redis.call('HSET', key, 'status', 'started', 'started_at', now, 'worker', ARGV[1], 'token', ARGV[2]) "
    "      redis.call('RPUSH', P .. 'worker:' .. ARGV[1] .. ':jobs', id) "
    "      local f = redis.call('HMGET', key, 'type', 'args', 'queue', 'request_id', 'enqueued_at') "
    "      return {id, f[1], f[2], f[3], f[4], attempts, tonumber(f[5]), now} "
    "    end "
    "  end "
    "end "
    "local nxt = redis.call('ZRANGE', P .. 'scheduled', 0, 0, 'WITHSCORES') "
    "if nxt[1] then return math.max(0, tonumber(nxt[2]) - now) end "
    "return -1"};

// ARGV: worker id token result result_ttl. 1 when counted; 2 when this
// token's finish was recorded before (a report sent again after its reply
// was lost: the token stays for that); 0 when the token no longer owns the job.
const RedisScript kFinishScript{JOBS_PRELUDE
    "local key = P .. 'job:' .. ARGV[2] "
    "local f = redis.call('HMGET', key, 'status', 'token') "
    "if f[2] ~= ARGV[3] then return 0 end "
    "if f[1] ~= 'started' then return 2 end "
    "redis.call('HSET', key, 'status', 'finished', 'ended_at', now, 'result', ARGV[4]) "
    "redis.call('HDEL', key, 'error') "
    "redis.call('EXPIRE', key, ARGV[5]) "
    "redis.call('LREM', P .. 'worker:' .. ARGV[1] .. ':jobs', 1, ARGV[2]) "
    "return 1"};

// ARGV: worker id token error max_attempts retry_delay_ms failed_ttl.
// 2: a retry is scheduled; 1: failed for good; 3: this token's failure was
// recorded before (as for finish, the token stays); 0: not the owner.
const RedisScript kFailScript{JOBS_PRELUDE
    "local key = P .. 'job:' .. ARGV[2] "
    "local f = redis.call('HMGET', key, 'status', 'token', 'attempts') "
    "if f[2] ~= ARGV[3] then return 0 end "
    "if f[1] ~= 'started' then return 3 end "
    "redis.call('LREM', P .. 'worker:' .. ARGV[1] .. ':jobs', 1, ARGV[2]) "
    "local attempts = tonumber(f[3]) "
    "if attempts < tonumber(ARGV[5]) then "
    "  local at = now + tonumber(ARGV[6]) "
    "  redis.call('HSET', key, 'status', 'scheduled', 'error', ARGV[4], 'run_at', at) "
    "  redis.call('ZADD', P .. 'scheduled', at, ARGV[2]) "
    // An idle worker, maybe this one, learns the retry's due time.
    "  wake(1) "
    "  return 2 "
    "end "
    "to_failed(ARGV[2], ARGV[4], ARGV[7], ARGV[3]) "
    "return 1"};

// ARGV: worker last_fetch held_token... The heartbeat, and a sweep of the
// worker's list. A job there that the worker started but whose token it
// does not hold was taken by a fetch whose reply was lost: it goes back to
// the head of its queue, the attempt uncounted, as in a give back. Tokens
// of fetches after number last_fetch are left alone: such a fetch may run
// before this script (sent again after NOSCRIPT, or sent on a connection
// since dropped and run late) while the worker does not know its job yet.
// An id whose record is gone or not started by this worker leaves the list.
// Returns how many jobs went back.
const RedisScript kHeartbeatScript{JOBS_PRELUDE
    "redis.call('ZADD', P .. 'workers', now, ARGV[1]) "
    "local list = P .. 'worker:' .. ARGV[1] .. ':jobs' "
    "local ids = redis.call('LRANGE', list, 0, -1) "
    "if #ids == 0 then return 0 end "
    "local held = {} "
    "for i = 3, #ARGV do held[ARGV[i]] = true end "
    "local last = tonumber(ARGV[2]) "
    "local n = 0 "
    "for i = #ids, 1, -1 do "
    "  local key = P .. 'job:' .. ids[i] "
    "  local f = redis.call('HMGET', key, 'status', 'worker', 'token', 'queue') "
    "  local token = f[3] or '' "
    "  if f[1] ~= 'started' or f[2] ~= ARGV[1] then "
    "    redis.call('LREM', list, 1, ids[i]) "
    "  elseif not held[token] and (tonumber(string.match(token, '^(%d+)%-')) or 0) <= last then "
    "    redis.call('LREM', list, 1, ids[i]) "
    "    redis.call('HINCRBY', key, 'attempts', -1) "
    "    redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now, 'token', '') "
    "    redis.call('LPUSH', P .. 'queue:' .. f[4], ids[i]) "
    "    n = n + 1 "
    "  end "
    "end "
    "if n > 0 then wake(n) end "
    "return n"};

// ARGV: worker_timeout_ms max_attempts failed_ttl. Returns {requeued failed dead}.
const RedisScript kReapScript{JOBS_PRELUDE
    "local dead = redis.call('ZRANGEBYSCORE', P .. 'workers', '-inf', now - tonumber(ARGV[1])) "
    "local requeued, failed = 0, 0 "
    "for _, w in ipairs(dead) do "
    "  local list = P .. 'worker:' .. w .. ':jobs' "
    "  local ids = redis.call('LRANGE', list, 0, -1) "
    "  for i = #ids, 1, -1 do "
    "    local id = ids[i] "
    "    local key = P .. 'job:' .. id "
    "    local f = redis.call('HMGET', key, 'status', 'worker', 'attempts', 'queue') "
    "    if f[1] == 'started' and f[2] == w then "
    "      local why = 'worker ' .. w .. ' stopped answering during attempt ' .. f[3] "
    "      if tonumber(f[3]) >= tonumber(ARGV[2]) then "
    "        to_failed(id, why, ARGV[3], '') "
    "        failed = failed + 1 "
    "      else "
    "        redis.call('HSET', key, 'status', 'queued', 'error', why, 'enqueued_at', now, 'token', '') "
    "        redis.call('LPUSH', P .. 'queue:' .. f[4], id) "
    "        requeued = requeued + 1 "
    "      end "
    "    end "
    "  end "
    "  redis.call('DEL', list) "
    "  redis.call('ZREM', P .. 'workers', w) "
    "end "
    "redis.call('ZREMRANGEBYSCORE', P .. 'failed', '-inf', now - tonumber(ARGV[3]) * 1000) "
    "if requeued > 0 then wake(requeued) end "
    "return {requeued, failed, #dead}"};

// ARGV: worker. The worker's unfinished jobs go back to the head of their
// queue, in the order it took them; the interrupted run is not counted.
const RedisScript kGiveBackScript{JOBS_PRELUDE
    "local list = P .. 'worker:' .. ARGV[1] .. ':jobs' "
    "local ids = redis.call('LRANGE', list, 0, -1) "
    "local n = 0 "
    "for i = #ids, 1, -1 do "
    "  local key = P .. 'job:' .. ids[i] "
    "  local f = redis.call('HMGET', key, 'status', 'worker', 'queue') "
    "  if f[1] == 'started' and f[2] == ARGV[1] then "
    "    redis.call('HINCRBY', key, 'attempts', -1) "
    "    redis.call('HSET', key, 'status', 'queued', 'enqueued_at', now, 'token', '') "
    "    redis.call('LPUSH', P .. 'queue:' .. f[3], ids[i]) "
    "    n = n + 1 "
    "  end "
    "end "
    "redis.call('DEL', list) "
    "redis.call('ZREM', P .. 'workers', ARGV[1]) "
    "if n > 0 then wake(n) end "
    "return n"};

// ARGV: worker_timeout_ms. {high default low scheduled started failed workers}
const RedisScript kStatsScript{JOBS_PRELUDE
    "local started = 0 "
    "for _, w in ipairs(redis.call('ZRANGE', P .. 'workers', 0, -1)) do "
    "  started = started + redis.call('LLEN', P .. 'worker:' .. w .. ':jobs') "
    "end "
    "return {redis.call('LLEN', P .. 'queue:high'), redis.call('LLEN', P .. 'queue:default'), "
    "  redis.call('LLEN', P .. 'queue:low'), redis.call('ZCARD', P .. 'scheduled'), started, "
    "  redis.call('ZCARD', P .. 'failed'), "
    "  redis.call('ZCOUNT', P .. 'workers', now - tonumber(ARGV[1]), '+inf')}"};

// ARGV: worker_timeout_ms. The workers whose heartbeat is younger than the
// timeout (reap takes the others), oldest heartbeat first:
// {id ms_ago jobs id ms_ago jobs ...}
const RedisScript kWorkersScript{JOBS_PRELUDE
    "local live = redis.call('ZRANGEBYSCORE', P .. 'workers', '(' .. (now - tonumber(ARGV[1])), '+inf', 'WITHSCORES') "
    "local out = {} "
    "for i = 1, #live, 2 do "
    "  table.insert(out, live[i]) "
    "  table.insert(out, now - tonumber(live[i + 1])) "
    "  table.insert(out, redis.call('LLEN', P .. 'worker:' .. live[i] .. ':jobs')) "
    "end "
    "return out"};

// Every failed job's fields, oldest failure first, at most 10000.
const RedisScript kFailedScript{JOBS_PRELUDE
    "local out = {} "
    "for _, id in ipairs(redis.call('ZRANGE', P .. 'failed', 0, 9999)) do "
    "  local h = redis.call('HGETALL', P .. 'job:' .. id) "
    "  if #h > 0 then table.insert(out, h) end "
    "end "
    "return out"};

// ARGV: id, or '' for every failed job. Returns how many were requeued.
const RedisScript kRequeueScript{JOBS_PRELUDE
    "local ids = {ARGV[1]} "
    "if ARGV[1] == '' then ids = redis.call('ZRANGE', P .. 'failed', 0, -1) end "
    "local n = 0 "
    "for _, id in ipairs(ids) do "
    "  local key = P .. 'job:' .. id "
    "  if redis.call('ZREM', P .. 'failed', id) == 1 and redis.call('EXISTS', key) == 1 then "
    "    local q = redis.call('HGET', key, 'queue') "
    "    redis.call('HSET', key, 'status', 'queued', 'attempts', 0, 'enqueued_at', now) "
    "    redis.call('HDEL', key, 'ended_at', 'started_at', 'worker', 'run_at') "
    "    redis.call('PERSIST', key) "
    "    redis.call('RPUSH', P .. 'queue:' .. q, id) "
    "    n = n + 1 "
    "  end "
    "end "
    "if n > 0 then wake(n) end "
    "return n"};

// ARGV: a queue name, 'scheduled' or 'failed'. Returns how many jobs were deleted.
const RedisScript kPurgeScript{JOBS_PRELUDE
    "local ids "
    "local key "
    "if ARGV[1] == 'scheduled' or ARGV[1] == 'failed' then "
    "  key = P .. ARGV[1] "
    "  ids = redis.call('ZRANGE', key, 0, -1) "
    "else "
    "  key = P .. 'queue:' .. ARGV[1] "
    "  ids = redis.call('LRANGE', key, 0, -1) "
    "end "
    "for _, id in ipairs(ids) do redis.call('DEL', P .. 'job:' .. id) end "
    "redis.call('DEL', key) "
    "return #ids"};

std::string reply_string(const redisReply* r) {
    return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string(r->str, r->len)
                                                                                          : std::string();
}

std::int64_t reply_integer(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : 0; }

// The error of a reply that is not of the expected type, or "".
std::string reply_error(const redisReply* reply, const std::string& error, int expected_type) {
    if (!error.empty()) return error;
    if (reply->type == REDIS_REPLY_ERROR) return "Redis: " + std::string(reply->str, reply->len);
    if (reply->type != expected_type) return "Redis: unexpected reply type " + std::to_string(reply->type);
    return "";
}

JobRecord record_of(const redisReply* flat) {
    JobRecord rec;
    for (std::size_t i = 0; i + 1 < flat->elements; i += 2)
        rec[reply_string(flat->element[i])] = reply_string(flat->element[i + 1]);
    return rec;
}


std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }

}  // namespace

const std::vector<std::string>& job_queue_names() {
    static const std::vector<std::string> names = {"high", "default", "low"};
    return names;
}

bool is_job_queue_name(const std::string& name) {
    const auto& n = job_queue_names();
    return std::find(n.begin(), n.end(), name) != n.end();
}

bool is_job_type(const std::string& type) {
    if (type.empty() || type.size() > 64) return false;
    return std::all_of(type.begin(), type.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::chrono::milliseconds job_retry_delay(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds max_delay, double jitter) {
    double d = static_cast<double>(base.count()) * std::ldexp(1.0, std::clamp(attempt, 1, 63) - 1);
    d = std::min(d, static_cast<double>(max_delay.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(d / 2 + d / 2 * std::clamp(jitter, 0.0, 1.0)));
}

JobQueue::JobQueue(RedisClient& redis, std::chrono::milliseconds timeout) : redis_(redis), timeout_(timeout) {
    for (const RedisScript* s : {&kEnqueueScript, &kFetchScript, &kFinishScript, &kFailScript, &kHeartbeatScript,
                                 &kReapScript, &kGiveBackScript, &kStatsScript, &kWorkersScript, &kFailedScript,
                                 &kRequeueScript, &kPurgeScript})
        s->load_on_connect(redis);
}

std::string JobQueue::wake_key() { return "usersuite:jobs:wake"; }

std::string JobQueue::fetch_token(std::uint64_t number) { return std::to_string(number) + "-" + new_request_id(); }

std::string JobQueue::new_worker_id() {
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + ":" + std::to_string(::getpid()) + ":" + new_request_id().substr(0, 8);
}

bool JobQueue::is_worker_on_host(const std::string& worker, const std::string& host) {
    return worker.rfind(host + ":", 0) == 0;
}

void JobQueue::enqueue(const NewJob& job, std::function<void(const std::string&, const std::string&)> cb) {
    kEnqueueScript.run(redis_, {}, {job.id.empty() ? new_request_id() : job.id, job.type, job.args, job.queue, job.request_id,
                                              ms(job.delay)},
                   timeout_, [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_STRING);
                       cb(why.empty() ? reply_string(reply) : "", why);
                   });
}

void JobQueue::fetch(const std::string& worker, const std::string& token, FetchCallback cb) {
    kFetchScript.run(redis_, {}, {worker, token}, timeout_,
                   [cb = std::move(cb), token](const redisReply* reply, const std::string& error) {
                       if (error.empty() && reply->type == REDIS_REPLY_INTEGER) {
                           cb(std::nullopt, reply->integer, "");
                           return;
                       }
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       if (why.empty() && reply->elements != 8) why = "Redis: a fetched job has the wrong shape";
                       if (!why.empty()) {
                           cb(std::nullopt, -1, why);
                           return;
                       }
                       Job job;
                       job.id = reply_string(reply->element[0]);
                       job.type = reply_string(reply->element[1]);
                       job.args = reply_string(reply->element[2]);
                       job.queue = reply_string(reply->element[3]);
                       job.request_id = reply_string(reply->element[4]);
                       job.attempts = static_cast<int>(reply_integer(reply->element[5]));
                       job.enqueued_at = reply_integer(reply->element[6]);
                       job.started_at = reply_integer(reply->element[7]);
                       job.token = token;
                       cb(std::move(job), -1, "");
                   });
}

void JobQueue::finish(const std::string& worker, const Job& job, const std::string& result_json,
                      const WorkerPolicy& policy, std::function<void(FinishOutcome, const std::string&)> cb) {
    kFinishScript.run(redis_, {}, {worker, job.id, job.token, result_json,
                                             std::to_string(policy.result_ttl.count())},
                   timeout_, [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       if (!why.empty()) {
                           cb(FinishOutcome::not_owner, why);
                           return;
                       }
                       cb(reply->integer == 1   ? FinishOutcome::finished
                          : reply->integer == 2 ? FinishOutcome::recorded_before
                                                : FinishOutcome::not_owner,
                          "");
                   });
}

void JobQueue::fail(const std::string& worker, const Job& job, const std::string& why_failed,
                    const WorkerPolicy& policy, double jitter,
                    std::function<void(FailOutcome, std::chrono::milliseconds, const std::string&)> cb) {
    auto delay = job_retry_delay(job.attempts, policy.retry_delay, policy.retry_max_delay, jitter);
    kFailScript.run(redis_, {}, {worker, job.id, job.token, why_failed, std::to_string(policy.max_attempts),
                                           ms(delay), std::to_string(policy.failed_ttl.count())},
                   timeout_, [cb = std::move(cb), delay](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       if (!why.empty()) {
                           cb(FailOutcome::not_owner, {}, why);
                           return;
                       }
                       FailOutcome o = reply->integer == 2   ? FailOutcome::retry_scheduled
                                       : reply->integer == 1 ? FailOutcome::failed_for_good
                                       : reply->integer == 3 ? FailOutcome::recorded_before
                                                             : FailOutcome::not_owner;
                       cb(o, delay, "");
                   });
}

void JobQueue::heartbeat(const std::string& worker, std::uint64_t last_fetch, const std::vector<std::string>& held,
                         std::function<void(std::int64_t, const std::string&)> cb) {
    std::vector<std::string> args = {worker, std::to_string(last_fetch)};
    args.insert(args.end(), held.begin(), held.end());
    kHeartbeatScript.run(redis_, {}, std::move(args), timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       cb(why.empty() ? reply->integer : 0, why);
                   });
}

void JobQueue::reap(const WorkerPolicy& policy, std::function<void(ReapCounts, const std::string&)> cb) {
    kReapScript.run(redis_, {}, {ms(policy.worker_timeout), std::to_string(policy.max_attempts),
                                           std::to_string(policy.failed_ttl.count())},
                   timeout_, [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       ReapCounts c;
                       if (why.empty() && reply->elements == 3) {
                           c.requeued = reply_integer(reply->element[0]);
                           c.failed = reply_integer(reply->element[1]);
                           c.dead_workers = reply_integer(reply->element[2]);
                       }
                       cb(c, why);
                   });
}

void JobQueue::give_back(const std::string& worker, std::function<void(std::int64_t, const std::string&)> cb) {
    kGiveBackScript.run(redis_, {}, {worker}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       cb(why.empty() ? reply->integer : 0, why);
                   });
}

void JobQueue::stats(std::chrono::milliseconds worker_timeout, std::function<void(QueueStats, const std::string&)> cb) {
    kStatsScript.run(redis_, {}, {ms(worker_timeout)}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       QueueStats s;
                       if (why.empty() && reply->elements == 7) {
                           for (std::size_t i = 0; i < 3; ++i)
                               s.queued[job_queue_names()[i]] = reply_integer(reply->element[i]);
                           s.scheduled = reply_integer(reply->element[3]);
                           s.started = reply_integer(reply->element[4]);
                           s.failed = reply_integer(reply->element[5]);
                           s.workers = reply_integer(reply->element[6]);
                       }
                       cb(std::move(s), why);
                   });
}

void JobQueue::workers(std::chrono::milliseconds worker_timeout,
                       std::function<void(std::vector<WorkerInfo>, const std::string&)> cb) {
    kWorkersScript.run(redis_, {}, {ms(worker_timeout)}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       if (why.empty() && reply->elements % 3 != 0) why = "Redis: the list of workers has the wrong shape";
                       std::vector<WorkerInfo> out;
                       if (why.empty())
                           for (std::size_t i = 0; i < reply->elements; i += 3)
                               out.push_back({reply_string(reply->element[i]), reply_integer(reply->element[i + 1]),
                                              reply_integer(reply->element[i + 2])});
                       cb(std::move(out), why);
                   });
}

void JobQueue::status(const std::string& id, std::function<void(std::optional<JobRecord>, const std::string&)> cb) {
    redis_.command({"HGETALL", "usersuite:jobs:job:" + id}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       if (!why.empty() || reply->elements == 0) {
                           cb(std::nullopt, why);
                           return;
                       }
                       cb(record_of(reply), "");
                   });
}

void JobQueue::failed(std::function<void(std::vector<JobRecord>, const std::string&)> cb) {
    kFailedScript.run(redis_, {}, {}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_ARRAY);
                       std::vector<JobRecord> out;
                       if (why.empty())
                           for (std::size_t i = 0; i < reply->elements; ++i) out.push_back(record_of(reply->element[i]));
                       cb(std::move(out), why);
                   });
}

void JobQueue::requeue(const std::string& id, std::function<void(std::int64_t, const std::string&)> cb) {
    kRequeueScript.run(redis_, {}, {id}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       cb(why.empty() ? reply->integer : 0, why);
                   });
}

void JobQueue::purge(const std::string& name, std::function<void(std::int64_t, const std::string&)> cb) {
    kPurgeScript.run(redis_, {}, {name}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       std::string why = reply_error(reply, error, REDIS_REPLY_INTEGER);
                       cb(why.empty() ? reply->integer : 0, why);
                   });
}

}  // namespace usersuite
