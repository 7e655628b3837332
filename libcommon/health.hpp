// GET /health: real round trips to PostgreSQL (SELECT 1) and Redis (PING),
// run side by side; 200 when both answer, else 503 naming what failed.
#pragma once

#include <chrono>

namespace usersuite {

class Router;
class PgClient;
class RedisClient;

void add_health_route(Router& router, PgClient& db, RedisClient& redis, std::chrono::milliseconds timeout);

}  // namespace usersuite
