// The Redis cache of GET /api/v1/users/{id}, never stale, also across
// processes. Each user has a generation key beside the cached entry; an
// entry counts only while it carries the current generation.
//
//   read:  MGET gen entry (the reads waiting while one MGET is out go
//          together in the next). A hit when the entry's generation is the current
//          one. On a miss, read PostgreSQL, then fill: a Lua script stores
//          the entry only if the generation is still the one seen before the
//          read, so a reader that raced a writer never stores old data.
//   write: lock before changing the row: the generation becomes
//          "w:<writers>:<random>" (writers counted, expiry restarted) and the
//          entry is deleted. If Redis cannot be told, the write is refused
//          (503) and nothing changes. Readers never fill under a lock. After
//          the change, unlock: the last writer out sets a new generation
//          "v:<random>". An unlock that never arrives (a crash) leaves the
//          lock to expire, after any statement could still commit, with no
//          entry older than the write left to serve.
// While Redis is away, reads go to PostgreSQL and fill nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace usersuite {

class RedisClient;

// A write lock must outlive any statement that could still commit after the
// writer gave up on it: twice the statement timeout, and some.
std::chrono::seconds cache_lock_ttl(std::chrono::milliseconds statement_timeout);

class UserCache {
public:
    UserCache(RedisClient& redis, std::chrono::seconds ttl, std::chrono::seconds lock_ttl,
              std::chrono::milliseconds timeout);
    ~UserCache();
    UserCache(const UserCache&) = delete;
    UserCache& operator=(const UserCache&) = delete;

    // cached: the user's JSON on a hit. fill_token: set on a miss when the
    // caller may fill after reading PostgreSQL (absent under a lock or while
    // Redis is away).
    using ReadCallback =
        std::function<void(std::optional<std::string> cached, std::optional<std::string> fill_token)>;
    void read(std::int64_t id, ReadCallback cb);
    void fill(std::int64_t id, const std::string& fill_token, const std::string& user_json);

    // ok false: Redis could not be told; refuse the write.
    void lock(std::int64_t id, std::function<void(bool ok)> cb);
    void unlock(std::int64_t id);

    bool enabled() const { return ttl_.count() > 0; }

private:
    struct Read {
        std::int64_t id;
        ReadCallback cb;
    };
    void send_reads();

    RedisClient& redis_;
    std::chrono::seconds ttl_;
    std::chrono::seconds lock_ttl_;
    std::chrono::milliseconds timeout_;
    std::deque<Read> reads_;
    bool reading_ = false;
    std::shared_ptr<bool> alive_;
};

}  // namespace usersuite
