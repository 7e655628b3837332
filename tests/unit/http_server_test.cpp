// HttpServer in process: a real evhttp server on 127.0.0.1 (or a Unix
// socket) with test routes, its loop on its own thread, spoken to by a raw
// blocking client. The loop thread is the only one that touches libevent
// while it runs: the test thread talks to it through atomics that a timer
// on the loop polls.
#include "libcommon/http_server.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/http_error.hpp"
#include "libcommon/http_exchange.hpp"
#include "libcommon/json.hpp"
#include "libcommon/listen_address.hpp"
#include "libcommon/log.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using testing_support::eventually;
using testing_support::HttpResponse;
using testing_support::RawClient;
using usersuite::Body;
using usersuite::Exchange;
using usersuite::HttpError;
using usersuite::Json;
using ExPtr = std::shared_ptr<Exchange>;

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kPlainDecimal("^[0-9]+\\.[0-9]+$");

std::string request(const std::string& method, const std::string& target, const std::string& extra_headers = "",
                    const std::optional<std::string>& body = std::nullopt) {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
    if (body) r += "Content-Length: " + std::to_string(body->size()) + "\r\n";
    r += "\r\n";
    if (body) r += *body;
    return r;
}

std::optional<Json> json_of(const HttpResponse& r) { return Json::parse(r.body, nullptr); }

