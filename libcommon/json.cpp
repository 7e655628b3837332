#include "libcommon/json.hpp"

#include <jansson.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <utility>

namespace usersuite {

Json::Json(const Json& other) : value_(json_incref(other.value_)) {}
Json::Json(Json&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}
Json& Json::operator=(Json other) noexcept {
    std::swap(value_, other.value_);
    return *this;
}
Json::~Json() { json_decref(value_); }

Json Json::object() { return Json(json_object()); }
Json Json::array() { return Json(json_array()); }
Json Json::null() { return Json(json_null()); }
Json Json::boolean(bool value) { return Json(json_boolean(value)); }
Json Json::integer(std::int64_t value) { return Json(json_integer(value)); }

Json Json::string(std::string_view value) {
    json_t* s = json_stringn(value.data(), value.size());
    if (s == nullptr) throw std::invalid_argument("JSON string is not valid UTF-8");
    return Json(s);
}

std::optional<Json> Json::parse_with(std::string_view text, std::size_t flags, std::string* error) {
    json_error_t err;
    json_t* root = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES | flags, &err);
    if (root == nullptr) {
        if (error != nullptr) *error = err.text;
        return std::nullopt;
    }
    return Json(root);
}

std::optional<Json> Json::parse(std::string_view text, std::string* error) { return parse_with(text, 0, error); }

std::optional<Json> Json::parse_request_body(std::string_view text, std::string* error) {
    return parse_with(text, JSON_ALLOW_NUL, error);
}

Json& Json::set(std::string_view key, Json value) {
    if (json_object_setn_new(value_, key.data(), key.size(), std::exchange(value.value_, nullptr)) != 0)
        throw std::invalid_argument("cannot set JSON object member");
    return *this;
}

Json& Json::push(Json value) {
    if (json_array_append_new(value_, std::exchange(value.value_, nullptr)) != 0)
        throw std::invalid_argument("cannot append to JSON array");
    return *this;
}

Json Json::get(std::string_view key) const {
    return Json(json_incref(json_object_getn(value_, key.data(), key.size())));
}

Json Json::at(std::size_t index) const { return Json(json_incref(json_array_get(value_, index))); }

std::size_t Json::size() const {
    if (json_is_array(value_)) return json_array_size(value_);
    if (json_is_object(value_)) return json_object_size(value_);
    return 0;
}

bool Json::is_object() const { return json_is_object(value_); }
bool Json::is_array() const { return json_is_array(value_); }
bool Json::is_string() const { return json_is_string(value_); }
bool Json::is_integer() const { return json_is_integer(value_); }
bool Json::is_null() const { return json_is_null(value_); }

std::string Json::as_string() const {
    if (!json_is_string(value_)) return {};
    return std::string(json_string_value(value_), json_string_length(value_));
}

std::int64_t Json::as_integer() const { return json_is_integer(value_) ? json_integer_value(value_) : 0; }

std::string Json::dump() const {
    struct FreeChars {
        void operator()(char* p) const noexcept { std::free(p); }
    };
    std::unique_ptr<char, FreeChars> text(json_dumps(value_, JSON_COMPACT | JSON_ENCODE_ANY));
    if (!text) throw std::runtime_error("cannot serialise JSON");
    return std::string(text.get());
}

void append_json_string(std::string& out, std::string_view utf8) {
    static constexpr char hex[] = "0123456789ABCDEF";  // jansson writes \u001F, upper case
    out.push_back('"');
    std::size_t run = 0;  // start of the characters not yet appended
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(utf8, run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0x0f]);
        }
    }
    out.append(utf8, run, std::string_view::npos);
    out.push_back('"');
}

}  // namespace usersuite
