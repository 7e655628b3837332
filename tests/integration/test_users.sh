# users-api through nginx (and straight to each of its processes): POST and
# GET /api/v1/users, GET, PUT and DELETE /api/v1/users/{id}; every error of
# api.md for them; ownership (A cannot change or delete B); pagination and id
# bounds; the Redis cache across the two processes (never stale); the Redis
# and PostgreSQL outages and recoveries; SIGKILL of one process under load.
#
# Every password here comes from lib.sh's new_password, whose marker
# test_auth.sh's last test looks for in the logs of the whole run.

users_psql() { pg_super -d usersuite "$@"; }
users_key() { echo "usersuite:user:$1"; }
users_gen_key() { echo "usersuite:user:$1:gen"; }
# users_cached ID: Redis holds the entry of user ID.
users_cached() { [[ $(stack_redis EXISTS "$(users_key "$1")") == 1 ]]; }
# users_row ID: the stored row (everything a write could change), "" if none.
users_row() { users_psql -c "SELECT email, name, hashed_password, created_at, updated_at FROM users WHERE id = $1"; }
users_max_id() { users_psql -c "SELECT coalesce(max(id), 0) FROM users"; }
users_config() { sed -n "s/^$1=//p" "$config" | tail -n1; }

# users_create EMAIL PASSWORD NAME [curl args...]: POST /api/v1/users through nginx.
users_create() {
	get /api/v1/users -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$1" password "$2" name "$3")" "${@:4}"
}
# users_create_raw BODY [curl args...]: the same with this JSON text.
users_create_raw() { get /api/v1/users -X POST -H 'Content-Type: application/json' --data-binary "$1" "${@:2}"; }

# users_new [EMAIL [PASSWORD [NAME]]]: creates a user (201 asserted); sets
# USER_EMAIL, USER_PASSWORD, USER_ID, USER_BODY.
users_new() {
	USER_EMAIL=${1:-$(new_email)}
	USER_PASSWORD=${2:-$(new_password)}
	users_create "$USER_EMAIL" "$USER_PASSWORD" "${3:-Test User}"
	assert_status 201
	USER_ID=$(jqb .id)
	USER_BODY=$(body)
}

# users_put TOKEN ID BODY [curl args...]: PUT through nginx; TOKEN "" sends
# no Authorization header.
users_put() {
	local auth=()
	[[ -n $1 ]] && auth=(-H "Authorization: Bearer $1")
	get "/api/v1/users/$2" -X PUT -H 'Content-Type: application/json' --data-binary "$3" "${auth[@]}" "${@:4}"
}
# users_delete TOKEN ID [curl args...]: DELETE through nginx.
users_delete() {
	local auth=()
	[[ -n $1 ]] && auth=(-H "Authorization: Bearer $1")
	get "/api/v1/users/$2" -X DELETE "${auth[@]}" "${@:3}"
}

# users_assert_422 JQ-ARRAY: the 422 detail's [loc, type] pairs, in order.
users_assert_422() {
	assert_error 422
	assert_eq "$1" "$(jq -c '[.detail[] | [.loc, .type]]' "$scratch/body")" "422 entries"
	jq -e '.detail | all(has("msg") and (.msg | type == "string" and length > 0))' "$scratch/body" >/dev/null ||
		fail "a 422 entry lacks a msg"
}
# users_assert_422_locs JQ-ARRAY: the 422 detail's locs, in order.
users_assert_422_locs() {
	assert_error 422
	assert_eq "$1" "$(jq -c '[.detail[] | .loc]' "$scratch/body")" "422 locs"
}
users_assert_401() {
	assert_error 401
	assert_header WWW-Authenticate Bearer
	[[ $(jqb '.detail | type') == string ]] || fail "401 detail is not a string"
}
# users_assert_string_error STATUS: api.md's error with a string detail.
users_assert_string_error() {
	assert_error "$1"
	[[ $(jqb '.detail | type') == string ]] || fail "$1 detail is not a string"
}
users_assert_503() {
	users_assert_string_error 503
	assert_match '^[0-9]+$' "$(header Retry-After)" "Retry-After"
}

users_iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
# users_assert_user EMAIL NAME: the body is api.md's User, exactly.
users_assert_user() {
	assert_eq '["created_at","email","id","name","updated_at"]' "$(jq -c 'keys' "$scratch/body")" "User keys"
	assert_eq number "$(jqb '.id | type')" "id type"
	assert_match '^[1-9][0-9]*$' "$(jqb .id)" "id"
	assert_json .email "$1"
	assert_json .name "$2"
	assert_match "$users_iso" "$(jqb .created_at)" "created_at"
	assert_match "$users_iso" "$(jqb .updated_at)" "updated_at"
}
# users_assert_body_is JSON: the body is this JSON value (key order aside).
users_assert_body_is() { assert_eq "$(jq -cS . <<<"$1")" "$(jq -cS . "$scratch/body")" "${2:-body}"; }
users_assert_no_password_material() {
	! grep -qF -- "$1" "$scratch/body" "$scratch/headers" || fail "the password is in the response"
	! grep -qF -- '$2b$' "$scratch/body" "$scratch/headers" || fail "a bcrypt hash is in the response"
	! grep -qi -- 'hashed_password' "$scratch/body" || fail "hashed_password is in the response"
}

# ---- POST /api/v1/users

test_create_user_201_with_location_and_user_body() {
	local email password id user
	email=$(new_email)
	password=$(new_password)
	users_create "$email" "$password" "  Ada Lovelace  " -H 'X-Request-ID: users-create-201'
	assert_status 201
	assert_common_headers
	assert_header X-Request-ID users-create-201
	users_assert_user "$email" "Ada Lovelace"
	assert_eq "$(jqb .created_at)" "$(jqb .updated_at)" "updated_at at creation"
	id=$(jqb .id)
	user=$(body)
	assert_header Location "/api/v1/users/$id"
	users_assert_no_password_material "$password"
	# The Location names the user, and the user can log in.
	get "/api/v1/users/$id"
	assert_status 200
	users_assert_body_is "$user" "the user at Location"
	login "$email" "$password"
	assert_status 200
	me "$(jqb .access_token)"
	assert_status 200
	assert_json .id "$id"
	# The domain is stored lower-cased, the local part as given.
	local local_part=Mixed.Case$RANDOM$RANDOM
	users_create "$local_part@Example.COM" "$(new_password)" "Grace"
	assert_status 201
	assert_json .email "$local_part@example.com"
	(($(jqb .id) > id)) || fail "the next id $(jqb .id) is not above $id"
	# Each process answers the same.
	local n
	for n in 1 2; do
		email=$(new_email)
		direct_process "$n" POST /api/v1/users -H 'Content-Type: application/json' \
			--data-binary "$(json_object email "$email" password "$(new_password)" name "Process $n")"
		assert_status 201
		assert_common_headers
		users_assert_user "$email" "Process $n"
		assert_header Location "/api/v1/users/$(jqb .id)"
	done
}

