// What every daemon that serves accounts needs, built from the config: the
// users store, the password pool and the token rules.
#pragma once

#include "libcommon/password_service.hpp"
#include "libcommon/token.hpp"
#include "libcommon/users_store.hpp"
#include "libcommon/worker_pool.hpp"

namespace usersuite {

class Config;
class EventLoop;
class PgClient;

struct Accounts {
    Accounts(EventLoop& loop, PgClient& db, const Config& config);

    UsersStore users;
    WorkerPool password_pool;
    PasswordService passwords;
    Tokens tokens;
};

}  // namespace usersuite
