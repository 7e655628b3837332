// The HTTP layer of a daemon on evhttp: listeners (TCP or Unix), the limits
// and timeouts of api.md, the router, CORS, request ids, and the drain on
// shutdown. One instance per process, on the process's one event loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "libcommon/cors.hpp"
#include "libcommon/drainable.hpp"
#include "libcommon/event_loop.hpp"
#include "libcommon/http_connections.hpp"
#include "libcommon/http_router.hpp"
#include "libcommon/listen_address.hpp"
#include "libcommon/log.hpp"

struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

namespace usersuite {

class Exchange;

struct HttpSettings {
    int idle_timeout_seconds = 15;
    int request_timeout_seconds = 30;
    CorsPolicy cors;
};

class HttpServer : public Drainable {
public:
    HttpServer(EventLoop& loop, HttpSettings settings);
    ~HttpServer() override;
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    Router& router() { return router_; }

    // Binds and listens; a Unix socket path left by a dead process is
    // replaced, one in use is an error. Throws std::runtime_error.
    void listen(const ListenAddress& address);

    // Stops accepting, lets in-flight requests finish (replies then carry
    // Connection: close), and calls on_drained when none is left or after
    // the timeout, whichever comes first.
    void drain(std::chrono::seconds timeout, std::function<void()> on_drained) override;

    std::size_t in_flight() const override { return live_.size(); }
    const char* in_flight_noun() const override { return "request(s)"; }

    // Replies to a request that evhttp itself rejected (bad framing, headers
    // too large, body over the limit) with api.md's JSON error body.
    void reply_to_rejected(evhttp_request* req, int status);

private:
    friend class Exchange;
    static void on_request(evhttp_request* req, void* self);
    void dispatch(evhttp_request* req);
    void route(const std::shared_ptr<Exchange>& ex, evhttp_request* req);
    void finished(Exchange* ex, int status, const std::string& process_time);

    EventLoop& loop_;
    HttpSettings settings_;
    Router router_;
    evhttp* http_;
    HttpConnections connections_;
    std::vector<evhttp_bound_socket*> sockets_;
    std::vector<std::string> unix_paths_;
    std::unordered_set<Exchange*> live_;
    bool draining_ = false;
    std::function<void()> on_drained_;
    Timer drain_timer_;
    Logger access_log_{"access"};
    Logger log_{"http"};
};

}  // namespace usersuite
