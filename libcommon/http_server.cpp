#include "libcommon/http_server.hpp"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/listener.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "libcommon/evhttp_fast_paths.hpp"
#include "libcommon/http_exchange.hpp"
#include "libcommon/http_limits.hpp"
#include "libcommon/request_id.hpp"
#include "libcommon/urlencoded.hpp"

namespace usersuite {

namespace {

// The server whose requests evhttp_send_error() below answers; a daemon has one.
HttpServer* g_server = nullptr;

// The media type of a Content-Type value, lower-cased, without parameters.
std::string media_type(const char* value) {
    if (value == nullptr) return {};
    std::string t = value;
    t = t.substr(0, t.find(';'));
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
}

bool is_json_content_type(const char* value) {
    if (value == nullptr) return true;
    std::string t = media_type(value);
    if (t == "application/json") return true;
    return t.rfind("application/", 0) == 0 && t.size() > 17 && t.compare(t.size() - 5, 5, "+json") == 0;
}

// An application/x-www-form-urlencoded body as a JSON object of strings;
// the first of repeated keys wins, as a form field read once. A field that
// is not UTF-8 is left out, and so reported missing.
Json parse_form_body(evhttp_request* req) {
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::size_t len = evbuffer_get_length(in);
    std::string body(reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), len);
    Json form = Json::object();
    for (const auto& [key, value] : parse_urlencoded(body)) {
        if (key.find('\0') != std::string::npos || !is_valid_utf8(key) || !is_valid_utf8(value)) continue;
        if (!form.get(key).is_valid()) form.set(key, Json::string(value));
    }
    return form;
}

Json parse_json_body(evhttp_request* req) {
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::size_t len = evbuffer_get_length(in);
    if (len > kMaxBodyBytes) throw HttpError::payload_too_large();
    const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, -1));
    std::string why = "the body is empty";
    std::optional<Json> doc;
    if (len > 0) doc = Json::parse_request_body(std::string_view(data, len), &why);
    if (!doc || !doc->is_object()) {
        std::string msg = doc ? "JSON decode error: the body must be a JSON object" : "JSON decode error: " + why;
        throw ValidationErrors().add({"body"}, msg, "json_invalid").to_error();
    }
    return *doc;
}

// A Unix socket path left behind by a dead process refuses connections; one
// that accepts belongs to a live daemon and must not be taken over.
void remove_stale_socket(const std::string& path) {
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    int r = ::connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    int err = errno;
    ::close(probe);
    if (r == 0) throw std::runtime_error("another process is listening on " + path);
    if (err == ECONNREFUSED) ::unlink(path.c_str());
}

}  // namespace

namespace {
evhttp* new_evhttp(EventLoop& loop) {
    evhttp* http = evhttp_new(loop.base());
    if (http == nullptr) throw std::runtime_error("cannot create the HTTP server");
    return http;
}
}  // namespace

HttpServer::HttpServer(EventLoop& loop, HttpSettings settings)
    : loop_(loop),
      settings_(std::move(settings)),
      http_(new_evhttp(loop)),
      connections_(loop, http_, std::chrono::seconds(settings_.request_timeout_seconds)),
      drain_timer_(loop, [this] {
          if (on_drained_) std::exchange(on_drained_, nullptr)();
      }) {
    evhttp_set_timeout(http_, settings_.idle_timeout_seconds);
    evhttp_set_max_headers_size(http_, kMaxHeaderBytes);
    evhttp_set_max_body_size(http_, kMaxBodyBytes);
    evhttp_set_flags(http_, EVHTTP_SERVER_LINGERING_CLOSE);
    // Every method reaches the router, which answers 405 with Allow.
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                          EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    // Bodiless replies (204, a preflight) must not get evhttp's text/html.
    evhttp_set_default_content_type(http_, nullptr);
    evhttp_set_gencb(http_, &HttpServer::on_request, this);
    evhttp_fast_paths_linked();
    g_server = this;
}

HttpServer::~HttpServer() {
    // Replies still pending in callbacks become no-ops; evhttp_free frees their requests.
    for (Exchange* ex : live_) ex->detach();
    evhttp_free(http_);
    connections_.release_all();
    for (const std::string& path : unix_paths_) ::unlink(path.c_str());
    if (g_server == this) g_server = nullptr;
}

void HttpServer::listen(const ListenAddress& address) {
    evhttp_bound_socket* bound = nullptr;
    if (!address.is_unix) {
        bound = evhttp_bind_socket_with_handle(http_, address.host.c_str(), static_cast<ev_uint16_t>(address.port));
        if (bound == nullptr)
            throw std::runtime_error("cannot listen on " + address.to_string() + ": " +
                                     std::strerror(errno != 0 ? errno : EADDRINUSE));
    } else {
        remove_stale_socket(address.path);
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, address.path.c_str(), sizeof sa.sun_path - 1);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 511) != 0) {
            int err = errno;
            ::close(fd);
            throw std::runtime_error("cannot listen on " + address.to_string() + ": " + std::strerror(err));
        }
        evconnlistener* listener =
            evconnlistener_new(loop_.base(), nullptr, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
        if (listener == nullptr) {
            ::close(fd);
            throw std::runtime_error("cannot watch " + address.to_string());
        }
        bound = evhttp_bind_listener(http_, listener);
        if (bound == nullptr) {
            evconnlistener_free(listener);
            throw std::runtime_error("cannot serve HTTP on " + address.to_string());
        }
        unix_paths_.push_back(address.path);
    }
    // Out of descriptors: without an error callback the pending accept
    // would fire again at once, forever.
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bound), [](evconnlistener*, void*) {
        Logger("http").error(kNoRequest, std::string("accept failed: ") + std::strerror(errno));
    });
    sockets_.push_back(bound);
}

