// auth-api: register, login and the current user (/api/v1/auth/*), and its
// own /health. Passwords are hashed and verified on a thread pool; the
// event loop never runs bcrypt.
#include <chrono>
#include <iostream>

#include "libcommon/accounts.hpp"
#include "libcommon/daemon.hpp"
#include "libcommon/health.hpp"
#include "libcommon/job_outbox.hpp"
#include "libcommon/job_queue.hpp"
#include "libcommon/pg_client.hpp"
#include "libcommon/redis_client.hpp"
#include "services/auth-api/routes.hpp"

using namespace usersuite;

namespace {
const DaemonInfo kInfo = {"auth-api", kAuthApi, "AUTH_API_LISTEN",
                          "auth-api serves /api/v1/auth/register, /login and /me, and its own /health, of the user suite's HTTP API."};
}

int main(int argc, char** argv) {
    auto started = std::chrono::steady_clock::now();
    DaemonOptions options = parse_daemon_options(argc, argv, kInfo);
    return run_daemon_main(kInfo, [&] {
        Config config = load_daemon_config(kInfo, options);
        ListenAddress address = daemon_listen_address(kInfo, config);
        if (options.check_only) {
            std::cout << "configuration OK\n";
            return 0;
        }
        open_daemon_logs(kInfo, config);

        raise_open_file_limit();
        EventLoop loop;
        HttpServer http(loop, http_settings(config));
        http.listen(address);
        PgClient db(loop, pg_settings(kInfo, config));
        RedisClient redis(loop, redis_endpoint(config));
        Accounts accounts(loop, db, config);

        Router& routes = http.router();
        JobQueue jobs(redis, std::chrono::milliseconds(config.integer("REDIS_TIMEOUT_MS")));
        // Also moves the jobs left by an earlier run, or by a Redis outage.
        JobOutbox outbox(loop, db, jobs, std::chrono::milliseconds(config.integer("DATABASE_TIMEOUT_MS")));
        outbox.start();
        auth_api::Services services{accounts.users, accounts.passwords, accounts.tokens,
                                    config.boolean("WELCOME_EMAIL") ? &outbox : nullptr, config.str("PROJECT_NAME")};
        add_health_route(routes, db, redis, std::chrono::milliseconds(config.integer("HEALTH_TIMEOUT_MS")));
        auth_api::add_register_route(routes, services);
        auth_api::add_login_route(routes, services);
        auth_api::add_me_route(routes, services);

        DaemonSignals signals(loop, http, std::chrono::seconds(config.integer("SHUTDOWN_TIMEOUT")));
        log_process_up(kInfo, address.to_string(), started);
        loop.run();
        return 0;
    });
}
