// scheme://[user[:password]@]host[:port][/path][?query], as DATABASE_URL and
// REDIS_URL are written. User and password are percent-decoded.
#pragma once

#include <optional>
#include <string>

namespace usersuite {

struct Url {
    std::string scheme;
    std::string user;
    std::string password;
    std::string host;
    int port = 0;  // 0: not given
    std::string path;
    std::string query;
};

std::optional<Url> parse_url(const std::string& text, std::string* error);

}  // namespace usersuite
