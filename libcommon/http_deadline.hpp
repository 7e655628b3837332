// A deadline for receiving each whole request. evhttp's timeout is one of
// inactivity, so a client sending a byte now and then would hold its
// connection forever; this closes any connection that has not delivered a
// complete request within the limit of its last reply (or of its accept).
//
// evhttp gives no hook when a connection ends, so each connection's
// bufferevent is created here (evhttp_set_bevcb) with one extra reference:
// it stays valid to inspect, and a sweep a few times a second drops the
// reference of those evhttp has released (their callbacks are cleared).
#pragma once

#include <chrono>
#include <unordered_map>

#include "libcommon/event_loop.hpp"

struct bufferevent;
struct event_base;
struct evhttp;
struct evhttp_request;

namespace usersuite {

class ConnectionDeadlines {
public:
    ConnectionDeadlines(EventLoop& loop, evhttp* http, std::chrono::seconds limit);
    ~ConnectionDeadlines();
    ConnectionDeadlines(const ConnectionDeadlines&) = delete;
    ConnectionDeadlines& operator=(const ConnectionDeadlines&) = delete;

    // The connection of req has delivered a request; its clock stops.
    void request_received(evhttp_request* req);
    // The reply to a request on this connection is written; the next request's clock starts.
    void reply_sent(bufferevent* connection);
    // Drops every reference; call after evhttp_free.
    void release_all();

private:
    struct Connection {
        std::chrono::steady_clock::time_point since;
        int requests_in_flight = 0;
    };
    static bufferevent* make_bufferevent(event_base* base, void* self);
    void sweep();

    std::chrono::seconds limit_;
    std::unordered_map<bufferevent*, Connection> connections_;
    Timer sweeper_;
};

}  // namespace usersuite
