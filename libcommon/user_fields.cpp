#include "libcommon/user_fields.hpp"

#include <cstdint>
#include <cstring>

namespace usersuite {

namespace {

bool is_atext(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool is_dot_atom(const std::string& s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '.') {
            if (s[i - 1] == '.') return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

bool is_domain(const std::string& d) {
    if (d.empty() || d.find('.') == std::string::npos) return false;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = d.find('.', start);
        std::string label = d.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (unsigned char c : label)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
        if (dot == std::string::npos) return true;
        start = dot + 1;
    }
}

// Decodes one UTF-8 code point at s[i] (valid UTF-8, as jansson guarantees).
std::uint32_t code_point_at(const std::string& s, std::size_t i, std::size_t* len) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return *len = 1, c;
    std::size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    std::uint32_t cp = c & (0xff >> (n + 1));
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    *len = n;
    return cp;
}

// Python's str.isspace(), which pydantic's strip follows.
bool is_space(std::uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

bool is_control(std::uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

// The field as a string; adds "missing" or "string_type" otherwise.
std::optional<std::string> string_field(const Json& body, const char* field, ValidationErrors& errors) {
    Json v = body.get(field);
    if (!v.is_valid()) {
        errors.add({"body", field}, "Field required", "missing");
        return std::nullopt;
    }
    if (!v.is_string()) {
        errors.add({"body", field}, "Input should be a valid string", "string_type");
        return std::nullopt;
    }
    return v.as_string();
}

}  // namespace

bool is_valid_email(const std::string& email) {
    if (email.size() > 254) return false;
    for (unsigned char c : email)
        if (c < 0x21 || c > 0x7e) return false;
    std::size_t at = email.rfind('@');
    if (at == std::string::npos || at == 0 || at > 64) return false;
    return is_dot_atom(email.substr(0, at)) && is_domain(email.substr(at + 1));
}

std::string trim_name(const std::string& name) {
    std::size_t begin = 0, end = name.size(), len = 0;
    while (begin < end && is_space(code_point_at(name, begin, &len))) begin += len;
    // Walk forward to find where the trailing run of spaces starts.
    std::size_t last_non_space = begin;
    for (std::size_t i = begin; i < end; i += len)
        if (!is_space(code_point_at(name, i, &len))) last_non_space = i + len;
    return name.substr(begin, last_non_space - begin);
}

std::optional<std::string> check_string(const Json& body, const char* field, ValidationErrors& errors) {
    return string_field(body, field, errors);
}

std::optional<std::string> check_email(const Json& body, const char* field, ValidationErrors& errors) {
    auto email = string_field(body, field, errors);
    if (!email) return std::nullopt;
    if (!is_valid_email(*email)) {
        errors.add({"body", field},
                   "value is not a valid email address: use an ASCII address like name@example.com, at most 254 "
                   "characters",
                   "value_error");
        return std::nullopt;
    }
    std::size_t at = email->rfind('@');
    for (std::size_t i = at + 1; i < email->size(); ++i)
        (*email)[i] = static_cast<char>(std::tolower(static_cast<unsigned char>((*email)[i])));
    return email;
}

std::optional<std::string> check_password(const Json& body, const char* field, ValidationErrors& errors) {
    auto password = string_field(body, field, errors);
    if (!password) return std::nullopt;
    if (password->find('\0') != std::string::npos) {
        errors.add({"body", field}, "String should not contain NUL characters", "string_pattern_mismatch");
        return std::nullopt;
    }
    if (password->size() < 8) {
        errors.add({"body", field}, "String should have at least 8 bytes", "string_too_short");
        return std::nullopt;
    }
    if (password->size() > 72) {
        errors.add({"body", field}, "String should have at most 72 bytes (bcrypt's limit; it is never truncated)",
                   "string_too_long");
        return std::nullopt;
    }
    return password;
}

std::optional<std::string> check_name(const Json& body, const char* field, ValidationErrors& errors) {
    auto raw = string_field(body, field, errors);
    if (!raw) return std::nullopt;
    std::string name = trim_name(*raw);
    std::size_t points = 0, len = 0;
    for (std::size_t i = 0; i < name.size(); i += len) {
        if (is_control(code_point_at(name, i, &len))) {
            errors.add({"body", field}, "String should not contain control characters", "string_pattern_mismatch");
            return std::nullopt;
        }
        ++points;
    }
    if (points < 1) {
        errors.add({"body", field}, "String should have at least 1 character", "string_too_short");
        return std::nullopt;
    }
    if (points > 100) {
        errors.add({"body", field}, "String should have at most 100 characters", "string_too_long");
        return std::nullopt;
    }
    return name;
}

}  // namespace usersuite
