// api.md's X-Request-ID rule: a client's value is kept when it sent exactly
// one valid one (1..128 of A-Z a-z 0-9 . _ - : @ /), otherwise a new UUID v4.
#pragma once

#include <string>
#include <string_view>

struct evkeyvalq;

namespace usersuite {

bool is_valid_request_id(std::string_view id);
std::string new_request_id();
std::string choose_request_id(const evkeyvalq* request_headers);

}  // namespace usersuite
