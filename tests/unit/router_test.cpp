// Router::match and split_path: literal and parameter segments, percent
// decoding, {id:int} bounds, 404/405 and Allow, HEAD for GET routes.
#include "libcommon/http_router.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "libcommon/http_error.hpp"

namespace {

using usersuite::HttpError;
using usersuite::Router;
using usersuite::RouteMatch;

usersuite::Handler noop() {
    return [](const std::shared_ptr<usersuite::Exchange>&) {};
}

// The 422 a match throws, as its compact JSON detail; "" when none is thrown.
std::string match_error(const Router& r, const std::string& method, const std::string& path, int* status = nullptr) {
    try {
        r.match(method, path);
    } catch (const HttpError& e) {
        if (status != nullptr) *status = e.status();
        return e.detail().dump();
    }
    return "";
}

class RouterTest : public ::testing::Test {
protected:
    void SetUp() override {
        router.add("GET", "/", noop());
        router.add("GET", "/api/v1/hello", noop());
        router.add("GET", "/api/v1/hello/{name}", noop());
        router.add("GET", "/api/v1/users/{id:int}", noop());
        router.add("PUT", "/api/v1/users/{id:int}", noop(), usersuite::Body::json);
        router.add("DELETE", "/api/v1/users/{id:int}", noop());
        router.add("POST", "/api/v1/users", noop(), usersuite::Body::json);
        router.add("GET", "/api/v1/users", noop());
        router.add("POST", "/api/v1/auth/login", noop(), usersuite::Body::json);
    }
    Router router;
};

TEST_F(RouterTest, LiteralPathMatches) {
    RouteMatch m = router.match("GET", "/api/v1/hello");
    ASSERT_EQ(m.kind, RouteMatch::found);
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->method, "GET");
    EXPECT_EQ(m.route->segments, (std::vector<std::string>{"api", "v1", "hello"}));
    EXPECT_EQ(m.route->body, usersuite::Body::none);
}

TEST_F(RouterTest, RootRouteMatchesOnlySlash) {
    RouteMatch m = router.match("GET", "/");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_TRUE(m.route->segments.empty());
    EXPECT_EQ(router.match("GET", "//").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "*").kind, RouteMatch::not_found);
}

TEST_F(RouterTest, PicksTheRouteOfTheMethodAmongSeveral) {
    RouteMatch m = router.match("POST", "/api/v1/users");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.route->method, "POST");
    EXPECT_EQ(m.route->body, usersuite::Body::json);
    m = router.match("GET", "/api/v1/users");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.route->method, "GET");
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
    EXPECT_EQ(router.match("GET", "/api/v1/nothing").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/api/v1").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/api/v1/hello/a/b").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/API/v1/hello").kind, RouteMatch::not_found);  // case matters
    EXPECT_EQ(router.match("POST", "/nothing").kind, RouteMatch::not_found);
}

TEST_F(RouterTest, TrailingSlashIsNotFound) {
    EXPECT_EQ(router.match("GET", "/api/v1/hello/").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/api/v1/users/").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/api/v1/users/1/").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("POST", "/api/v1/auth/login/").kind, RouteMatch::not_found);
}

TEST_F(RouterTest, NameParameterIsPercentDecodedOnce) {
    RouteMatch m = router.match("GET", "/api/v1/hello/a%2Fb");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.params.text("name"), "a/b");
    EXPECT_EQ(router.match("GET", "/api/v1/hello/a%252Fb").params.text("name"), "a%2Fb");
    EXPECT_EQ(router.match("GET", "/api/v1/hello/J%C3%BCrgen%20M").params.text("name"), "J\xc3\xbcrgen M");
    EXPECT_EQ(router.match("GET", "/api/v1/hello/a+b").params.text("name"), "a+b");  // '+' is no space in a path
    EXPECT_EQ(router.match("GET", "/api/v1/hello/World").params.text("name"), "World");
}

TEST_F(RouterTest, NameParameterWithInvalidUtf8Is422AtPathName) {
    for (const char* bad : {"%FF", "abc%C3", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%80"}) {
        int status = 0;
        std::string detail = match_error(router, "GET", std::string("/api/v1/hello/") + bad, &status);
        EXPECT_EQ(status, 422) << bad;
        EXPECT_NE(detail.find("\"loc\":[\"path\",\"name\"]"), std::string::npos) << bad << " " << detail;
    }
}

TEST_F(RouterTest, IntParameterAcceptsOneToInt64Max) {
    RouteMatch m = router.match("GET", "/api/v1/users/1");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.params.integer("id"), 1);
    m = router.match("GET", "/api/v1/users/9223372036854775807");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.params.integer("id"), INT64_MAX);
    EXPECT_EQ(router.match("GET", "/api/v1/users/007").params.integer("id"), 7);
    EXPECT_EQ(router.match("GET", "/api/v1/users/%34%32").params.integer("id"), 42);
    EXPECT_THROW(m.params.text("id"), std::out_of_range);
}

