// One request and its one reply. Handlers get a shared_ptr<Exchange> and may
// reply later from a PostgreSQL or Redis callback; every reply, error or not,
// goes out through reply_json()/reply_empty()/fail(), which add the headers
// api.md puts on every response and write the access-log line. An exchange
// dropped without a reply answers 500, so no connection is left hanging.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libcommon/http_error.hpp"
#include "libcommon/http_router.hpp"
#include "libcommon/json.hpp"

struct evhttp_request;

namespace usersuite {

class HttpServer;

// X-Process-Time's format: seconds as a plain decimal with six places.
std::string format_seconds(std::chrono::steady_clock::duration elapsed);

class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(HttpServer& server, evhttp_request* req, std::string request_id,
             std::chrono::steady_clock::time_point started);
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    const std::string& request_id() const { return request_id_; }
    const std::string& method() const { return method_; }
    const std::string& path() const { return path_; }  // raw, without the query
    const PathParams& params() const { return params_; }
    const char* header(const char* name) const;          // nullptr if absent
    std::optional<std::string> query(const char* name) const;
    const Json& json() const { return json_; }            // the body, for Body::json and json_or_form routes
    bool body_is_form() const { return body_is_form_; }   // json() came from a urlencoded form

    void reply_json(int status, const Json& body, const HeaderList& extra = {});
    // A body already serialised: once at start, or written directly (a user).
    void reply_json_text(int status, const std::string& json_text, const HeaderList& extra = {});
    // Another type, for the documentation pages (text/html; charset=utf-8).
    void reply_text(int status, const char* content_type, const std::string& text);
    void reply_empty(int status, const HeaderList& extra = {});
    void fail(const HttpError& error);
    // Maps any exception to a reply: HttpError as itself, anything else a
    // logged 500. Call from a catch block.
    void fail_current_exception();
    bool replied() const { return req_ == nullptr; }

    // Wraps a callback so that an exception thrown by it becomes this
    // exchange's error reply, as it does for the handler itself.
    template <typename F>
    auto guarded(F fn) {
        return [self = shared_from_this(), fn = std::move(fn)](auto&&... args) mutable {
            try {
                fn(std::forward<decltype(args)>(args)...);
            } catch (...) {
                self->fail_current_exception();
            }
        };
    }

private:
    friend class HttpServer;
    void send(int status, const std::string* body, const HeaderList& extra,
              const char* content_type = "application/json");
    void detach() { req_ = nullptr; }

    HttpServer& server_;
    evhttp_request* req_;
    // Off for the replies to what evhttp rejects itself: those are sent
    // from inside evhttp's own code, which must not see the request end.
    bool write_at_once_ = true;
    std::string request_id_;
    std::string method_;
    std::string path_;
    std::chrono::steady_clock::time_point started_;
    PathParams params_;
    Json json_;
    bool body_is_form_ = false;
};

}  // namespace usersuite
