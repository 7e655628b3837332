#include "libcommon/health.hpp"

#include <hiredis/hiredis.h>

#include "libcommon/http_exchange.hpp"
#include "libcommon/pg_client.hpp"
#include "libcommon/redis_client.hpp"

namespace usersuite {

namespace {

struct HealthCheck {
    std::shared_ptr<Exchange> ex;
    std::string database;
    std::string redis;
    int outstanding = 2;

    void done() {
        if (--outstanding > 0) return;
        Json checks = Json::object().set("database", Json::string(database)).set("redis", Json::string(redis));
        if (database == "ok" && redis == "ok") {
            ex->reply_json(200, Json::object().set("status", Json::string("healthy")).set("checks", checks));
            return;
        }
        std::string failed = database != "ok" ? "database" : "redis";
        if (database != "ok" && redis != "ok") failed = "database and redis";
        Logger("health").warning(ex->request_id(), "unhealthy: database: " + database + "; redis: " + redis);
        Json body = Json::object()
                        .set("status", Json::string("unhealthy"))
                        .set("checks", checks)
                        .set("detail", Json::string("health check failed: " + failed))
                        .set("request_id", Json::string(ex->request_id()));
        ex->reply_json(503, body, {{"Retry-After", "5"}});
    }
};

}  // namespace

void add_health_route(Router& router, PgClient& db, RedisClient& redis, std::chrono::milliseconds timeout) {
    router.add("GET", "/health", [&db, &redis, timeout](const std::shared_ptr<Exchange>& ex) {
        auto check = std::make_shared<HealthCheck>();
        check->ex = ex;
        db.query("SELECT 1", {}, timeout, PgStatement::read, ex->guarded([check](PgResult, const std::string& error) {
            check->database = error.empty() ? "ok" : error;
            check->done();
        }));
        redis.command({"PING"}, timeout, ex->guarded([check](const redisReply* reply, const std::string& error) {
            if (!error.empty())
                check->redis = error;
            else if (reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG")
                check->redis = "ok";
            else
                check->redis = "unexpected reply to PING: " + std::string(reply->str != nullptr ? reply->str : "");
            check->done();
        }));
    });
}

}  // namespace usersuite
