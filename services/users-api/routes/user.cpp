// GET, PUT and DELETE /api/v1/users/{id}
#include "libcommon/authenticate.hpp"
#include "libcommon/http_exchange.hpp"
#include "libcommon/log.hpp"
#include "libcommon/password_service.hpp"
#include "libcommon/user_cache.hpp"
#include "libcommon/user_fields.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

namespace {

HttpError database_unavailable() { return HttpError::service_unavailable("Database unavailable, try again shortly", 5); }
HttpError cache_unavailable() {
    return HttpError::service_unavailable("Cache unavailable: the change could not be made safely, try again shortly",
                                          5);
}

void check_store(const StoreResult& r, const char* doing) {
    if (r.status == StoreStatus::unavailable) throw database_unavailable();
    if (r.status == StoreStatus::failed) throw std::runtime_error(std::string(doing) + " failed: " + r.detail);
}

// Runs then() when the authenticated user may change user id: 404 when id
// does not exist, 403 when it is somebody else. As in FastAPI, the token is
// checked first, then the body (validate, which may throw 422), then the
// owner.
void require_self(const std::shared_ptr<Exchange>& ex, Services s, std::int64_t id, std::function<void()> validate,
                  std::function<void()> then) {
    authenticate(ex, s.tokens, s.users, [ex, s, id, validate = std::move(validate), then = std::move(then)](const User& me) {
        validate();
        if (me.id == id) {
            then();
            return;
        }
        s.users.find_by_id(id, ex->guarded([ex, me](StoreResult r) {
            check_store(r, "looking up a user");
            if (r.status == StoreStatus::not_found) throw HttpError(404, "User not found");
            Logger("users").warning(ex->request_id(), "user " + std::to_string(me.id) + " may not change user " +
                                                          std::to_string(r.user->id));
            throw HttpError(403, "Not allowed to change another user");
        }));
    });
}

// Changes the row under the cache's lock: no lock (Redis away), no change.
void change_row(const std::shared_ptr<Exchange>& ex, Services s, std::int64_t id,
                std::function<void(std::function<void(StoreResult)> done)> change,
                std::function<void(const StoreResult&)> reply) {
    s.cache.lock(id, ex->guarded([ex, s, id, change = std::move(change), reply = std::move(reply)](bool locked) {
        if (!locked) throw cache_unavailable();
        change(ex->guarded([ex, s, id, reply](StoreResult r) {
            s.cache.unlock(id);
            if (r.status == StoreStatus::duplicate_email) throw HttpError(409, "Email already registered");
            check_store(r, "changing a user");
            if (r.status == StoreStatus::not_found) throw HttpError(404, "User not found");
            reply(r);
        }));
    }));
}

void get_user(const std::shared_ptr<Exchange>& ex, Services s) {
    std::int64_t id = ex->params().integer("id");
    s.cache.read(id, ex->guarded([ex, s, id](std::optional<std::string> cached, std::optional<std::string> token) {
        if (cached) {
            ex->reply_json_text(200, *cached);
            return;
        }
        s.users.find_by_id(id, ex->guarded([ex, s, id, token](StoreResult r) {
            check_store(r, "reading a user");
            if (r.status == StoreStatus::not_found) throw HttpError(404, "User not found");
            std::string body = r.user->json_text();
            if (token) s.cache.fill(id, *token, body);
            ex->reply_json_text(200, body);
        }));
    }));
}

void put_user(const std::shared_ptr<Exchange>& ex, Services s) {
    std::int64_t id = ex->params().integer("id");
    // Absent fields stay; present ones follow the rules of register.
    auto changes = std::make_shared<UserChanges>();
    auto password = std::make_shared<std::optional<std::string>>();
    auto validate = [ex, changes, password] {
        ValidationErrors errors;
        const Json& body = ex->json();
        if (body.get("email").is_valid()) changes->email = check_email(body, "email", errors);
        if (body.get("name").is_valid()) changes->name = check_name(body, "name", errors);
        if (body.get("password").is_valid()) *password = check_password(body, "password", errors);
        errors.throw_if_any();
    };
    require_self(ex, s, id, validate, [ex, s, id, changes, password]() {
        auto update = [ex, s, id](UserChanges c) {
            change_row(
                ex, s, id, [s, id, c](auto done) { s.users.update(id, c, std::move(done)); },
                [ex](const StoreResult& r) { ex->reply_json_text(200, r.user->json_text()); });
        };
        if (!*password) {
            update(*changes);
            return;
        }
        bool queued = s.passwords.hash(**password, ex->guarded([update, changes](const std::string& hash) {
            if (hash.empty()) throw std::runtime_error("hashing a password failed");
            UserChanges c = *changes;
            c.hashed_password = hash;
            update(c);
        }));
        if (!queued) throw password_pool_full();
    });
}

void delete_user(const std::shared_ptr<Exchange>& ex, Services s) {
    std::int64_t id = ex->params().integer("id");
    require_self(ex, s, id, [] {}, [ex, s, id]() {
        change_row(
            ex, s, id, [s, id](auto done) { s.users.remove(id, std::move(done)); },
            [ex, id](const StoreResult&) {
                Logger("users").info(ex->request_id(), "deleted user " + std::to_string(id));
                ex->reply_empty(204);
            });
    });
}

}  // namespace

void add_user_routes(Router& router, Services s) {
    router.add("GET", "/api/v1/users/{id:int}", [s](const std::shared_ptr<Exchange>& ex) { get_user(ex, s); });
    router.add("PUT", "/api/v1/users/{id:int}", [s](const std::shared_ptr<Exchange>& ex) { put_user(ex, s); },
               Body::json);
    router.add("DELETE", "/api/v1/users/{id:int}", [s](const std::shared_ptr<Exchange>& ex) { delete_user(ex, s); });
}

}  // namespace usersuite::users_api
