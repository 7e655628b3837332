// Json: strict parsing of untrusted documents, compact UTF-8 output, and the
// shared-handle semantics of copies.
#include "libcommon/json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using usersuite::Json;

std::optional<Json> parse(const std::string& text, std::string* error = nullptr) {
    std::string ignored;
    return Json::parse(text, error != nullptr ? error : &ignored);
}

TEST(JsonParse, AcceptsObjectsAndArrays) {
    auto o = parse(" {\"a\": 1, \"b\": [true, null, \"x\"]} \n");
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->is_object());
    EXPECT_EQ(o->size(), 2u);
    EXPECT_EQ(o->get("a").as_integer(), 1);
    Json b = o->get("b");
    ASSERT_TRUE(b.is_array());
    EXPECT_EQ(b.size(), 3u);
    EXPECT_TRUE(b.at(1).is_null());
    EXPECT_EQ(b.at(2).as_string(), "x");
    auto a = parse("[]");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_array());
    EXPECT_EQ(a->size(), 0u);
}

TEST(JsonParse, RejectsDuplicateKeys) {
    std::string error;
    EXPECT_FALSE(parse("{\"a\":1,\"a\":2}", &error));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(parse("{\"x\":{\"k\":1,\"k\":1}}"));
    EXPECT_TRUE(parse("{\"x\":{\"k\":1},\"y\":{\"k\":1}}"));  // same key in different objects is fine
}

TEST(JsonParse, RejectsTrailingGarbage) {
    std::string error;
    EXPECT_FALSE(parse("{} x", &error));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(parse("{}{}"));
    EXPECT_FALSE(parse("[1]]"));
    EXPECT_FALSE(parse("{\"a\":1},"));
    EXPECT_TRUE(parse("{}\r\n\t "));
}

TEST(JsonParse, RejectsTopLevelScalars) {
    for (const char* scalar : {"1", "-2.5", "\"text\"", "true", "false", "null"})
        EXPECT_FALSE(parse(scalar)) << scalar;
}

TEST(JsonParse, RejectsMalformedDocuments) {
    for (const char* bad : {"", " ", "{", "[1,]", "{\"a\":}", "{'a':1}", "{a:1}", "[NaN]", "[01]", "{\"a\":1,}",
                            "[\"\\x41\"]", "[\"unterminated]"})
        EXPECT_FALSE(parse(bad)) << bad;
}

TEST(JsonParse, RejectsInvalidUtf8AndNulInStrings) {
    EXPECT_FALSE(parse("{\"a\":\"\xff\"}"));
    EXPECT_FALSE(parse("{\"\xc0\xaf\":1}"));
    EXPECT_FALSE(parse("{\"a\":\"\\u0000\"}"));
    EXPECT_FALSE(parse(std::string("{\"a\":1}\0", 8)));  // a NUL after the document is garbage too
    auto ok = parse("{\"a\":\"\\u00e9\\ud83d\\ude00\"}");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->get("a").as_string(), "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonParse, IntegersBeyondInt64AreRejected) {
    auto max = parse("[9223372036854775807, -9223372036854775808]");
    ASSERT_TRUE(max);
    EXPECT_EQ(max->at(0).as_integer(), INT64_MAX);
    EXPECT_EQ(max->at(1).as_integer(), INT64_MIN);
    EXPECT_FALSE(parse("[9223372036854775808]"));
}

TEST(JsonParse, DeepNestingFailsCleanly) {
    std::string deep(100000, '[');
    deep += std::string(100000, ']');
    EXPECT_FALSE(parse(deep));
}

TEST(JsonParse, ErrorPointerMayBeNull) {
    EXPECT_FALSE(Json::parse("nope", nullptr));
    EXPECT_TRUE(Json::parse("{}", nullptr));
}

TEST(JsonParse, RefusesNulAndHugeIntegersOutsideRequestBodies) {
    std::string why;
    EXPECT_FALSE(parse(R"({"a":"x\u0000y"})", &why));
    EXPECT_FALSE(parse(R"({"a":9223372036854775808})", &why));
}

