// users-api: the user routes with their Redis cache, /, /health and the
// hello routes.
#include <chrono>
#include <iostream>

#include "libcommon/accounts.hpp"
#include "libcommon/daemon.hpp"
#include "libcommon/health.hpp"
#include "libcommon/pg_client.hpp"
#include "libcommon/redis_client.hpp"
#include "libcommon/user_cache.hpp"
#include "services/users-api/routes.hpp"

using namespace usersuite;

namespace {
const DaemonInfo kInfo = {"users-api", kUsersApi, "USERS_API_LISTEN",
                          "users-api serves /api/v1/users, /, /health, /api/v1/hello and the API documentation (/openapi.json, "
                          "/docs, /redoc) of the user suite's HTTP API."};
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
        UserCache cache(redis, std::chrono::seconds(config.integer("CACHE_TTL_SECONDS")),
                        cache_lock_ttl(std::chrono::milliseconds(config.integer("DATABASE_TIMEOUT_MS"))),
                        std::chrono::milliseconds(config.integer("REDIS_TIMEOUT_MS")));

        Router& routes = http.router();
        users_api::Services services{accounts.users, cache, accounts.passwords, accounts.tokens};
        users_api::add_root_route(routes, config.str("PROJECT_NAME"));
        users_api::add_openapi_route(routes, users_api::openapi_document(config.str("PROJECT_NAME"), config.str("VERSION"),
                                                                         config.str("DESCRIPTION")));
        users_api::add_docs_routes(routes, config.str("PROJECT_NAME"));
        add_health_route(routes, db, redis, std::chrono::milliseconds(config.integer("HEALTH_TIMEOUT_MS")));
        users_api::add_hello_routes(routes);
        users_api::add_users_routes(routes, services);
        users_api::add_user_routes(routes, services);

        DaemonSignals signals(loop, http, std::chrono::seconds(config.integer("SHUTDOWN_TIMEOUT")));
        log_process_up(kInfo, address.to_string(), started);
        loop.run();
        return 0;
    });
}
