// GET /api/v1/auth/me
#include "libcommon/authenticate.hpp"
#include "libcommon/http_exchange.hpp"
#include "libcommon/users_store.hpp"
#include "services/auth-api/routes.hpp"

namespace usersuite::auth_api {

void add_me_route(Router& router, Services s) {
    router.add("GET", "/api/v1/auth/me", [s](const std::shared_ptr<Exchange>& ex) {
        authenticate(ex, s.tokens, s.users, [ex](const User& user) { ex->reply_json_text(200, user.json_text()); });
    });
}

}  // namespace usersuite::auth_api
