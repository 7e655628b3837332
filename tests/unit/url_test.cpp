// parse_url: the DATABASE_URL and REDIS_URL forms.
#include "libcommon/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using usersuite::parse_url;
using usersuite::Url;

Url ok(const std::string& text) {
    std::string error;
    auto u = parse_url(text, &error);
    EXPECT_TRUE(u) << text << ": " << error;
    return u ? *u : Url{};
}

std::string bad(const std::string& text) {
    std::string error;
    EXPECT_FALSE(parse_url(text, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
    return error;
}

TEST(ParseUrl, FullPostgresUrl) {
    Url u = ok("postgresql://app:s3cret@127.0.0.1:5432/users?sslmode=disable");
    EXPECT_EQ(u.scheme, "postgresql");
    EXPECT_EQ(u.user, "app");
    EXPECT_EQ(u.password, "s3cret");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 5432);
    EXPECT_EQ(u.path, "users");
    EXPECT_EQ(u.query, "sslmode=disable");
}

TEST(ParseUrl, OptionalParts) {
    Url u = ok("redis://127.0.0.1");
    EXPECT_EQ(u.scheme, "redis");
    EXPECT_EQ(u.user, "");
    EXPECT_EQ(u.password, "");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 0);
    EXPECT_EQ(u.path, "");
    EXPECT_EQ(u.query, "");
    Url v = ok("postgres://user@db.internal/app");
    EXPECT_EQ(v.user, "user");
    EXPECT_EQ(v.password, "");
    EXPECT_EQ(v.host, "db.internal");
    EXPECT_EQ(v.path, "app");
}

TEST(ParseUrl, RedisPasswordOnlyAndDbNumber) {
    Url u = ok("redis://:pa55@10.0.0.2:6380/3");
    EXPECT_EQ(u.user, "");
    EXPECT_EQ(u.password, "pa55");
    EXPECT_EQ(u.host, "10.0.0.2");
    EXPECT_EQ(u.port, 6380);
    EXPECT_EQ(u.path, "3");
}

TEST(ParseUrl, UserAndPasswordArePercentDecoded) {
    Url u = ok("postgresql://us%65r:p%40ss%3Aw%2Frd%25@127.0.0.1/db");
    EXPECT_EQ(u.user, "user");
    EXPECT_EQ(u.password, "p@ss:w/rd%");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.path, "db");
}

TEST(ParseUrl, LastAtSeparatesUserinfo) {
    Url u = ok("postgresql://me:a@b@127.0.0.1:5432/db");
    EXPECT_EQ(u.user, "me");
    EXPECT_EQ(u.password, "a@b");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 5432);
}

TEST(ParseUrl, SocketDirectoryInTheQuery) {
    Url u = ok("postgresql://app@/users?host=/run/postgresql");
    EXPECT_EQ(u.user, "app");
    EXPECT_EQ(u.host, "");
    EXPECT_EQ(u.path, "users");
    EXPECT_EQ(u.query, "host=/run/postgresql");
    Url v = ok("postgresql:///db?host=/var/run/postgresql&port=5433");
    EXPECT_EQ(v.host, "");
    EXPECT_EQ(v.path, "db");
    EXPECT_EQ(v.query, "host=/var/run/postgresql&port=5433");
}

TEST(ParseUrl, BracketedIpv6Host) {
    Url u = ok("postgresql://u:p@[::1]:5433/db");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 5433);
    EXPECT_EQ(u.path, "db");
    Url v = ok("redis://[fe80::2]");
    EXPECT_EQ(v.host, "fe80::2");
    EXPECT_EQ(v.port, 0);
    EXPECT_NE(bad("redis://[::1").find("["), std::string::npos);
    bad("redis://[::1]6379");
}

TEST(ParseUrl, PortMustBeOneTo65535) {
    for (const char* text : {"redis://h:0", "redis://h:65536", "redis://h:abc", "redis://h:63 79", "redis://h:-1",
                             "redis://h:6379x", "redis://[::1]:0"})
        EXPECT_NE(bad(text).find("port"), std::string::npos) << text;
    EXPECT_EQ(ok("redis://h:1").port, 1);
    EXPECT_EQ(ok("redis://h:65535").port, 65535);
}

TEST(ParseUrl, SchemeIsRequired) {
    bad("127.0.0.1:5432/db");
    bad("://127.0.0.1");
    bad("");
    bad("postgresql:/127.0.0.1/db");
}

TEST(ParseUrl, BadPercentEscapesInUserinfo) {
    EXPECT_NE(bad("postgresql://u:p%zz@h/db").find("%"), std::string::npos);
    bad("postgresql://u%4@h/db");
    bad("postgresql://u:p%@h/db");
    // Escapes outside the userinfo are not decoded, so not checked.
    EXPECT_EQ(ok("postgresql://u@h/d%zz").path, "d%zz");
}

}  // namespace
