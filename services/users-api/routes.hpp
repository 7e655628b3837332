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

// The OpenAPI document with its info filled in; throws std::logic_error when
// the compiled-in document is broken.
std::string openapi_document(const std::string& title, const std::string& version, const std::string& description);

struct Services {
    UsersStore& users;
    UserCache& cache;
    PasswordService& passwords;
    const Tokens& tokens;
};

void add_root_route(Router& router, const std::string& project_name);      // GET /
void add_openapi_route(Router& router, const std::string& document);      // GET /openapi.json
void add_docs_routes(Router& router, const std::string& project_name);    // GET /docs, /redoc
void add_hello_routes(Router& router);                                    // GET /api/v1/hello[/{name}]
void add_users_routes(Router& router, Services services);                 // POST, GET /api/v1/users
void add_user_routes(Router& router, Services services);                  // GET, PUT, DELETE /api/v1/users/{id}

}  // namespace usersuite::users_api
