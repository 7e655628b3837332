#include "libcommon/redis_script.hpp"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstring>

namespace usersuite {

namespace {

std::vector<std::string> call(const char* verb, const std::string& script, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args) {
    std::vector<std::string> argv = {verb, script, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

bool is_noscript(const redisReply* r) {
    return r != nullptr && r->type == REDIS_REPLY_ERROR && r->len >= 8 && std::strncmp(r->str, "NOSCRIPT", 8) == 0;
}

}  // namespace

RedisScript::RedisScript(std::string text) : text_(std::move(text)) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text_.data()), text_.size(), digest);
    char hex[2 * SHA_DIGEST_LENGTH + 1];
    for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    sha1_ = hex;
}

void RedisScript::load_on_connect(RedisClient& redis) const { redis.add_setup_command({"SCRIPT", "LOAD", text_}); }

void RedisScript::run(RedisClient& redis, std::vector<std::string> keys, std::vector<std::string> args,
                      std::chrono::milliseconds timeout, RedisClient::Callback cb) const {
    // Built before the callback takes keys and args: argument evaluation order is unspecified.
    std::vector<std::string> evalsha = call("EVALSHA", sha1_, keys, args);
    redis.command(evalsha, timeout,
                  [this, &redis, timeout, keys = std::move(keys), args = std::move(args), cb = std::move(cb)](
                      const redisReply* reply, const std::string& error) {
                      if (error.empty() && is_noscript(reply)) {
                          redis.command(call("EVAL", text_, keys, args), timeout, cb);
                          return;
                      }
                      cb(reply, error);
                  });
}

}  // namespace usersuite