# A write that had to wait for a connection starts late, and the server's
# statement_timeout counts from its start: users-api waits for its outcome
# instead of answering 503 at its own deadline while it can still commit
# (it did: the row was there after the 503, for an outside review).
# backends_are N APP [WAIT_EVENT_TYPE]: APP has N backends (waiting on
# that kind of event).
backends_are() {
	[[ $(users_psql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$2'${3:+ AND wait_event_type = '$3'}") == "$1" ]]
}

test_a_late_write_is_answered_by_its_outcome() {
	local email password postmaster holder_sql timeout_ms started
	email=$(new_email)
	password=$(new_password)
	timeout_ms=$(sed -n 's/^DATABASE_TIMEOUT_MS=//p' "$config" | tail -n1)
	timeout_ms=${timeout_ms:-5000}
	postmaster=$(head -n1 "$(readlink -f "$STACK_DIR/pg")/data/postmaster.pid")
	# An uncommitted row with the same address: the daemon's INSERT waits for it.
	holder_sql="BEGIN; INSERT INTO users (email, hashed_password, name) VALUES ('$email',
		'\$2b\$04\$$(printf 'a%.0s' {1..53})', 'holder'); SELECT pg_sleep(60);"
	PGAPPNAME=late-write-holder users_psql -c "$holder_sql" >/dev/null 2>&1 &
	test_pids+=("$!")
	wait_until 5 backends_are 1 late-write-holder Timeout || fail "the holding transaction did not start"
	# users-api must connect anew, while the postmaster is stopped: six
	# tenths of its DATABASE_TIMEOUT_MS go by before its INSERT starts.
	users_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'users-api'" >/dev/null
	wait_until 5 backends_are 0 users-api || fail "users-api's connections did not end"
	kill -STOP "$postmaster"
	at_exit "kill -CONT $postmaster"
	started=$(date +%s%3N)
	curl -s -o "$scratch/late.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$email" password "$password" name Late)" "$base_url/api/v1/users" \
		>"$scratch/late.status" &
	local client=$!
	sleep "$(awk -v t="$timeout_ms" 'BEGIN {print t * 0.6 / 1000}')"
	kill -CONT "$postmaster"
	wait_until 5 backends_are 1 users-api Lock || fail "users-api's INSERT did not come to wait behind the holder"
	# Past the daemon's deadline, well within the server's limit from the
	# INSERT's start: the holder goes, and the waiting INSERT commits.
	local wait_ms=$((started + timeout_ms + 500 - $(date +%s%3N)))
	if ((wait_ms > 0)); then sleep "$(awk -v t="$wait_ms" 'BEGIN {print t / 1000}')"; fi
	users_psql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'late-write-holder'" >/dev/null
	wait "$client" || true
	assert_eq 201 "$(cat "$scratch/late.status")" "status of the late write (body $(cat "$scratch/late.body"))"
	assert_eq "Late" "$(users_psql -c "SELECT name FROM users WHERE email = '$email'")" "the row"
}

test_create_user_422_409_415_like_register() {
	local email password
	email=$(new_email)
	password=$(new_password)
	users_create "not-an-email" "$password" "Name"
	users_assert_422 '[[["body","email"],"value_error"]]'
	users_create "$email" "Pzw0rdQ" "Name" # 7 bytes
	users_assert_422 '[[["body","password"],"string_too_short"]]'
	users_create "$email" "$pw_marker$(printf 'x%.0s' {1..66})" "Name" # 73 bytes
	users_assert_422 '[[["body","password"],"string_too_long"]]'
	users_create "$email" "$password" "   "
	users_assert_422 '[[["body","name"],"string_too_short"]]'
	users_create "$email" "$password" $'Bad\x01Name'
	users_assert_422 '[[["body","name"],"string_pattern_mismatch"]]'
	users_create_raw '{}'
	users_assert_422 '[[["body","email"],"missing"],[["body","password"],"missing"],[["body","name"],"missing"]]'
	users_create_raw '{"email":null,"password":12345678,"name":["x"]}'
	users_assert_422 '[[["body","email"],"string_type"],[["body","password"],"string_type"],[["body","name"],"string_type"]]'
	local text
	for text in '' '[]' 'null' '{' '"x"'; do
		users_create_raw "$text"
		users_assert_422 '[[["body"],"json_invalid"]]'
	done
	# A \u0000, which jansson refuses by default, is checked by the field it is in.
	users_create_raw '{"email":"'"$email"'","password":"pass\u0000word1","name":"Nul\u0000","x":"\u0000"}'
	users_assert_422 '[[["body","password"],"string_pattern_mismatch"],[["body","name"],"string_pattern_mismatch"]]'
	assert_eq 0 "$(users_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$email')")" "rows after 422s"
	# 415 for a body that is not JSON.
	get /api/v1/users -X POST -H 'Content-Type: text/plain' \
		--data-binary "$(json_object email "$email" password "$password" name X)"
	users_assert_string_error 415
	get /api/v1/users -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary "email=$email&password=$password&name=X"
	users_assert_string_error 415
	assert_eq 0 "$(users_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$email')")" "rows after 415s"
	# 409 for the same address in any case.
	local local_part=dup$RANDOM$RANDOM variant
	users_new "$local_part@example.com"
	for variant in "$local_part@example.com" "${local_part^^}@EXAMPLE.COM" "${local_part^}@Example.com"; do
		users_create "$variant" "$(new_password)" "Other" -H 'X-Request-ID: users-create-409'
		users_assert_string_error 409
		assert_header X-Request-ID users-create-409
	done
	assert_eq 1 "$(users_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$local_part@example.com')")" \
		"rows for the address"
	# Methods the route does not have.
	get /api/v1/users -X PATCH
	users_assert_string_error 405
	assert_match 'GET' "$(header Allow)" "Allow"
	assert_match 'POST' "$(header Allow)" "Allow"
}

# ---- GET /api/v1/users

# users_sql_ids SKIP LIMIT: the ids of that page, as PostgreSQL orders them.
users_sql_ids() {
	users_psql -c "SELECT coalesce(json_agg(id ORDER BY id), '[]') FROM (SELECT id FROM users ORDER BY id OFFSET $1 LIMIT $2) s" | jq -c .
}
users_ids() { jq -c '[.[].id]' "$scratch/body"; }

