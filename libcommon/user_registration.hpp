// Creating a user from a request body {email, password, name}, as
// POST /api/v1/auth/register and POST /api/v1/users both do: validate (422),
// hash on the password pool (503 with Retry-After when it is full), insert
// (409 when the email is taken in any case, 503 when PostgreSQL is away),
// then then(user), whose caller replies 201.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "libcommon/http_error.hpp"

namespace usersuite {

class Exchange;
class PasswordService;
class UsersStore;
struct NewJob;
struct User;

// job_for, when given, makes the job committed with the user (its email and
// name as stored): UsersStore::create writes both or neither.
using JobForUser = std::function<NewJob(const std::string& email, const std::string& name)>;
void register_user(const std::shared_ptr<Exchange>& ex, PasswordService& passwords, UsersStore& users,
                   const JobForUser& job_for, std::function<void(const User&)> then);

// 503 with Retry-After: the password pool's queue is full.
HttpError password_pool_full();

// The 201 reply of a created user, with its Location.
void reply_created(const std::shared_ptr<Exchange>& ex, const User& user);

}  // namespace usersuite
