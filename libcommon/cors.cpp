#include "libcommon/cors.hpp"

#include <algorithm>

#include "libcommon/json.hpp"
#include "libcommon/url.hpp"

namespace usersuite {

namespace {

constexpr const char* kAllowedMethods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

// An origin is exactly scheme://host[:port], as a browser sends it.
bool is_origin(const std::string& text) {
    std::string why;
    auto url = parse_url(text, &why);
    if (!url || (url->scheme != "http" && url->scheme != "https") || url->host.empty()) return false;
    for (char c : url->host)
        if (c == ' ' || c == '#' || c == '?' || c == '@' || c == '/') return false;
    std::string host = url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
    std::string rebuilt = url->scheme + "://" + host + (url->port != 0 ? ":" + std::to_string(url->port) : "");
    return rebuilt == text;
}

}  // namespace

std::optional<CorsPolicy> CorsPolicy::parse(const std::string& json_list, std::string* error) {
    std::string why;
    auto doc = Json::parse(json_list, &why);
    if (!doc || !doc->is_array()) {
        *error = "must be a JSON list of origins such as [\"https://app.example.com\"] or [\"*\"]";
        return std::nullopt;
    }
    CorsPolicy p;
    for (std::size_t i = 0; i < doc->size(); ++i) {
        Json item = doc->at(i);
        std::string origin = item.as_string();
        if (!item.is_string()) {
            *error = "every entry must be a string";
            return std::nullopt;
        }
        if (origin == "*") {
            p.any_ = true;
        } else if (is_origin(origin)) {
            p.origins_.push_back(origin);
        } else {
            *error = "\"" + origin + "\" is not an origin (scheme://host[:port], no path, no trailing slash)";
            return std::nullopt;
        }
    }
    return p;
}

bool CorsPolicy::allows(const std::string& origin) const {
    if (origin.empty()) return false;
    return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

HeaderList CorsPolicy::response_headers(const char* origin) const {
    if (origin == nullptr || !allows(origin)) return {};
    return {{"Access-Control-Allow-Origin", origin},
            {"Access-Control-Allow-Credentials", "true"},
            {"Access-Control-Expose-Headers", "X-Request-ID, X-Process-Time"},
            {"Vary", "Origin"}};
}

std::optional<HeaderList> CorsPolicy::preflight_headers(const char* origin, const char* requested_headers) const {
    if (origin == nullptr || !allows(origin)) return std::nullopt;
    HeaderList h = {{"Access-Control-Allow-Origin", origin},
                    {"Access-Control-Allow-Credentials", "true"},
                    {"Access-Control-Allow-Methods", kAllowedMethods},
                    {"Access-Control-Max-Age", "600"},
                    {"Vary", "Origin"}};
    if (requested_headers != nullptr && *requested_headers != '\0')
        h.emplace_back("Access-Control-Allow-Headers", requested_headers);
    return h;
}

}  // namespace usersuite
