#include "libcommon/http_connections.hpp"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/socket.h>

#include <utility>

#include "libcommon/log.hpp"

namespace usersuite {

namespace {
constexpr std::chrono::milliseconds kSweepEvery{250};
}

HttpConnections::HttpConnections(EventLoop& loop, evhttp* http, std::chrono::seconds limit)
    : limit_(limit), sweeper_(loop, [this] { sweep(); }) {
    evhttp_set_bevcb(http, &HttpConnections::make_bufferevent, this);
    sweeper_.arm(kSweepEvery);
}

HttpConnections::~HttpConnections() { release_all(); }

bufferevent* HttpConnections::make_bufferevent(event_base* base, void* self_ptr) {
    auto* self = static_cast<HttpConnections*>(self_ptr);
    bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev == nullptr) return nullptr;  // evhttp drops the connection
    bufferevent_incref(bev);
    Connection& c = self->connections_[bev];
    c.bev = bev;
    c.since = std::chrono::steady_clock::now();
    return bev;
}

void HttpConnections::request_received(evhttp_request* req) {
    evhttp_connection* evcon = evhttp_request_get_connection(req);
    auto it = connections_.find(evcon != nullptr ? evhttp_connection_get_bufferevent(evcon) : nullptr);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    ++c.requests_in_flight;
    c.fresh = true;
    // The descriptor is known from here (evhttp sets it after make_bufferevent).
    if (c.watch == nullptr) start_watch(c);
}

void HttpConnections::reply_sent(bufferevent* connection) {
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    Connection& c = it->second;
    if (c.requests_in_flight > 0) --c.requests_in_flight;
    c.since = std::chrono::steady_clock::now();
    if (c.watch != nullptr && !c.watching && event_add(c.watch, nullptr) == 0) c.watching = true;
}

void HttpConnections::start_watch(Connection& c) {
    // Without the watch the connection only costs its epoll_ctl calls.
    c.watch = event_new(bufferevent_get_base(c.bev), bufferevent_getfd(c.bev), EV_READ | EV_PERSIST,
                        &HttpConnections::on_watch, &c);
    if (c.watch != nullptr && event_add(c.watch, nullptr) == 0) c.watching = true;
}

void HttpConnections::on_watch(int, short, void* connection) {
    auto& c = *static_cast<Connection*>(connection);
    if ((bufferevent_get_enabled(c.bev) & EV_READ) != 0) {
        c.fresh = false;  // evhttp reads what arrived
        return;
    }
    // The readiness that handed a request over fires the watch too (before
    // or after evhttp's read, which then turned reading off): not a reason to stop.
    if (std::exchange(c.fresh, false)) return;
    event_del(c.watch);
    c.watching = false;
}

void HttpConnections::release(Connection& c) {
    // The watch goes before the last reference closes the descriptor, whose
    // number a new connection may get at once.
    if (c.watch != nullptr) event_free(c.watch);
    c.watch = nullptr;
    bufferevent_decref(c.bev);
}

void HttpConnections::sweep() {
    auto now = std::chrono::steady_clock::now();
    for (auto it = connections_.begin(); it != connections_.end();) {
        Connection& c = it->second;
        bufferevent_event_cb event_cb = nullptr;
        bufferevent_getcb(c.bev, nullptr, nullptr, &event_cb, nullptr);
        if (event_cb == nullptr) {
            // evhttp has freed the connection; ours is the last reference.
            release(c);
            it = connections_.erase(it);
            continue;
        }
        if (c.requests_in_flight == 0 && now - c.since > limit_) {
            // evhttp reads the end of the stream and frees the connection itself.
            ::shutdown(bufferevent_getfd(c.bev), SHUT_RDWR);
            Logger("http").warning(kNoRequest, "closed a connection that sent no whole request in " +
                                                   std::to_string(limit_.count()) + " s");
            c.since = now;  // once is enough
        }
        ++it;
    }
    sweeper_.arm(kSweepEvery);
}

void HttpConnections::release_all() {
    for (auto& [bev, c] : connections_) release(c);
    connections_.clear();
}

}  // namespace usersuite
