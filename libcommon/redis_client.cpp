#include "libcommon/redis_client.hpp"

#include <fcntl.h>
#include <sys/un.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "libcommon/config.hpp"
#include "libcommon/redis_loop_events.hpp"
#include "libcommon/url.hpp"
#include "libcommon/urlencoded.hpp"

namespace usersuite {

RedisEndpoint redis_endpoint(const Config& config) {
    const std::string& url_text = config.str("REDIS_URL");
    if (!url_text.empty()) return redis_endpoint_from_url("REDIS_URL", url_text);
    RedisEndpoint e;
    e.host = config.str("REDIS_HOST");
    e.port = static_cast<int>(config.integer("REDIS_PORT"));
    e.db = static_cast<int>(config.integer("REDIS_DB"));
    return e;
}

namespace {

int database_number(const std::string& key, const std::string& text) {
    bool ok = !text.empty() && text.size() <= 2 && text.find_first_not_of("0123456789") == std::string::npos;
    if (!ok || std::stoi(text) > 15) throw ConfigError(key, "the database must be 0 to 15");
    return std::stoi(text);
}

}  // namespace

std::string RedisEndpoint::where() const {
    return socket_path.empty() ? host + ":" + std::to_string(port) : "unix:" + socket_path;
}

RedisEndpoint redis_endpoint_from_url(const std::string& key, const std::string& url_text) {
    RedisEndpoint e;
    std::string why;
    auto url = parse_url(url_text, &why);
    if (!url) throw ConfigError(key, why);
    e.password = url->password;
    if (url->scheme == "unix") {
        if (!url->host.empty() || url->path.empty())
            throw ConfigError(key, "expected unix:///PATH/TO/redis.sock[?db=N], with the socket's absolute path");
        e.socket_path = "/" + url->path;
        if (e.socket_path.size() >= sizeof(sockaddr_un::sun_path))
            throw ConfigError(key, "the socket path is longer than the " +
                                       std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes a Unix socket path may have");
        for (const auto& [name, value] : parse_urlencoded(url->query)) {
            if (name != "db") throw ConfigError(key, "unknown parameter \"" + name + "\": only db=N is read");
            e.db = database_number(key, value);
        }
        return e;
    }
    if (url->host.empty()) throw ConfigError(key, "the URL has no host");
    e.host = url->host;
    if (url->port != 0) e.port = url->port;
    if (!url->path.empty()) e.db = database_number(key, url->path);
    return e;
}

struct RedisClient::Pending {
    Callback cb;
    std::unique_ptr<Timer> deadline;
    bool answered = false;

    void answer(const redisReply* reply, const std::string& error) {
        if (answered) return;
        answered = true;
        deadline->cancel();
        cb(reply, error);
    }
};

RedisClient::RedisClient(EventLoop& loop, RedisEndpoint endpoint)
    : loop_(loop), endpoint_(std::move(endpoint)), drop_timer_(loop, [this] {
          if (ac_ != nullptr && ac_ == to_drop_) drop("timed out");
          to_drop_ = nullptr;
      }),
      flush_(loop, [this] {
          if (ac_ != nullptr && (ac_->c.flags & REDIS_CONNECTED) != 0) redisAsyncHandleWrite(ac_);
      }) {}

RedisClient::~RedisClient() {
    destroying_ = true;
    if (ac_ != nullptr) redisAsyncFree(ac_);  // pending callbacks run with no reply and are ignored
}

bool RedisClient::ensure_connected(std::string* error) {
    if (ac_ != nullptr) return true;
    redisAsyncContext* ac = endpoint_.socket_path.empty()
                                ? redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port)
                                : redisAsyncConnectUnix(endpoint_.socket_path.c_str());
    if (ac == nullptr || ac->err != 0) {
        *error = ac != nullptr ? ac->errstr : "out of memory";
        if (ac != nullptr) redisAsyncFree(ac);
        return false;
    }
    ac->data = this;
    // hiredis opens its socket without close-on-exec; job-worker's commands
    // must not inherit the connection.
    ::fcntl(ac->c.fd, F_SETFD, FD_CLOEXEC);
    if (!attach_to_loop(ac, loop_.base())) {
        redisAsyncFree(ac);
        *error = "cannot attach to the event loop";
        return false;
    }
    redisAsyncSetConnectCallback(ac, &RedisClient::on_connect);
    redisAsyncSetDisconnectCallback(ac, &RedisClient::on_disconnect);
    ac_ = ac;
    // Queued ahead of any command, so they run first once connected.
    if (!endpoint_.password.empty())
        redisAsyncCommand(ac_, &RedisClient::on_setup_reply, const_cast<char*>("AUTH"), "AUTH %b",
                          endpoint_.password.data(), endpoint_.password.size());
    if (endpoint_.db != 0)
        redisAsyncCommand(ac_, &RedisClient::on_setup_reply, const_cast<char*>("SELECT"), "SELECT %d", endpoint_.db);
    for (const auto& args : setup_commands_) {
        std::vector<const char*> argv;
        std::vector<size_t> argvlen;
        for (const std::string& a : args) {
            argv.push_back(a.data());
            argvlen.push_back(a.size());
        }
        redisAsyncCommandArgv(ac_, &RedisClient::on_setup_reply, const_cast<char*>(args[0].c_str()),
                              static_cast<int>(argv.size()), argv.data(), argvlen.data());
    }
    return true;
}

void RedisClient::add_setup_command(std::vector<std::string> args) { setup_commands_.push_back(std::move(args)); }

void RedisClient::command(const std::vector<std::string>& args, std::chrono::milliseconds timeout, Callback cb) {
    std::string error;
    if (!ensure_connected(&error)) {
        cb(nullptr, "Redis unavailable: " + error);
        return;
    }
    auto p = std::make_unique<Pending>();
    Pending* raw = p.get();
    p->cb = std::move(cb);
    p->deadline = std::make_unique<Timer>(loop_, [this, raw, ac = ac_] {
        raw->answer(nullptr, "Redis unavailable: timed out after waiting for a reply");
        to_drop_ = ac;  // this connection, not one made since
        drop_timer_.arm(std::chrono::milliseconds(0));
    });
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    for (const std::string& a : args) {
        argv.push_back(a.data());
        argvlen.push_back(a.size());
    }
    pending_[raw] = std::move(p);
    if (redisAsyncCommandArgv(ac_, &RedisClient::on_reply, raw, static_cast<int>(argv.size()), argv.data(),
                              argvlen.data()) != REDIS_OK) {
        auto owned = std::move(pending_[raw]);
        pending_.erase(raw);
        owned->answer(nullptr, "Redis unavailable: " + std::string(ac_->errstr));
        return;
    }
    raw->deadline->arm(timeout);
    flush_.fire_soon();
}

void RedisClient::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<RedisClient*>(ac->data);
    auto* p = static_cast<Pending*>(privdata);
    auto it = self->pending_.find(p);
    if (it == self->pending_.end()) return;
    std::unique_ptr<Pending> owned = std::move(it->second);
    self->pending_.erase(it);
    if (self->destroying_) return;
    if (reply == nullptr) {
        std::string why = ac->err != 0 ? ac->errstr : self->last_error_;
        owned->answer(nullptr, "Redis unavailable: " + (why.empty() ? std::string("connection closed") : why));
    } else {
        owned->answer(static_cast<redisReply*>(reply), "");
    }
}