test_list_users_ordered_by_id_with_skip_limit_and_bounds() {
	# More than one default page: rows straight into the table when needed.
	local tag=usersbulk$RANDOM$RANDOM n
	n=$(users_psql -c "SELECT count(*) FROM users")
	if ((n < 110)); then
		at_exit "pg_super -d usersuite -c \"DELETE FROM users WHERE email LIKE '$tag-%'\""
		users_psql -c "INSERT INTO users (email, hashed_password, name)
			SELECT '$tag-' || g || '@example.com', '\$2b\$04\$' || repeat('a', 53), 'Bulk ' || g
			FROM generate_series(1, $((110 - n))) g"
	fi
	users_new "" "" "Last Of The List"
	local total
	total=$(users_psql -c "SELECT count(*) FROM users")
	((total > 100)) || fail "only $total users"

	# Default: skip 0, limit 100, ordered by id.
	get /api/v1/users -H 'X-Request-ID: users-list'
	assert_status 200
	assert_common_headers
	assert_header X-Request-ID users-list
	assert_eq array "$(jqb 'type')" "list type"
	assert_eq 100 "$(jqb length)" "default page size"
	assert_eq "$(users_sql_ids 0 100)" "$(users_ids)" "ids of the default page"
	jq -e '[.[].id] as $i | $i == ($i | sort) and ($i | unique | length) == ($i | length)' "$scratch/body" >/dev/null ||
		fail "the list is not ordered by id"
	jq -e 'all(keys == ["created_at","email","id","name","updated_at"])' "$scratch/body" >/dev/null ||
		fail "an element is not a User"
	! grep -qF '$2b$' "$scratch/body" || fail "a hash is in the list"
	get "/api/v1/users?skip=0&limit=100"
	assert_eq "$(users_sql_ids 0 100)" "$(users_ids)" "skip=0&limit=100"

	# Pages.
	get "/api/v1/users?skip=1&limit=3"
	assert_status 200
	assert_eq "$(users_sql_ids 1 3)" "$(users_ids)" "skip=1&limit=3"
	get "/api/v1/users?limit=1"
	assert_status 200
	assert_eq 1 "$(jqb length)" "limit=1"
	assert_eq "$(users_sql_ids 0 1)" "$(users_ids)" "limit=1"
	get "/api/v1/users?skip=100&limit=100"
	assert_status 200
	assert_eq "$(users_sql_ids 100 100)" "$(users_ids)" "the second page"
	# The last one is the user just created, exactly as GET shows it.
	get "/api/v1/users?skip=$((total - 1))"
	assert_status 200
	assert_eq 1 "$(jqb length)" "the last page"
	jq '.[0]' "$scratch/body" >"$scratch/last"
	assert_eq "$(jq -cS . <<<"$USER_BODY")" "$(jq -cS . "$scratch/last")" "the last user in the list"
	# Beyond the end: an empty page.
	local skip
	for skip in "$total" $((total + 1000)) 9223372036854775807; do
		get "/api/v1/users?skip=$skip&limit=10"
		assert_status 200
		assert_eq '[]' "$(body)" "skip=$skip"
	done

	# Bounds.
	for skip in -1 abc 9223372036854775808 '' 1.0 %2B1 1e3; do
		get "/api/v1/users?skip=$skip"
		users_assert_422_locs '[["query","skip"]]'
	done
	local limit
	for limit in 0 101 -1 abc '' 9223372036854775808; do
		get "/api/v1/users?limit=$limit"
		users_assert_422_locs '[["query","limit"]]'
	done
	get "/api/v1/users?skip=-1&limit=0"
	users_assert_422 '[[["query","skip"],"greater_than_equal"],[["query","limit"],"greater_than_equal"]]'
	get "/api/v1/users?skip=--1&limit=-"
	users_assert_422 '[[["query","skip"],"int_parsing"],[["query","limit"],"int_parsing"]]'
	get "/api/v1/users?skip=9223372036854775808&limit=101"
	users_assert_422 '[[["query","skip"],"int_parsing"],[["query","limit"],"less_than_equal"]]'
}

# ---- GET /api/v1/users/{id}

# PostgreSQL writes "…:00+00" for a whole second and "…:00.5+00" for a half;
# api.md's timestamps always carry six digits and a Z.
test_timestamps_keep_six_fraction_digits_whatever_postgres_trims() {
	users_new "" "" "Clock"
	users_psql -c "SET session_replication_role = replica" -c "UPDATE users SET created_at = '2026-01-02 03:04:05+00', updated_at = '2026-01-02 03:04:05.5+00' WHERE id = $USER_ID"
	get "/api/v1/users/$USER_ID"
	assert_status 200
	assert_eq 2026-01-02T03:04:05.000000Z "$(jqb .created_at)" "created_at"
	assert_eq 2026-01-02T03:04:05.500000Z "$(jqb .updated_at)" "updated_at"
	users_psql -c "SET session_replication_role = replica" -c "UPDATE users SET created_at = '1999-12-31 23:59:59.000001+00' WHERE id = $USER_ID"
	users_list_contains_created "$USER_ID" 1999-12-31T23:59:59.000001Z
}
# A row the daemon cannot read is that request's 500, never the daemon's end.
test_unreadable_timestamp_is_a_500_and_the_daemon_serves_on() {
	users_new "" "" "Forever"
	at_exit "pg_super -d usersuite -c 'DELETE FROM users WHERE id = $USER_ID'"
	users_psql -c "UPDATE users SET created_at = '-infinity' WHERE id = $USER_ID"
	local n
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		assert_error 500
		assert_eq 'Internal Server Error' "$(jqb .detail)" "detail"
		direct_process "$n" GET /api/v1/hello
		assert_status 200
	done
	grep -q "unreadable users row: unexpected timestamp from PostgreSQL: -infinity" "$STACK_DIR/log/error.log" ||
		fail "no ERROR line naming the unreadable row"
}
users_list_contains_created() {
	local skip
	skip=$(users_psql -c "SELECT count(*) FROM users WHERE id < $1")
	get "/api/v1/users?skip=$skip&limit=1"
	assert_status 200
	assert_eq "$1 $2" "$(jqb '.[0] | "\(.id) \(.created_at)"')" "the listed user's created_at"
}

test_get_user_200_404_and_422_for_bad_ids() {
	users_new "" "" "Getter"
	get "/api/v1/users/$USER_ID" -H 'X-Request-ID: users-get'
	assert_status 200
	assert_common_headers
	assert_header X-Request-ID users-get
	users_assert_user "$USER_EMAIL" Getter
	users_assert_body_is "$USER_BODY"
	local n
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$USER_BODY" "process $n"
	done
	get "/api/v1/users/$USER_ID" --head
	assert_status 200
	# Absent ids.
	local id
	for id in $(($(users_max_id) + 1000000)) 9223372036854775807; do
		get "/api/v1/users/$id" -H 'X-Request-ID: users-get-404'
		users_assert_string_error 404
		assert_header X-Request-ID users-get-404
	done
	# Ids that are not 1 to 2^63-1 in digits.
	for id in 0 00 -1 abc 9223372036854775808 99999999999999999999 +1 %2B1 1.0 1e3 %20 0x1; do
		get "/api/v1/users/$id"
		users_assert_422_locs '[["path","id"]]'
		direct_process 2 GET "/api/v1/users/$id"
		users_assert_422_locs '[["path","id"]]'
	done
	# Paths match exactly.
	get "/api/v1/users/$USER_ID/"
	users_assert_string_error 404
	get "/api/v1/users/"
	users_assert_string_error 404
	get "/api/v1/users/$USER_ID" -X PATCH
	users_assert_string_error 405
	for n in GET PUT DELETE; do assert_match "$n" "$(header Allow)" "Allow"; done
}

# ---- PUT /api/v1/users/{id}

test_put_name_only_moves_updated_at_and_keeps_the_rest() {
	users_new "" "" "Old Name"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local before_hash
	before_hash=$(users_psql -c "SELECT hashed_password FROM users WHERE id = $USER_ID")
	users_put "$TOKEN" "$USER_ID" '{"name":"  New Name  "}' -H 'X-Request-ID: users-put-name'
	assert_status 200
	assert_common_headers
	assert_header X-Request-ID users-put-name
	users_assert_user "$USER_EMAIL" "New Name"
	assert_json .id "$USER_ID"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
	[[ $(jqb .updated_at) > $(jq -r .updated_at <<<"$USER_BODY") ]] ||
		fail "updated_at $(jqb .updated_at) did not move past $(jq -r .updated_at <<<"$USER_BODY")"
	local put
	put=$(body)
	get "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$put" "GET after PUT"
	assert_eq "$before_hash" "$(users_psql -c "SELECT hashed_password FROM users WHERE id = $USER_ID")" "password hash"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
	# A second change moves it again.
	users_put "$TOKEN" "$USER_ID" "$(json_object name "Newer Name")"
	assert_status 200
	assert_json .name "Newer Name"
	[[ $(jqb .updated_at) > $(jq -r .updated_at <<<"$put") ]] || fail "updated_at did not move on the second PUT"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
}

