#include "libcommon/user_cache.hpp"

#include <hiredis/hiredis.h>

#include <string_view>
#include <vector>

#include "libcommon/log.hpp"
#include "libcommon/redis_client.hpp"
#include "libcommon/redis_script.hpp"
#include "libcommon/request_id.hpp"

namespace usersuite {

namespace {

std::string entry_key(std::int64_t id) { return "usersuite:user:" + std::to_string(id); }
std::string gen_key(std::int64_t id) { return "usersuite:user:" + std::to_string(id) + ":gen"; }

// Stores ARGV[2] under KEYS[2] only while KEYS[1] (the generation) is still
// ARGV[1]; the entry is prefixed by the generation it belongs to.
const RedisScript kFillScript{
    "if (redis.call('GET', KEYS[1]) or '') == ARGV[1] then "
    "return redis.call('SET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2], 'EX', ARGV[3]) end "
    "return 0"};

// Lock: count this writer in ("w:<writers>:<random>"), delete the entry,
// and (re)start the lock's expiry. ARGV: lock ttl, random.
const RedisScript kLockScript{
    "local v = redis.call('GET', KEYS[1]) "
    "local n = 0 "
    "if v then n = tonumber(string.match(v, '^w:(%d+):')) or 0 end "
    "redis.call('SET', KEYS[1], 'w:' .. (n + 1) .. ':' .. ARGV[2], 'EX', ARGV[1]) "
    "redis.call('DEL', KEYS[2]) "
    "return n + 1"};

// Unlock: count this writer out; the last one out sets a new generation.
// ARGV: generation ttl, random.
const RedisScript kUnlockScript{
    "local v = redis.call('GET', KEYS[1]) "
    "local n = v and tonumber(string.match(v, '^w:(%d+):')) "
    "if n and n > 1 then "
    "  redis.call('SET', KEYS[1], 'w:' .. (n - 1) .. ':' .. ARGV[2], 'KEEPTTL') "
    "elseif n then "
    "  redis.call('SET', KEYS[1], 'v:' .. ARGV[2], 'EX', ARGV[1]) "
    "end "
    "redis.call('DEL', KEYS[2]) "
    "return n or 0"};

bool is_lock(const std::string& gen) { return gen.rfind("w:", 0) == 0; }

}  // namespace

std::chrono::seconds cache_lock_ttl(std::chrono::milliseconds statement_timeout) {
    return std::chrono::seconds(2 * (statement_timeout.count() + 999) / 1000 + 5);
}

UserCache::UserCache(RedisClient& redis, std::chrono::seconds ttl, std::chrono::seconds lock_ttl,
                     std::chrono::milliseconds timeout)
    : redis_(redis), ttl_(ttl), lock_ttl_(lock_ttl), timeout_(timeout), alive_(std::make_shared<bool>(true)) {
    for (const RedisScript* s : {&kFillScript, &kLockScript, &kUnlockScript}) s->load_on_connect(redis);
}

void UserCache::read(std::int64_t id, ReadCallback cb) {
    if (!enabled()) {
        cb(std::nullopt, std::nullopt);
        return;
    }
    reads_.push_back({id, std::move(cb)});
    if (!reading_) send_reads();
}

// One MGET for every read waiting: gen and entry of each id in turn. As with
// batched_lookup.hpp, every read is answered by a command sent after it
// arrived, so it sees every lock and generation set before it.
void UserCache::send_reads() {
    constexpr std::size_t kMaxBatch = 256;
    auto batch = std::make_shared<std::vector<Read>>();
    std::vector<std::string> args{"MGET"};
    while (!reads_.empty() && batch->size() < kMaxBatch) {
        args.push_back(gen_key(reads_.front().id));
        args.push_back(entry_key(reads_.front().id));
        batch->push_back(std::move(reads_.front()));
        reads_.pop_front();
    }
    if (batch->empty()) return;
    reading_ = true;
    redis_.command(args, timeout_, [this, alive = alive_, batch](const redisReply* reply, const std::string& error) {
        if (!*alive) return;
        reading_ = false;
        if (!reads_.empty()) send_reads();
        bool usable = error.empty() && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 * batch->size();
        for (std::size_t i = 0; i < batch->size(); ++i) {
            ReadCallback& cb = (*batch)[i].cb;
            if (!usable) {
                cb(std::nullopt, std::nullopt);  // Redis away: PostgreSQL answers, nothing is filled
                continue;
            }
            const redisReply* g = reply->element[2 * i];
            const redisReply* e = reply->element[2 * i + 1];
            std::string gen = g->type == REDIS_REPLY_STRING ? std::string(g->str, g->len) : "";
            if (is_lock(gen)) {
                cb(std::nullopt, std::nullopt);
                continue;
            }
            if (e->type == REDIS_REPLY_STRING) {
                std::string_view entry(e->str, e->len);
                std::size_t nl = entry.find('\n');
                if (nl != std::string_view::npos && entry.substr(0, nl) == gen) {
                    cb(std::string(entry.substr(nl + 1)), std::nullopt);
                    continue;
                }
            }
            cb(std::nullopt, gen);
        }
    });
}

UserCache::~UserCache() { *alive_ = false; }

void UserCache::fill(std::int64_t id, const std::string& fill_token, const std::string& user_json) {
    kFillScript.run(redis_, {gen_key(id), entry_key(id)}, {fill_token, user_json, std::to_string(ttl_.count())},
                   timeout_, [](const redisReply*, const std::string&) {
                       // Best effort: a fill that does not happen is a later miss.
                   });
}

void UserCache::lock(std::int64_t id, std::function<void(bool)> cb) {
    if (!enabled()) {
        cb(true);
        return;
    }
    kLockScript.run(redis_, {gen_key(id), entry_key(id)}, {std::to_string(lock_ttl_.count()), new_request_id()},
                   timeout_, [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       cb(error.empty() && reply->type == REDIS_REPLY_INTEGER);
                   });
}

void UserCache::unlock(std::int64_t id) {
    if (!enabled()) return;
    // The new generation outlives any entry that could carry the old one.
    kUnlockScript.run(redis_, {gen_key(id), entry_key(id)}, {std::to_string(2 * ttl_.count() + 60), new_request_id()},
                   timeout_, [id](const redisReply* reply, const std::string& error) {
                       if (!error.empty() || reply->type != REDIS_REPLY_INTEGER)
                           Logger("cache").warning(kNoRequest, "could not unlock user " + std::to_string(id) +
                                                                   " in Redis; its lock expires by itself: " + error);
                   });
}

}  // namespace usersuite
