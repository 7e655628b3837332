// The routes users-api serves, one file each under routes/, named by URL.
#pragma once

#include <string>

#include "libcommon/http_router.hpp"

namespace usersuite::users_api {

void add_root_route(Router& router, const std::string& project_name);      // GET /
void add_hello_routes(Router& router);                                    // GET /api/v1/hello[/{name}]

}  // namespace usersuite::users_api