test_put_email_only_old_token_401_and_the_new_email_logs_in() {
	users_new "" "" "Mover"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local old_token=$TOKEN local_part=moved$RANDOM$RANDOM
	users_put "$old_token" "$USER_ID" "$(json_object email "$local_part@Example.COM")"
	assert_status 200
	users_assert_user "$local_part@example.com" "Mover"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
	[[ $(jqb .updated_at) > $(jq -r .updated_at <<<"$USER_BODY") ]] || fail "updated_at did not move"
	get "/api/v1/users/$USER_ID"
	assert_json .email "$local_part@example.com"
	# The token names the old address: refused everywhere.
	me "$old_token"
	users_assert_401
	users_put "$old_token" "$USER_ID" '{"name":"Not Me"}'
	users_assert_401
	users_delete "$old_token" "$USER_ID"
	users_assert_401
	# The old address no longer logs in; the new one does, in any case.
	login "$USER_EMAIL" "$USER_PASSWORD"
	users_assert_401
	token_for "${local_part^^}@EXAMPLE.COM" "$USER_PASSWORD"
	me "$TOKEN"
	assert_status 200
	assert_json .email "$local_part@example.com"
	assert_json .name Mover
	# The old address is free again.
	users_create "$USER_EMAIL" "$(new_password)" "Successor"
	assert_status 201
}

test_put_password_only_old_password_401_new_one_200() {
	users_new "" "" "Rekey"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local new_password before_hash
	new_password=$(new_password)
	before_hash=$(users_psql -c "SELECT hashed_password FROM users WHERE id = $USER_ID")
	users_put "$TOKEN" "$USER_ID" "$(json_object password "$new_password")"
	assert_status 200
	users_assert_user "$USER_EMAIL" Rekey
	users_assert_no_password_material "$new_password"
	[[ $(jqb .updated_at) > $(jq -r .updated_at <<<"$USER_BODY") ]] || fail "updated_at did not move"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
	local after_hash
	after_hash=$(users_psql -c "SELECT hashed_password FROM users WHERE id = $USER_ID")
	[[ $after_hash != "$before_hash" ]] || fail "the hash did not change"
	assert_match '^\$2b\$04\$' "$after_hash" "the new hash (BCRYPT_COST=4)"
	login "$USER_EMAIL" "$USER_PASSWORD"
	users_assert_401
	login "$USER_EMAIL" "$new_password"
	assert_status 200
	# 72 bytes is a password; 73 is not, and changes nothing.
	local p72
	p72=$pw_marker$(printf 'y%.0s' {1..65})
	assert_eq 72 "${#p72}" "length"
	users_put "$TOKEN" "$USER_ID" "$(json_object password "$p72")"
	assert_status 200
	login "$USER_EMAIL" "$p72"
	assert_status 200
	local row
	row=$(users_row "$USER_ID")
	users_put "$TOKEN" "$USER_ID" "$(json_object password "${p72}y")"
	users_assert_422 '[[["body","password"],"string_too_long"]]'
	assert_eq "$row" "$(users_row "$USER_ID")" "row after the 73-byte password"
	login "$USER_EMAIL" "$p72"
	assert_status 200
}

test_put_empty_object_and_unknown_fields_change_nothing() {
	users_new "" "" "Steady"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	users_put "$TOKEN" "$USER_ID" '{}'
	assert_status 200
	users_assert_user "$USER_EMAIL" Steady
	assert_json .id "$USER_ID"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
	users_put "$TOKEN" "$USER_ID" '{"id": 1, "is_admin": true, "created_at": "2000-01-01T00:00:00.000000Z", "hashed_password": "x"}'
	assert_status 200
	users_assert_user "$USER_EMAIL" Steady
	assert_json .id "$USER_ID"
	assert_json .created_at "$(jq -r .created_at <<<"$USER_BODY")"
	# An unknown field is ignored with a \u0000 in it too (FastAPI's reading).
	users_put "$TOKEN" "$USER_ID" '{"x":"a\u0000b","z":-1e300}'
	assert_status 200
	users_assert_user "$USER_EMAIL" Steady
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
	# Only the field sent changes.
	users_put "$TOKEN" "$USER_ID" '{"name":"Steady Two"}'
	assert_status 200
	assert_json .email "$USER_EMAIL"
	get "/api/v1/users/$USER_ID"
	assert_json .email "$USER_EMAIL"
	assert_json .name "Steady Two"
}

test_put_422_for_null_wrong_types_and_bad_values_changes_nothing() {
	users_new "" "" "Strict"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local row field
	row=$(users_row "$USER_ID")
	for field in email name password; do
		users_put "$TOKEN" "$USER_ID" "{\"$field\":null}"
		users_assert_422 "[[[\"body\",\"$field\"],\"string_type\"]]"
		users_put "$TOKEN" "$USER_ID" "{\"$field\":42}"
		users_assert_422 "[[[\"body\",\"$field\"],\"string_type\"]]"
		users_put "$TOKEN" "$USER_ID" "{\"$field\":[\"x\"]}"
		users_assert_422 "[[[\"body\",\"$field\"],\"string_type\"]]"
	done
	users_put "$TOKEN" "$USER_ID" '{"name":true}'
	users_assert_422 '[[["body","name"],"string_type"]]'
	users_put "$TOKEN" "$USER_ID" '{"email":"not-an-email"}'
	users_assert_422 '[[["body","email"],"value_error"]]'
	users_put "$TOKEN" "$USER_ID" '{"name":"   "}'
	users_assert_422 '[[["body","name"],"string_too_short"]]'
	users_put "$TOKEN" "$USER_ID" "$(json_object name "$(printf '가%.0s' {1..101})")"
	users_assert_422 '[[["body","name"],"string_too_long"]]'
	users_put "$TOKEN" "$USER_ID" "$(json_object password Pzw0rdQ)"
	users_assert_422 '[[["body","password"],"string_too_short"]]'
	users_put "$TOKEN" "$USER_ID" "$(json_object password "$pw_marker$(printf 'x%.0s' {1..66})")" # 73 bytes
	users_assert_422 '[[["body","password"],"string_too_long"]]'
	# One entry per failing field; a valid one beside them is not applied.
	users_put "$TOKEN" "$USER_ID" '{"email":1,"name":null,"password":"short"}'
	users_assert_422 '[[["body","email"],"string_type"],[["body","name"],"string_type"],[["body","password"],"string_too_short"]]'
	users_put "$TOKEN" "$USER_ID" '{"email":"bad","name":"Would Change"}'
	users_assert_422 '[[["body","email"],"value_error"]]'
	# Bodies that are not a JSON object.
	local text
	for text in '' '[]' 'null' '{' '"x"' '{"name":"A"} {}'; do
		users_put "$TOKEN" "$USER_ID" "$text"
		users_assert_422 '[[["body"],"json_invalid"]]'
	done
	get "/api/v1/users/$USER_ID" -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
		--data-binary '{"name":"Plain"}'
	users_assert_string_error 415
	assert_eq "$row" "$(users_row "$USER_ID")" "the row after refused PUTs"
	get "/api/v1/users/$USER_ID"
	users_assert_body_is "$USER_BODY"
}

