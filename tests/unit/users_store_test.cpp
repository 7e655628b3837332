#include "libcommon/users_store.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using usersuite::Json;
using usersuite::User;

User sample() {
    User u;
    u.id = 9007199254740993;  // above 2^53: written as an integer, not rounded
    u.email = "zo\"e@example.com";
    u.hashed_password = "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234";
    u.name = "Zo\xc3\xab \\ \x01";
    u.created_at = "2026-01-02T03:04:05.500000Z";
    u.updated_at = "2026-01-02T03:04:06.000000Z";
    return u;
}

TEST(UserJson, IsApiMdsUserInOrderWithoutPasswordMaterial) {
    User u = sample();
    std::string text = u.json_text();
    EXPECT_EQ(text, Json::object()
                        .set("id", Json::integer(u.id))
                        .set("email", Json::string(u.email))
                        .set("name", Json::string(u.name))
                        .set("created_at", Json::string(u.created_at))
                        .set("updated_at", Json::string(u.updated_at))
                        .dump());
    EXPECT_EQ(text.find("2b$"), std::string::npos);
    std::string error;
    auto parsed = Json::parse(text, &error);
    ASSERT_TRUE(parsed) << error;
    EXPECT_EQ(parsed->get("id").as_integer(), u.id);
    EXPECT_EQ(parsed->get("name").as_string(), u.name);
    EXPECT_EQ(parsed->size(), 5u);
}

}  // namespace
