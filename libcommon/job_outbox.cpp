#include "libcommon/job_outbox.hpp"

#include <libpq-fe.h>

#include <memory>

#include "libcommon/batched_lookup.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/pg_client.hpp"

namespace usersuite {

namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);
constexpr int kRoundRows = 100;

const std::string kClaim =
    "UPDATE job_outbox SET claimed_until = now() + interval '1 minute' WHERE id IN ("
    "SELECT id FROM job_outbox WHERE claimed_until < now() ORDER BY id LIMIT " +
    std::to_string(kRoundRows) +
    " FOR UPDATE SKIP LOCKED) RETURNING id, job_id, type, queue, args, request_id, coalesce(user_id::text, '')";
const char* const kDelete = "DELETE FROM job_outbox WHERE id = ANY($1::bigint[])";
const char* const kUnclaim = "UPDATE job_outbox SET claimed_until = '-infinity' WHERE id = ANY($1::bigint[])";

}  // namespace

struct JobOutbox::Row {
    std::string id;
    NewJob job;
    std::string user_id;
};

JobOutbox::JobOutbox(EventLoop& loop, PgClient& db, JobQueue& jobs, std::chrono::milliseconds db_timeout)
    : db_(db), jobs_(jobs), db_timeout_(db_timeout), poll_(loop, [this] {
          poll_.arm(kPollInterval);
          if (!busy_) round();
      }) {}

void JobOutbox::start() { poll_.arm(kPollInterval); }

void JobOutbox::kick(std::function<void()> done) {
    if (std::chrono::steady_clock::now() < redis_away_until_) {
        done();  // the row waits for the next round of the poll
        return;
    }
    if (busy_) {
        next_round_.push_back(std::move(done));
        return;
    }
    in_round_.push_back(std::move(done));
    round();
}

void JobOutbox::round() {
    busy_ = true;
    db_.query(kClaim, {}, db_timeout_, PgStatement::write, [this](PgResult result, const std::string& error) {
        if (!error.empty()) {
            if (error != db_problem_) log_.warning(kNoRequest, "cannot read the job outbox: " + error);
            db_problem_ = error;
            finish_round(false);
            return;
        }
        db_problem_.clear();
        std::vector<Row> rows;
        for (int i = 0; i < PQntuples(result.get()); ++i) {
            Row row;
            row.id = PQgetvalue(result.get(), i, 0);
            row.job.id = PQgetvalue(result.get(), i, 1);
            row.job.type = PQgetvalue(result.get(), i, 2);
            row.job.queue = PQgetvalue(result.get(), i, 3);
            row.job.args = PQgetvalue(result.get(), i, 4);
            row.job.request_id = PQgetvalue(result.get(), i, 5);
            row.user_id = PQgetvalue(result.get(), i, 6);
            rows.push_back(std::move(row));
        }
        queue_rows(std::move(rows));
    });
}

// Each row to Redis, then one statement deletes the rows it took and one
// unclaims the rest.
void JobOutbox::queue_rows(std::vector<Row> rows) {
    if (rows.empty()) {
        finish_round(false);
        return;
    }
    struct Tally {
        std::size_t waiting;
        bool full_round;
        std::vector<std::string> queued;
        std::vector<std::string> left;
        std::string problem;
    };
    auto tally = std::make_shared<Tally>(Tally{rows.size(), rows.size() == kRoundRows, {}, {}, {}});
    auto settle = [this, tally] {
        if (!tally->left.empty()) {
            std::string problem = std::to_string(tally->left.size()) + " job(s) stay in the outbox until Redis takes them: " +
                                  tally->problem;
            if (tally->problem != redis_problem_) log_.warning(kNoRequest, problem);
            redis_problem_ = tally->problem;
            db_.query(kUnclaim, {pg_text_array(tally->left)}, db_timeout_, PgStatement::write, [](PgResult, const std::string&) {
                // Best effort: a claim that stays runs out within a minute.
            });
            // Redis took none: registrations stop trying until the next poll.
            if (tally->queued.empty()) redis_away_until_ = std::chrono::steady_clock::now() + kPollInterval;
        } else {
            redis_problem_.clear();
        }
        if (tally->queued.empty()) {
            finish_round(false);
            return;
        }
        db_.query(kDelete, {pg_text_array(tally->queued)}, db_timeout_, PgStatement::write,
                  [this, tally](PgResult, const std::string& error) {
                      // A row not deleted is queued again when its claim runs out.
                      if (!error.empty())
                          log_.error(kNoRequest, "queued jobs stay in the outbox, to be queued again: " + error);
                      finish_round(tally->full_round && tally->left.empty());
                  });
    };
    for (Row& row : rows) {
        jobs_.enqueue(row.job, [this, tally, settle, row](const std::string& job_id, const std::string& error) {
            if (error.empty()) {
                tally->queued.push_back(row.id);
                log_.info(row.job.request_id, row.job.type + " job" +
                                                  (row.user_id.empty() ? "" : " for user " + row.user_id) +
                                                  " queued as job " + job_id);
            } else {
                tally->left.push_back(row.id);
                tally->problem = error;
            }
            if (--tally->waiting == 0) settle();
        });
    }
}

void JobOutbox::finish_round(bool more) {
    busy_ = false;
    auto told = std::move(in_round_);
    in_round_ = std::move(next_round_);
    next_round_.clear();
    for (auto& done : told) done();
    if (!busy_ && (more || !in_round_.empty())) round();
}

}  // namespace usersuite