test_put_409_for_an_email_taken_in_any_case() {
	local b_local=taken$RANDOM$RANDOM
	users_new "$b_local@example.com" "" "Owner"
	local b_id=$USER_ID b_row
	b_row=$(users_row "$b_id")
	users_new "" "" "Claimer"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local a_row variant
	a_row=$(users_row "$USER_ID")
	for variant in "$b_local@example.com" "${b_local^^}@EXAMPLE.COM" "${b_local^}@Example.com"; do
		users_put "$TOKEN" "$USER_ID" "$(json_object email "$variant")" -H 'X-Request-ID: users-put-409'
		users_assert_string_error 409
		assert_header X-Request-ID users-put-409
	done
	# With other fields: nothing of the PUT is applied.
	users_put "$TOKEN" "$USER_ID" "$(json_object email "${b_local^^}@example.com" name "Half Applied")"
	users_assert_string_error 409
	assert_eq "$a_row" "$(users_row "$USER_ID")" "the claimer's row"
	assert_eq "$b_row" "$(users_row "$b_id")" "the owner's row"
	# The claimer's token still works; its own address in another case is fine.
	me "$TOKEN"
	assert_status 200
	assert_json .email "$USER_EMAIL"
	users_put "$TOKEN" "$USER_ID" "$(json_object email "$USER_EMAIL" name "Claimer Two")"
	assert_status 200
	assert_json .name "Claimer Two"
}

test_put_401_without_a_usable_token_403_for_another_user_404_for_absent() {
	users_new "" "" "Victim"
	local b_id=$USER_ID b_body=$USER_BODY b_row
	b_row=$(users_row "$b_id")
	users_new "" "" "Intruder"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local auth
	users_put "" "$USER_ID" '{"name":"Anonymous"}' -H 'X-Request-ID: users-put-401'
	users_assert_401
	assert_header X-Request-ID users-put-401
	users_put "" "$b_id" '{"name":"Anonymous"}'
	users_assert_401
	# As in FastAPI, the token is checked before the body.
	users_put "" "$USER_ID" '{"name":null,"email":"bad"}'
	users_assert_401
	for auth in "Bearer" "Bearer not-a-jwt" "Bearer a.b.c" "Basic dXNlcjpwYXNz" "$TOKEN" "Bearer ${TOKEN}x"; do
		get "/api/v1/users/$USER_ID" -X PUT -H 'Content-Type: application/json' -H "Authorization: $auth" \
			--data-binary '{"name":"Forged"}'
		users_assert_401
	done
	# Another user: 403, and that user is untouched.
	users_put "$TOKEN" "$b_id" '{"name":"Hijacked","email":"hijack'$RANDOM'@example.com"}' -H 'X-Request-ID: users-put-403'
	users_assert_string_error 403
	assert_header X-Request-ID users-put-403
	users_put "$TOKEN" "$b_id" "$(json_object password "$pw_marker-hijack")"
	users_assert_string_error 403
	users_put "$TOKEN" "$b_id" '{}'
	users_assert_string_error 403
	assert_eq "$b_row" "$(users_row "$b_id")" "the other user's row"
	get "/api/v1/users/$b_id"
	users_assert_body_is "$b_body" "the other user"
	# An absent id, with a valid token: 404.
	local id
	for id in $(($(users_max_id) + 1000000)) 9223372036854775807; do
		users_put "$TOKEN" "$id" '{"name":"Ghost"}'
		users_assert_string_error 404
	done
	get "/api/v1/users/$USER_ID"
	assert_json .name Intruder
}

# ---- DELETE /api/v1/users/{id}

test_delete_own_user_204_then_404_and_its_token_401() {
	users_new "" "" "Leaver"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	# Cached before the delete, in both processes' view.
	get "/api/v1/users/$USER_ID"
	assert_status 200
	wait_until 5 users_cached "$USER_ID" || fail "the GET did not fill the cache"
	users_delete "$TOKEN" "$USER_ID" -H 'X-Request-ID: users-delete-204'
	assert_status 204
	assert_common_headers
	assert_header X-Request-ID users-delete-204
	[[ ! -s $scratch/body ]] || fail "204 with a body: $(body)"
	assert_no_header Content-Type
	[[ $(header Content-Length) == "" || $(header Content-Length) == 0 ]] || fail "Content-Length $(header Content-Length)"
	assert_eq "" "$(users_row "$USER_ID")" "the row"
	# Gone everywhere.
	get "/api/v1/users/$USER_ID"
	users_assert_string_error 404
	local n
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		users_assert_string_error 404
	done
	# Its token is dead.
	me "$TOKEN"
	users_assert_401
	users_put "$TOKEN" "$USER_ID" '{"name":"Zombie"}'
	users_assert_401
	users_delete "$TOKEN" "$USER_ID"
	users_assert_401
	login "$USER_EMAIL" "$USER_PASSWORD"
	users_assert_401
	# The address can be registered again, as another user.
	local old_id=$USER_ID
	users_new "$USER_EMAIL" "" "Returner"
	[[ $USER_ID != "$old_id" ]] || fail "the id was reused"
}

test_delete_403_for_another_user_404_for_absent_401_without_token() {
	users_new "" "" "Target"
	local b_id=$USER_ID b_body=$USER_BODY b_row
	b_row=$(users_row "$b_id")
	users_new "" "" "Attacker"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	users_delete "" "$b_id" -H 'X-Request-ID: users-delete-401'
	users_assert_401
	assert_header X-Request-ID users-delete-401
	users_delete "not-a-jwt" "$b_id"
	users_assert_401
	users_delete "${TOKEN}x" "$USER_ID"
	users_assert_401
	users_delete "$TOKEN" "$b_id" -H 'X-Request-ID: users-delete-403'
	users_assert_string_error 403
	assert_header X-Request-ID users-delete-403
	assert_eq "$b_row" "$(users_row "$b_id")" "the other user's row"
	get "/api/v1/users/$b_id"
	assert_status 200
	users_assert_body_is "$b_body" "the other user"
	local id
	for id in $(($(users_max_id) + 1000000)) 9223372036854775807; do
		users_delete "$TOKEN" "$id"
		users_assert_string_error 404
	done
	users_delete "$TOKEN" 0
	users_assert_422_locs '[["path","id"]]'
	me "$TOKEN"
	assert_status 200
}

# ---- the cache

# Cache reads that arrive together go to Redis as one MGET (user_cache.cpp):
# each request must still get its own user, cached or not.
test_cache_concurrent_reads_of_different_users_each_get_their_own() {
	local i j round ids=()
	for i in $(seq 1 8); do
		users_new "" "" "Reader $i"
		ids+=("$USER_ID")
	done
	for round in cold warm; do
		for j in 1 2 3 4 5; do
			for i in "${!ids[@]}"; do
				curl -s -o "$scratch/read.$round.$i.$j" --max-time 10 "$base_url/api/v1/users/${ids[$i]}" &
			done
		done
		wait
		for j in 1 2 3 4 5; do
			for i in "${!ids[@]}"; do
				assert_eq "${ids[$i]} Reader $((i + 1))" "$(jq -r '"\(.id) \(.name)"' "$scratch/read.$round.$i.$j")" \
					"user ${ids[$i]}, $round round $j"
			done
		done
	done
}

