// The routes auth-api serves, one file each under routes/, named by URL.
#pragma once

#include "libcommon/http_router.hpp"

#include <string>

namespace usersuite {
class JobOutbox;
class PasswordService;
class Tokens;
class UsersStore;
}  // namespace usersuite

namespace usersuite::auth_api {

struct Services {
    UsersStore& users;
    PasswordService& passwords;
    const Tokens& tokens;
    JobOutbox* welcome_outbox;  // nullptr: WELCOME_EMAIL is off
    std::string project_name;
};

void add_register_route(Router& router, Services services);  // POST /api/v1/auth/register
void add_login_route(Router& router, Services services);     // POST /api/v1/auth/login
void add_me_route(Router& router, Services services);        // GET /api/v1/auth/me

}  // namespace usersuite::auth_api
