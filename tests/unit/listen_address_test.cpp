// parse_listen_address and ListenAddress::to_string.
#include "libcommon/listen_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using usersuite::ListenAddress;
using usersuite::parse_listen_address;

ListenAddress ok(const std::string& text) {
    std::string error;
    auto a = parse_listen_address(text, &error);
    EXPECT_TRUE(a) << text << ": " << error;
    return a ? *a : ListenAddress{};
}

std::string bad(const std::string& text) {
    std::string error;
    auto a = parse_listen_address(text, &error);
    EXPECT_FALSE(a) << text;
    EXPECT_FALSE(error.empty()) << text;
    return error;
}

TEST(ListenAddress, Ipv4HostAndPort) {
    ListenAddress a = ok("127.0.0.1:8011");
    EXPECT_FALSE(a.is_unix);
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 8011);
    EXPECT_EQ(a.to_string(), "127.0.0.1:8011");
    ListenAddress any = ok("0.0.0.0:1");
    EXPECT_EQ(any.port, 1);
    EXPECT_EQ(ok("10.1.2.3:65535").port, 65535);
}

TEST(ListenAddress, BracketedIpv6) {
    ListenAddress a = ok("[::1]:9000");
    EXPECT_FALSE(a.is_unix);
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 9000);
    EXPECT_EQ(a.to_string(), "[::1]:9000");
    ListenAddress b = ok("[fe80::1:2]:80");
    EXPECT_EQ(b.host, "fe80::1:2");
    EXPECT_EQ(b.to_string(), "[fe80::1:2]:80");
    EXPECT_EQ(ok("[::]:8080").host, "::");
}

TEST(ListenAddress, UnixSocketPaths) {
    ListenAddress a = ok("/run/usersuite/users-api.sock");
    EXPECT_TRUE(a.is_unix);
    EXPECT_EQ(a.path, "/run/usersuite/users-api.sock");
    EXPECT_EQ(a.to_string(), "unix:/run/usersuite/users-api.sock");
    ListenAddress b = ok("unix:relative/api.sock");
    EXPECT_TRUE(b.is_unix);
    EXPECT_EQ(b.path, "relative/api.sock");
    EXPECT_EQ(b.to_string(), "unix:relative/api.sock");
    EXPECT_EQ(ok("unix:/tmp/x.sock").path, "/tmp/x.sock");
}

TEST(ListenAddress, UnixPathLengthLimit) {
    std::string longest = "/" + std::string(106, 'p');  // 107 bytes + NUL fill sun_path
    EXPECT_EQ(ok(longest).path, longest);
    bad(longest + "p");
    EXPECT_EQ(ok("unix:" + longest).path, longest);
    bad("unix:" + longest + "p");
    bad("unix:");
}

TEST(ListenAddress, RoundTripsThroughToString) {
    for (const char* text : {"127.0.0.1:8011", "[::1]:8012", "unix:/tmp/a.sock"}) {
        ListenAddress a = ok(text);
        ListenAddress b = ok(a.to_string());
        EXPECT_EQ(a.is_unix, b.is_unix);
        EXPECT_EQ(a.host, b.host);
        EXPECT_EQ(a.port, b.port);
        EXPECT_EQ(a.path, b.path);
    }
}

TEST(ListenAddress, PortMustBeOneTo65535) {
    for (const char* text : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:", "127.0.0.1:http",
                             "127.0.0.1:80x", "127.0.0.1: 80", "127.0.0.1:+80", "127.0.0.1:99999999999"})
        EXPECT_NE(bad(text).find("port"), std::string::npos) << text;
}

TEST(ListenAddress, HostMustBeNumeric) {
    EXPECT_NE(bad("localhost:8011").find("localhost"), std::string::npos);
    bad("example.com:80");
    bad(":8011");
    bad("256.0.0.1:80");
    bad("[::1:80");
    bad("[not-ip]:80");
    bad("[::1]");
}

TEST(ListenAddress, MissingPortOrEmpty) {
    bad("127.0.0.1");
    bad("");
    bad("relative/path.sock");  // a path must start with / or unix:
}

}  // namespace