test_cache_get_fills_redis_and_later_gets_are_served_from_it() {
	users_new "" "" "Cached Name"
	stack_redis DEL "$(users_key "$USER_ID")" >/dev/null
	get "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$USER_BODY"
	wait_until 5 users_cached "$USER_ID" || fail "the GET left no entry $(users_key "$USER_ID")"
	local entry ttl cache_ttl
	entry=$(stack_redis GET "$(users_key "$USER_ID")")
	[[ $entry == *"$(body)"* ]] || fail "the entry [$entry] does not hold the body [$(body)]"
	ttl=$(stack_redis TTL "$(users_key "$USER_ID")")
	cache_ttl=$(users_config CACHE_TTL_SECONDS)
	((ttl > 0 && ttl <= cache_ttl)) || fail "entry TTL $ttl, CACHE_TTL_SECONDS=$cache_ttl"
	# Change the row behind the daemons' back: the cache still answers.
	at_exit "stack_redis DEL $(users_key "$USER_ID")"
	users_psql -c "UPDATE users SET name = 'Changed Behind' WHERE id = $USER_ID"
	get "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$USER_BODY" "GET through nginx (a cache hit)"
	local n
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$USER_BODY" "GET on process $n (a cache hit)"
	done
	# Set it back and drop the entry: PostgreSQL answers again.
	users_psql -c "UPDATE users SET name = 'Cached Name' WHERE id = $USER_ID"
	stack_redis DEL "$(users_key "$USER_ID")" >/dev/null
	get "/api/v1/users/$USER_ID"
	assert_status 200
	assert_json .name "Cached Name"
	assert_eq "$(users_psql -c "SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM users WHERE id = $USER_ID")" \
		"$(jqb .updated_at)" "updated_at from PostgreSQL"
}

test_cache_put_then_get_shows_the_new_data_through_nginx_and_each_process() {
	users_new "" "" "Before Put"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local n
	get "/api/v1/users/$USER_ID"
	for n in 1 2; do direct_process "$n" GET "/api/v1/users/$USER_ID"; done
	wait_until 5 users_cached "$USER_ID" || fail "no cache entry"
	users_put "$TOKEN" "$USER_ID" '{"name":"After Put"}'
	assert_status 200
	local put
	put=$(body)
	get "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$put" "GET through nginx right after PUT"
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$put" "GET on process $n right after PUT"
	done
	# An email change, written through process 2 this time.
	local email
	email=$(new_email)
	direct_process 2 PUT "/api/v1/users/$USER_ID" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $TOKEN" --data-binary "$(json_object email "$email")"
	assert_status 200
	put=$(body)
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		users_assert_body_is "$put" "GET on process $n after the email change"
	done
	get "/api/v1/users/$USER_ID"
	users_assert_body_is "$put" "GET through nginx after the email change"
	# And the cache fills again with the new data.
	wait_until 5 users_cached "$USER_ID" || fail "no cache entry after the change"
	[[ $(stack_redis GET "$(users_key "$USER_ID")") == *"$email"* ]] || fail "the entry does not hold the new email"
}

test_cache_stale_read_hunt_across_the_two_processes() {
	users_new "" "" "Hunt 0"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local i put
	for i in $(seq 1 30); do
		direct_process 1 PUT "/api/v1/users/$USER_ID" -H 'Content-Type: application/json' \
			-H "Authorization: Bearer $TOKEN" --data-binary "{\"name\":\"Hunt $i\"}"
		assert_status 200
		put=$(body)
		direct_process 2 GET "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$put" "round $i: GET on process 2 after PUT on process 1"
		get "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$put" "round $i: GET through nginx after PUT on process 1"
		direct_process 1 GET "/api/v1/users/$USER_ID"
		users_assert_body_is "$put" "round $i: GET on process 1 after its own PUT"
	done
	direct_process 2 DELETE "/api/v1/users/$USER_ID" -H "Authorization: Bearer $TOKEN"
	assert_status 204
	direct_process 1 GET "/api/v1/users/$USER_ID"
	users_assert_string_error 404
	get "/api/v1/users/$USER_ID"
	users_assert_string_error 404
	! users_cached "$USER_ID" || fail "the deleted user is still cached"
}

# The write protocol's promise (user_cache.hpp, api.md: "no 2xx leaves a
# stale cache entry behind"): whatever happens to the unlock after the row
# changed, the old entry never comes back. Here the unlock never reaches
# Redis: the PUT is held in PostgreSQL on a row lock after taking the cache
# lock, Redis postpones writes (CLIENT PAUSE WRITE) while the row changes and
# the daemon gives up on its unlock; then the write lock expires by itself.
# The entry was filled while the user had no generation key yet: an entry
# that outlived the lock would be served again once the lock expired.
test_cache_is_not_stale_after_a_write_whose_unlock_never_reached_redis() {
	users_new "" "" "Before"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local id=$USER_ID gen
	gen=$(users_gen_key "$id")
	at_exit "stack_redis DEL $(users_key "$id") $gen"
	get "/api/v1/users/$id"
	assert_status 200
	wait_until 5 users_cached "$id" || fail "no cache entry"

	# A session that holds the row until told to commit.
	coproc USERS_HOLDER { pg_super -d usersuite 2>&1; }
	test_pids+=("$USERS_HOLDER_PID")
	local holder_in=${USERS_HOLDER[1]} holder_out=${USERS_HOLDER[0]} line
	printf '%s\n' 'BEGIN;' "SELECT id FROM users WHERE id = $id FOR UPDATE;" '\echo held' >&"$holder_in"
	while read -r -t 10 line <&"$holder_out"; do [[ $line == held ]] && break; done
	[[ $line == held ]] || fail "the holder session did not lock the row: $line"

	# The PUT takes the cache lock, then waits for the row.
	curl -s -o "$scratch/put.body" -w '%{http_code}' --max-time 20 -X PUT -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $TOKEN" --data-binary '{"name":"After"}' \
		--unix-socket "$STACK_DIR/run/users-api-1.sock" "http://localhost/api/v1/users/$id" >"$scratch/put.status" &
	local put_pid=$!
	test_pids+=("$put_pid")
	users_update_waits() {
		[[ $(users_psql -c "SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE users SET%'") == 1 ]]
	}
	wait_until 10 users_update_waits || fail "the PUT's UPDATE is not waiting for the row"
	assert_match '^w:' "$(stack_redis GET "$gen")" "the generation while the PUT writes (its lock)"

	# Redis postpones writes; the row changes; the PUT answers 200.
	at_exit "stack_redis CLIENT UNPAUSE"
	stack_redis CLIENT PAUSE 30000 WRITE >/dev/null
	printf '%s\n' 'COMMIT;' >&"$holder_in"
	exec {holder_in}>&-
	wait "$put_pid" || true
	assert_eq 200 "$(cat "$scratch/put.status")" "PUT status ($(cat "$scratch/put.body"))"
	assert_eq After "$(jq -r .name "$scratch/put.body")" "PUT name"
	# The daemon gives up on its unlock and drops the connection that carried it.
	users_unlock_given_up() {
		grep -qF "could not unlock user $id in Redis" "$logs/app.log" &&
			! stack_redis CLIENT LIST | grep -q 'flags=[a-zA-Z]*b'
	}
	wait_until 10 users_unlock_given_up || fail "the unlock did not time out"
	stack_redis CLIENT UNPAUSE >/dev/null

	# While the lock lasts, reads go to PostgreSQL.
	get "/api/v1/users/$id"
	assert_status 200
	assert_json .name After
	# Once it expires (2 x DATABASE_TIMEOUT_MS + 5 s), the data must still be the new one.
	wait_until 30 bash -c "[[ \$(redis-cli -p $REDIS_PORT EXISTS $gen) == 0 ]]" || fail "the lock did not expire"
	get "/api/v1/users/$id"
	assert_status 200
	assert_json .name After
	local n
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$id"
		assert_json .name After
	done
}

