// GET /openapi.json: the OpenAPI 3 document of the whole URL space (every
// daemon's routes), services/users-api/openapi.json compiled in, with its
// title, version and description from PROJECT_NAME, VERSION, DESCRIPTION.
#include <stdexcept>

#include "libcommon/http_exchange.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

extern const char kOpenApiJson[];

std::string openapi_document(const std::string& title, const std::string& version, const std::string& description) {
    std::string why;
    auto doc = Json::parse(kOpenApiJson, &why);
    if (!doc) throw std::logic_error("services/users-api/openapi.json is not valid JSON: " + why);
    Json info = doc->get("info");
    info.set("title", Json::string(title)).set("version", Json::string(version)).set("description", Json::string(description));
    return doc->dump();
}

void add_openapi_route(Router& router, const std::string& document) {
    router.add("GET", "/openapi.json", [document](const std::shared_ptr<Exchange>& ex) { ex->reply_json_text(200, document); });
}

}  // namespace usersuite::users_api
