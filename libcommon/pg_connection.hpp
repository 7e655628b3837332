// One non-blocking PostgreSQL connection on the event loop (libpq async
// API); PgClient (pg_client.hpp) keeps a pool of them.
// Queries queue and run one at a time, each as a prepared statement with
// parameters (prepared on first use per connection); each has a deadline. The connection is
// opened on first use and again after any failure, so the daemon recovers by
// itself once the server is back; while it is away queries fail at once with
// the reason, and callers answer 503.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/log.hpp"

struct pg_conn;
struct pg_result;

namespace usersuite {

// Statement parameters as text; nullopt is SQL NULL.
using PgParams = std::vector<std::optional<std::string>>;

// What the connection does when a statement's deadline passes while the
// server runs it. A read is given up at its deadline (the connection is
// dropped). A write, once its execution is sent (before the deadline, or
// never), is waited for until the server has ended it, which its
// statement_timeout does within that time of the statement's start, plus a
// second for the answer: its caller must learn whether it committed, since
// a 503 has to change nothing. A statement that waited for a connection
// starts late, so the server's limit alone outlasts the caller's deadline.
// (The server's limit does not cover the commit itself: a slow WAL flush
// can still outlast the wait, which the log then says.)
enum class PgStatement { read, write };

struct PgResultDeleter {
    void operator()(pg_result* r) const noexcept;
};
using PgResult = std::unique_ptr<pg_result, PgResultDeleter>;

class PgConnection {
public:
    // error is empty on success; otherwise result may still carry the
    // server's error (SQLSTATE) when the query itself failed.
    using Callback = std::function<void(PgResult result, const std::string& error)>;

    // statement_timeout is set on the server too, so that a statement the
    // client gave up on does not go on (and commit) behind its back.
    PgConnection(EventLoop& loop, std::string url, std::string application_name, bool echo,
                 std::chrono::milliseconds statement_timeout);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    void query(std::string sql, PgParams params, std::chrono::milliseconds timeout, PgStatement kind, Callback cb);
    // Queries queued or running here.
    std::size_t load() const { return queue_.size(); }

private:
    struct Query {
        std::string sql;
        PgParams params;
        std::chrono::steady_clock::time_point deadline;
        Callback cb;
        PgStatement kind;
    };
    enum class State { idle, connecting, sending, waiting };

    bool send_query(const Query& q);
    void arm_statement_deadline(const Query& q);
    void start_connect();
    void continue_connect(int poll_status);
    void start_next();
    void flush();
    void on_readable();
    void complete(PgResult result, const std::string& error);
    void drop_connection(const std::string& why);
    void wait_io(short what);
    static void on_io(int fd, short what, void* self);
    void on_deadline();

    EventLoop& loop_;
    std::string url_;
    std::string application_name_;
    bool echo_;
    std::chrono::milliseconds statement_timeout_;
    std::string options_;
    pg_conn* conn_ = nullptr;
    bool ready_ = false;
    State state_ = State::idle;
    int connect_poll_ = 0;
    std::deque<Query> queue_;
    PgResult pending_result_;
    std::map<std::string, std::string> prepared_;  // SQL text -> statement name, this connection
    std::string preparing_name_;                    // set while a Prepare is in flight
    // While connecting, a one-shot wait on whatever libpq asks for (it may
    // replace the socket). Once connected, a standing read watch (read_):
    // a statement costs no epoll_ctl, and an idle connection is still
    // watched, so that one a restarting server closes is dropped then
    // rather than failing the next query sent on it; and a one-shot write
    // wait (io_) only while libpq has output it could not send.
    EventPtr io_;
    EventPtr read_;
    Timer deadline_;
    Logger log_{"db"};
};

}  // namespace usersuite