# ---- Redis outages

test_redis_down_reads_from_postgres_writes_503_then_the_cache_returns() {
	users_new "" "" "Redis Down"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local pid1 pid2 row n
	pid1=$(cat "$STACK_DIR/run/users-api-1.pid")
	pid2=$(cat "$STACK_DIR/run/users-api-2.pid")
	get "/api/v1/users/$USER_ID"
	wait_until 5 users_cached "$USER_ID" || fail "no cache entry"
	row=$(users_row "$USER_ID")
	stop_for_test redis

	get "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$USER_BODY" "GET through nginx with Redis down"
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		assert_status 200
		users_assert_body_is "$USER_BODY" "GET on process $n with Redis down"
	done
	get "/api/v1/users?limit=5"
	assert_status 200
	assert_eq 5 "$(jqb length)" "list with Redis down"
	get "/api/v1/users/$(($(users_max_id) + 1000000))"
	users_assert_string_error 404
	# Writes cannot keep the cache right: 503, nothing changes.
	users_put "$TOKEN" "$USER_ID" '{"name":"Not Now"}' -H 'X-Request-ID: users-redis-put'
	users_assert_503
	assert_header X-Request-ID users-redis-put
	direct_process 2 PUT "/api/v1/users/$USER_ID" -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $TOKEN" --data-binary "$(json_object password "$pw_marker-not-now")"
	users_assert_503
	users_delete "$TOKEN" "$USER_ID"
	users_assert_503
	assert_eq "$row" "$(users_row "$USER_ID")" "the row after refused writes"
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200

	# Redis back: reads fill the cache again in each process, writes work.
	"$stack" start redis
	users_fills_through() {
		stack_redis DEL "$(users_key "$USER_ID")" >/dev/null
		direct_process "$1" GET "/api/v1/users/$USER_ID"
		[[ $STATUS == 200 ]] || return 1
		wait_until 1 users_cached "$USER_ID"
	}
	for n in 1 2; do
		wait_until 10 users_fills_through "$n" || fail "process $n does not fill the cache after Redis came back"
	done
	users_put "$TOKEN" "$USER_ID" '{"name":"Redis Back"}'
	assert_status 200
	get "/api/v1/users/$USER_ID"
	assert_json .name "Redis Back"
	assert_eq "$pid1" "$(cat "$STACK_DIR/run/users-api-1.pid")" "users-api-1 pid (not restarted)"
	assert_eq "$pid2" "$(cat "$STACK_DIR/run/users-api-2.pid")" "users-api-2 pid (not restarted)"
	kill -0 "$pid1" && kill -0 "$pid2" || fail "a users-api process died"
}

test_redis_hang_reads_are_bounded_and_writes_are_503() {
	users_new "" "" "Redis Hang"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	local timeout_ms row t0 took n
	timeout_ms=$(users_config REDIS_TIMEOUT_MS)
	row=$(users_row "$USER_ID")
	pause_redis
	for n in 1 2; do
		t0=$(now_ms)
		direct_process "$n" GET "/api/v1/users/$USER_ID"
		took=$(($(now_ms) - t0))
		assert_status 200
		users_assert_body_is "$USER_BODY" "GET on process $n with Redis hung"
		((took < timeout_ms + 1500)) || fail "GET on process $n took $took ms (REDIS_TIMEOUT_MS=$timeout_ms)"
	done
	t0=$(now_ms)
	get "/api/v1/users/$USER_ID"
	took=$(($(now_ms) - t0))
	assert_status 200
	((took < timeout_ms + 1500)) || fail "GET through nginx took $took ms"
	get "/api/v1/users?limit=2"
	assert_status 200
	t0=$(now_ms)
	users_put "$TOKEN" "$USER_ID" '{"name":"Hung"}'
	took=$(($(now_ms) - t0))
	users_assert_503
	((took < timeout_ms + 1500)) || fail "PUT took $took ms"
	users_delete "$TOKEN" "$USER_ID"
	users_assert_503
	assert_eq "$row" "$(users_row "$USER_ID")" "the row after refused writes"
	resume_redis
	users_fast_200() {
		local t0
		t0=$(now_ms)
		get "/api/v1/users/$USER_ID"
		[[ $STATUS == 200 ]] && (($(now_ms) - t0 < 500))
	}
	wait_until 10 users_fast_200 || fail "GET is not fast again after Redis resumed"
	users_put "$TOKEN" "$USER_ID" '{"name":"Resumed"}'
	assert_status 200
	get "/api/v1/users/$USER_ID"
	assert_json .name Resumed
}

# ---- PostgreSQL outage