class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override { usersuite::log_open("unit-tests", "", usersuite::LogLevel::error, false); }

    void TearDown() override { stop(); }

    // Creates the server with the standard test routes; call listen_*() and
    // run() next.
    void create(usersuite::HttpSettings settings = {}) {
        loop_ = std::make_unique<usersuite::EventLoop>();
        server_ = std::make_unique<usersuite::HttpServer>(*loop_, std::move(settings));
        poll_ = std::make_unique<usersuite::Timer>(*loop_, [this] { on_poll(); });
        later_timer_ = std::make_unique<usersuite::Timer>(*loop_, [this] {
            if (later_) std::exchange(later_, nullptr)();
        });
        auto& r = server_->router();
        r.add("GET", "/", [](const ExPtr& ex) { ex->reply_json(200, Json::object().set("message", Json::string("root"))); });
        r.add("GET", "/hello", [](const ExPtr& ex) {
            ex->reply_json(200, Json::object().set("message", Json::string("Hello, World!")));
        });
        r.add("GET", "/hello/{name}", [](const ExPtr& ex) {
            ex->reply_json(200, Json::object().set("name", Json::string(ex->params().text("name"))));
        });
        r.add("GET", "/items/{id:int}", [](const ExPtr& ex) {
            ex->reply_json(200, Json::object().set("id", Json::integer(ex->params().integer("id"))));
        });
        r.add("POST", "/echo", [](const ExPtr& ex) { ex->reply_json(200, ex->json()); }, Body::json);
        r.add("PUT", "/echo", [](const ExPtr& ex) { ex->reply_json(200, ex->json()); }, Body::json);
        r.add("POST", "/raw", [](const ExPtr& ex) { ex->reply_json(200, Json::object()); });
        r.add("GET", "/boom", [](const ExPtr&) { throw std::runtime_error("secret internals /etc/passwd"); });
        r.add("GET", "/conflict", [](const ExPtr&) {
            throw HttpError(409, "Email already registered", {{"X-Conflict", "yes"}});
        });
        r.add("GET", "/drop", [](const ExPtr&) {});
        r.add("DELETE", "/gone", [](const ExPtr& ex) { ex->reply_empty(204); });
        r.add("GET", "/query", [](const ExPtr& ex) {
            Json o = Json::object();
            if (auto x = ex->query("x")) o.set("x", Json::string(*x));
            if (auto y = ex->query("y")) o.set("y", Json::string(*y));
            o.set("path", Json::string(ex->path())).set("method", Json::string(ex->method()));
            ex->reply_json(200, o);
        });
        r.add("GET", "/rid", [](const ExPtr& ex) {
            ex->reply_json(200, Json::object().set("request_id", Json::string(ex->request_id())));
        });
        r.add("GET", "/twice", [](const ExPtr& ex) {
            ex->reply_json(200, Json::object().set("first", Json::boolean(true)));
            ex->reply_json(201, Json::object().set("second", Json::boolean(true)));  // ignored
            throw std::runtime_error("after the reply");                            // ignored too
        });
        r.add("GET", "/guarded-now", [](const ExPtr& ex) {
            auto cb = ex->guarded([] { throw HttpError(418, "teapot"); });
            cb();
        });
        r.add("GET", "/guarded-later", [this](const ExPtr& ex) {
            later_ = ex->guarded([] { throw std::runtime_error("late failure"); });
            later_timer_->arm(std::chrono::milliseconds(1));
        });
        r.add("GET", "/reply-later", [this](const ExPtr& ex) {
            later_ = ex->guarded([ex] { ex->reply_json(202, Json::object().set("late", Json::boolean(true))); });
            later_timer_->arm(std::chrono::milliseconds(1));
        });
        r.add("GET", "/static", [](const ExPtr& ex) { ex->reply_json_text(200, "{\"fixed\":1}"); });
        r.add("GET", "/held", [this](const ExPtr& ex) {
            held_.push_back(ex);
            held_count_.fetch_add(1);
        });
    }

    void listen_tcp() {
        // The free port may be taken between the probe and the bind; try again.
        for (int attempt = 0;; ++attempt) {
            port_ = testing_support::free_tcp_port();
            std::string error;
            auto address = usersuite::parse_listen_address("127.0.0.1:" + std::to_string(port_), &error);
            ASSERT_TRUE(address) << error;
            try {
                server_->listen(*address);
                return;
            } catch (const std::runtime_error& e) {
                if (attempt == 5) FAIL() << e.what();
            }
        }
    }

    void run() {
        poll_->arm(std::chrono::milliseconds(2));
        thread_ = std::thread([this] {
            try {
                loop_->run();
            } catch (...) {
                loop_failed_ = true;
            }
            loop_exited_ = true;
        });
    }

    void start(usersuite::HttpSettings settings = {}) {
        create(std::move(settings));
        listen_tcp();
        run();
    }

    // Runs on the loop thread.
    void on_poll() {
        if (release_held_.exchange(false)) {
            for (auto& ex : held_) ex->reply_json(200, Json::object().set("released", Json::boolean(true)));
            held_.clear();
        }
        if (drain_requested_.exchange(false)) {
            server_->drain(drain_timeout_, [this] { drained_ = true; });
            drain_started_ = true;
        }
        if (stop_requested_) {
            held_.clear();  // replies 500 to whatever is still held
            loop_->stop();
            return;
        }
        poll_->arm(std::chrono::milliseconds(2));
    }

    void stop() {
        if (thread_.joinable()) {
            stop_requested_ = true;
            thread_.join();
        }
        EXPECT_FALSE(loop_failed_);
        held_.clear();
        later_ = nullptr;
        later_timer_.reset();
        poll_.reset();
        server_.reset();
        loop_.reset();
    }

    std::optional<HttpResponse> send(const std::string& raw, bool head = false) {
        RawClient c;
        if (!c.connect_tcp(port_)) return std::nullopt;
        return c.exchange(raw, head);
    }

    std::optional<HttpResponse> get(const std::string& target, const std::string& headers = "") {
        return send(request("GET", target, headers));
    }

    std::optional<HttpResponse> post_json(const std::string& target, const std::string& body,
                                          const std::string& content_type = "application/json") {
        std::string headers = content_type.empty() ? "" : "Content-Type: " + content_type + "\r\n";
        return send(request("POST", target, headers, body));
    }

    // The checks api.md makes of every response a daemon writes.
    static void expect_common_headers(const HttpResponse& r) {
        auto rid = r.header("X-Request-ID");
        ASSERT_TRUE(rid) << r.status_line;
        EXPECT_EQ(r.header_count("X-Request-ID"), 1u);
        auto took = r.header("X-Process-Time");
        ASSERT_TRUE(took) << r.status_line;
        EXPECT_TRUE(std::regex_match(*took, kPlainDecimal)) << *took;
        EXPECT_LT(std::stod(*took), 10.0);
    }

    // An error response: JSON body {"detail": ..., "request_id": <X-Request-ID>}.
    static Json expect_error(const std::optional<HttpResponse>& r, int status) {
        EXPECT_TRUE(r) << "no response";
        if (!r) return Json();
        EXPECT_EQ(r->status, status) << r->status_line << "\n" << r->body;
        expect_common_headers(*r);
        EXPECT_EQ(r->header("Content-Type"), "application/json");
        auto doc = json_of(*r);
        EXPECT_TRUE(doc && doc->is_object()) << r->body;
        if (!doc) return Json();
        EXPECT_EQ(doc->size(), 2u) << r->body;
        EXPECT_EQ(doc->get("request_id").as_string(), r->header("X-Request-ID").value_or("<none>"));
        return doc->get("detail");
    }

    static void expect_json_invalid(const std::optional<HttpResponse>& r) {
        Json detail = expect_error(r, 422);
        ASSERT_TRUE(detail.is_array()) << (r ? r->body : "");
        ASSERT_EQ(detail.size(), 1u);
        EXPECT_EQ(detail.at(0).get("loc").dump(), "[\"body\"]");
        EXPECT_EQ(detail.at(0).get("type").as_string(), "json_invalid");
        EXPECT_FALSE(detail.at(0).get("msg").as_string().empty());
    }

    std::unique_ptr<usersuite::EventLoop> loop_;
    std::unique_ptr<usersuite::HttpServer> server_;
    std::unique_ptr<usersuite::Timer> poll_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> loop_failed_{false};
    std::atomic<bool> loop_exited_{false};
    std::atomic<bool> release_held_{false};
    std::atomic<bool> drain_requested_{false};
    std::atomic<bool> drain_started_{false};
    std::atomic<bool> drained_{false};
    std::atomic<int> held_count_{0};
    std::vector<ExPtr> held_;  // loop thread only
    std::unique_ptr<usersuite::Timer> later_timer_;
    std::function<void()> later_;  // loop thread only
    std::chrono::seconds drain_timeout_{10};
};

