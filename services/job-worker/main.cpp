// job-worker: runs the jobs of the Redis queues high, default and low
// (welcome e-mail, noop), WORKER_CONCURRENCY at a time. It serves no HTTP;
// its health is its heartbeat in Redis (jobctl stats counts live workers).
#include <signal.h>

#include <chrono>
#include <iostream>

#include "libcommon/daemon.hpp"
#include "libcommon/redis_client.hpp"
#include "services/job-worker/job_types.hpp"
#include "services/job-worker/worker.hpp"

using namespace usersuite;

namespace {
const DaemonInfo kInfo = {
    "job-worker", kJobWorker, nullptr,
    "job-worker runs the user suite's background jobs from the Redis queues high, default and low.",
    "TERM/INT stop taking jobs, let running ones finish within SHUTDOWN_TIMEOUT, return the rest to the head of "
    "their queue and exit 0 (a second one does that at once); HUP reopens the log files."};

WorkerSettings worker_settings(const Config& config) {
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    WorkerSettings s;
    s.concurrency = static_cast<std::size_t>(config.integer("WORKER_CONCURRENCY"));
    s.heartbeat = milliseconds(config.integer("WORKER_HEARTBEAT_MS"));
    s.job_timeout = seconds(config.integer("JOB_TIMEOUT"));
    s.redis_timeout = milliseconds(config.integer("REDIS_TIMEOUT_MS"));
    s.policy.max_attempts = static_cast<int>(config.integer("JOB_MAX_ATTEMPTS"));
    s.policy.retry_delay = milliseconds(config.integer("JOB_RETRY_DELAY_MS"));
    s.policy.retry_max_delay = milliseconds(config.integer("JOB_RETRY_MAX_DELAY_MS"));
    s.policy.result_ttl = seconds(config.integer("JOB_RESULT_TTL"));
    s.policy.failed_ttl = seconds(config.integer("JOB_FAILED_TTL"));
    s.policy.worker_timeout = milliseconds(config.integer("WORKER_TIMEOUT_MS"));
    if (s.policy.worker_timeout < 2 * s.heartbeat)
        throw ConfigError("WORKER_TIMEOUT_MS", "must be at least two WORKER_HEARTBEAT_MS, or live workers count as dead");
    return s;
}
}  // namespace

int main(int argc, char** argv) {
    auto started = std::chrono::steady_clock::now();
    DaemonOptions options = parse_daemon_options(argc, argv, kInfo);
    return run_daemon_main(kInfo, [&] {
        Config config = load_daemon_config(kInfo, options);
        WorkerSettings settings = worker_settings(config);
        EventLoop loop;
        JobHandlers handlers = {{"noop", noop_job(loop)}, {"send_email", send_email_job(loop, config)}};
        if (options.check_only) {
            std::cout << "configuration OK\n";
            return 0;
        }
        open_daemon_logs(kInfo, config);

        // The commands it runs are reaped through pidfds; an inherited "ignore
        // SIGCHLD" would have the kernel reap them first, exit statuses lost.
        ::signal(SIGCHLD, SIG_DFL);
        RedisEndpoint redis_at = redis_endpoint(config);
        RedisClient redis(loop, redis_at);
        RedisClient wait_redis(loop, redis_at);
        Worker worker(loop, redis, wait_redis, settings, std::move(handlers));
        worker.start();

        DaemonSignals signals(loop, worker, std::chrono::seconds(config.integer("SHUTDOWN_TIMEOUT")));
        log_process_up(kInfo,
                       "redis " + redis_at.where() + " as worker " + worker.id() +
                           ", " + std::to_string(settings.concurrency) + " job(s) at once",
                       started);
        loop.run();
        return 0;
    });
}
