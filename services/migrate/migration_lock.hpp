// The migration lock: a PostgreSQL session advisory lock, taken with
// pg_try_advisory_lock polled on a connection of its own, outside any
// transaction. A waiter blocked inside pg_advisory_lock could deadlock with
// a holder running CREATE INDEX CONCURRENTLY, which waits for every older
// transaction, the waiter's included.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "services/migrate/database.hpp"

namespace usersuite::migrate {

// The lock's key, and the query for the backend that holds it ($1: the key).
extern const char* const kLockKey;
extern const char* const kHolderQuery;

// Not granted within --lock-timeout: exit 75 (EX_TEMPFAIL).
class LockTimeout : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class MigrationLock {
public:
    // Waits up to timeout, saying on stderr which backend holds the lock.
    MigrationLock(const std::string& url, std::chrono::seconds timeout, int connect_timeout_seconds);
    // Closing the session releases the lock, also if this process dies.
    ~MigrationLock() = default;

private:
    Database session_;
};

}  // namespace usersuite::migrate
