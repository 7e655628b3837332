#include "libcommon/pg_connection.hpp"

#include <event2/event.h>
#include <libpq-fe.h>

#include <utility>

namespace usersuite {

void PgResultDeleter::operator()(pg_result* r) const noexcept { PQclear(r); }

namespace {

// How long after the server's statement_timeout a write's answer (the
// statement's end, or its cancellation) may take to arrive.
constexpr std::chrono::milliseconds kAnswerGrace{1000};

std::string first_line(const char* message) {
    std::string m = message != nullptr ? message : "";
    std::size_t nl = m.find('\n');
    return nl == std::string::npos ? m : m.substr(0, nl);
}

void on_notice(void*, const PGresult* r) {
    Logger("db").info(kNoRequest, "PostgreSQL notice: " + first_line(PQresultErrorMessage(r)));
}

}  // namespace

PgConnection::PgConnection(EventLoop& loop, std::string url, std::string application_name, bool echo,
                           std::chrono::milliseconds statement_timeout)
    : loop_(loop),
      url_(std::move(url)),
      application_name_(std::move(application_name)),
      echo_(echo),
      statement_timeout_(statement_timeout),
      // Timestamps come back in one known form, ISO 8601 in UTC, whatever
      // the server's defaults (users_store.cpp reads them).
      options_("-c statement_timeout=" + std::to_string(statement_timeout.count()) +
               " -c TimeZone=UTC -c DateStyle=ISO"),
      deadline_(loop, [this] { on_deadline(); }) {}

PgConnection::~PgConnection() {
    io_.reset();
    read_.reset();
    if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::query(std::string sql, PgParams params, std::chrono::milliseconds timeout, PgStatement kind,
                         Callback cb) {
    queue_.push_back(
        {std::move(sql), std::move(params), std::chrono::steady_clock::now() + timeout, std::move(cb), kind});
    if (state_ == State::idle) start_next();
}

void PgConnection::start_next() {
    while (state_ == State::idle && !queue_.empty()) {
        if (!ready_) {
            start_connect();
            return;
        }
        Query& q = queue_.front();
        if (q.deadline <= std::chrono::steady_clock::now()) {
            // It waited its whole deadline in the queue: fail it unsent, so
            // that nothing it would change can commit after its 503.
            Query late = std::move(q);
            queue_.pop_front();
            late.cb(nullptr, "PostgreSQL busy: timed out waiting for a connection");
            continue;
        }
        if (!send_query(q)) continue;
        arm_statement_deadline(q);
        flush();
    }
}

void PgConnection::arm_statement_deadline(const Query& q) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(q.deadline - std::chrono::steady_clock::now());
    // A write's execution, not its prepare, which commits nothing.
    if (q.kind == PgStatement::write && preparing_name_.empty())
        left = std::max(left, statement_timeout_ + kAnswerGrace);
    deadline_.arm(std::max(left, std::chrono::milliseconds(0)));
}

// Every statement is prepared once per connection (named by its text) and
// then executed with its parameters; a new connection prepares again.
bool PgConnection::send_query(const Query& q) {
    auto it = prepared_.find(q.sql);
    int sent;
    if (it == prepared_.end()) {
        preparing_name_ = "s" + std::to_string(prepared_.size() + 1);
        sent = PQsendPrepare(conn_, preparing_name_.c_str(), q.sql.c_str(), static_cast<int>(q.params.size()), nullptr);
    } else {
        preparing_name_.clear();
        if (echo_) log_.info(kNoRequest, "SQL: " + q.sql);
        std::vector<const char*> values;
        for (const auto& p : q.params) values.push_back(p ? p->c_str() : nullptr);
        sent = PQsendQueryPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                   nullptr, 0);
    }
    if (sent == 0) {
        drop_connection(first_line(PQerrorMessage(conn_)));
        return false;
    }
    state_ = State::sending;
    return true;
}

void PgConnection::start_connect() {
    const char* keys[] = {"dbname", "application_name", "options", nullptr};
    const char* values[] = {url_.c_str(), application_name_.c_str(), options_.c_str(), nullptr};
    conn_ = PQconnectStartParams(keys, values, 1);
    if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
        drop_connection(conn_ != nullptr ? first_line(PQerrorMessage(conn_)) : "out of memory");
        return;
    }
    PQsetNoticeReceiver(conn_, &on_notice, nullptr);
    state_ = State::connecting;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(queue_.front().deadline -
                                                                      std::chrono::steady_clock::now());
    deadline_.arm(std::max(left, std::chrono::milliseconds(0)));
    continue_connect(PGRES_POLLING_WRITING);
}

