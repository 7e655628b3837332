// POST /api/v1/auth/register: the user, then (WELCOME_EMAIL) a welcome e-mail job.
#include "libcommon/http_exchange.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/auth-api/routes.hpp"
#include "services/auth-api/welcome_email.hpp"

namespace usersuite::auth_api {

void add_register_route(Router& router, Services s) {
    router.add(
        "POST", "/api/v1/auth/register",
        [s](const std::shared_ptr<Exchange>& ex) {
            register_user(ex, s.passwords, s.users, [ex, s](const User& user) {
                // The reply waits for the job to be queued (at most REDIS_TIMEOUT_MS), so
                // that a drain, which waits for replies, cannot stop before it is sent.
                if (s.welcome_jobs == nullptr) {
                    reply_created(ex, user);
                    return;
                }
                queue_welcome_email(*s.welcome_jobs, user, s.project_name, ex->request_id(),
                                    [ex, user] { reply_created(ex, user); });
            });
        },
        Body::json);
}

}  // namespace usersuite::auth_api
