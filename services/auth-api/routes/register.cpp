// POST /api/v1/auth/register
#include "libcommon/http_exchange.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/auth-api/routes.hpp"

namespace usersuite::auth_api {

void add_register_route(Router& router, Services s) {
    router.add(
        "POST", "/api/v1/auth/register",
        [s](const std::shared_ptr<Exchange>& ex) {
            register_user(ex, s.passwords, s.users, [ex](const User& user) { reply_created(ex, user); });
        },
        Body::json);
}

}  // namespace usersuite::auth_api
