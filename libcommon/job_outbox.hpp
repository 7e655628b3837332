// The outbox of the job queue: jobs written to PostgreSQL's job_outbox in the
// same statement as the change they belong to (UsersStore::create), so that
// the change and its job are committed together or not at all, then moved
// into the Redis queue (job_queue.hpp) by this relay.
//
// A round claims up to 100 rows for a minute (FOR UPDATE SKIP LOCKED, so two
// processes never take the same row), queues each, deletes the ones Redis
// took and unclaims the rest, which stay while Redis is away and go in a
// later round: one each second, and one at each kick. Each row carries its
// job's id, and queueing an id Redis already holds adds nothing: a row
// queued again (a reply lost to a timeout, or a process that stopped or
// died between queueing and deleting it, whose claim then runs out) is
// still one job, as long as the job's record lasts (JOB_RESULT_TTL).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/log.hpp"

namespace usersuite {

class JobQueue;
class PgClient;

class JobOutbox {
public:
    JobOutbox(EventLoop& loop, PgClient& db, JobQueue& jobs, std::chrono::milliseconds db_timeout);

    // Rounds every second from now on.
    void start();
    // A row was just committed: a round that starts after this call moves it;
    // done runs when that round is over, whether Redis took the row or not.
    void kick(std::function<void()> done);

private:
    struct Row;
    void round();
    void queue_rows(std::vector<Row> rows);
    void finish_round(bool more);

    PgClient& db_;
    JobQueue& jobs_;
    std::chrono::milliseconds db_timeout_;
    Logger log_{"outbox"};
    Timer poll_;
    bool busy_ = false;
    std::vector<std::function<void()>> in_round_;    // told when this round ends
    std::vector<std::function<void()>> next_round_;  // kicked during a round
    // Logged once each, not every second.
    std::string db_problem_;
    std::string redis_problem_;
    // After a round in which Redis took nothing, registrations do not try
    // again (each would claim and unclaim rows) until the next poll.
    std::chrono::steady_clock::time_point redis_away_until_;
};

}  // namespace usersuite
