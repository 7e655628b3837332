// POST /api/v1/auth/login: {email, password} as JSON, or the OAuth2
// password form (username, password) that the API docs page sends.
#include "libcommon/authenticate.hpp"
#include "libcommon/http_exchange.hpp"
#include "libcommon/log.hpp"
#include "libcommon/password_service.hpp"
#include "libcommon/token.hpp"
#include "libcommon/user_fields.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/auth-api/routes.hpp"

namespace usersuite::auth_api {

namespace {

// What a failed login logs of the email: a password typed into the email
// field must not reach the log.
std::string loggable(const std::string& email) { return is_valid_email(email) ? email : "(not an email address)"; }

}  // namespace

void add_login_route(Router& router, Services s) {
    router.add(
        "POST", "/api/v1/auth/login",
        [s](const std::shared_ptr<Exchange>& ex) {
            // Login applies no rule to the values: anything that does not match is a 401.
            ValidationErrors errors;
            auto email = check_string(ex->json(), ex->body_is_form() ? "username" : "email", errors);
            auto password = check_string(ex->json(), "password", errors);
            errors.throw_if_any();

            s.users.find_by_email(*email, ex->guarded([ex, s, email = *email, password = *password](StoreResult r) {
                if (r.status == StoreStatus::unavailable)
                    throw HttpError::service_unavailable("Database unavailable, try again shortly", 5);
                if (r.status != StoreStatus::ok && r.status != StoreStatus::not_found)
                    throw std::runtime_error("looking up a user failed: " + r.detail);
                std::optional<User> user = r.user;
                std::optional<std::string> stored;
                if (user) stored = user->hashed_password;
                bool queued = s.passwords.verify(password, stored, ex->guarded([ex, s, email, user](bool ok) {
                    Logger log("login");
                    if (!ok) {
                        log.warning(ex->request_id(), "login failed for " + loggable(email) + ": " +
                                                          (user ? "wrong password" : "no such user"));
                        throw unauthorized("Incorrect email or password");
                    }
                    log.info(ex->request_id(), "login of user " + std::to_string(user->id));
                    ex->reply_json(200, Json::object()
                                            .set("access_token", Json::string(s.tokens.issue(user->email)))
                                            .set("token_type", Json::string("bearer")));
                }));
                if (!queued) throw password_pool_full();
            }));
        },
        Body::json_or_form);
}

}  // namespace usersuite::auth_api
