# /health reflects PostgreSQL and Redis, and the daemons recover by
# themselves when a dependency comes back.

healthy() {
	direct GET /health
	[[ $STATUS == 200 ]]
}

test_health_ok_through_nginx_and_auth_api() {
	get /health
	assert_status 200
	assert_common_headers
	assert_eq '{"status":"healthy","checks":{"database":"ok","redis":"ok"}}' "$(body)" "body"
	direct_auth GET /health
	assert_status 200
	assert_json .status healthy
}

test_health_503_while_redis_is_down_then_recovers() {
	local users_pid auth_pid
	users_pid=$(cat "$STACK_DIR/run/users-api-1.pid")
	auth_pid=$(cat "$STACK_DIR/run/auth-api.pid")
	stop_for_test redis
	get /health
	assert_error 503
	assert_json .status unhealthy
	assert_json .checks.database ok
	[[ $(jqb .checks.redis) != ok ]] || fail "the redis check says ok while Redis is stopped"
	assert_match 'redis' "$(jqb .detail)"
	assert_match '^[0-9]+$' "$(header Retry-After)" "Retry-After"
	direct_auth GET /health
	assert_error 503
	"$stack" start redis
	wait_until 10 healthy || fail "users-api did not recover after Redis came back"
	direct_auth GET /health
	assert_status 200
	assert_eq "$users_pid" "$(cat "$STACK_DIR/run/users-api-1.pid")" "users-api pid (not restarted)"
	assert_eq "$auth_pid" "$(cat "$STACK_DIR/run/auth-api.pid")" "auth-api pid (not restarted)"
	kill -0 "$users_pid" || fail "users-api died"
}

test_health_503_while_postgres_is_down_then_recovers() {
	stop_for_test postgres
	get /health
	assert_error 503
	assert_json .checks.redis ok
	[[ $(jqb .checks.database) != ok ]] || fail "the database check says ok while PostgreSQL is stopped"
	assert_match 'database' "$(jqb .detail)"
	"$stack" start postgres
	wait_until 15 healthy || fail "users-api did not recover after PostgreSQL came back"
}

test_health_503_when_redis_hangs_is_bounded_by_timeout() {
	pause_redis
	local start=$SECONDS
	direct GET /health
	resume_redis
	assert_error 503
	((SECONDS - start <= 3)) || fail "a hung Redis held /health for $((SECONDS - start)) s"
	wait_until 10 healthy || fail "no recovery after Redis resumed"
}