void RedisClient::on_setup_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* r = static_cast<redisReply*>(reply);
    if (r == nullptr || r->type != REDIS_REPLY_ERROR) return;
    auto* self = static_cast<RedisClient*>(ac->data);
    self->log_.error(kNoRequest, std::string("Redis ") + static_cast<const char*>(privdata) +
                                     " failed: " + std::string(r->str, r->len));
}

void RedisClient::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisClient*>(ac->data);
    if (status != REDIS_OK) {
        // hiredis frees the context after this; the queued commands get no reply.
        self->last_error_ = ac->errstr;
        if (self->ac_ == ac) self->ac_ = nullptr;
        return;
    }
    self->last_error_.clear();
    self->log_.info(kNoRequest, "connected to Redis at " + self->endpoint_.where());
}

void RedisClient::on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisClient*>(ac->data);
    if (self->destroying_) return;
    if (status != REDIS_OK) {
        self->last_error_ = ac->errstr;
        self->log_.error(kNoRequest, std::string("Redis connection lost: ") + ac->errstr);
    }
    if (self->ac_ == ac) self->ac_ = nullptr;  // not a connection made since
}

void RedisClient::drop(const std::string& why) {
    if (ac_ == nullptr) return;
    log_.error(kNoRequest, "dropping the Redis connection: " + why);
    last_error_ = why;
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;
    redisAsyncFree(ac);  // from a timer, never inside a hiredis callback
}

}  // namespace usersuite
