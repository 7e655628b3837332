// The routes users-api serves, one file each under routes/, named by URL.
#pragma once

#include <string>

#include "libcommon/http_router.hpp"

namespace usersuite {
class PasswordService;
class Tokens;
class UserCache;
class UsersStore;
}  // namespace usersuite

namespace usersuite::users_api {

struct Services {
    UsersStore& users;
    UserCache& cache;
    PasswordService& passwords;
    const Tokens& tokens;
};

void add_root_route(Router& router, const std::string& project_name);      // GET /
void add_hello_routes(Router& router);                                    // GET /api/v1/hello[/{name}]
void add_users_routes(Router& router, Services services);                 // POST, GET /api/v1/users
void add_user_routes(Router& router, Services services);                  // GET, PUT, DELETE /api/v1/users/{id}

}  // namespace usersuite::users_api