TEST_F(RouterTest, IntParameterZeroIsTooSmall) {
    int status = 0;
    std::string detail = match_error(router, "GET", "/api/v1/users/0", &status);
    EXPECT_EQ(status, 422);
    EXPECT_EQ(detail,
              "[{\"loc\":[\"path\",\"id\"],\"msg\":\"Input should be greater than or equal to 1\","
              "\"type\":\"greater_than_equal\"}]");
    EXPECT_EQ(match_error(router, "GET", "/api/v1/users/000", &status), detail);
}

TEST_F(RouterTest, IntParameterRejectsSignsLettersAndOverflow) {
    for (const char* bad : {"-1", "+1", "abc", "1a", "1.0", "9223372036854775808", "99999999999999999999999",
                            "%2B1", "%201", "1%00", "0x10"}) {
        int status = 0;
        std::string detail = match_error(router, "GET", std::string("/api/v1/users/") + bad, &status);
        EXPECT_EQ(status, 422) << bad;
        EXPECT_NE(detail.find("\"loc\":[\"path\",\"id\"]"), std::string::npos) << bad << " " << detail;
        EXPECT_NE(detail.find("int_parsing"), std::string::npos) << bad << " " << detail;
    }
}

TEST_F(RouterTest, EmptyParameterSegmentDoesNotMatch) {
    EXPECT_EQ(router.match("GET", "/api/v1/users/").kind, RouteMatch::not_found);
    EXPECT_EQ(router.match("GET", "/api/v1/hello/").kind, RouteMatch::not_found);
}

TEST_F(RouterTest, HeadMatchesGetRoutes) {
    RouteMatch m = router.match("HEAD", "/api/v1/hello");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.route->method, "GET");
    m = router.match("HEAD", "/api/v1/users/5");
    ASSERT_EQ(m.kind, RouteMatch::found);
    EXPECT_EQ(m.params.integer("id"), 5);
    // HEAD of a route without GET is a 405.
    m = router.match("HEAD", "/api/v1/auth/login");
    EXPECT_EQ(m.kind, RouteMatch::method_not_allowed);
    EXPECT_EQ(m.allow, "POST");
}

TEST_F(RouterTest, WrongMethodIs405WithSortedAllowIncludingHead) {
    RouteMatch m = router.match("POST", "/api/v1/hello");
    EXPECT_EQ(m.kind, RouteMatch::method_not_allowed);
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allow, "GET, HEAD");

    m = router.match("PATCH", "/api/v1/users/3");
    EXPECT_EQ(m.kind, RouteMatch::method_not_allowed);
    EXPECT_EQ(m.allow, "DELETE, GET, HEAD, PUT");

    m = router.match("DELETE", "/api/v1/users");
    EXPECT_EQ(m.allow, "GET, HEAD, POST");

    m = router.match("OPTIONS", "/");
    EXPECT_EQ(m.kind, RouteMatch::method_not_allowed);
    EXPECT_EQ(m.allow, "GET, HEAD");
}

TEST_F(RouterTest, MethodIsCheckedBeforeParameters) {
    // A 405 does not validate the parameter: the route shape matched.
    RouteMatch m = router.match("PATCH", "/api/v1/users/abc");
    EXPECT_EQ(m.kind, RouteMatch::method_not_allowed);
    EXPECT_EQ(m.allow, "DELETE, GET, HEAD, PUT");
}

TEST(Router, EveryBadParameterIsReportedInOrder) {
    Router r;
    r.add("GET", "/a/{first:int}/{name}/{second:int}", noop());
    int status = 0;
    std::string detail = match_error(r, "GET", "/a/0/%FF/x", &status);
    EXPECT_EQ(status, 422);
    auto first = detail.find("[\"path\",\"first\"]");
    auto name = detail.find("[\"path\",\"name\"]");
    auto second = detail.find("[\"path\",\"second\"]");
    ASSERT_NE(first, std::string::npos) << detail;
    ASSERT_NE(name, std::string::npos) << detail;
    ASSERT_NE(second, std::string::npos) << detail;
    EXPECT_LT(first, name);
    EXPECT_LT(name, second);
    RouteMatch m = r.match("GET", "/a/1/x/2");
    EXPECT_EQ(m.params.integer("first"), 1);
    EXPECT_EQ(m.params.text("name"), "x");
    EXPECT_EQ(m.params.integer("second"), 2);
}

