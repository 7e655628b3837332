// Enqueues jobs at a steady rate through libcommon's JobQueue (the enqueue
// of auth-api and jobctl), so that `make bench` measures the enqueue-to-start
// latency of evenly spaced jobs rather than of jobctl's bursts. Prints each
// job's id, then on stderr how many it queued in how long.
//   usage: job-pace REDIS_URL RATE SECONDS TYPE JSON
// exit status: 0 every job queued, 1 Redis refused one, 2 usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/log.hpp"
#include "libcommon/redis_client.hpp"

using namespace usersuite;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: job-pace REDIS_URL RATE SECONDS TYPE JSON\n");
        return 2;
    }
    const double rate = std::atof(argv[2]);
    const double seconds = std::atof(argv[3]);
    const auto total = static_cast<std::int64_t>(rate * seconds);
    if (rate <= 0 || total < 1) {
        std::fprintf(stderr, "job-pace: RATE and SECONDS must be positive\n");
        return 2;
    }
    log_open("job-pace", "", LogLevel::warning);  // not the "connected" line
    EventLoop loop;
    RedisClient redis(loop, redis_endpoint_from_url("REDIS_URL", argv[1]));
    JobQueue queue(redis, std::chrono::milliseconds(5000));
    NewJob job;
    job.type = argv[4];
    job.args = argv[5];

    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(total));
    std::int64_t sent = 0, answered = 0, failed = 0;
    const Clock::time_point start = Clock::now();
    Clock::time_point last_answer = start;
    // Every millisecond, the jobs due by now: RATE a second, evenly spread.
    Timer tick(loop, [&] {
        double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        auto due = std::min(total, static_cast<std::int64_t>(elapsed * rate) + 1);
        for (; sent < due; ++sent)
            queue.enqueue(job, [&](const std::string& id, const std::string& error) {
                ++answered;
                last_answer = Clock::now();
                if (error.empty())
                    ids.push_back(id);
                else if (failed++ == 0)
                    std::fprintf(stderr, "job-pace: %s\n", error.c_str());
                if (answered == total) loop.stop();
            });
        if (sent < total) tick.arm(std::chrono::milliseconds(1));
    });
    tick.arm(std::chrono::milliseconds(0));
    loop.run();

    std::string out;
    for (const std::string& id : ids) out += id + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    double took = std::chrono::duration<double>(last_answer - start).count();
    std::fprintf(stderr, "job-pace: %lld job(s) queued in %.2f s (%.0f/s), %lld refused\n",
                 static_cast<long long>(ids.size()), took, static_cast<double>(ids.size()) / took,
                 static_cast<long long>(failed));
    return failed == 0 ? 0 : 1;
}
