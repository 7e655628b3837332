// POST /api/v1/auth/register: the user, and (WELCOME_EMAIL) its welcome
// e-mail job, committed together; the job then goes from the outbox to Redis.
#include "libcommon/http_exchange.hpp"
#include "libcommon/job_outbox.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/auth-api/routes.hpp"
#include "services/auth-api/welcome_email.hpp"

namespace usersuite::auth_api {

void add_register_route(Router& router, Services s) {
    router.add(
        "POST", "/api/v1/auth/register",
        [s](const std::shared_ptr<Exchange>& ex) {
            if (s.welcome_outbox == nullptr) {
                register_user(ex, s.passwords, s.users, nullptr, [ex](const User& user) { reply_created(ex, user); });
                return;
            }
            auto welcome = [s, rid = ex->request_id()](const std::string& email, const std::string& name) {
                return welcome_email_job(email, name, s.project_name, rid);
            };
            register_user(ex, s.passwords, s.users, welcome, [ex, s](const User& user) {
                // The reply waits for the outbox round that moves the job (a
                // PostgreSQL statement or two and a Redis command), so that the
                // e-mail is on its way when the client hears of the user.
                s.welcome_outbox->kick(ex->guarded([ex, user] { reply_created(ex, user); }));
            });
        },
        Body::json);
}

}  // namespace usersuite::auth_api
