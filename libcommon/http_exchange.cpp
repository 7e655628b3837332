#include "libcommon/http_exchange.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "libcommon/http_server.hpp"
#include "libcommon/urlencoded.hpp"

namespace usersuite {

namespace {

const char* method_name(evhttp_cmd_type cmd) {
    switch (cmd) {
        case EVHTTP_REQ_GET: return "GET";
        case EVHTTP_REQ_POST: return "POST";
        case EVHTTP_REQ_HEAD: return "HEAD";
        case EVHTTP_REQ_PUT: return "PUT";
        case EVHTTP_REQ_DELETE: return "DELETE";
        case EVHTTP_REQ_OPTIONS: return "OPTIONS";
        case EVHTTP_REQ_TRACE: return "TRACE";
        case EVHTTP_REQ_CONNECT: return "CONNECT";
        case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "UNKNOWN";
}

// evhttp knows the phrases of RFC 2616 only.
const char* reason_phrase(int status) {
    switch (status) {
        case 422: return "Unprocessable Content";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        default: return nullptr;  // evhttp's own table
    }
}

// The Date header, formatted once a second: evhttp would otherwise run
// gmtime and a printf for every reply.
const char* http_date() {
    struct Cache {
        time_t second = -1;
        char text[40] = {};
    };
    thread_local Cache cache;
    time_t now = std::time(nullptr);
    if (now != cache.second) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(cache.text, sizeof cache.text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cache.second = now;
    }
    return cache.text;
}

// evhttp hands a reply to the connection's bufferevent, which writes it a
// turn of the loop later, once epoll reports the socket writable: two
// epoll_ctl calls and a loop turn for each request. Written here at once
// instead; when all of it went, the bufferevent's write callback runs as
// after its own write, and evhttp finishes the request. What the socket
// does not take now stays for the bufferevent's write. bev is the live
// connection of the request just replied to.
void write_now(bufferevent* bev) {
    evbuffer* out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out) == 0) return;
    if (evbuffer_write(out, bufferevent_getfd(bev)) <= 0 || evbuffer_get_length(out) != 0) return;
    bufferevent_trigger(bev, EV_WRITE, 0);
}

}  // namespace

std::string format_seconds(std::chrono::steady_clock::duration elapsed) {
    // Microseconds as "S.uuuuuu" by hand: printf's %f is a tenth of the
    // cost of a whole request here.
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    if (us < 0) us = 0;
    char text[32];
    char* end = text + sizeof text;
    char* p = end;
    auto whole = static_cast<std::uint64_t>(us / 1000000);
    auto frac = static_cast<std::uint64_t>(us % 1000000);
    for (int i = 0; i < 6; ++i, frac /= 10) *--p = static_cast<char>('0' + frac % 10);
    *--p = '.';
    do *--p = static_cast<char>('0' + whole % 10);
    while ((whole /= 10) != 0);
    return std::string(p, end);
}

Exchange::Exchange(HttpServer& server, evhttp_request* req, std::string request_id,
                   std::chrono::steady_clock::time_point started)
    : server_(server),
      req_(req),
      request_id_(std::move(request_id)),
      started_(started) {
    method_ = method_name(evhttp_request_get_command(req));
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
    path_ = path != nullptr && *path != '\0' ? path : "/";
    server_.live_.insert(this);
}

Exchange::~Exchange() {
    if (req_ != nullptr) {
        server_.log_.error(request_id_, "handler of " + method_ + " " + path_ + " ended without a reply");
        fail(HttpError::internal());
    }
    server_.live_.erase(this);
}

const char* Exchange::header(const char* name) const {
    if (req_ == nullptr) return nullptr;
    return evhttp_find_header(evhttp_request_get_input_headers(req_), name);
}

std::optional<std::string> Exchange::query(const char* name) const {
    if (req_ == nullptr) return std::nullopt;
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req_);
    const char* q = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
    if (q == nullptr) return std::nullopt;
    for (const auto& [key, value] : parse_urlencoded(q))
        if (key == name) return value;
    return std::nullopt;
}

void Exchange::reply_json(int status, const Json& body, const HeaderList& extra) {
    std::string text = body.dump();
    send(status, &text, extra);
}

void Exchange::reply_json_text(int status, const std::string& json_text, const HeaderList& extra) {
    send(status, &json_text, extra);
}

void Exchange::reply_text(int status, const char* content_type, const std::string& text) {
    send(status, &text, {}, content_type);
}

void Exchange::reply_empty(int status, const HeaderList& extra) { send(status, nullptr, extra); }

void Exchange::fail(const HttpError& error) {
    if (error.status() >= 500) {
        std::string what = error.detail().is_string() ? error.detail().as_string() : error.detail().dump();
        server_.log_.error(request_id_, method_ + " " + path_ + " failed with " + std::to_string(error.status()) +
                                            ": " + what);
    }
    reply_json(error.status(), error_body(error.detail(), request_id_), error.headers());
}

void Exchange::fail_current_exception() {
    try {
        throw;
    } catch (const HttpError& e) {
        fail(e);
    } catch (const std::exception& e) {
        server_.log_.error(request_id_, method_ + " " + path_ + " raised " + typeid(e).name() + ": " + e.what());
        fail(HttpError::internal());
    } catch (...) {
        server_.log_.error(request_id_, method_ + " " + path_ + " raised a non-standard exception");
        fail(HttpError::internal());
    }
}

void Exchange::send(int status, const std::string* body, const HeaderList& extra, const char* content_type) {
    if (req_ == nullptr) return;
    evhttp_request* req = std::exchange(req_, nullptr);
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    if (body != nullptr) evhttp_add_header(out, "Content-Type", content_type);
    evhttp_add_header(out, "X-Request-ID", request_id_.c_str());
    std::string process_time = format_seconds(std::chrono::steady_clock::now() - started_);
    evhttp_add_header(out, "X-Process-Time", process_time.c_str());

    bool cors_given = false;
    for (const auto& [name, value] : extra) cors_given |= name == "Access-Control-Allow-Origin";
    if (!cors_given) {
        const char* origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
        for (const auto& [name, value] : server_.settings_.cors.response_headers(origin))
            evhttp_add_header(out, name.c_str(), value.c_str());
    }
    // evhttp_add_header refuses values with CR or LF, so no header can be injected.
    for (const auto& [name, value] : extra) evhttp_add_header(out, name.c_str(), value.c_str());
    if (server_.draining_) evhttp_add_header(out, "Connection", "close");

    evhttp_add_header(out, "Date", http_date());
    if (body != nullptr) {
        // Given here, evhttp does not printf it; a HEAD reply carries the
        // length of the body it leaves out.
        evhttp_add_header(out, "Content-Length", std::to_string(body->size()).c_str());
        if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
            evbuffer_add(evhttp_request_get_output_buffer(req), body->data(), body->size());
    }
    // None when evhttp has let the connection go (the client left while
    // the handler worked): the reply then goes nowhere.
    evhttp_connection* evcon = evhttp_request_get_connection(req);
    bufferevent* connection = evcon != nullptr ? evhttp_connection_get_bufferevent(evcon) : nullptr;
    evhttp_send_reply(req, status, reason_phrase(status), nullptr);
    if (connection != nullptr) server_.connections_.reply_sent(connection);
    server_.finished(this, status, process_time);
    if (connection != nullptr && write_at_once_) write_now(connection);
}

}  // namespace usersuite
