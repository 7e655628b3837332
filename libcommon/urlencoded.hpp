// application/x-www-form-urlencoded, as query strings and form bodies are
// written: pieces split on '&', key and value split on the first '=',
// %XX and '+' decoded. Parsed by hand because evhttp_parse_query_str drops
// every pair when one piece is malformed (a bare key, "&&"), where FastAPI
// keeps the others.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace usersuite {

// In order; empty pieces skipped; a piece without '=' has an empty value.
std::vector<std::pair<std::string, std::string>> parse_urlencoded(const std::string& text);

}  // namespace usersuite
