# The error replies of api.md: 404, 405, 413, malformed requests.

test_404_body_and_headers() {
	get /no/such/route -H 'X-Request-ID: err-404'
	assert_error 404
	assert_header X-Request-ID err-404
	assert_json .detail "Not Found"
	direct GET /no/such/route
	assert_error 404
	direct_auth GET /api/v1/auth/nothing
	assert_error 404
}

test_405_lists_allowed_methods() {
	for method in POST PUT DELETE PATCH; do
		get /api/v1/hello -X "$method"
		assert_error 405
		assert_header Allow "GET, HEAD"
		assert_json .detail "Method Not Allowed"
	done
	direct POST /health
	assert_error 405
	assert_header Allow "GET, HEAD"
}

test_413_over_one_mebibyte_through_nginx() {
	head -c 1048577 /dev/zero >"$scratch/big"
	get /api/v1/hello -X POST -H 'Content-Type: application/json' -H 'X-Request-ID: big-1' \
		--data-binary @"$scratch/big"
	assert_error 413
	assert_header X-Request-ID big-1
	assert_match 'too large' "$(jqb .detail)"
}

test_413_over_one_mebibyte_direct() {
	head -c 1048577 /dev/zero >"$scratch/big"
	direct POST /api/v1/hello -H 'Content-Type: application/json' --data-binary @"$scratch/big"
	assert_error 413
	assert_match 'too large' "$(jqb .detail)"
	# The daemon goes on serving.
	direct GET /api/v1/hello
	assert_status 200
}

test_body_of_exactly_one_mebibyte_is_not_413() {
	head -c 1048576 /dev/zero >"$scratch/max"
	direct POST /api/v1/hello --data-binary @"$scratch/max"
	assert_error 405
	get /api/v1/hello -X POST --data-binary @"$scratch/max"
	assert_error 405
}

test_malformed_request_gets_json_400_and_daemon_survives() {
	start_own_users_api
	exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT"
	printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n' >&3
	local reply
	reply=$(timeout 5 cat <&3 || true)
	exec 3<&-
	assert_match '^HTTP/1.1 400' "$reply" "status line"
	assert_match 'Content-Type: application/json' "$reply" "content type"
	assert_match '"request_id":"[0-9a-f-]{36}"' "$reply" "JSON body"
	request GET "$OWN_URL/api/v1/hello"
	assert_status 200
}

test_oversized_headers_rejected_with_json() {
	start_own_users_api
	local big
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	request GET "$OWN_URL/api/v1/hello" -H "X-Big: $big"
	assert_error 400
	request GET "$OWN_URL/api/v1/hello"
	assert_status 200
}
