#include "libcommon/url.hpp"

#include <charconv>

namespace usersuite {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool percent_decode(const std::string& in, std::string* out) {
    out->clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out->push_back(in[i]);
            continue;
        }
        int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
        int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

}  // namespace

std::optional<Url> parse_url(const std::string& text, std::string* error) {
    Url u;
    std::size_t sep = text.find("://");
    if (sep == std::string::npos || sep == 0) {
        *error = "expected scheme://host..., got \"" + text + "\"";
        return std::nullopt;
    }
    u.scheme = text.substr(0, sep);
    std::string rest = text.substr(sep + 3);
    std::size_t q = rest.find('?');
    if (q != std::string::npos) {
        u.query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::size_t slash = rest.find('/');
    if (slash != std::string::npos) {
        u.path = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    std::size_t at = rest.rfind('@');
    if (at != std::string::npos) {
        std::string userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        std::size_t colon = userinfo.find(':');
        std::string user = userinfo.substr(0, colon);
        std::string password = colon == std::string::npos ? "" : userinfo.substr(colon + 1);
        if (!percent_decode(user, &u.user) || !percent_decode(password, &u.password)) {
            *error = "bad %-escape in the user or password of the URL";
            return std::nullopt;
        }
    }
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        std::size_t close = rest.find(']');
        if (close == std::string::npos) {
            *error = "unclosed [ in the URL's host";
            return std::nullopt;
        }
        u.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') {
                *error = "expected :PORT after ] in the URL";
                return std::nullopt;
            }
            port = rest.substr(close + 2);
        }
    } else {
        std::size_t colon = rest.rfind(':');
        u.host = rest.substr(0, colon);
        if (colon != std::string::npos) port = rest.substr(colon + 1);
    }
    if (!port.empty()) {
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
        if (ec != std::errc() || end != port.data() + port.size() || u.port < 1 || u.port > 65535) {
            *error = "the URL's port must be a number from 1 to 65535";
            return std::nullopt;
        }
    }
    return u;
}

}  // namespace usersuite
