// HttpError and its factories, the JSON error body, and ValidationErrors'
// FastAPI-style 422 detail.
#include "libcommon/http_error.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "libcommon/http_limits.hpp"
#include "libcommon/validation.hpp"

namespace {

using usersuite::error_body;
using usersuite::HeaderList;
using usersuite::HttpError;
using usersuite::Json;
using usersuite::ValidationErrors;

std::optional<std::string> find(const HeaderList& h, const std::string& name) {
    for (const auto& [k, v] : h)
        if (k == name) return v;
    return std::nullopt;
}

TEST(HttpError, CarriesStatusDetailAndHeaders) {
    HttpError e(409, "Email already registered", {{"X-Extra", "1"}});
    EXPECT_EQ(e.status(), 409);
    EXPECT_TRUE(e.detail().is_string());
    EXPECT_EQ(e.detail().as_string(), "Email already registered");
    EXPECT_EQ(find(e.headers(), "X-Extra"), "1");
    EXPECT_STREQ(e.what(), "HTTP 409");
}

TEST(HttpError, JsonDetailIsKeptAsIs) {
    Json detail = Json::array().push(Json::string("a"));
    HttpError e(400, detail);
    EXPECT_TRUE(e.detail().is_array());
    EXPECT_EQ(e.detail().dump(), "[\"a\"]");
    EXPECT_TRUE(e.headers().empty());
}

TEST(HttpError, IsARuntimeErrorSoGenericHandlersCatchIt) {
    try {
        throw HttpError::not_found();
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "HTTP 404");
        return;
    }
    FAIL() << "not caught as std::runtime_error";
}

TEST(HttpError, InvalidUtf8DetailIsRejected) {
    EXPECT_THROW(HttpError(400, std::string("bad \xff")), std::invalid_argument);
}

TEST(HttpErrorFactories, StatusesDetailsAndHeaders) {
    HttpError nf = HttpError::not_found();
    EXPECT_EQ(nf.status(), 404);
    EXPECT_EQ(nf.detail().as_string(), "Not Found");
    EXPECT_TRUE(nf.headers().empty());

    HttpError mna = HttpError::method_not_allowed("GET, HEAD");
    EXPECT_EQ(mna.status(), 405);
    EXPECT_EQ(mna.detail().as_string(), "Method Not Allowed");
    EXPECT_EQ(find(mna.headers(), "Allow"), "GET, HEAD");

    HttpError big = HttpError::payload_too_large();
    EXPECT_EQ(big.status(), 413);
    EXPECT_NE(big.detail().as_string().find("too large"), std::string::npos);
    EXPECT_NE(big.detail().as_string().find(std::to_string(usersuite::kMaxBodyBytes)), std::string::npos);

    HttpError media = HttpError::unsupported_media_type();
    EXPECT_EQ(media.status(), 415);
    EXPECT_NE(media.detail().as_string().find("application/json"), std::string::npos);

    HttpError down = HttpError::service_unavailable("database unavailable", 5);
    EXPECT_EQ(down.status(), 503);
    EXPECT_EQ(down.detail().as_string(), "database unavailable");
    EXPECT_EQ(find(down.headers(), "Retry-After"), "5");

    HttpError internal = HttpError::internal();
    EXPECT_EQ(internal.status(), 500);
    EXPECT_EQ(internal.detail().as_string(), "Internal Server Error");
    EXPECT_TRUE(internal.headers().empty());
}

TEST(ErrorBody, DetailThenRequestIdCompact) {
    EXPECT_EQ(error_body(Json::string("Not Found"), "rid-1").dump(), "{\"detail\":\"Not Found\",\"request_id\":\"rid-1\"}");
    Json list = Json::array().push(Json::object().set("msg", Json::string("x")));
    EXPECT_EQ(error_body(list, "r").dump(), "{\"detail\":[{\"msg\":\"x\"}],\"request_id\":\"r\"}");
}

TEST(ErrorBody, DetailIsEscapedNotInjected) {
    Json body = error_body(Json::string("a\"b\n}"), "id");
    EXPECT_EQ(body.dump(), "{\"detail\":\"a\\\"b\\n}\",\"request_id\":\"id\"}");
    auto reparsed = Json::parse(body.dump(), nullptr);
    ASSERT_TRUE(reparsed);
    EXPECT_EQ(reparsed->get("detail").as_string(), "a\"b\n}");
}

TEST(ValidationErrors, EmptyThrowsNothing) {
    ValidationErrors v;
    EXPECT_TRUE(v.empty());
    EXPECT_NO_THROW(v.throw_if_any());
    HttpError e = v.to_error();
    EXPECT_EQ(e.status(), 422);
    EXPECT_EQ(e.detail().dump(), "[]");
}

TEST(ValidationErrors, EntriesInOrderWithStringAndIntegerLoc) {
    ValidationErrors v;
    v.add({"body", "email"}, "value is not a valid email address", "value_error")
        .add({"query", "items", std::int64_t{3}}, "Input should be a valid integer", "int_parsing")
        .add({"body"}, "Field required", "missing");
    EXPECT_FALSE(v.empty());
    HttpError e = v.to_error();
    EXPECT_EQ(e.status(), 422);
    EXPECT_TRUE(e.headers().empty());
    EXPECT_EQ(e.detail().dump(),
              "[{\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a valid email address\",\"type\":\"value_error\"},"
              "{\"loc\":[\"query\",\"items\",3],\"msg\":\"Input should be a valid integer\",\"type\":\"int_parsing\"},"
              "{\"loc\":[\"body\"],\"msg\":\"Field required\",\"type\":\"missing\"}]");
}

TEST(ValidationErrors, ThrowIfAnyThrowsThe422) {
    ValidationErrors v;
    v.add({"path", "id"}, "Input should be greater than or equal to 1", "greater_than_equal");
    try {
        v.throw_if_any();
        FAIL() << "nothing thrown";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.status(), 422);
        ASSERT_TRUE(e.detail().is_array());
        ASSERT_EQ(e.detail().size(), 1u);
        Json entry = e.detail().at(0);
        EXPECT_EQ(entry.get("loc").dump(), "[\"path\",\"id\"]");
        EXPECT_EQ(entry.get("type").as_string(), "greater_than_equal");
    }
}

TEST(ValidationErrors, ErrorBodyOfA422) {
    ValidationErrors v;
    v.add({"body"}, "JSON decode error", "json_invalid");
    HttpError e = v.to_error();
    EXPECT_EQ(error_body(e.detail(), "rid").dump(),
              "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"JSON decode error\",\"type\":\"json_invalid\"}],"
              "\"request_id\":\"rid\"}");
}

}  // namespace
