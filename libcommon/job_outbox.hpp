// The outbox of the job queue: jobs written to PostgreSQL's job_outbox in the
// same statement as the change they belong to (UsersStore::create), so that
// the change and its job are committed together or not at all, then moved
// into the Redis queue (job_queue.hpp) by this relay.
//
// A round claims up to 100 rows for a minute (FOR UPDATE SKIP LOCKED, so two
// processes never take the same row), queues each, deletes the ones Redis
// took and unclaims the rest, which stay while Redis is away and go in a
// later round: one each second, and one at each kick. A process that dies
// between queueing a row and deleting it leaves the claim to run out; the
// row is then queued again, so a job is queued at least once, never lost.
#pragma once

#include <chrono>
#include <functional>
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
    std::string last_problem_;                       // logged once, not every second
};

}  // namespace usersuite
