#include "libcommon/user_cache.hpp"

#include <hiredis/hiredis.h>

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
    : redis_(redis), ttl_(ttl), lock_ttl_(lock_ttl), timeout_(timeout) {
    for (const RedisScript* s : {&kFillScript, &kLockScript, &kUnlockScript}) s->load_on_connect(redis);
}

void UserCache::read(std::int64_t id, ReadCallback cb) {
    if (!enabled()) {
        cb(std::nullopt, std::nullopt);
        return;
    }
    redis_.command({"MGET", gen_key(id), entry_key(id)}, timeout_,
                   [cb = std::move(cb)](const redisReply* reply, const std::string& error) {
                       if (!error.empty() || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
                           cb(std::nullopt, std::nullopt);  // Redis away: PostgreSQL answers, nothing is filled
                           return;
                       }
                       const redisReply* g = reply->element[0];
                       const redisReply* e = reply->element[1];
                       std::string gen = g->type == REDIS_REPLY_STRING ? std::string(g->str, g->len) : "";
                       if (is_lock(gen)) {
                           cb(std::nullopt, std::nullopt);
                           return;
                       }
                       if (e->type == REDIS_REPLY_STRING) {
                           std::string entry(e->str, e->len);
                           std::size_t nl = entry.find('\n');
                           if (nl != std::string::npos && entry.compare(0, nl, gen) == 0) {
                               cb(entry.substr(nl + 1), std::nullopt);
                               return;
                           }
                       }
                       cb(std::nullopt, gen);
                   });
}

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
