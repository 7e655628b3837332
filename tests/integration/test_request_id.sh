# api.md's X-Request-ID rule, through nginx and direct, and in the logs.

test_valid_client_id_is_echoed() {
	local id='Req.1_a-b:c@d/e'
	get /api/v1/hello -H "X-Request-ID: $id"
	assert_status 200
	assert_header X-Request-ID "$id"
	direct GET /api/v1/hello -H "X-Request-ID: $id"
	assert_header X-Request-ID "$id"
}

test_128_characters_kept_129_replaced() {
	local ok long
	ok=$(printf 'a%.0s' $(seq 1 128))
	long=$(printf 'b%.0s' $(seq 1 129))
	get /api/v1/hello -H "X-Request-ID: $ok"
	assert_header X-Request-ID "$ok"
	get /api/v1/hello -H "X-Request-ID: $long"
	assert_match "$uuid_re" "$(header X-Request-ID)"
	direct GET /api/v1/hello -H "X-Request-ID: $long"
	assert_match "$uuid_re" "$(header X-Request-ID)"
}

test_invalid_ids_replaced_and_never_logged() {
	local bad
	for bad in 'has space' $'ctl\x01char' 'héllo' 'semi;colon' 'quote"d'; do
		get /no/such/path -H "X-Request-ID: $bad"
		assert_error 404
		assert_match "$uuid_re" "$(header X-Request-ID)" "replacement for [$bad]"
		direct GET /no/such/path -H "X-Request-ID: $bad"
		assert_match "$uuid_re" "$(header X-Request-ID)" "replacement for [$bad]"
	done
	if grep -rqF -e 'has space' -e 'héllo' -e 'semi;colon' "$logs"; then
		fail "an invalid request id reached a log: $(grep -rlF -e 'has space' -e 'héllo' -e 'semi;colon' "$logs")"
	fi
}

test_two_client_ids_are_replaced_by_the_daemon() {
	direct GET /api/v1/hello -H 'X-Request-ID: one' -H 'X-Request-ID: two'
	assert_match "$uuid_re" "$(header X-Request-ID)"
}

test_generated_ids_are_uuid_v4_and_distinct() {
	get /api/v1/hello
	local first
	first=$(header X-Request-ID)
	assert_match "$uuid_re" "$first"
	get /api/v1/hello
	assert_match "$uuid_re" "$(header X-Request-ID)"
	[[ $first != "$(header X-Request-ID)" ]] || fail "two requests got the same id"
}

test_id_reaches_daemon_and_its_access_log() {
	local id
	id="trace-$RANDOM$RANDOM"
	get /api/v1/hello -H "X-Request-ID: $id"
	assert_header X-Request-ID "$id"
	wait_until 5 grep -q "users-api.access - INFO - \[RequestID: $id\] - GET /api/v1/hello 200" "$logs/app.log" ||
		fail "no access-log line with the request id in app.log"
	# nginx flushes its buffered access log every second.
	wait_until 5 grep -q "rid=$id" "$logs/nginx-access.log" || fail "nginx's access log lacks the request id"
}

test_generated_id_is_the_same_in_nginx_and_daemon() {
	get /api/v1/hello
	local id
	id=$(header X-Request-ID)
	wait_until 5 grep -q "\[RequestID: $id\] - GET /api/v1/hello 200" "$logs/app.log" ||
		fail "the daemon logged another id than nginx returned"
}
