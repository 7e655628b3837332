#include "libcommon/user_registration.hpp"

#include "libcommon/http_exchange.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/log.hpp"
#include "libcommon/password_service.hpp"
#include "libcommon/user_fields.hpp"
#include "libcommon/users_store.hpp"

namespace usersuite {

HttpError password_pool_full() {
    return HttpError::service_unavailable("Too many password operations in progress; retry shortly", 1);
}

void register_user(const std::shared_ptr<Exchange>& ex, PasswordService& passwords, UsersStore& users,
                   const JobForUser& job_for, std::function<void(const User&)> then) {
    ValidationErrors errors;
    auto email = check_email(ex->json(), "email", errors);
    auto password = check_password(ex->json(), "password", errors);
    auto name = check_name(ex->json(), "name", errors);
    errors.throw_if_any();

    std::optional<NewJob> job;
    if (job_for) job = job_for(*email, *name);
    bool queued = passwords.hash(*password, ex->guarded([ex, &users, email = *email, name = *name, job = std::move(job),
                                                         then = std::move(then)](const std::string& hash) {
        if (hash.empty()) throw std::runtime_error("hashing a password failed");
        users.create(email, hash, name, job, ex->guarded([ex, email, then](StoreResult r) {
            Logger log("users");
            switch (r.status) {
                case StoreStatus::ok:
                    log.info(ex->request_id(), "created user " + std::to_string(r.user->id));
                    then(*r.user);
                    return;
                case StoreStatus::duplicate_email:
                    log.info(ex->request_id(), "email already registered");
                    throw HttpError(409, "Email already registered");
                case StoreStatus::unavailable:
                    throw HttpError::service_unavailable("Database unavailable, try again shortly", 5);
                default: throw std::runtime_error("creating a user failed: " + r.detail);
            }
        }));
    }));
    if (!queued) throw password_pool_full();
}

void reply_created(const std::shared_ptr<Exchange>& ex, const User& user) {
    ex->reply_json_text(201, user.json_text(), {{"Location", "/api/v1/users/" + std::to_string(user.id)}});
}

}  // namespace usersuite
