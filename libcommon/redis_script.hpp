// A Lua script run by its SHA-1 (EVALSHA), so that Redis neither receives
// nor hashes the script's text on every call. load_on_connect() makes each
// new connection SCRIPT LOAD it before anything else, so that commands keep
// their order; should Redis forget it anyway (SCRIPT FLUSH), NOSCRIPT makes
// the call go again with EVAL, after commands sent since.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "libcommon/redis_client.hpp"

namespace usersuite {

class RedisScript {
public:
    explicit RedisScript(std::string text);
    void load_on_connect(RedisClient& redis) const;

    // keys and args as EVAL takes them; cb as RedisClient::command's. The
    // script must outlive the call (scripts are constants).
    void run(RedisClient& redis, std::vector<std::string> keys, std::vector<std::string> args,
             std::chrono::milliseconds timeout, RedisClient::Callback cb) const;

private:
    std::string text_;
    std::string sha1_;  // lower-case hex
};

}  // namespace usersuite
