#include "libcommon/http_deadline.hpp"

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <sys/socket.h>

#include "libcommon/log.hpp"

namespace usersuite {

namespace {
constexpr std::chrono::milliseconds kSweepEvery{250};
}

ConnectionDeadlines::ConnectionDeadlines(EventLoop& loop, evhttp* http, std::chrono::seconds limit)
    : limit_(limit), sweeper_(loop, [this] { sweep(); }) {
    evhttp_set_bevcb(http, &ConnectionDeadlines::make_bufferevent, this);
    sweeper_.arm(kSweepEvery);
}

ConnectionDeadlines::~ConnectionDeadlines() { release_all(); }

bufferevent* ConnectionDeadlines::make_bufferevent(event_base* base, void* self_ptr) {
    auto* self = static_cast<ConnectionDeadlines*>(self_ptr);
    bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev == nullptr) return nullptr;  // evhttp drops the connection
    bufferevent_incref(bev);
    self->connections_[bev] = {std::chrono::steady_clock::now(), 0};
    return bev;
}

void ConnectionDeadlines::request_received(evhttp_request* req) {
    evhttp_connection* evcon = evhttp_request_get_connection(req);
    auto it = connections_.find(evcon != nullptr ? evhttp_connection_get_bufferevent(evcon) : nullptr);
    if (it != connections_.end()) ++it->second.requests_in_flight;
}

void ConnectionDeadlines::reply_sent(bufferevent* connection) {
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;
    if (it->second.requests_in_flight > 0) --it->second.requests_in_flight;
    it->second.since = std::chrono::steady_clock::now();
}

void ConnectionDeadlines::sweep() {
    auto now = std::chrono::steady_clock::now();
    for (auto it = connections_.begin(); it != connections_.end();) {
        bufferevent* bev = it->first;
        bufferevent_event_cb event_cb = nullptr;
        bufferevent_getcb(bev, nullptr, nullptr, &event_cb, nullptr);
        if (event_cb == nullptr) {
            // evhttp has freed the connection; ours is the last reference.
            bufferevent_decref(bev);
            it = connections_.erase(it);
            continue;
        }
        if (it->second.requests_in_flight == 0 && now - it->second.since > limit_) {
            // evhttp reads the end of the stream and frees the connection itself.
            ::shutdown(bufferevent_getfd(bev), SHUT_RDWR);
            Logger("http").warning(kNoRequest, "closed a connection that sent no whole request in " +
                                                   std::to_string(limit_.count()) + " s");
            it->second.since = now;  // once is enough
        }
        ++it;
    }
    sweeper_.arm(kSweepEvery);
}

void ConnectionDeadlines::release_all() {
    for (auto& [bev, conn] : connections_) bufferevent_decref(bev);
    connections_.clear();
}

}  // namespace usersuite
