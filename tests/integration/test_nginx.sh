# The errors nginx answers itself carry api.md's body and headers.

test_502_when_users_api_is_down() {
	stop_for_test users-api
	get /api/v1/hello -H 'X-Request-ID: down-1'
	assert_error 502
	assert_header X-Request-ID down-1
	assert_match '^[0-9]+$' "$(header Retry-After)"
	"$stack" start users-api
	get /api/v1/hello
	assert_status 200
}

test_502_when_auth_api_is_down() {
	stop_for_test auth-api
	get /api/v1/auth/login -X POST
	assert_error 502
	"$stack" start auth-api
	get /api/v1/auth/nothing
	assert_error 404
}

test_400_from_nginx_is_json() {
	exec 3<>"/dev/tcp/127.0.0.1/$STACK_PORT"
	printf 'GET / HTTP/1.1\r\nHost: bad host\r\n\r\n' >&3
	local reply
	reply=$(timeout 5 cat <&3 || true)
	exec 3<&-
	assert_match '^HTTP/1.1 400' "$reply" "status line"
	assert_match 'Content-Type: application/json' "$reply"
	assert_match 'X-Request-ID: [0-9a-f-]{36}' "$reply"
	assert_match '"request_id":"[0-9a-f-]{36}"' "$reply"
}

# A request nginx refuses before any location has a URI (a malformed
# percent-escape, a request target that is not a path) once came out as
# nginx's HTML 500: the redirect to a named error location needs a URI.
test_malformed_request_targets_get_a_json_400() {
	local target
	for target in /api/v1/hello/%zz /api/v1/users/%00 '*' api/v1/hello; do
		get / --request-target "$target"
		assert_error 400
		assert_json .detail "Bad Request"
	done
}

# The other errors nginx writes itself: JSON, request id, X-Process-Time.
test_nginx_own_errors_are_json() {
	get "/api/v1/hello/$(printf 'x%.0s' $(seq 17000))"
	assert_error 414
	get /api/v1/hello -H "X-Long: $(printf 'y%.0s' $(seq 20000))"
	assert_error 400
	get /api/v1/users/1 -X TRACE
	assert_error 405
	get /api/v1/users -X POST -H 'Transfer-Encoding: gzip' -d x
	assert_error 501
	get /_assets/swagger-ui/no-such-file.js
	assert_error 404
	assert_json .detail "Not Found"
	# No byte ranges there, so no 416 (whose head nginx gives two X-Request-ID).
	get /_assets/redoc/redoc.standalone.js -H 'Range: bytes=999999999-'
	assert_status 200
	assert_eq 1 "$(header_count X-Request-ID)" "number of X-Request-ID headers"
	exec 3<>"/dev/tcp/127.0.0.1/$STACK_PORT"
	printf 'GET /api/v1/hello HTTP/2.0\r\nHost: localhost\r\n\r\n' >&3
	local reply
	reply=$(timeout 5 cat <&3 || true)
	exec 3<&-
	assert_match '^HTTP/1.1 505' "$reply" "status line"
	assert_match '"detail":"HTTP Version Not Supported"' "$reply"
}

# api.md: a path is matched exactly, never redirected; nginx would send
# /api/v1/auth to the prefix location /api/v1/auth/ with a 301.
test_auth_prefix_without_its_slash_is_a_404() {
	get /api/v1/auth
	assert_error 404
	get /api/v1/auth -X POST
	assert_error 404
}

test_routes_split_between_daemons() {
	get /api/v1/auth/anything -H 'X-Request-ID: route-auth'
	assert_error 404
	wait_until 5 grep -q 'auth-api.access - INFO - \[RequestID: route-auth\]' "$logs/app.log" ||
		fail "/api/v1/auth/* did not reach auth-api"
	get /api/v1/hello -H 'X-Request-ID: route-users'
	wait_until 5 grep -q 'users-api.access - INFO - \[RequestID: route-users\]' "$logs/app.log" ||
		fail "/api/v1/hello did not reach users-api"
}

test_keepalive_to_upstream() {
	for _ in $(seq 1 20); do get /api/v1/hello; done
	# The daemon saw far fewer connections than requests: count via ss on its socket.
	local conns
	conns=$(ss -xH state connected | grep -c "$users_sock" || true)
	((conns >= 1 && conns <= 4)) || fail "$conns connections from nginx to users-api"
}
