// GET /api/v1/hello and GET /api/v1/hello/{name}
#include "libcommon/http_exchange.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

void add_hello_routes(Router& router) {
    std::string world = Json::object().set("message", Json::string("Hello, World!")).dump();
    router.add("GET", "/api/v1/hello", [world](const std::shared_ptr<Exchange>& ex) { ex->reply_json_text(200, world); });
    // The router has percent-decoded {name} once and checked it is UTF-8.
    router.add("GET", "/api/v1/hello/{name}", [](const std::shared_ptr<Exchange>& ex) {
        const std::string& name = ex->params().text("name");
        ex->reply_json(200, Json::object().set("message", Json::string("Hello, " + name + "!")));
    });
}

}  // namespace usersuite::users_api