TEST_F(HttpServerTest, GetRouteRepliesJson) {
    start();
    auto r = get("/hello");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(r->body, "{\"message\":\"Hello, World!\"}");
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->header("Content-Length"), std::to_string(r->body.size()));
    expect_common_headers(*r);
    EXPECT_TRUE(std::regex_match(*r->header("X-Request-ID"), kUuidV4)) << *r->header("X-Request-ID");
}

TEST_F(HttpServerTest, PreserialisedJsonReplyGetsTheCommonHeaders) {
    start();
    auto r = get("/static", "X-Request-ID: static-1\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"fixed\":1}");
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->header("X-Request-ID"), "static-1");
    expect_common_headers(*r);
}

TEST_F(HttpServerTest, RootRoute) {
    start();
    auto r = get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"message\":\"root\"}");
}

TEST_F(HttpServerTest, PathParametersReachTheHandlerDecoded) {
    start();
    auto r = get("/hello/a%2Fb");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"name\":\"a/b\"}");
    r = get("/hello/J%C3%BCrgen");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "{\"name\":\"J\xc3\xbcrgen\"}");
    r = get("/items/9223372036854775807");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"id\":9223372036854775807}");
}

TEST_F(HttpServerTest, BadPathParametersAre422) {
    start();
    for (const char* bad : {"/items/0", "/items/-1", "/items/abc", "/items/9223372036854775808"}) {
        Json detail = expect_error(get(bad), 422);
        ASSERT_TRUE(detail.is_array()) << bad;
        EXPECT_EQ(detail.at(0).get("loc").dump(), "[\"path\",\"id\"]") << bad;
    }
    Json detail = expect_error(get("/hello/%FF%FE"), 422);
    ASSERT_TRUE(detail.is_array());
    EXPECT_EQ(detail.at(0).get("loc").dump(), "[\"path\",\"name\"]");
}

TEST_F(HttpServerTest, QueryAndPathAreSeparated) {
    start();
    auto r = get("/query?x=1&y=a%20b");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto doc = json_of(*r);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->get("x").as_string(), "1");
    EXPECT_EQ(doc->get("y").as_string(), "a b");
    EXPECT_EQ(doc->get("path").as_string(), "/query");
    EXPECT_EQ(doc->get("method").as_string(), "GET");
    r = get("/query");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "{\"path\":\"/query\",\"method\":\"GET\"}");
}

TEST_F(HttpServerTest, QueryDecodesPlusAndTakesTheFirstOfRepeats) {
    start();
    auto r = get("/query?y=a+b%2Bc&x=1&x=2");
    ASSERT_TRUE(r);
    auto doc = json_of(*r);
    ASSERT_TRUE(doc) << r->body;
    EXPECT_EQ(doc->get("y").as_string(), "a b+c");
    EXPECT_EQ(doc->get("x").as_string(), "1");
}

// Known bug (see the report): one malformed piece of the query string (a key
// without '=', an empty piece from "&&" or a leading '&') makes
// Exchange::query() return nullopt for every parameter, so e.g.
// "?limit=0&debug" silently serves the default instead of a 422.
TEST_F(HttpServerTest, QueryParametersSurviveABareKeyOrEmptyPiece) {
    start();
    for (const char* target : {"/query?x=1&flag", "/query?flag&x=1", "/query?x=1&&y=2", "/query?&x=1"}) {
        auto r = get(target);
        ASSERT_TRUE(r) << target;
        auto doc = json_of(*r);
        ASSERT_TRUE(doc) << r->body;
        EXPECT_EQ(doc->get("x").as_string(), "1") << target << " -> " << r->body;
    }
}

TEST_F(HttpServerTest, UnknownRouteIs404) {
    start();
    Json detail = expect_error(get("/no/such/route"), 404);
    EXPECT_EQ(detail.as_string(), "Not Found");
    expect_error(get("/hello/"), 404);  // trailing slash: no redirect
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
    start();
    auto r = send(request("DELETE", "/hello"));
    Json detail = expect_error(r, 405);
    EXPECT_EQ(detail.as_string(), "Method Not Allowed");
    EXPECT_EQ(r->header("Allow"), "GET, HEAD");
    r = send(request("PATCH", "/echo", "", std::string("{}")));
    expect_error(r, 405);
    EXPECT_EQ(r->header("Allow"), "POST, PUT");
    r = send(request("OPTIONS", "/hello"));  // OPTIONS without preflight headers
    expect_error(r, 405);
    EXPECT_EQ(r->header("Allow"), "GET, HEAD");
}

