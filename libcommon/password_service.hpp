// Hashing and verifying passwords on the WorkerPool, results on the loop.
// Both refuse at once (return false) when the pool's queue is full; the
// caller answers 503 with Retry-After.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace usersuite {

class WorkerPool;

class PasswordService {
public:
    PasswordService(WorkerPool& pool, int cost) : pool_(pool), cost_(cost) {}

    // done gets the hash, or "" if libxcrypt failed.
    bool hash(std::string password, std::function<void(const std::string& hash)> done);
    // stored nullopt (no such user) spends the time of one bcrypt at the
    // configured cost and reports false, so an unknown email cannot be told
    // from a wrong password by the time it takes.
    bool verify(std::string password, std::optional<std::string> stored, std::function<void(bool ok)> done);

    int cost() const { return cost_; }

private:
    WorkerPool& pool_;
    int cost_;
};

}  // namespace usersuite