TEST(JsonParseRequestBody, KeepsNulInStringsWithTheirLength) {
    std::string why;
    auto o = Json::parse_request_body(R"({"a":"x\u0000y"})", &why);
    ASSERT_TRUE(o) << why;
    EXPECT_EQ(o->get("a").as_string(), std::string("x\0y", 3));
    EXPECT_EQ(o->dump(), R"({"a":"x\u0000y"})");
}

TEST(JsonParseRequestBody, StaysStrictOtherwise) {
    std::string why;
    EXPECT_FALSE(Json::parse_request_body(R"({"a":1,"a":2})", &why));
    EXPECT_FALSE(Json::parse_request_body(R"({"a":1} x)", &why));
    EXPECT_FALSE(Json::parse_request_body(R"({"a":9223372036854775808})", &why));
    EXPECT_FALSE(Json::parse_request_body(R"({"a\u0000":1})", &why));
    EXPECT_FALSE(Json::parse_request_body("{\"a\":\"\xff\"}", &why));
}

TEST(JsonDump, CompactWithRawUtf8AndInsertionOrder) {
    Json o = Json::object();
    o.set("name", Json::string("J\xc3\xbcrgen \xe2\x9c\x93"))
        .set("id", Json::integer(42))
        .set("ok", Json::boolean(true))
        .set("none", Json::null())
        .set("list", Json::array().push(Json::integer(1)).push(Json::string("two")));
    EXPECT_EQ(o.dump(), "{\"name\":\"J\xc3\xbcrgen \xe2\x9c\x93\",\"id\":42,\"ok\":true,\"none\":null,"
                        "\"list\":[1,\"two\"]}");
}

TEST(JsonDump, EscapesOnlyWhatJsonRequires) {
    std::string text = "a/b \"q\" \\ \n\t\x01";
    text.push_back('\0');
    text += "z";
    Json o = Json::object().set("s", Json::string(text));
    EXPECT_EQ(o.dump(), "{\"s\":\"a/b \\\"q\\\" \\\\ \\n\\t\\u0001\\u0000z\"}");
}

TEST(JsonDump, ScalarsAndRoundTrip) {
    EXPECT_EQ(Json::integer(-7).dump(), "-7");
    EXPECT_EQ(Json::string("x").dump(), "\"x\"");
    EXPECT_EQ(Json::null().dump(), "null");
    EXPECT_EQ(Json::boolean(false).dump(), "false");
    std::string text = "{\"a\":[1,2,{\"b\":\"\xc3\xa9\"}],\"c\":{}}";
    auto doc = parse(text);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->dump(), text);
}

TEST(JsonDump, NullHandleCannotBeDumped) {
    Json none;
    EXPECT_FALSE(none.is_valid());
    EXPECT_THROW(none.dump(), std::runtime_error);
}

TEST(JsonString, InvalidUtf8Throws) {
    EXPECT_THROW(Json::string("\xff"), std::invalid_argument);
    EXPECT_THROW(Json::string("ok\xc3"), std::invalid_argument);
    EXPECT_THROW(Json::string("\xed\xa0\x80"), std::invalid_argument);
    EXPECT_NO_THROW(Json::string(""));
    Json nul = Json::string(std::string("a\0b", 3));
    EXPECT_EQ(nul.as_string(), std::string("a\0b", 3));
}

TEST(JsonHandle, CopiesShareTheValue) {
    Json a = Json::object();
    Json b = a;
    b.set("k", Json::integer(1));
    EXPECT_EQ(a.get("k").as_integer(), 1);
    EXPECT_EQ(a.raw(), b.raw());
    Json arr = Json::array();
    Json child = Json::object();
    arr.push(child);
    child.set("late", Json::boolean(true));
    EXPECT_EQ(arr.dump(), "[{\"late\":true}]");
}

