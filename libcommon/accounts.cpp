#include "libcommon/accounts.hpp"

#include "libcommon/config.hpp"

namespace usersuite {

Accounts::Accounts(EventLoop& loop, PgClient& db, const Config& config)
    : users(db, std::chrono::milliseconds(config.integer("DATABASE_TIMEOUT_MS"))),
      password_pool(loop, static_cast<unsigned>(config.integer("PASSWORD_WORKERS")),
                    static_cast<std::size_t>(config.integer("PASSWORD_QUEUE_LIMIT"))),
      passwords(password_pool, static_cast<int>(config.integer("BCRYPT_COST"))),
      tokens(config.str("SECRET_KEY"), config.str("ALGORITHM"),
             static_cast<int>(config.integer("ACCESS_TOKEN_EXPIRE_MINUTES"))) {}

}  // namespace usersuite
