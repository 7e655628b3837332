// JSON values as RAII handles over jansson: a Json owns one reference, copies
// share the value (json_incref), and nothing outside json.cpp calls
// json_decref.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct json_t;

namespace usersuite {

class Json {
public:
    Json() = default;                       // the null handle, not JSON null
    Json(const Json& other);
    Json(Json&& other) noexcept;
    Json& operator=(Json other) noexcept;
    ~Json();

    static Json object();
    static Json array();
    static Json null();
    static Json boolean(bool value);
    static Json integer(std::int64_t value);
    // Invalid UTF-8 throws std::invalid_argument: callers validate user
    // input first, so reaching this is a bug, not bad input.
    static Json string(std::string_view value);

    // Parses an untrusted document: an object or array, no duplicate keys,
    // no trailing garbage. On failure returns nullopt and sets *error.
    static std::optional<Json> parse(std::string_view text, std::string* error);
    // The same for an HTTP request body, where a NUL in a string value is
    // kept, as FastAPI keeps it: a field's rule refuses it where it must, and
    // an unknown field is ignored. (jansson still refuses one in a key.)
    static std::optional<Json> parse_request_body(std::string_view text, std::string* error);

    Json& set(std::string_view key, Json value);
    Json& push(Json value);

    // Borrowed lookups returned as owned handles; a missing key is the null handle.
    Json get(std::string_view key) const;
    Json at(std::size_t index) const;
    std::size_t size() const;

    bool is_valid() const { return value_ != nullptr; }
    bool is_object() const;
    bool is_array() const;
    bool is_string() const;
    bool is_integer() const;
    bool is_null() const;
    std::string as_string() const;          // "" unless a string
    std::int64_t as_integer() const;        // 0 unless an integer

    // Compact, UTF-8 kept as is, like FastAPI's JSONResponse.
    std::string dump() const;

    json_t* raw() const { return value_; }

private:
    explicit Json(json_t* owned) : value_(owned) {}
    static std::optional<Json> parse_with(std::string_view text, std::size_t flags, std::string* error);
    json_t* value_ = nullptr;
};

// Appends utf8 as a JSON string literal, escaped exactly as dump() escapes
// it (quote, backslash and control characters; the rest as is). For replies
// written without building a tree: a user per /me, a hundred per page.
// utf8 must be valid UTF-8, as every text from PostgreSQL is.
void append_json_string(std::string& out, std::string_view utf8);

}  // namespace usersuite