void HttpServer::drain(std::chrono::seconds timeout, std::function<void()> on_drained) {
    draining_ = true;
    on_drained_ = std::move(on_drained);
    for (evhttp_bound_socket* s : sockets_) evhttp_del_accept_socket(http_, s);
    sockets_.clear();
    for (const std::string& path : unix_paths_) ::unlink(path.c_str());
    unix_paths_.clear();
    drain_timer_.arm(live_.empty() ? std::chrono::milliseconds(0) : std::chrono::milliseconds(timeout));
}

void HttpServer::on_request(evhttp_request* req, void* self) { static_cast<HttpServer*>(self)->dispatch(req); }

void HttpServer::dispatch(evhttp_request* req) {
    auto started = std::chrono::steady_clock::now();
    connections_.request_received(req);
    auto ex = std::make_shared<Exchange>(*this, req,
                                         choose_request_id(evhttp_request_get_input_headers(req)), started);
    try {
        route(ex, req);
    } catch (...) {
        ex->fail_current_exception();
    }
}

void HttpServer::route(const std::shared_ptr<Exchange>& ex, evhttp_request* req) {
    const char* origin = ex->header("Origin");
    if (ex->method() == "OPTIONS" && origin != nullptr && ex->header("Access-Control-Request-Method") != nullptr) {
        auto headers = settings_.cors.preflight_headers(origin, ex->header("Access-Control-Request-Headers"));
        if (!headers) throw HttpError(400, "Disallowed CORS origin");
        ex->reply_empty(200, *headers);
        return;
    }
    RouteMatch m = router_.match(ex->method(), ex->path());
    if (m.kind == RouteMatch::not_found) throw HttpError::not_found();
    if (m.kind == RouteMatch::method_not_allowed) throw HttpError::method_not_allowed(m.allow);
    ex->params_ = std::move(m.params);
    if (m.route->body == Body::json_or_form &&
        media_type(ex->header("Content-Type")) == "application/x-www-form-urlencoded") {
        ex->json_ = parse_form_body(req);
        ex->body_is_form_ = true;
    } else if (m.route->body != Body::none) {
        if (!is_json_content_type(ex->header("Content-Type")))
            throw m.route->body == Body::json_or_form
                      ? HttpError(415, "Unsupported Media Type: send the body as application/json or "
                                       "application/x-www-form-urlencoded")
                      : HttpError::unsupported_media_type();
        ex->json_ = parse_json_body(req);
    }
    m.route->handler(ex);
}

void HttpServer::finished(Exchange* ex, int status, const std::string& process_time) {
    thread_local std::string line;
    line.assign(ex->method());
    line += ' ';
    line += ex->path();
    line += ' ';
    char code[12];
    line.append(code, std::to_chars(code, code + sizeof code, status).ptr);
    line += ' ';
    line += process_time;
    line += 's';
    access_log_.info(ex->request_id(), line);
    live_.erase(ex);
    if (draining_ && live_.empty()) drain_timer_.arm(std::chrono::milliseconds(0));
}

void HttpServer::reply_to_rejected(evhttp_request* req, int status) {
    // An unparsable request line leaves the version at 0.0; answer as HTTP/1.1.
    if (req->major != 1) {
        req->major = 1;
        req->minor = 1;
    }
    auto ex = std::make_shared<Exchange>(*this, req, choose_request_id(evhttp_request_get_input_headers(req)),
                                         std::chrono::steady_clock::now());
    ex->write_at_once_ = false;
    // The rest of the request was not read, so the connection cannot be reused.
    HeaderList close = {{"Connection", "close"}};
    if (status == 501 && evhttp_request_get_evhttp_uri(req) != nullptr) {
        // A method evhttp does not know: 405 on a route that exists, as for any other method.
        RouteMatch m = router_.match("UNKNOWN", ex->path());
        if (m.kind == RouteMatch::method_not_allowed)
            ex->fail(HttpError(405, "Method Not Allowed", {{"Allow", m.allow}, close.front()}));
        else
            ex->fail(HttpError(404, "Not Found", close));
    } else if (status == 413)
        ex->fail(HttpError(413, HttpError::payload_too_large().detail(), close));
    else if (status == 400)
        ex->fail(HttpError(400, "Bad Request: malformed request, or headers over 16 KiB", close));
    else
        ex->fail(HttpError(status, "Request rejected by the HTTP parser", close));
}

}  // namespace usersuite

// evhttp answers the requests it rejects itself (malformed request line or
// headers, headers over the limit, a body over 1 MiB) with evhttp_send_error,
// which writes a fixed HTML page and offers no hook. libevent calls it
// through its PLT, so this definition in the program takes its place and
// those replies leave through the one JSON error path like every other.
extern "C" void evhttp_send_error(evhttp_request* req, int error, const char* /*reason*/) {
    if (usersuite::g_server != nullptr) {
        usersuite::g_server->reply_to_rejected(req, error);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    evhttp_send_reply(req, error, nullptr, nullptr);
}
