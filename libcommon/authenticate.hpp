// Bearer authentication, the same for every daemon: the token must pass
// Tokens::verify, its sub must name a user that exists, and it must not be
// older than that user (iat >= created_at in whole seconds), so that a token
// of a deleted account never works for a later one with the same email.
// Anything else is 401 with WWW-Authenticate: Bearer; a database away, 503.
#pragma once

#include <functional>
#include <memory>

#include "libcommon/http_error.hpp"

namespace usersuite {

class Exchange;
class Tokens;
class UsersStore;
struct User;

HttpError unauthorized(const std::string& detail = "Could not validate credentials");

void authenticate(const std::shared_ptr<Exchange>& ex, const Tokens& tokens, UsersStore& users,
                  std::function<void(const User&)> then);

}  // namespace usersuite
