// A Lua script run by its SHA-1 (EVALSHA), so that Redis neither receives
// nor hashes the script's text on every call; when Redis does not know it
// yet (NOSCRIPT: first use, or after a restart or SCRIPT FLUSH) the call is
// sent again with EVAL, which loads it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "libcommon/redis_client.hpp"

namespace usersuite {

class RedisScript {
public:
    explicit RedisScript(std::string text);
    const std::string& sha1() const { return sha1_; }

    // keys and args as EVAL takes them; cb as RedisClient::command's. The
    // script must outlive the call (scripts are constants).
    void run(RedisClient& redis, std::vector<std::string> keys, std::vector<std::string> args,
             std::chrono::milliseconds timeout, RedisClient::Callback cb) const;

private:
    std::string text_;
    std::string sha1_;  // lower-case hex
};

}  // namespace usersuite
