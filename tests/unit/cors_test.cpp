// CorsPolicy: parsing BACKEND_CORS_ORIGINS, and the headers of simple and
// preflight responses for allowed, refused and absent origins.
#include "libcommon/cors.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using usersuite::CorsPolicy;
using usersuite::HeaderList;

CorsPolicy policy(const std::string& list) {
    std::string error;
    auto p = CorsPolicy::parse(list, &error);
    EXPECT_TRUE(p) << list << ": " << error;
    return p ? *p : CorsPolicy();
}

std::optional<std::string> find(const HeaderList& h, const std::string& name) {
    for (const auto& [k, v] : h)
        if (k == name) return v;
    return std::nullopt;
}

std::size_t count(const HeaderList& h, const std::string& name) {
    std::size_t n = 0;
    for (const auto& [k, v] : h) n += k == name ? 1 : 0;
    return n;
}

TEST(CorsParse, AcceptsOriginListsAndStar) {
    for (const char* ok : {"[]", "[\"*\"]", "[\"http://localhost:3000\"]", "[\"https://app.example.com\"]",
                           "[\"https://a.example\", \"http://b.example:8080\"]", "[\"http://[::1]:3000\"]",
                           " [ \"http://127.0.0.1:5173\" ] "}) {
        std::string error;
        EXPECT_TRUE(CorsPolicy::parse(ok, &error)) << ok << ": " << error;
    }
}

