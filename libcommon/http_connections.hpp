// What the server keeps for each evhttp connection, which evhttp itself
// does not offer:
//
// - A deadline for receiving each whole request. evhttp's timeout is one
//   of inactivity, so a client sending a byte now and then would hold its
//   connection forever; this closes any connection that has not delivered a
//   complete request within the limit of its last reply (or of its accept).
// - A standing read watch on the socket. evhttp turns reading off when it
//   hands a request over and on again after the reply; with epoll each
//   turn costs an epoll_ctl, two (a DEL, then an ADD) when the reply is
//   made in a later loop turn, as every reply that waits for PostgreSQL or
//   Redis is. While a second read event stays on the descriptor, libevent
//   leaves epoll's interest set alone. The watch does nothing when it fires
//   with evhttp reading; when it fires with evhttp not reading (data or the
//   end of the stream arriving while a handler works, or after evhttp let
//   the connection go), it stops until the next reply, so that level-
//   triggered readiness never spins the loop.
//
// evhttp gives no hook when a connection ends, so each connection's
// bufferevent is created here (evhttp_set_bevcb) with one extra reference:
// it stays valid to inspect, its descriptor stays open (it closes on the
// last reference: evhttp never closes an incoming connection's socket
// itself), and a sweep a few times a second removes the watch and drops the
// reference of those evhttp has released (their callbacks are cleared).
#pragma once

#include <chrono>
#include <unordered_map>

#include "libcommon/event_loop.hpp"

struct bufferevent;
struct event;
struct event_base;
struct evhttp;
struct evhttp_request;

namespace usersuite {

class HttpConnections {
public:
    HttpConnections(EventLoop& loop, evhttp* http, std::chrono::seconds limit);
    ~HttpConnections();
    HttpConnections(const HttpConnections&) = delete;
    HttpConnections& operator=(const HttpConnections&) = delete;

    // The connection of req has delivered a request; its clock stops.
    void request_received(evhttp_request* req);
    // The reply to a request on this connection is written; the next request's clock starts.
    void reply_sent(bufferevent* connection);
    // Drops every watch and reference; call after evhttp_free.
    void release_all();

private:
    struct Connection {
        bufferevent* bev = nullptr;
        std::chrono::steady_clock::time_point since;
        int requests_in_flight = 0;
        event* watch = nullptr;  // the standing read watch, from the first request on
        bool watching = false;   // watch added (it stops while a handler works on unread input)
        bool fresh = false;      // a request was handed over since the watch last fired
    };
    static bufferevent* make_bufferevent(event_base* base, void* self);
    static void on_watch(int fd, short what, void* connection);
    void start_watch(Connection& c);
    static void release(Connection& c);
    void sweep();

    std::chrono::seconds limit_;
    std::unordered_map<bufferevent*, Connection> connections_;
    Timer sweeper_;
};

}  // namespace usersuite
