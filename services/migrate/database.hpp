// A blocking PostgreSQL session for the migrate CLI. The daemons speak to
// PostgreSQL on their event loop (libcommon/pg_client); a one-shot command
// line tool has no loop to keep free, so it waits on libpq directly.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "libcommon/pg_connection.hpp"

struct pg_conn;

namespace usersuite::migrate {

// The server cannot be reached or went away: exit 69 (EX_UNAVAILABLE).
class Unreachable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A statement failed; position is 1-based in the text sent, 0 if unknown.
class SqlError : public std::runtime_error {
public:
    SqlError(const std::string& message, std::string sqlstate, int position)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)), position_(position) {}
    const std::string& sqlstate() const { return sqlstate_; }
    int position() const { return position_; }

private:
    std::string sqlstate_;
    int position_;
};

class Database {
public:
    // Throws Unreachable when the connection cannot be made within
    // connect_timeout_seconds.
    Database(const std::string& url, int connect_timeout_seconds);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs sql (one or several statements) as the simple query protocol does.
    void exec(const std::string& sql);
    // One statement with $1.. parameters; returns its rows as text (NULL as "").
    std::vector<std::vector<std::string>> query(const std::string& sql, const std::vector<std::string>& params = {});
    int backend_pid() const;

private:
    PgResult check(PgResult result);
    pg_conn* conn_;
};

}  // namespace usersuite::migrate
