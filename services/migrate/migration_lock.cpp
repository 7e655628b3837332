#include "services/migrate/migration_lock.hpp"

#include <iostream>
#include <thread>

namespace usersuite::migrate {

// "usersuit" in ASCII: one key for every migrate of this suite.
const char* const kLockKey = "8463219666997045620";
const char* const kHolderQuery =
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND ((classid::bigint << 32) | objid::bigint) = $1::bigint AND objsubid = 1";

MigrationLock::MigrationLock(const std::string& url, std::chrono::seconds timeout, int connect_timeout_seconds)
    : session_(url, connect_timeout_seconds) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_holder;
    while (session_.query("SELECT pg_try_advisory_lock($1::bigint)", {kLockKey})[0][0] != "t") {
        auto holders = session_.query(kHolderQuery, {kLockKey});
        std::string holder = holders.empty() ? "?" : holders[0][0];
        if (holder != last_holder) {
            std::cerr << "migrate: waiting for the migration lock, held by PostgreSQL backend pid " << holder << "\n";
            last_holder = holder;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            throw LockTimeout("the migration lock is still held by backend pid " + holder + " after " +
                              std::to_string(timeout.count()) + " s (--lock-timeout)");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace usersuite::migrate