TEST(CorsParse, RejectsWhatIsNotAListOfOrigins) {
    for (const char* bad : {"", "*", "\"*\"", "https://app.example.com", "{}", "{\"a\":\"http://x.example\"}",
                            "[\"http://x.example\"", "[\"http://x.example\"] trailing", "[1]", "[null]",
                            "[[\"http://x.example\"]]", "[\"*\", 2]"}) {
        std::string error;
        EXPECT_FALSE(CorsPolicy::parse(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

TEST(CorsParse, RejectsOriginsWithPathTrailingSlashOrOtherParts) {
    for (const char* bad : {"https://app.example.com/", "https://app.example.com/path", "http://x.example:3000/",
                            "ftp://files.example", "app.example.com", "//app.example.com", "https://",
                            "https://user@app.example.com", "https://app.example.com?x=1",
                            "https://app.example.com:0", "https://app.example.com:99999", "https://:3000", ""}) {
        std::string list = std::string("[\"") + bad + "\"]";
        std::string error;
        EXPECT_FALSE(CorsPolicy::parse(list, &error)) << bad;
        EXPECT_NE(error.find(bad), std::string::npos) << "error names the entry: " << error;
    }
}

// Known bug (see the report): is_origin() accepts entries that are not
// scheme://host[:port] and that no browser ever sends as Origin, so a typo in
// BACKEND_CORS_ORIGINS passes the start-up check and silently allows nothing.
TEST(CorsParse, RejectsOriginsWithFragmentEmptyQueryEmptyPortOrEmptyUserinfo) {
    for (const char* bad : {"https://app.example.com#frag", "https://app.example.com?", "https://app.example.com:",
                            "https://@app.example.com", "https://app example.com"}) {
        std::string error;
        EXPECT_FALSE(CorsPolicy::parse(std::string("[\"") + bad + "\"]", &error)) << bad << " was accepted";
    }
}

TEST(CorsAllows, ListedOriginsOnlyExactly) {
    CorsPolicy p = policy("[\"http://localhost:3000\", \"https://app.example.com\"]");
    EXPECT_TRUE(p.allows("http://localhost:3000"));
    EXPECT_TRUE(p.allows("https://app.example.com"));
    EXPECT_FALSE(p.allows("http://localhost:3001"));
    EXPECT_FALSE(p.allows("https://localhost:3000"));
    EXPECT_FALSE(p.allows("http://localhost:3000/"));
    EXPECT_FALSE(p.allows("https://APP.example.com.evil.example"));
    EXPECT_FALSE(p.allows("https://app.example.co"));
    EXPECT_FALSE(p.allows("null"));
    EXPECT_FALSE(p.allows(""));
}

TEST(CorsAllows, StarAllowsAnyNonEmptyOrigin) {
    CorsPolicy p = policy("[\"*\"]");
    EXPECT_TRUE(p.allows("https://anything.example"));
    EXPECT_TRUE(p.allows("http://localhost:1"));
    EXPECT_FALSE(p.allows(""));
}

TEST(CorsAllows, EmptyListAndDefaultPolicyAllowNothing) {
    EXPECT_FALSE(policy("[]").allows("http://localhost:3000"));
    EXPECT_FALSE(CorsPolicy().allows("http://localhost:3000"));
}

TEST(CorsResponseHeaders, AllowedOriginGetsTheFourHeaders) {
    CorsPolicy p = policy("[\"http://localhost:3000\"]");
    HeaderList h = p.response_headers("http://localhost:3000");
    EXPECT_EQ(find(h, "Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(find(h, "Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(find(h, "Access-Control-Expose-Headers"), "X-Request-ID, X-Process-Time");
    EXPECT_EQ(find(h, "Vary"), "Origin");
    EXPECT_EQ(h.size(), 4u);
    EXPECT_FALSE(find(h, "Access-Control-Allow-Methods"));
}

TEST(CorsResponseHeaders, StarEchoesTheOriginNotAStar) {
    CorsPolicy p = policy("[\"*\"]");
    HeaderList h = p.response_headers("https://app.example.com");
    EXPECT_EQ(find(h, "Access-Control-Allow-Origin"), "https://app.example.com");
    EXPECT_EQ(find(h, "Access-Control-Allow-Credentials"), "true");
}

TEST(CorsResponseHeaders, RefusedOrAbsentOriginGetsNone) {
    CorsPolicy p = policy("[\"http://localhost:3000\"]");
    EXPECT_TRUE(p.response_headers("http://evil.example").empty());
    EXPECT_TRUE(p.response_headers("null").empty());
    EXPECT_TRUE(p.response_headers("").empty());
    EXPECT_TRUE(p.response_headers(nullptr).empty());
    EXPECT_TRUE(policy("[\"*\"]").response_headers(nullptr).empty());
}

TEST(CorsPreflight, AllowedOriginGetsMethodsAndEchoedHeaders) {
    CorsPolicy p = policy("[\"http://localhost:3000\"]");
    auto h = p.preflight_headers("http://localhost:3000", "X-Request-ID, Authorization");
    ASSERT_TRUE(h);
    EXPECT_EQ(find(*h, "Access-Control-Allow-Origin"), "http://localhost:3000");
    EXPECT_EQ(find(*h, "Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(find(*h, "Access-Control-Allow-Headers"), "X-Request-ID, Authorization");
    EXPECT_EQ(find(*h, "Vary"), "Origin");
    auto methods = find(*h, "Access-Control-Allow-Methods");
    ASSERT_TRUE(methods);
    for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
        EXPECT_NE(methods->find(m), std::string::npos) << m;
    EXPECT_EQ(count(*h, "Access-Control-Allow-Origin"), 1u);
}

TEST(CorsPreflight, NoRequestedHeadersMeansNoAllowHeaders) {
    CorsPolicy p = policy("[\"*\"]");
    auto h = p.preflight_headers("https://x.example", nullptr);
    ASSERT_TRUE(h);
    EXPECT_FALSE(find(*h, "Access-Control-Allow-Headers"));
    h = p.preflight_headers("https://x.example", "");
    ASSERT_TRUE(h);
    EXPECT_FALSE(find(*h, "Access-Control-Allow-Headers"));
}

TEST(CorsPreflight, RefusedOrAbsentOriginIsNullopt) {
    CorsPolicy p = policy("[\"http://localhost:3000\"]");
    EXPECT_FALSE(p.preflight_headers("http://evil.example", "X-Request-ID"));
    EXPECT_FALSE(p.preflight_headers(nullptr, "X-Request-ID"));
    EXPECT_FALSE(p.preflight_headers("", nullptr));
    EXPECT_FALSE(policy("[]").preflight_headers("http://localhost:3000", nullptr));
}

}  // namespace
