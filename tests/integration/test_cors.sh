# CORS per api.md, with http://localhost:3000 allowed by the stack's config.

allowed=http://localhost:3000
refused=http://evil.example

test_simple_request_from_allowed_origin() {
	get /api/v1/hello -H "Origin: $allowed"
	assert_status 200
	assert_header Access-Control-Allow-Origin "$allowed"
	assert_header Access-Control-Allow-Credentials true
	assert_header Vary Origin
	assert_header Access-Control-Expose-Headers "X-Request-ID, X-Process-Time"
}

test_simple_request_from_refused_origin_is_served_without_cors() {
	get /api/v1/hello -H "Origin: $refused"
	assert_status 200
	assert_json .message "Hello, World!"
	if grep -qi '^access-control-' "$scratch/headers"; then fail "a refused origin got Access-Control headers"; fi
}

test_preflight_from_allowed_origin() {
	request OPTIONS "$base_url/api/v1/hello" -H "Origin: $allowed" \
		-H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: X-Request-ID, Authorization'
	assert_status 200
	assert_eq 0 "$(stat -c %s "$scratch/body")" "preflight body size"
	assert_no_header Content-Type
	assert_header Access-Control-Allow-Origin "$allowed"
	assert_header Access-Control-Allow-Credentials true
	assert_match 'GET' "$(header Access-Control-Allow-Methods)"
	assert_header Access-Control-Allow-Headers "X-Request-ID, Authorization"
	assert_common_headers
}

test_preflight_from_refused_origin_is_400() {
	request OPTIONS "$base_url/api/v1/hello" -H "Origin: $refused" -H 'Access-Control-Request-Method: GET'
	assert_error 400
	if grep -qi '^access-control-allow-' "$scratch/headers"; then fail "a refused preflight got Allow headers"; fi
	direct OPTIONS /api/v1/hello -H "Origin: $refused" -H 'Access-Control-Request-Method: GET'
	assert_error 400
}

test_cors_headers_on_errors_too() {
	get /no/such -H "Origin: $allowed"
	assert_error 404
	assert_header Access-Control-Allow-Origin "$allowed"
}

test_options_without_preflight_headers_is_405() {
	request OPTIONS "$base_url/api/v1/hello"
	assert_error 405
}
