# GET /, /api/v1/hello and /api/v1/hello/{name}, through nginx and direct.

test_root_welcome() {
	get /
	assert_status 200
	assert_common_headers
	assert_json .message "Welcome to User Suite"
}

test_hello_world_through_nginx_and_direct() {
	get /api/v1/hello
	assert_status 200
	assert_common_headers
	assert_eq '{"message":"Hello, World!"}' "$(body)" "body"
	direct GET /api/v1/hello
	assert_status 200
	assert_common_headers
	assert_eq '{"message":"Hello, World!"}' "$(body)" "body"
}

test_hello_korean_name_percent_encoded() {
	get /api/v1/hello/%EA%B9%80%EC%B2%A0%EC%88%98
	assert_status 200
	assert_common_headers
	assert_json .message "Hello, 김철수!"
	direct GET /api/v1/hello/%ED%95%9C%EA%B8%80
	assert_json .message "Hello, 한글!"
}

test_hello_name_decoded_once() {
	get /api/v1/hello/a%2Fb
	assert_status 200
	assert_json .message "Hello, a/b!"
	get /api/v1/hello/100%2525
	assert_json .message "Hello, 100%25!"
	get '/api/v1/hello/a+b'
	assert_json .message "Hello, a+b!"
}

test_hello_invalid_utf8_is_422() {
	for path in /api/v1/hello/%FF /api/v1/hello/%C3%28 /api/v1/hello/%ED%A0%80; do
		get "$path"
		assert_error 422
		assert_json '.detail[0].loc | join(",")' "path,name"
		assert_json '.detail[0].type' string_unicode
		direct GET "$path"
		assert_error 422
	done
}

test_trailing_slash_is_404_not_redirect() {
	for path in /api/v1/hello/ /health/ /api/v1/hello//x; do
		get "$path"
		assert_error 404
		assert_json .detail "Not Found"
	done
}

test_head_answers_like_get_without_body() {
	start_own_users_api
	local port reply
	for port in "$STACK_PORT" "$OWN_PORT"; do
		exec 3<>"/dev/tcp/127.0.0.1/$port"
		printf 'HEAD /api/v1/hello HTTP/1.0\r\nHost: x\r\n\r\n' >&3
		reply=$(timeout 5 cat <&3 | tr -d '\r' || true)
		exec 3<&-
		assert_match '^HTTP/1\.[01] 200' "$reply" "status line on port $port"
		assert_match 'Content-Length: 27' "$reply" "Content-Length of HEAD on port $port"
		assert_match 'X-Request-ID: ' "$reply"
		# Nothing follows the blank line that ends the headers.
		assert_eq "" "$(sed '1,/^$/d' <<<"$reply")" "HEAD body on port $port"
	done
}
