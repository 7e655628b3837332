// api.md's validation of the user fields, FastAPI style: each check adds
// its failures to a ValidationErrors under loc ["body", field] and returns
// the value as stored (email domain lower-cased, name trimmed).
#pragma once

#include <optional>
#include <string>

#include "libcommon/json.hpp"
#include "libcommon/validation.hpp"

namespace usersuite {

// ASCII; a dot-atom local part of at most 64 characters, @, a domain of
// letter-digit-hyphen labels with at least one dot; at most 254 in all.
std::optional<std::string> check_email(const Json& body, const char* field, ValidationErrors& errors);
// 8 to 72 bytes of UTF-8, no NUL: bcrypt's limits, never truncated.
std::optional<std::string> check_password(const Json& body, const char* field, ValidationErrors& errors);
// 1 to 100 code points after trimming surrounding whitespace; no control characters.
std::optional<std::string> check_name(const Json& body, const char* field, ValidationErrors& errors);
// Any string (login applies no rule but the type).
std::optional<std::string> check_string(const Json& body, const char* field, ValidationErrors& errors);

// The same rules as plain predicates, for other callers and the tests.
bool is_valid_email(const std::string& email);
std::string trim_name(const std::string& name);

}  // namespace usersuite