TEST(JsonHandle, CopiesOutliveTheOriginal) {
    Json kept;
    {
        Json o = Json::object().set("x", Json::string("y"));
        kept = o;
    }
    EXPECT_EQ(kept.dump(), "{\"x\":\"y\"}");
    Json member;
    {
        auto doc = parse("{\"inner\":{\"v\":3}}");
        ASSERT_TRUE(doc);
        member = doc->get("inner");
    }
    EXPECT_EQ(member.get("v").as_integer(), 3);
}

TEST(JsonHandle, MoveLeavesTheSourceEmpty) {
    Json a = Json::array();
    json_t* raw = a.raw();
    Json b = std::move(a);
    EXPECT_EQ(b.raw(), raw);
    EXPECT_FALSE(a.is_valid());  // NOLINT(bugprone-use-after-move): documented state
    Json c;
    c = std::move(b);
    EXPECT_EQ(c.raw(), raw);
    Json& alias = c;
    c = alias;  // self-assignment keeps the value
    EXPECT_EQ(c.raw(), raw);
    EXPECT_TRUE(c.is_array());
}

TEST(JsonAccess, LookupsAndConversionsOfTheWrongType) {
    Json o = Json::object().set("s", Json::string("t")).set("i", Json::integer(5));
    EXPECT_FALSE(o.get("missing").is_valid());
    EXPECT_TRUE(o.get("s").is_string());
    EXPECT_FALSE(o.get("s").is_integer());
    EXPECT_EQ(o.get("s").as_integer(), 0);
    EXPECT_EQ(o.get("i").as_string(), "");
    EXPECT_TRUE(o.get("i").is_integer());
    EXPECT_FALSE(o.at(0).is_valid());  // not an array
    EXPECT_FALSE(Json::array().at(3).is_valid());
    EXPECT_EQ(Json::string("abc").size(), 0u);
    Json none;
    EXPECT_FALSE(none.is_object());
    EXPECT_FALSE(none.is_null());  // the null handle is not JSON null
    EXPECT_TRUE(Json::null().is_null());
    EXPECT_FALSE(none.get("x").is_valid());
    EXPECT_EQ(none.size(), 0u);
}

TEST(JsonAccess, SetAndPushOnTheWrongTypeThrow) {
    Json arr = Json::array();
    EXPECT_THROW(arr.set("k", Json::integer(1)), std::invalid_argument);
    Json obj = Json::object();
    EXPECT_THROW(obj.push(Json::integer(1)), std::invalid_argument);
    EXPECT_THROW(obj.set("\xff", Json::integer(1)), std::invalid_argument);  // key must be UTF-8
    Json none;
    EXPECT_THROW(none.set("k", Json::integer(1)), std::invalid_argument);
    EXPECT_EQ(obj.size(), 0u);
}

TEST(JsonAccess, SetReplacesAnExistingMember) {
    Json o = Json::object().set("k", Json::integer(1)).set("k", Json::integer(2));
    EXPECT_EQ(o.size(), 1u);
    EXPECT_EQ(o.dump(), "{\"k\":2}");
}

// append_json_string must write what jansson's dump writes, byte for byte:
// every control character, quote and backslash, and UTF-8 kept as is.
TEST(JsonStringText, EscapesAsDumpDoes) {
    std::vector<std::string> samples = {"", "plain", "a\"b", "back\\slash", "/slash", "tab\tnl\ncr\rbs\bff\f",
                                        "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac", "\xe2\x80\xa8 line sep",
                                        "\x7f del", "emoji \xf0\x9f\x98\x80", "end\\"};
    for (int c = 0; c < 0x20; ++c) samples.push_back(std::string("x") + static_cast<char>(c) + "y");
    samples.push_back(std::string("nul\0in", 6));
    for (const std::string& s : samples) {
        std::string mine;
        usersuite::append_json_string(mine, s);
        EXPECT_EQ(mine, Json::string(s).dump()) << "for a sample of " << s.size() << " bytes";
    }
}

TEST(JsonStringText, AppendsAfterWhatIsThere) {
    std::string out = "{\"k\":";
    usersuite::append_json_string(out, "v\"");
    EXPECT_EQ(out, "{\"k\":\"v\\\"\"");
}

}  // namespace
