// A non-blocking Redis connection on the event loop (hiredis async +
// libevent). Connected on first use and again after any failure; every
// command has a deadline (hiredis 0.14 has none of its own), after which the
// connection is dropped and the command fails, so a hung server never hangs
// a request.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/log.hpp"

struct redisAsyncContext;
struct redisReply;

namespace usersuite {

class Config;

struct RedisEndpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string socket_path;  // a Unix socket instead of host and port when set
    std::string password;
    int db = 0;

    // "HOST:PORT" or "unix:PATH", for log lines.
    std::string where() const;
};

// From REDIS_URL when set, else REDIS_HOST, REDIS_PORT and REDIS_DB.
RedisEndpoint redis_endpoint(const Config& config);
// redis://[:PASSWORD@]HOST[:PORT][/DB] or unix://[:PASSWORD@]/PATH[?db=DB]
// (as redis-py writes them); throws ConfigError naming key.
RedisEndpoint redis_endpoint_from_url(const std::string& key, const std::string& url);

class RedisClient {
public:
    // reply is null exactly when error is non-empty; a Redis error reply is
    // passed as a reply (type REDIS_REPLY_ERROR), not as an error.
    using Callback = std::function<void(const redisReply* reply, const std::string& error)>;

    RedisClient(EventLoop& loop, RedisEndpoint endpoint);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    void command(const std::vector<std::string>& args, std::chrono::milliseconds timeout, Callback cb);

    // A command sent first on every new connection, after AUTH and SELECT
    // and before any queued command (SCRIPT LOAD of the scripts used).
    void add_setup_command(std::vector<std::string> args);

private:
    struct Pending;
    bool ensure_connected(std::string* error);
    void drop(const std::string& why);
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_setup_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_connect(const redisAsyncContext* ac, int status);
    static void on_disconnect(const redisAsyncContext* ac, int status);

    EventLoop& loop_;
    RedisEndpoint endpoint_;
    redisAsyncContext* ac_ = nullptr;
    bool destroying_ = false;
    std::string last_error_;
    std::map<Pending*, std::unique_ptr<Pending>> pending_;
    std::vector<std::vector<std::string>> setup_commands_;
    Timer drop_timer_;  // frees a timed-out context outside hiredis callbacks
    // Writes the commands queued in this turn of the loop at its end, not a
    // turn later when epoll reports the socket writable: two epoll_ctl calls
    // and a wait fewer for each batch. Outside hiredis callbacks, as
    // drop_timer_, since a failed write frees the context.
    Timer flush_;
    const redisAsyncContext* to_drop_ = nullptr;
    Logger log_{"redis"};
};

}  // namespace usersuite
