// PostgreSQL for a daemon: a pool of non-blocking connections on the event
// loop, DATABASE_POOL_SIZE kept open once used and up to
// DATABASE_MAX_OVERFLOW more opened under load and closed again when idle.
// A query goes to the least loaded connection, so one slow query does not
// hold up the rest.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/pg_connection.hpp"

namespace usersuite {

struct PgSettings {
    std::string url;
    std::string application_name;
    bool echo = false;
    std::size_t pool_size = 10;
    std::size_t max_overflow = 20;
    std::chrono::milliseconds statement_timeout{5000};
};

class PgClient {
public:
    using Callback = PgConnection::Callback;

    PgClient(EventLoop& loop, PgSettings settings);

    void query(std::string sql, PgParams params, std::chrono::milliseconds timeout, PgStatement kind, Callback cb);

    std::size_t connections() const { return connections_.size(); }

private:
    void close_idle_overflow();

    EventLoop& loop_;
    PgSettings settings_;
    std::vector<std::unique_ptr<PgConnection>> connections_;
    Timer shrink_;
};

}  // namespace usersuite