TEST_F(HttpServerTest, HeadGetsHeadersWithoutBody) {
    start();
    auto full = get("/hello");
    ASSERT_TRUE(full);
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    auto head = c.exchange(request("HEAD", "/hello"), /*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Type"), "application/json");
    EXPECT_EQ(head->header("Content-Length"), std::to_string(full->body.size()));
    expect_common_headers(*head);
    // No body bytes follow: the next response on the connection parses cleanly.
    auto next = c.exchange(request("GET", "/hello"));
    ASSERT_TRUE(next) << "unread: " << c.unread();
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, full->body);
    // HEAD of an error has no body either.
    auto missing = c.exchange(request("HEAD", "/nothing"), true);
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_NE(missing->header("Content-Length").value_or("0"), "0");
    auto after = c.exchange(request("GET", "/"));
    ASSERT_TRUE(after) << "unread: " << c.unread();
    EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, JsonRouteEchoesTheBody) {
    start();
    auto r = post_json("/echo", "{\"name\":\"J\\u00fcrgen\",\"n\":[1,2]}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "{\"name\":\"J\xc3\xbcrgen\",\"n\":[1,2]}");
    expect_common_headers(*r);
}

TEST_F(HttpServerTest, JsonContentTypesAccepted) {
    start();
    for (const char* type : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                             "application/json ;charset=UTF-8", "application/merge-patch+json",
                             "application/vnd.api+json"}) {
        auto r = post_json("/echo", "{\"a\":1}", type);
        ASSERT_TRUE(r) << type;
        EXPECT_EQ(r->status, 200) << type << ": " << r->body;
        EXPECT_EQ(r->body, "{\"a\":1}") << type;
    }
}

TEST_F(HttpServerTest, MissingContentTypeIsReadAsJson) {
    start();
    auto r = post_json("/echo", "{\"a\":true}", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->body, "{\"a\":true}");
}

TEST_F(HttpServerTest, OtherContentTypesAre415) {
    start();
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                             "application/jsonx", "text/json", "application/+json"}) {
        Json detail = expect_error(post_json("/echo", "{\"a\":1}", type), 415);
        EXPECT_TRUE(detail.is_string()) << type;
    }
}

TEST_F(HttpServerTest, EmptyBodyIsJsonInvalid) {
    start();
    expect_json_invalid(post_json("/echo", ""));
    expect_json_invalid(send(request("POST", "/echo", "Content-Type: application/json\r\n")));  // no length
}

TEST_F(HttpServerTest, MalformedJsonIsJsonInvalid) {
    start();
    for (const char* body : {"{", "{\"a\":1,\"a\":2}", "{} trailing", "{'a':1}", "\xff", "nul\x01"})
        expect_json_invalid(post_json("/echo", body));
}

TEST_F(HttpServerTest, JsonThatIsNotAnObjectIsJsonInvalid) {
    start();
    for (const char* body : {"[]", "[{\"a\":1}]", "1", "\"text\"", "null", "true"})
        expect_json_invalid(post_json("/echo", body));
}

TEST_F(HttpServerTest, BodyOfExactlyOneMebibyteIsAccepted) {
    start();
    std::string prefix = "{\"a\":\"", suffix = "\"}";
    std::string body = prefix + std::string(1024 * 1024 - prefix.size() - suffix.size(), 'x') + suffix;
    ASSERT_EQ(body.size(), 1048576u);
    auto r = post_json("/echo", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body.substr(0, 200);
    EXPECT_EQ(r->body, body);
}

TEST_F(HttpServerTest, BodyOverOneMebibyteIs413Json) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "X-Request-ID: big-1\r\nContent-Length: 1048577\r\n\r\n";
    c.send_all(head);
    c.send_all(std::string(1048577, ' '));  // may stop early once the server answered
    auto r = c.read_response();
    Json detail = expect_error(r, 413);
    ASSERT_TRUE(r);
    EXPECT_NE(detail.as_string().find("too large"), std::string::npos) << r->body;
    EXPECT_EQ(r->header("X-Request-ID"), "big-1");
    EXPECT_EQ(r->header("Connection"), "close");
    // The server goes on serving.
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, ChunkedBodyOverOneMebibyteIs413Json) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    c.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n");
    std::string chunk(64 * 1024, ' ');
    char size_line[16];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    for (int i = 0; i < 17; ++i)  // 17 x 64 KiB > 1 MiB
        if (!c.send_all(size_line + chunk + "\r\n")) break;
    c.send_all("0\r\n\r\n");
    Json detail = expect_error(c.read_response(), 413);
    EXPECT_NE(detail.as_string().find("too large"), std::string::npos);
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, ExceptionIs500WithoutInternalsAndServerGoesOn) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    auto r = c.exchange(request("GET", "/boom"));
    Json detail = expect_error(r, 500);
    ASSERT_TRUE(r);
    EXPECT_EQ(detail.as_string(), "Internal Server Error");
    EXPECT_EQ(r->body, "{\"detail\":\"Internal Server Error\",\"request_id\":\"" + *r->header("X-Request-ID") + "\"}");
    EXPECT_EQ(r->body.find("passwd"), std::string::npos);
    // Same connection, then a new one.
    auto again = c.exchange(request("GET", "/hello"));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    auto fresh = get("/hello");
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 200);
}

TEST_F(HttpServerTest, HttpErrorFromHandlerKeepsStatusDetailAndHeaders) {
    start();
    auto r = get("/conflict", "X-Request-ID: conflict-1\r\n");
    Json detail = expect_error(r, 409);
    ASSERT_TRUE(r);
    EXPECT_EQ(detail.as_string(), "Email already registered");
    EXPECT_EQ(r->header("X-Conflict"), "yes");
    EXPECT_EQ(r->body, "{\"detail\":\"Email already registered\",\"request_id\":\"conflict-1\"}");
}

TEST_F(HttpServerTest, OnlyTheFirstReplyCounts) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    auto r = c.exchange(request("GET", "/twice"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"first\":true}");
    // Nothing else was written on the connection: the next response is clean.
    auto next = c.exchange(request("GET", "/hello"));
    ASSERT_TRUE(next) << "unread: " << c.unread();
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "{\"message\":\"Hello, World!\"}");
}

TEST_F(HttpServerTest, GuardedCallbackTurnsExceptionsIntoReplies) {
    start();
    Json detail = expect_error(get("/guarded-now"), 418);
    EXPECT_EQ(detail.as_string(), "teapot");
    detail = expect_error(get("/guarded-later"), 500);
    EXPECT_EQ(detail.as_string(), "Internal Server Error");
}

TEST_F(HttpServerTest, ReplyFromALaterCallback) {
    start();
    auto r = get("/reply-later", "X-Request-ID: later-1\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(r->body, "{\"late\":true}");
    EXPECT_EQ(r->header("X-Request-ID"), "later-1");
    expect_common_headers(*r);
}

TEST_F(HttpServerTest, ClientGoneBeforeALateReplyDoesNotHurtTheServer) {
    start();
    {
        RawClient c;
        ASSERT_TRUE(c.connect_tcp(port_));
        ASSERT_TRUE(c.send_all(request("GET", "/held")));
        ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    }  // the client hangs up while its request is in flight
    release_held_ = true;
    ASSERT_TRUE(eventually([&] { return !release_held_.load(); }));
    for (int i = 0; i < 3; ++i) {
        auto r = get("/hello");
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->status, 200);
    }
}

TEST_F(HttpServerTest, DroppedExchangeGets500) {
    start();
    auto r = get("/drop");
    Json detail = expect_error(r, 500);
    EXPECT_EQ(detail.as_string(), "Internal Server Error");
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, EmptyReplyHasNoBodyAndNoContentType) {
    start();
    auto r = send(request("DELETE", "/gone"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_FALSE(r->header("Content-Type"));
    EXPECT_EQ(r->body, "");
    expect_common_headers(*r);
}

TEST_F(HttpServerTest, ValidClientRequestIdIsEchoedAndSeenByTheHandler) {
    start();
    auto r = get("/rid", "X-Request-ID: Req.1_a-b:c@d/e\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("X-Request-ID"), "Req.1_a-b:c@d/e");
    EXPECT_EQ(r->body, "{\"request_id\":\"Req.1_a-b:c@d/e\"}");
    std::string longest(128, 'z');
    r = get("/hello", "X-Request-ID: " + longest + "\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("X-Request-ID"), longest);
}

TEST_F(HttpServerTest, InvalidOrRepeatedClientRequestIdIsReplaced) {
    start();
    for (const std::string& bad : {std::string("has space"), std::string("ctl\x01x"), std::string("h\xc3\xa9llo"),
                                   std::string(129, 'b'), std::string("semi;colon")}) {
        auto r = get("/no/such", "X-Request-ID: " + bad + "\r\n");
        ASSERT_TRUE(r) << bad;
        auto rid = r->header("X-Request-ID");
        ASSERT_TRUE(rid);
        EXPECT_TRUE(std::regex_match(*rid, kUuidV4)) << bad << " -> " << *rid;
        EXPECT_EQ(r->body.find(bad), std::string::npos) << r->body;
    }
    auto r = get("/hello", "X-Request-ID: one\r\nX-Request-ID: two\r\n");
    ASSERT_TRUE(r);
    EXPECT_TRUE(std::regex_match(r->header("X-Request-ID").value_or(""), kUuidV4));
}

TEST_F(HttpServerTest, GeneratedRequestIdsDiffer) {
    start();
    auto a = get("/hello");
    auto b = get("/hello");
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->header("X-Request-ID"), b->header("X-Request-ID"));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    for (int i = 0; i < 5; ++i) {
        auto r = c.exchange(request("GET", "/items/" + std::to_string(i + 1)));
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->body, "{\"id\":" + std::to_string(i + 1) + "}");
    }
    // Pipelined: two requests in one write, two responses in order.
    ASSERT_TRUE(c.send_all(request("GET", "/items/7") + request("GET", "/nothing")));
    auto first = c.read_response();
    auto second = c.read_response();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(second->status, 404);
}

// The CPU time of this process (the loop's thread and the test's).
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// evhttp stops reading while a handler works, and each connection keeps a
// read watch of its own (http_connections.hpp): input that arrives
// meanwhile must stop the watch, not fire it on every loop turn, and waits
// for its turn.
TEST_F(HttpServerTest, InputArrivingWhileAHandlerWorksNeitherSpinsTheLoopNorIsLost) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    ASSERT_TRUE(c.send_all(request("GET", "/held")));
    ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    ASSERT_TRUE(c.send_all(request("GET", "/items/9")));  // pipelined behind the held one
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_LT(cpu_seconds() - before, 0.1) << "the loop spun while the request was held";
    release_held_ = true;
    auto first = c.read_response();
    auto second = c.read_response();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, "{\"released\":true}");
    EXPECT_EQ(second->body, "{\"id\":9}");
    // The watch is back: the connection serves on.
    auto third = c.exchange(request("GET", "/items/10"));
    ASSERT_TRUE(third);
    EXPECT_EQ(third->body, "{\"id\":10}");
}

TEST_F(HttpServerTest, AClientThatEndsItsSideWhileAHandlerWorksGetsItsReplyWithoutASpin) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    ASSERT_TRUE(c.send_all(request("GET", "/held")));
    ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    c.shutdown_write();  // the end of the stream is readable from now on
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_LT(cpu_seconds() - before, 0.1) << "the loop spun on the end of the stream";
    release_held_ = true;
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    for (int i = 0; i < 3; ++i) {
        auto other = get("/hello");
        ASSERT_TRUE(other) << i;
        EXPECT_EQ(other->status, 200);
    }
}

TEST_F(HttpServerTest, AReleasedConnectionLeavesNoWatchForTheNextOneOnItsDescriptor) {
    // evhttp lets a connection go on its idle timeout while the client stays
    // silent, so the watch is still on when a sweep closes the descriptor.
    // Left behind, it would keep epoll from being told of the next connection
    // given that number, which would then hang.
    usersuite::HttpSettings settings;
    settings.idle_timeout_seconds = 1;
    start(std::move(settings));
    RawClient silent(std::chrono::seconds(5));
    ASSERT_TRUE(silent.connect_tcp(port_));
    auto r = silent.exchange(request("GET", "/items/1"));
    ASSERT_TRUE(r);
    // The next client's socket is made while the server still holds the
    // silent connection's descriptor, so that the server's next accept gets
    // that number once the sweep has closed it (client and server share
    // this process's descriptor table).
    RawClient next(std::chrono::seconds(2));
    ASSERT_TRUE(next.open_tcp());
    ASSERT_TRUE(silent.wait_for_eof());
    std::this_thread::sleep_for(std::chrono::milliseconds(600));  // two sweeps
    ASSERT_TRUE(next.connect_opened_tcp(port_));
    auto reply = next.exchange(request("GET", "/items/2"));
    ASSERT_TRUE(reply) << "the connection on the reused descriptor hung";
    EXPECT_EQ(reply->status, 200);
}

TEST_F(HttpServerTest, MalformedRequestGetsJson400AndServerGoesOn) {
    start();
    Json detail = expect_error(send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"), 400);
    EXPECT_TRUE(detail.is_string());
    expect_error(send("THIS IS NOT HTTP\r\n\r\n"), 400);
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

// Known bug (see the report): when evhttp cannot parse the request line
// (garbage, or a line over the header limit) the request's version stays
// 0.0, and reply_to_rejected answers "HTTP/0.0 400", which no client or proxy
// accepts as HTTP/1.x.
TEST_F(HttpServerTest, UnparsableRequestLineGetsAnHttp1StatusLine) {
    start();
    const std::regex http1_400("^HTTP/1\\.[01] 400 .*");
    auto garbage = send("THIS IS NOT HTTP\r\n\r\n");
    ASSERT_TRUE(garbage);
    EXPECT_TRUE(std::regex_match(garbage->status_line, http1_400)) << garbage->status_line;
    auto long_line = send(request("GET", "/hello/" + std::string(20000, 'a')));
    ASSERT_TRUE(long_line);
    EXPECT_TRUE(std::regex_match(long_line->status_line, http1_400)) << long_line->status_line;
}

TEST_F(HttpServerTest, OverlongRequestLineGetsJson400AndServerGoesOn) {
    start();
    Json detail = expect_error(send(request("GET", "/hello/" + std::string(20000, 'a'))), 400);
    EXPECT_TRUE(detail.is_string());
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, RawNonAsciiBytesInThePathAreHandled) {
    start();
    // Not percent-encoded: either evhttp refuses the line (400) or the router
    // sees the bytes; invalid UTF-8 then is a 422, never a crash.
    auto r = send("GET /hello/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 422) << r->status_line;
    auto doc = json_of(*r);
    ASSERT_TRUE(doc) << r->body;
    auto ok = send("GET /hello/J\xc3\xbcrgen HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(ok);
    if (ok->status == 200) {
        EXPECT_EQ(ok->body, "{\"name\":\"J\xc3\xbcrgen\"}");
    }
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, OversizedHeadersGetJsonErrorAndServerGoesOn) {
    start();
    std::string big(20000, 'a');
    auto r = get("/hello", "X-Big: " + big + "\r\nX-Request-ID: big-headers\r\n");
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    auto doc = json_of(*r);
    ASSERT_TRUE(doc) << r->body;
    EXPECT_TRUE(doc->get("request_id").is_string());
    // Whatever the status, the detail must not blame the body: there is none.
    EXPECT_EQ(doc->get("detail").as_string().find("body"), std::string::npos)
        << r->status_line << " " << r->body;
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, UnknownMethodGetsJsonErrorAndServerGoesOn) {
    start();
    auto r = send("BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400);
    auto doc = json_of(*r);
    ASSERT_TRUE(doc) << r->status_line << " " << r->body;
    EXPECT_TRUE(doc->get("detail").is_valid());
    EXPECT_EQ(doc->get("request_id").as_string(), r->header("X-Request-ID").value_or("<none>"));
    auto next = get("/hello");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

// Known divergence (see the report): api.md says 405 with Allow when the
// route exists and the method does not, as FastAPI answers any method; evhttp
// rejects methods it does not know before routing, and reply_to_rejected
// answers 501 "Request rejected by the HTTP parser" (logged as an ERROR).
TEST_F(HttpServerTest, UnknownMethodOnAnExistingRouteIs405) {
    start();
    auto r = send("BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    Json detail = expect_error(r, 405);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Allow"), "GET, HEAD");
    expect_error(send("BREW /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
}

class HttpServerCorsTest : public HttpServerTest {
protected:
    void SetUp() override {
        HttpServerTest::SetUp();
        usersuite::HttpSettings settings;
        std::string error;
        auto cors = usersuite::CorsPolicy::parse("[\"http://localhost:3000\"]", &error);
        ASSERT_TRUE(cors) << error;
        settings.cors = *cors;
        start(std::move(settings));
    }
};

TEST_F(HttpServerCorsTest, PreflightFromAllowedOrigin) {
    auto r = send(request("OPTIONS", "/echo",
                          "Origin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n"
                          "Access-Control-Request-Headers: X-Request-ID, Authorization\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "");
    EXPECT_EQ(r->header("Content-Length").value_or("0"), "0");
    EXPECT_FALSE(r->header("Content-Type"));
    EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(r->header_count("Access-Control-Allow-Origin"), 1u);
    EXPECT_EQ(r->header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(r->header("Access-Control-Allow-Headers"), "X-Request-ID, Authorization");
    EXPECT_NE(r->header("Access-Control-Allow-Methods").value_or("").find("POST"), std::string::npos);
    EXPECT_EQ(r->header_count("Vary"), 1u);
    expect_common_headers(*r);
}

TEST_F(HttpServerCorsTest, PreflightFromRefusedOriginIs400WithoutAllowHeaders) {
    auto r = send(request("OPTIONS", "/echo",
                          "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
                          "Access-Control-Request-Headers: X-Request-ID\r\n"));
    Json detail = expect_error(r, 400);
    ASSERT_TRUE(r);
    EXPECT_TRUE(detail.is_string());
    EXPECT_FALSE(r->has_header_prefix("Access-Control-Allow-")) << r->status_line;
}

TEST_F(HttpServerCorsTest, SimpleRequestFromAllowedOrigin) {
    auto r = get("/hello", "Origin: http://localhost:3000\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(r->header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(r->header("Access-Control-Expose-Headers"), "X-Request-ID, X-Process-Time");
    EXPECT_EQ(r->header("Vary"), "Origin");
    // Errors carry them too.
    auto e = get("/nothing", "Origin: http://localhost:3000\r\n");
    expect_error(e, 404);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->header("Access-Control-Allow-Origin"), "http://localhost:3000");
}

TEST_F(HttpServerCorsTest, SimpleRequestFromRefusedOriginIsServedWithoutCors) {
    auto r = get("/hello", "Origin: http://evil.example\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"message\":\"Hello, World!\"}");
    EXPECT_FALSE(r->has_header_prefix("Access-Control-"));
    auto none = get("/hello");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_header_prefix("Access-Control-"));
}

TEST_F(HttpServerTest, DrainFinishesInFlightRequestsAndStopsAccepting) {
    start();
    RawClient slow;
    ASSERT_TRUE(slow.connect_tcp(port_));
    ASSERT_TRUE(slow.send_all(request("GET", "/held")));
    ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    drain_requested_ = true;
    ASSERT_TRUE(eventually([&] { return drain_started_.load(); }));
    EXPECT_FALSE(drained_.load());  // one request is still in flight
    RawClient late;
    EXPECT_FALSE(late.connect_tcp(port_)) << "the listener should be closed while draining";
    release_held_ = true;
    auto r = slow.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"released\":true}");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(eventually([&] { return drained_.load(); }));
}

TEST_F(HttpServerTest, DrainGivesUpAfterItsTimeout) {
    drain_timeout_ = std::chrono::seconds(1);
    start();
    RawClient slow;
    ASSERT_TRUE(slow.connect_tcp(port_));
    ASSERT_TRUE(slow.send_all(request("GET", "/held")));
    ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    auto before = std::chrono::steady_clock::now();
    drain_requested_ = true;
    ASSERT_TRUE(eventually([&] { return drained_.load(); }, std::chrono::seconds(5)));
    auto took = std::chrono::steady_clock::now() - before;
    EXPECT_GE(took, std::chrono::milliseconds(900));
    EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(HttpServerTest, DrainWithNothingInFlightCompletesAtOnce) {
    start();
    ASSERT_TRUE(get("/hello"));
    drain_requested_ = true;
    EXPECT_TRUE(eventually([&] { return drained_.load(); }));
}

TEST_F(HttpServerTest, StoppingWithARequestStillHeldAnswersItOrCloses) {
    start();
    RawClient c;
    ASSERT_TRUE(c.connect_tcp(port_));
    ASSERT_TRUE(c.send_all(request("GET", "/held")));
    ASSERT_TRUE(eventually([&] { return held_count_.load() == 1; }));
    stop();  // must not hang or crash with an exchange still alive
    EXPECT_TRUE(loop_exited_.load());
    // The held request is answered 500 on the way out, or its connection closed.
    auto r = c.read_response();
    if (r) {
        EXPECT_EQ(r->status, 500);
    } else {
        EXPECT_TRUE(c.wait_for_eof());
    }
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheTimeout) {
    usersuite::HttpSettings settings;
    settings.idle_timeout_seconds = 1;
    start(std::move(settings));
    RawClient c(std::chrono::seconds(5));
    ASSERT_TRUE(c.connect_tcp(port_));
    auto before = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.wait_for_eof());
    auto took = std::chrono::steady_clock::now() - before;
    EXPECT_GE(took, std::chrono::milliseconds(500)) << "closed at once, not by the idle timeout";
    EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(HttpServerTest, ListenOnABusyPortThrows) {
    create();
    listen_tcp();
    // A second server would replace the global evhttp_send_error target;
    // bind a plain socket instead to hold a port.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    std::string error;
    auto busy = usersuite::parse_listen_address("127.0.0.1:" + std::to_string(ntohs(sa.sin_port)), &error);
    ASSERT_TRUE(busy) << error;
    EXPECT_THROW(server_->listen(*busy), std::runtime_error);
    ::close(fd);
}

class HttpServerUnixTest : public HttpServerTest {
protected:
    std::string socket_path() { return dir_.file("api.sock"); }
    testing_support::TempDir dir_;
};

TEST_F(HttpServerUnixTest, ServesOnAUnixSocketAndRemovesItAfterwards) {
    create();
    std::string error;
    auto address = usersuite::parse_listen_address("unix:" + socket_path(), &error);
    ASSERT_TRUE(address) << error;
    server_->listen(*address);
    run();
    RawClient c;
    ASSERT_TRUE(c.connect_unix(socket_path()));
    auto r = c.exchange(request("GET", "/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"message\":\"Hello, World!\"}");
    expect_common_headers(*r);
    c.close();
    stop();
    EXPECT_NE(::access(socket_path().c_str(), F_OK), 0) << "socket file left behind";
}

TEST_F(HttpServerUnixTest, StaleSocketFileIsReplaced) {
    // A socket file whose listener is gone refuses connections.
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, socket_path().c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ::close(fd);
    ASSERT_EQ(::access(socket_path().c_str(), F_OK), 0);
    create();
    std::string error;
    auto address = usersuite::parse_listen_address(socket_path(), &error);
    ASSERT_TRUE(address) << error;
    ASSERT_NO_THROW(server_->listen(*address));
    run();
    RawClient c;
    ASSERT_TRUE(c.connect_unix(socket_path()));
    auto r = c.exchange(request("GET", "/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerUnixTest, SocketInUseIsAnError) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, socket_path().c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    create();
    std::string error;
    auto address = usersuite::parse_listen_address(socket_path(), &error);
    ASSERT_TRUE(address) << error;
    EXPECT_THROW(server_->listen(*address), std::runtime_error);
    EXPECT_EQ(::access(socket_path().c_str(), F_OK), 0) << "a live daemon's socket was removed";
    ::close(fd);
}

TEST(FormatSeconds, PlainDecimalWithSixPlaces) {
    using std::chrono::microseconds;
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    using usersuite::format_seconds;
    EXPECT_EQ(format_seconds(microseconds(0)), "0.000000");
    EXPECT_EQ(format_seconds(microseconds(1)), "0.000001");
    EXPECT_EQ(format_seconds(microseconds(123)), "0.000123");
    EXPECT_EQ(format_seconds(microseconds(999999)), "0.999999");
    EXPECT_EQ(format_seconds(seconds(1)), "1.000000");
    EXPECT_EQ(format_seconds(milliseconds(1500)), "1.500000");
    EXPECT_EQ(format_seconds(microseconds(12345678)), "12.345678");
    EXPECT_EQ(format_seconds(seconds(100000)), "100000.000000");
    EXPECT_EQ(format_seconds(std::chrono::nanoseconds(999)), "0.000000");  // truncated, not rounded up
    EXPECT_EQ(format_seconds(microseconds(-5)), "0.000000");
    EXPECT_TRUE(std::regex_match(format_seconds(std::chrono::hours(24 * 365)), kPlainDecimal));
}

}  // namespace
