// CORS per api.md, from BACKEND_CORS_ORIGINS (a JSON list; ["*"] allows any).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libcommon/http_error.hpp"

namespace usersuite {

class CorsPolicy {
public:
    static std::optional<CorsPolicy> parse(const std::string& json_list, std::string* error);

    bool allows(const std::string& origin) const;

    // Headers for an actual (non-preflight) response to a request with this
    // Origin; empty for no Origin or a refused one.
    HeaderList response_headers(const char* origin) const;

    // Headers of a successful preflight; nullopt when the origin is refused.
    std::optional<HeaderList> preflight_headers(const char* origin, const char* requested_headers) const;

private:
    bool any_ = false;
    std::vector<std::string> origins_;
};

}  // namespace usersuite
