// GET /
#include "libcommon/http_exchange.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

void add_root_route(Router& router, const std::string& project_name) {
    std::string body = Json::object().set("message", Json::string("Welcome to " + project_name)).dump();
    router.add("GET", "/", [body](const std::shared_ptr<Exchange>& ex) { ex->reply_json_text(200, body); });
}

}  // namespace usersuite::users_api