void PgConnection::continue_connect(int poll_status) {
    switch (poll_status) {
        case PGRES_POLLING_READING: wait_io(EV_READ); return;
        case PGRES_POLLING_WRITING: wait_io(EV_WRITE); return;
        case PGRES_POLLING_OK:
            deadline_.cancel();
            if (PQsetnonblocking(conn_, 1) != 0) {
                drop_connection("cannot make the connection non-blocking");
                return;
            }
            io_.reset();
            read_.reset(event_new(loop_.base(), PQsocket(conn_), EV_READ | EV_PERSIST, &PgConnection::on_io, this));
            if (!read_ || event_add(read_.get(), nullptr) != 0) {
                drop_connection("cannot watch the PostgreSQL socket");
                return;
            }
            ready_ = true;
            state_ = State::idle;
            log_.info(kNoRequest, "connected to PostgreSQL");
            start_next();
            return;
        default: drop_connection(first_line(PQerrorMessage(conn_))); return;
    }
}

void PgConnection::flush() {
    int r = PQflush(conn_);
    if (r < 0) {
        drop_connection(first_line(PQerrorMessage(conn_)));
        return;
    }
    state_ = r == 0 ? State::waiting : State::sending;
    if (r == 0) io_.reset();
    else wait_io(EV_WRITE);
}

void PgConnection::on_readable() {
    if (PQconsumeInput(conn_) == 0) {
        drop_connection(first_line(PQerrorMessage(conn_)));
        return;
    }
    while (PQisBusy(conn_) == 0) {
        PGresult* r = PQgetResult(conn_);
        if (r == nullptr) {
            std::string error;
            ExecStatusType s = pending_result_ ? PQresultStatus(pending_result_.get()) : PGRES_FATAL_ERROR;
            if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
                error = pending_result_ ? first_line(PQresultErrorMessage(pending_result_.get())) : "no result";
            complete(std::move(pending_result_), error);
            return;
        }
        if (!pending_result_) pending_result_.reset(r);  // the first result is the answer
        else PQclear(r);
    }
}

void PgConnection::complete(PgResult result, const std::string& error) {
    io_.reset();
    if (!preparing_name_.empty() && error.empty()) {
        // The statement is prepared; start_next runs it as any other, or
        // fails it unsent if its deadline went by meanwhile.
        prepared_[queue_.front().sql] = std::exchange(preparing_name_, std::string());
        deadline_.cancel();
        state_ = State::idle;
        start_next();
        return;
    }
    deadline_.cancel();
    preparing_name_.clear();
    Query q = std::move(queue_.front());
    queue_.pop_front();
    state_ = State::idle;
    q.cb(std::move(result), error);
    start_next();
}

void PgConnection::drop_connection(const std::string& why) {
    io_.reset();
    read_.reset();
    deadline_.cancel();
    if (ready_) log_.error(kNoRequest, "PostgreSQL connection lost: " + why);
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    ready_ = false;
    pending_result_.reset();
    prepared_.clear();
    preparing_name_.clear();
    state_ = State::idle;
    // What was queued behind a dead connection fails now, rather than each
    // waiting for its own deadline; the next query connects again.
    std::deque<Query> failed;
    failed.swap(queue_);
    for (Query& q : failed) q.cb(nullptr, "PostgreSQL unavailable: " + why);
    start_next();
}

void PgConnection::wait_io(short what) {
    // One-shot, re-reading the socket: libpq may replace it while connecting.
    // (Once connected, only for EV_WRITE: read_ stands for reading.)
    io_.reset(event_new(loop_.base(), PQsocket(conn_), what, &PgConnection::on_io, this));
    if (!io_ || event_add(io_.get(), nullptr) != 0) drop_connection("cannot watch the PostgreSQL socket");
}

void PgConnection::on_io(int, short what, void* self_ptr) {
    auto* self = static_cast<PgConnection*>(self_ptr);
    switch (self->state_) {
        case State::connecting: self->continue_connect(PQconnectPoll(self->conn_)); return;
        case State::sending:
            if ((what & EV_READ) != 0 && PQconsumeInput(self->conn_) == 0) {
                self->drop_connection(first_line(PQerrorMessage(self->conn_)));
                return;
            }
            self->flush();
            return;
        case State::waiting: self->on_readable(); return;
        case State::idle:
            // Only the server speaks to an idle connection: a notice, or
            // its end.
            if (PQconsumeInput(self->conn_) == 0 || PQstatus(self->conn_) == CONNECTION_BAD) {
                self->drop_connection("closed by the server while idle");
                return;
            }
            while (PGnotify* n = PQnotifies(self->conn_)) PQfreemem(n);
            return;
    }
}

void PgConnection::on_deadline() {
    if (state_ != State::connecting && !queue_.empty() && queue_.front().kind == PgStatement::write &&
        preparing_name_.empty())
        log_.error(kNoRequest, "gave up on a write " + std::to_string((statement_timeout_ + kAnswerGrace).count()) +
                                   " ms after sending it; whether it committed is unknown");
    // libpq 15 can only cancel with a blocking call; dropping the connection
    // frees the loop at once and the next query reconnects.
    drop_connection(state_ == State::connecting ? "timed out connecting" : "timed out waiting for the server");
}

}  // namespace usersuite
