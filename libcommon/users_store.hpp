// The users table, for every daemon that needs it: prepared, parameterised
// statements on the non-blocking PostgreSQL client. A duplicate email is
// known from the unique index's violation (SQLSTATE 23505), never from a
// check-then-insert, so concurrent registrations of one address give one
// success and the rest duplicate_email.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libcommon/batched_lookup.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/json.hpp"
#include "libcommon/pg_connection.hpp"

namespace usersuite {

class PgClient;

struct User {
    std::int64_t id = 0;
    std::string email;
    std::string hashed_password;
    std::string name;
    std::string created_at;  // ISO 8601, UTC, microseconds, "Z"
    std::string updated_at;
    std::int64_t created_epoch = 0;  // whole seconds

    // api.md's User as compact JSON, no password material; written
    // directly, not through a jansson tree (json.hpp).
    std::string json_text() const;
};

enum class StoreStatus { ok, not_found, duplicate_email, unavailable, failed };

struct StoreResult {
    StoreStatus status = StoreStatus::failed;
    std::optional<User> user;
    std::vector<User> users;  // for list
    std::string detail;       // for the log
};

// A partial update: absent fields stay as they are.
struct UserChanges {
    std::optional<std::string> email;
    std::optional<std::string> hashed_password;
    std::optional<std::string> name;
};

class UsersStore {
public:
    using Callback = std::function<void(StoreResult)>;

    UsersStore(PgClient& db, std::chrono::milliseconds timeout);

    // With a job, the user and the job's row in job_outbox are written by one
    // statement: both or neither (job_outbox.hpp moves the row to Redis).
    void create(const std::string& email, const std::string& hashed_password, const std::string& name,
                const std::optional<NewJob>& job, Callback cb);
    // The two lookups are batched (batched_lookup.hpp).
    void find_by_id(std::int64_t id, Callback cb);
    // ASCII case-insensitive, as the unique index on an ASCII column. An
    // email with another byte is not found at once, without a query.
    void find_by_email(const std::string& email, Callback cb);
    // Ordered by id.
    void list(std::int64_t skip, std::int64_t limit, Callback cb);
    // not_found when no such user; updated_at moves (the table's trigger).
    void update(std::int64_t id, const UserChanges& changes, Callback cb);
    void remove(std::int64_t id, Callback cb);

private:
    void run(const std::string& sql, PgParams params, PgStatement kind, Callback cb);
    PgClient& db_;
    std::chrono::milliseconds timeout_;
    BatchedLookup by_id_;
    BatchedLookup by_email_;
};

}  // namespace usersuite