TEST(Router, FirstAddedRouteWinsForTheSameShape) {
    Router r;
    int which = 0;
    r.add("GET", "/x/me", [&](const std::shared_ptr<usersuite::Exchange>&) { which = 1; });
    r.add("GET", "/x/{id:int}", [&](const std::shared_ptr<usersuite::Exchange>&) { which = 2; });
    RouteMatch m = r.match("GET", "/x/me");
    ASSERT_EQ(m.kind, RouteMatch::found);
    m.route->handler(nullptr);
    EXPECT_EQ(which, 1);
    m = r.match("GET", "/x/12");
    ASSERT_EQ(m.kind, RouteMatch::found);
    m.route->handler(nullptr);
    EXPECT_EQ(which, 2);
}

TEST(Router, BadPatternsAreRejected) {
    Router r;
    EXPECT_THROW(r.add("GET", "no/leading/slash", noop()), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "", noop()), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/x/{id:float}", noop()), std::invalid_argument);
    EXPECT_THROW(r.add("GET", "/x/{id:}", noop()), std::invalid_argument);
    EXPECT_NO_THROW(r.add("GET", "/x/{id:int}", noop()));
}

TEST(Router, EmptyRouterFindsNothing) {
    Router r;
    EXPECT_EQ(r.match("GET", "/").kind, RouteMatch::not_found);
    EXPECT_EQ(r.match("GET", "/x").kind, RouteMatch::not_found);
}

TEST(SplitPath, SplitsOnSlashAndDecodesEachSegmentOnce) {
    std::vector<std::string> s;
    ASSERT_TRUE(usersuite::split_path("/a/b%20c/d%2Fe", &s));
    EXPECT_EQ(s, (std::vector<std::string>{"a", "b c", "d/e"}));
    ASSERT_TRUE(usersuite::split_path("/", &s));
    EXPECT_TRUE(s.empty());
    ASSERT_TRUE(usersuite::split_path("/a//b/", &s));
    EXPECT_EQ(s, (std::vector<std::string>{"a", "", "b", ""}));
    ASSERT_TRUE(usersuite::split_path("/%41%2541", &s));
    EXPECT_EQ(s, (std::vector<std::string>{"A%41"}));
    ASSERT_TRUE(usersuite::split_path("/x%00y", &s));
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0], std::string("x\0y", 3));
}

TEST(SplitPath, RejectsPathsWithoutLeadingSlash) {
    std::vector<std::string> s{"stale"};
    EXPECT_FALSE(usersuite::split_path("", &s));
    EXPECT_TRUE(s.empty());
    EXPECT_FALSE(usersuite::split_path("a/b", &s));
    EXPECT_FALSE(usersuite::split_path("*", &s));
}

TEST(IsValidUtf8, AcceptsWellFormedText) {
    EXPECT_TRUE(usersuite::is_valid_utf8(""));
    EXPECT_TRUE(usersuite::is_valid_utf8("plain ascii"));
    EXPECT_TRUE(usersuite::is_valid_utf8("h\xc3\xa9llo"));            // é
    EXPECT_TRUE(usersuite::is_valid_utf8("\xe2\x82\xac"));            // €
    EXPECT_TRUE(usersuite::is_valid_utf8("\xf0\x9f\x98\x80"));        // U+1F600
    EXPECT_TRUE(usersuite::is_valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
    EXPECT_TRUE(usersuite::is_valid_utf8("\xed\x9f\xbf"));            // U+D7FF
    EXPECT_TRUE(usersuite::is_valid_utf8(std::string("a\0b", 3)));
}

TEST(IsValidUtf8, RejectsMalformedText) {
    EXPECT_FALSE(usersuite::is_valid_utf8("\xff"));
    EXPECT_FALSE(usersuite::is_valid_utf8("\x80"));               // lone continuation
    EXPECT_FALSE(usersuite::is_valid_utf8("\xc3"));               // truncated
    EXPECT_FALSE(usersuite::is_valid_utf8("\xe2\x82"));           // truncated
    EXPECT_FALSE(usersuite::is_valid_utf8("\xc3\x28"));           // bad continuation
    EXPECT_FALSE(usersuite::is_valid_utf8("\xc0\xaf"));           // overlong '/'
    EXPECT_FALSE(usersuite::is_valid_utf8("\xe0\x80\xaf"));       // overlong
    EXPECT_FALSE(usersuite::is_valid_utf8("\xf0\x80\x80\xaf"));   // overlong
    EXPECT_FALSE(usersuite::is_valid_utf8("\xed\xa0\x80"));       // surrogate U+D800
    EXPECT_FALSE(usersuite::is_valid_utf8("\xf4\x90\x80\x80"));   // above U+10FFFF
    EXPECT_FALSE(usersuite::is_valid_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
}

}  // namespace
