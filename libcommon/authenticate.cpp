#include "libcommon/authenticate.hpp"

#include "libcommon/http_exchange.hpp"
#include "libcommon/log.hpp"
#include "libcommon/token.hpp"
#include "libcommon/users_store.hpp"

namespace usersuite {

HttpError unauthorized(const std::string& detail) { return HttpError(401, detail, {{"WWW-Authenticate", "Bearer"}}); }

void authenticate(const std::shared_ptr<Exchange>& ex, const Tokens& tokens, UsersStore& users,
                  std::function<void(const User&)> then) {
    Logger log("auth");
    auto token = bearer_token(ex->header("Authorization"));
    if (!token) {
        log.info(ex->request_id(), "no bearer token");
        throw unauthorized("Not authenticated");
    }
    std::string why;
    auto claims = tokens.verify(*token, &why);
    if (!claims) {
        log.warning(ex->request_id(), "token refused: " + why);
        throw unauthorized();
    }
    users.find_by_email(claims->subject, ex->guarded([ex, claims = *claims, then = std::move(then)](StoreResult r) {
        Logger log("auth");
        if (r.status == StoreStatus::unavailable)
            throw HttpError::service_unavailable("Database unavailable, try again shortly", 5);
        if (r.status != StoreStatus::ok && r.status != StoreStatus::not_found)
            throw std::runtime_error("looking up the token's user failed: " + r.detail);
        if (r.status == StoreStatus::not_found || r.user->email != claims.subject) {
            log.warning(ex->request_id(), "token refused: its user no longer exists or changed email");
            throw unauthorized();
        }
        if (claims.issued_at < r.user->created_epoch) {
            log.warning(ex->request_id(), "token refused: issued before its user was created");
            throw unauthorized();
        }
        then(*r.user);
    }));
}

}  // namespace usersuite
