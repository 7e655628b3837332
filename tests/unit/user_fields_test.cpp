// api.md's validation of email, password and name (libcommon/user_fields.hpp):
// the value as stored, and each failure's loc/msg/type as the 422 body shows it.
#include "libcommon/user_fields.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libcommon/http_error.hpp"
#include "libcommon/json.hpp"
#include "libcommon/validation.hpp"

namespace {

using usersuite::check_email;
using usersuite::check_name;
using usersuite::check_password;
using usersuite::check_string;
using usersuite::Json;
using usersuite::ValidationErrors;

const char* const kEmailMsg =
    "value is not a valid email address: use an ASCII address like name@example.com, at most 254 characters";

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

Json with(const char* field, Json value) { return Json::object().set(field, std::move(value)); }
Json with_string(const char* field, const std::string& value) { return with(field, Json::string(value)); }

// The 422 detail list of what was added, or an empty array.
Json detail(const ValidationErrors& errors) {
    if (errors.empty()) return Json::array();
    return errors.to_error().detail();
}

struct Outcome {
    std::optional<std::string> value;
    Json errors;
};

using Check = std::optional<std::string> (*)(const Json&, const char*, ValidationErrors&);

Outcome run(Check check, const Json& body, const char* field) {
    ValidationErrors errors;
    auto v = check(body, field, errors);
    Outcome o{v, detail(errors)};
    // A value and an error are never both given.
    EXPECT_EQ(v.has_value(), errors.empty()) << o.errors.dump();
    return o;
}

// Exactly one entry, with this loc, type and msg.
void expect_one_error(const Outcome& o, const std::string& field, const std::string& type, const std::string& msg) {
    EXPECT_FALSE(o.value.has_value()) << "accepted as [" << o.value.value_or("") << "]";
    ASSERT_EQ(o.errors.size(), 1u) << o.errors.dump();
    Json e = o.errors.at(0);
    EXPECT_EQ(e.get("loc").dump(), R"(["body",")" + field + R"("])");
    EXPECT_EQ(e.get("type").as_string(), type);
    EXPECT_EQ(e.get("msg").as_string(), msg);
    EXPECT_EQ(e.size(), 3u) << "only loc, msg and type: " << e.dump();
}

Outcome email(const std::string& value) { return run(check_email, with_string("email", value), "email"); }
Outcome password(const std::string& value) { return run(check_password, with_string("password", value), "password"); }
Outcome name(const std::string& value) { return run(check_name, with_string("name", value), "name"); }

// ---- email

TEST(CheckEmail, AcceptsPlainAddresses) {
    for (const std::string& e :
         {std::string("user@example.com"), std::string("a@b.co"), std::string("first.last@example.org"),
          std::string("user+tag@mail.example.com"), std::string("x_y-z@a-b.example.net"),
          std::string("123@456.example"), std::string("!#$%&'*+-/=?^_`{|}~@example.com")}) {
        Outcome o = email(e);
        ASSERT_TRUE(o.value) << e << ": " << o.errors.dump();
        EXPECT_EQ(*o.value, e);
        EXPECT_TRUE(usersuite::is_valid_email(e)) << e;
    }
}

TEST(CheckEmail, LowerCasesTheDomainAndKeepsTheLocalPart) {
    Outcome o = email("John.Doe+X@Example.COM");
    ASSERT_TRUE(o.value) << o.errors.dump();
    EXPECT_EQ(*o.value, "John.Doe+X@example.com");
    o = email("ALICE@MAIL.EXAMPLE.ORG");
    ASSERT_TRUE(o.value);
    EXPECT_EQ(*o.value, "ALICE@mail.example.org");
}

TEST(CheckEmail, RefusesQuotedLocalPartsIpLiteralsAndDotlessDomains) {
    for (const std::string& e : {
             std::string("\"quoted\"@example.com"),
             std::string("\"a b\"@example.com"),
             std::string("user@[127.0.0.1]"),
             std::string("user@[IPv6:::1]"),
             std::string("user@localhost"),
             std::string("user@com"),
         }) {
        expect_one_error(email(e), "email", "value_error", kEmailMsg);
        EXPECT_FALSE(usersuite::is_valid_email(e)) << e;
    }
}

TEST(CheckEmail, RefusesBadLabelsAndDots) {
    for (const std::string& e : {
             std::string("user@-example.com"),
             std::string("user@example-.com"),
             std::string("user@example.-com"),
             std::string("user@example..com"),
             std::string("user@.example.com"),
             std::string("user@example.com."),
             std::string("user@exa_mple.com"),
             std::string("user@" + std::string(64, 'a') + ".com"),
             std::string(".user@example.com"),
             std::string("user.@example.com"),
             std::string("us..er@example.com"),
         }) {
        SCOPED_TRACE(e);
        expect_one_error(email(e), "email", "value_error", kEmailMsg);
    }
    // A 63-character label is fine.
    EXPECT_TRUE(email("user@" + std::string(63, 'a') + ".com").value);
}

TEST(CheckEmail, RefusesMalformedAddresses) {
    for (const std::string& e : {
             std::string(""),
             std::string("user"),
             std::string("@example.com"),
             std::string("user@"),
             std::string("user@@example.com"),
             std::string("a@b@example.com"),
             std::string("user name@example.com"),
             std::string(" user@example.com"),
             std::string("user@example.com "),
             std::string("user(comment)@example.com"),
             std::string("user@exam ple.com"),
             std::string("user\t@example.com"),
         }) {
        SCOPED_TRACE("[" + e + "]");
        expect_one_error(email(e), "email", "value_error", kEmailMsg);
    }
}

TEST(CheckEmail, LocalPartOfSixtyFourIsTheLimit) {
    std::string l64(64, 'a'), l65(65, 'a');
    Outcome ok = email(l64 + "@example.com");
    ASSERT_TRUE(ok.value) << ok.errors.dump();
    EXPECT_EQ(*ok.value, l64 + "@example.com");
    expect_one_error(email(l65 + "@example.com"), "email", "value_error", kEmailMsg);
}

TEST(CheckEmail, TwoHundredFiftyFourCharactersIsTheLimit) {
    // 64 + 1 + 189 = 254; labels of at most 63.
    std::string local(64, 'l');
    std::string d254 = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(57, 'c') + ".com";
    std::string d255 = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(58, 'c') + ".com";
    ASSERT_EQ((local + "@" + d254).size(), 254u);
    ASSERT_EQ((local + "@" + d255).size(), 255u);
    Outcome ok = email(local + "@" + d254);
    EXPECT_TRUE(ok.value) << ok.errors.dump();
    expect_one_error(email(local + "@" + d255), "email", "value_error", kEmailMsg);
    // A short local part does not make room for more than 254 in all.
    std::string d250 = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                       std::string(58, 'd');
    ASSERT_EQ(d250.size(), 250u);
    EXPECT_TRUE(email("abc@" + d250).value);    // 254
    expect_one_error(email("abcd@" + d250), "email", "value_error", kEmailMsg);  // 255
}

TEST(CheckEmail, RefusesNonAscii) {
    for (const std::string& e : {std::string("üser@example.com"), std::string("user@exämple.com"),
                                 std::string("用户@例子.广告"), std::string("user@example.com\xc2\xa0"),
                                 std::string("user@xn--exmple-cua.com\u200b")}) {
        SCOPED_TRACE(e);
        expect_one_error(email(e), "email", "value_error", kEmailMsg);
    }
    // Punycode is ASCII and fine.
    EXPECT_TRUE(email("user@xn--exmple-cua.com").value);
}

TEST(CheckEmail, RefusesControlCharacters) {
    expect_one_error(email("user@example.com\n"), "email", "value_error", kEmailMsg);
    expect_one_error(email(std::string("us\x01" "er@example.com")), "email", "value_error", kEmailMsg);
    expect_one_error(email(std::string("user\0@example.com", 17)), "email", "value_error", kEmailMsg);
}

TEST(CheckEmail, MissingWrongTypeAndNull) {
    expect_one_error(run(check_email, Json::object(), "email"), "email", "missing", "Field required");
    expect_one_error(run(check_email, with_string("mail", "user@example.com"), "email"), "email", "missing",
                     "Field required");
    for (const Json& v : {Json::integer(42), Json::boolean(true), Json::null(), Json::array(), Json::object()}) {
        SCOPED_TRACE(v.dump());
        expect_one_error(run(check_email, with("email", v), "email"), "email", "string_type",
                         "Input should be a valid string");
    }
}

// ---- password

TEST(CheckPassword, EightToSeventyTwoBytes) {
    expect_one_error(password(std::string(7, 'p')), "password", "string_too_short",
                     "String should have at least 8 bytes");
    expect_one_error(password(""), "password", "string_too_short", "String should have at least 8 bytes");
    for (std::size_t n : {8u, 9u, 71u, 72u}) {
        Outcome o = password(std::string(n, 'p'));
        ASSERT_TRUE(o.value) << n << ": " << o.errors.dump();
        EXPECT_EQ(*o.value, std::string(n, 'p')) << "kept as given, never trimmed or truncated";
    }
    for (std::size_t n : {73u, 100u, 1000u}) {
        SCOPED_TRACE(n);
        expect_one_error(password(std::string(n, 'p')), "password", "string_too_long",
                         "String should have at most 72 bytes (bcrypt's limit; it is never truncated)");
    }
}

TEST(CheckPassword, LengthIsCountedInBytesOfUtf8) {
    std::string han24 = repeat("한", 24);  // 24 code points, 72 bytes
    ASSERT_EQ(han24.size(), 72u);
    Outcome ok = password(han24);
    ASSERT_TRUE(ok.value) << ok.errors.dump();
    EXPECT_EQ(*ok.value, han24);
    // 25 code points but 73 bytes: too long although far fewer than 72 characters.
    expect_one_error(password(han24 + "a"), "password", "string_too_long",
                     "String should have at most 72 bytes (bcrypt's limit; it is never truncated)");
    std::string emoji18 = repeat("😀", 18);  // 72 bytes
    EXPECT_TRUE(password(emoji18).value);
    expect_one_error(password(emoji18 + "!"), "password", "string_too_long",
                     "String should have at most 72 bytes (bcrypt's limit; it is never truncated)");
    // 3 code points but 9 bytes: long enough.
    EXPECT_TRUE(password("한국어").value);
    // 3 code points, 7 bytes: too short.
    expect_one_error(password("한한a"), "password", "string_too_short", "String should have at least 8 bytes");
}

TEST(CheckPassword, SpacesAreKept) {
    Outcome o = password("  padded pass  ");
    ASSERT_TRUE(o.value);
    EXPECT_EQ(*o.value, "  padded pass  ");
}

TEST(CheckPassword, NulIsRefused) {
    expect_one_error(password(std::string("pass\0word123", 12)), "password", "string_pattern_mismatch",
                     "String should not contain NUL characters");
    expect_one_error(password(std::string("\0\0\0\0\0\0\0\0", 8)), "password", "string_pattern_mismatch",
                     "String should not contain NUL characters");
    expect_one_error(password(std::string("password\0", 9)), "password", "string_pattern_mismatch",
                     "String should not contain NUL characters");
}

TEST(CheckPassword, MissingWrongTypeAndNull) {
    expect_one_error(run(check_password, Json::object(), "password"), "password", "missing", "Field required");
    for (const Json& v : {Json::integer(12345678), Json::boolean(false), Json::null(), Json::array(),
                          Json::object().set("p", Json::string("password123"))}) {
        SCOPED_TRACE(v.dump());
        expect_one_error(run(check_password, with("password", v), "password"), "password", "string_type",
                         "Input should be a valid string");
    }
}

// ---- name

TEST(CheckName, TrimsAsciiWhitespace) {
    Outcome o = name("  Alice  ");
    ASSERT_TRUE(o.value) << o.errors.dump();
    EXPECT_EQ(*o.value, "Alice");
    EXPECT_EQ(*name("\t\n\r\v\fBob Smith\r\n\t").value, "Bob Smith");
    EXPECT_EQ(*name("Ann  Lee").value, "Ann  Lee") << "inner spaces are kept";
    EXPECT_EQ(*name("x").value, "x");
}

TEST(CheckName, TrimsUnicodeWhitespace) {
    EXPECT_EQ(*name("\u3000김철수\u3000").value, "김철수");
    EXPECT_EQ(*name("\u00a0Zoë\u2003\u2028").value, "Zoë");
    EXPECT_EQ(*name("\u205f\u202f\u1680\u2009Jo\u200a\u2029\u0085").value, "Jo");
    EXPECT_EQ(*name("\x1c\x1f Al \x1d\x1e").value, "Al") << "Python's str.strip() takes these too";
    // Inner Unicode spaces are kept.
    EXPECT_EQ(*name("김\u3000철수").value, "김\u3000철수");
}

TEST(CheckName, AnyUnicodeLetters) {
    for (const std::string& n : {std::string("José Müller"), std::string("Ελένη"), std::string("李小龍"),
                                 std::string("O'Brien-Smith"), std::string("😀")}) {
        Outcome o = name(n);
        ASSERT_TRUE(o.value) << n << ": " << o.errors.dump();
        EXPECT_EQ(*o.value, n);
    }
}

TEST(CheckName, OneHundredCodePointsIsTheLimit) {
    std::string ga100 = repeat("가", 100), ga101 = repeat("가", 101);  // 300 and 303 bytes
    Outcome ok = name(ga100);
    ASSERT_TRUE(ok.value) << ok.errors.dump();
    EXPECT_EQ(*ok.value, ga100);
    expect_one_error(name(ga101), "name", "string_too_long", "String should have at most 100 characters");
    // Counted after trimming.
    EXPECT_EQ(*name("  " + ga100 + "\u3000").value, ga100);
    EXPECT_TRUE(name(std::string(100, 'n')).value);
    expect_one_error(name(std::string(101, 'n')), "name", "string_too_long",
                     "String should have at most 100 characters");
    expect_one_error(name(repeat("😀", 101)), "name", "string_too_long", "String should have at most 100 characters");
}

TEST(CheckName, EmptyAfterTrimIsTooShort) {
    for (const std::string& n :
         {std::string(""), std::string(" "), std::string("   \t\n"), std::string("\u3000\u3000"),
          std::string("\u00a0\u2003")}) {
        SCOPED_TRACE("[" + n + "]");
        expect_one_error(name(n), "name", "string_too_short", "String should have at least 1 character");
    }
}

TEST(CheckName, ControlCharactersInsideAreRefused) {
    for (const std::string& n :
         {std::string("Al\x01ice"), std::string("Al\nice"), std::string("Al\tice"), std::string("Al\x7f" "ice"),
          std::string("Al\u0085ice"), std::string("Al\u009fice"), std::string("Al\x1bice"),
          std::string("Al\0ice", 6)}) {
        SCOPED_TRACE(Json::string(n).dump());
        expect_one_error(name(n), "name", "string_pattern_mismatch", "String should not contain control characters");
    }
}

TEST(CheckName, MissingWrongTypeAndNull) {
    expect_one_error(run(check_name, Json::object(), "name"), "name", "missing", "Field required");
    for (const Json& v : {Json::integer(1), Json::boolean(true), Json::null(), Json::array()}) {
        SCOPED_TRACE(v.dump());
        expect_one_error(run(check_name, with("name", v), "name"), "name", "string_type",
                         "Input should be a valid string");
    }
}

// ---- together, as register does

TEST(UserFields, SeveralFailingFieldsGiveOneEntryEachInOrder) {
    std::string why;
    auto body = Json::parse(R"({"email":"nope","password":"short","name":"  "})", &why);
    ASSERT_TRUE(body) << why;
    ValidationErrors errors;
    EXPECT_FALSE(check_email(*body, "email", errors));
    EXPECT_FALSE(check_password(*body, "password", errors));
    EXPECT_FALSE(check_name(*body, "name", errors));
    Json d = detail(errors);
    ASSERT_EQ(d.size(), 3u) << d.dump();
    EXPECT_EQ(d.at(0).get("loc").dump(), R"(["body","email"])");
    EXPECT_EQ(d.at(1).get("loc").dump(), R"(["body","password"])");
    EXPECT_EQ(d.at(2).get("loc").dump(), R"(["body","name"])");
    usersuite::HttpError e = errors.to_error();
    EXPECT_EQ(e.status(), 422);
}

TEST(UserFields, UnknownFieldsAreIgnored) {
    std::string why;
    auto body = Json::parse(
        R"({"email":"a@example.com","password":"password1","name":"A","is_admin":true,"id":7})", &why);
    ASSERT_TRUE(body) << why;
    ValidationErrors errors;
    EXPECT_TRUE(check_email(*body, "email", errors));
    EXPECT_TRUE(check_password(*body, "password", errors));
    EXPECT_TRUE(check_name(*body, "name", errors));
    EXPECT_TRUE(errors.empty()) << detail(errors).dump();
}

TEST(CheckString, AnyStringButTheTypeIsChecked) {
    // Login's rule: no length or format, only a string.
    Outcome o = run(check_string, with_string("password", std::string(100, 'x')), "password");
    ASSERT_TRUE(o.value);
    EXPECT_EQ(o.value->size(), 100u);
    EXPECT_EQ(*run(check_string, with_string("email", ""), "email").value, "");
    expect_one_error(run(check_string, Json::object(), "username"), "username", "missing", "Field required");
    expect_one_error(run(check_string, with("password", Json::null()), "password"), "password", "string_type",
                     "Input should be a valid string");
}

TEST(TrimName, IsTheTrimmingCheckNameApplies) {
    EXPECT_EQ(usersuite::trim_name("  a b  "), "a b");
    EXPECT_EQ(usersuite::trim_name("\u3000"), "");
    EXPECT_EQ(usersuite::trim_name(""), "");
    EXPECT_EQ(usersuite::trim_name("가\u3000"), "가");
}

}  // namespace