test_postgres_down_503_at_once_then_recovers_by_itself() {
	users_new "" "" "Cached Before"
	local cached_id=$USER_ID cached_body=$USER_BODY
	get "/api/v1/users/$cached_id"
	wait_until 5 users_cached "$cached_id" || fail "no cache entry"
	users_new "" "" "Never Read"
	local uncached_id=$USER_ID uncached_body=$USER_BODY
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	stack_redis DEL "$(users_key "$uncached_id")" >/dev/null
	local pid1 pid2 email t0 took n
	pid1=$(cat "$STACK_DIR/run/users-api-1.pid")
	pid2=$(cat "$STACK_DIR/run/users-api-2.pid")
	email=$(new_email)
	# Pooled connections that were idle during the outage may have died with
	# the server (see the next test): leave fresh daemons for the tests after.
	at_exit "\"$stack\" restart users-api auth-api"
	stop_for_test postgres

	# A cached user may come from the cache, correct; or 503.
	get "/api/v1/users/$cached_id"
	if [[ $STATUS == 200 ]]; then
		users_assert_body_is "$cached_body" "the cached user with PostgreSQL down"
	else
		users_assert_503
	fi
	# Anything that needs PostgreSQL: 503 with Retry-After, at once.
	users_quick_503() {
		t0=$(now_ms)
		"$@"
		took=$(($(now_ms) - t0))
		users_assert_503
		((took < 3000)) || fail "$* took $took ms to fail"
	}
	users_quick_503 get "/api/v1/users/$uncached_id" -H 'X-Request-ID: users-pg-down'
	assert_header X-Request-ID users-pg-down
	for n in 1 2; do
		users_quick_503 direct_process "$n" GET "/api/v1/users/$uncached_id"
		users_quick_503 direct_process "$n" GET "/api/v1/users/$uncached_id"
	done
	users_quick_503 get "/api/v1/users?limit=3"
	users_quick_503 users_create "$email" "$(new_password)" "Not Now"
	users_quick_503 users_put "$TOKEN" "$uncached_id" '{"name":"Not Now"}'
	users_quick_503 users_delete "$TOKEN" "$uncached_id"

	"$stack" start postgres
	users_status_200() {
		"$@"
		[[ $STATUS == 200 ]]
	}
	wait_until 20 users_status_200 get "/api/v1/users/$uncached_id" || fail "no recovery through nginx"
	for n in 1 2; do
		wait_until 10 users_status_200 direct_process "$n" GET "/api/v1/users/$uncached_id" ||
			fail "process $n did not recover"
		users_assert_body_is "$uncached_body" "process $n after recovery"
	done
	get "/api/v1/users?limit=3"
	assert_status 200
	# The refused writes left nothing behind.
	assert_eq "Never Read" "$(users_psql -c "SELECT name FROM users WHERE id = $uncached_id")" "name"
	users_create "$email" "$(new_password)" "Now"
	assert_status 201
	users_put "$TOKEN" "$uncached_id" '{"name":"Now Read"}'
	assert_status 200
	assert_eq "$pid1" "$(cat "$STACK_DIR/run/users-api-1.pid")" "users-api-1 pid (not restarted)"
	assert_eq "$pid2" "$(cat "$STACK_DIR/run/users-api-2.pid")" "users-api-2 pid (not restarted)"
	kill -0 "$pid1" && kill -0 "$pid2" || fail "a users-api process died"
}

# users_burst PROCESS COUNT PATH: COUNT concurrent GETs of PATH straight to
# users-api-PROCESS; prints their statuses, counted ("24 200").
users_burst() {
	local i pids=()
	rm -f "$scratch"/burst.*
	for ((i = 0; i < $2; i++)); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 --unix-socket "$STACK_DIR/run/users-api-$1.sock" \
			"http://localhost$3" >"$scratch/burst.$i" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	cat "$scratch"/burst.* | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " } END { print "" }'
}

# api.md: 503 only while PostgreSQL "is unreachable", and the issue: "service
# resumes by itself when it returns". Once the server is back, no request may
# fail because a pooled connection died with the old server while idle.
test_postgres_restart_no_request_fails_once_the_server_is_back() {
	# The pools may keep connections that died with the server: leave fresh daemons.
	at_exit "\"$stack\" restart users-api auth-api"
	local n users
	# Grow each process's pool with concurrent requests that need PostgreSQL.
	for n in 1 2; do
		assert_eq "32 200" "$(users_burst "$n" 32 "/api/v1/users?limit=100")" "statuses of the burst on process $n"
	done
	users=$(users_psql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'users-api'")
	((users > 2)) || fail "the pools did not grow ($users connections): nothing to show"
	users_new "" "" "Pool"
	stop_for_test postgres
	"$stack" start postgres
	users_psql -c 'SELECT 1' >/dev/null || fail "PostgreSQL is not back"
	# The server is back: every request succeeds, the first ones too.
	for n in 1 2; do
		direct_process "$n" GET "/api/v1/users?limit=1"
		[[ $STATUS == 200 ]] || fail "the first request on process $n after PostgreSQL came back: $STATUS $(body)"
		assert_eq "32 200" "$(users_burst "$n" 32 "/api/v1/users?limit=100")" \
			"statuses of a burst on process $n after PostgreSQL came back"
	done
	login "$USER_EMAIL" "$USER_PASSWORD"
	[[ $STATUS == 200 ]] || fail "the first login (auth-api) after PostgreSQL came back: $STATUS $(body)"
}

# ---- scale-out

test_sigkill_of_one_process_under_load_loses_no_get_and_it_restarts_alone() {
	users_new "" "" "Under Load"
	local pid1 pid2 nginx_pid nginx_master rid=users-load-$RANDOM$RANDOM
	pid1=$(cat "$STACK_DIR/run/users-api-1.pid")
	pid2=$(cat "$STACK_DIR/run/users-api-2.pid")
	nginx_pid=$(cat "$STACK_DIR/run/nginx.pid.stack")
	nginx_master=$(cat "$STACK_DIR/run/nginx.pid")
	kill -0 "$pid2" || fail "users-api-2 is not running"
	at_exit "\"$stack\" start users-api-2"

	wrk -t1 -c8 -d5s -H "X-Request-ID: $rid" "$base_url/api/v1/users/$USER_ID" >"$scratch/wrk.out" 2>&1 &
	local wrk_pid=$!
	test_pids+=("$wrk_pid")
	users_served_at_least() { (($(grep -cF "[RequestID: $rid]" "$logs/app.log") >= $1)); }
	wait_until 5 users_served_at_least 500 || fail "the load did not start"
	kill -0 "$wrk_pid" || fail "the load was over before the kill"
	local served_at_kill
	served_at_kill=$(grep -cF "[RequestID: $rid]" "$logs/app.log")
	kill -KILL "$pid2"
	wait "$wrk_pid" || fail "wrk failed: $(cat "$scratch/wrk.out")"
	cat "$scratch/wrk.out"
	grep -qE '[0-9]+ requests in' "$scratch/wrk.out" || fail "no wrk summary: $(cat "$scratch/wrk.out")"
	! grep -q 'Non-2xx' "$scratch/wrk.out" || fail "some GETs failed: $(grep 'Non-2xx' "$scratch/wrk.out")"
	! grep -q 'Socket errors' "$scratch/wrk.out" || fail "socket errors: $(grep 'Socket errors' "$scratch/wrk.out")"
	(($(grep -cF "[RequestID: $rid]" "$logs/app.log") > served_at_kill + 100)) ||
		fail "the load did not go on after the kill"
	# Gone, or a zombie nobody has reaped yet.
	users_gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
	wait_until 5 users_gone "$pid2" || fail "users-api-2 survived SIGKILL"

	# Requests go on through the survivor.
	get "/api/v1/users/$USER_ID"
	assert_status 200
	# users-api-2 comes back alone.
	"$stack" start users-api-2
	local new_pid2
	new_pid2=$(cat "$STACK_DIR/run/users-api-2.pid")
	[[ $new_pid2 != "$pid2" ]] || fail "users-api-2 has its old pid"
	kill -0 "$new_pid2" || fail "users-api-2 is not running"
	direct_process 2 GET "/api/v1/users/$USER_ID"
	assert_status 200
	users_assert_body_is "$USER_BODY" "the restarted process"
	assert_eq "$pid1" "$(cat "$STACK_DIR/run/users-api-1.pid")" "users-api-1 pid"
	kill -0 "$pid1" || fail "users-api-1 died"
	assert_eq "$nginx_pid" "$(cat "$STACK_DIR/run/nginx.pid.stack")" "nginx pid"
	assert_eq "$nginx_master" "$(cat "$STACK_DIR/run/nginx.pid")" "nginx master pid"
	kill -0 "$nginx_pid" || fail "nginx died"
	local i
	for i in $(seq 1 10); do
		get "/api/v1/users/$USER_ID"
		assert_status 200
	done
}
