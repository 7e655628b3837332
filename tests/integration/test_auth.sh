# auth-api through nginx: register, login, me; every error of api.md for
# them; the concurrent duplicate registration; the 72/73-byte boundary; no
# password, hash or token in any response or log; the login brake; and the
# password pool's bounded queue.
#
# Every password used in this file carries $pw_marker (or is the
# multibyte one, 한 repeated), so that the last test can look for any of them
# in the logs of the whole run.

auth_han24=한한한한한한한한한한한한한한한한한한한한한한한한 # 24 × U+D55C: 72 bytes of UTF-8

# auth_register EMAIL PASSWORD NAME [curl args...]: POST register through nginx.
auth_register() {
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$1" password "$2" name "$3")" "${@:4}"
}
# auth_register_raw BODY [curl args...]: POST register with this JSON text.
auth_register_raw() {
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' --data-binary "$1" "${@:2}"
}

# auth_new_user [EMAIL [PASSWORD [NAME]]]: registers (201 asserted); sets
# USER_EMAIL, USER_PASSWORD, USER_ID, USER_BODY.
auth_new_user() {
	USER_EMAIL=${1:-$(new_email)}
	USER_PASSWORD=${2:-$(new_password)}
	auth_register "$USER_EMAIL" "$USER_PASSWORD" "${3:-Test User}"
	assert_status 201
	USER_ID=$(jqb .id)
	USER_BODY=$(body)
}

# auth_b64url: stdin as unpadded base64url.
auth_b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '=\n'; }
# auth_forge HEADER PAYLOAD KEY [DIGEST]: a JWT of these JSON texts signed
# with HMAC-DIGEST (sha256 by default) and KEY; DIGEST none: no signature.
auth_forge() {
	local input sig=
	input="$(printf '%s' "$1" | auth_b64url).$(printf '%s' "$2" | auth_b64url)"
	if [[ ${4:-sha256} != none ]]; then
		sig=$(printf '%s' "$input" | openssl dgst "-${4:-sha256}" -hmac "$3" -binary | auth_b64url)
	fi
	printf '%s.%s' "$input" "$sig"
}
# The stack's real signing key (the last SECRET_KEY= line wins).
auth_secret() { sed -n 's/^SECRET_KEY=//p' "$config" | tail -n1; }
# auth_claims SUB IAT EXP: the payload JSON.
auth_claims() { jq -cn --arg sub "$1" --argjson iat "$2" --argjson exp "$3" '{sub: $sub, iat: $iat, exp: $exp}'; }
auth_hs256='{"alg":"HS256","typ":"JWT"}'

# psql as the superuser on the suite's database.
auth_psql() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 -d usersuite "$@"; }

# api.md's 401: the error body and WWW-Authenticate: Bearer.
assert_auth_401() {
	assert_error 401
	assert_header WWW-Authenticate Bearer
	[[ $(jqb '.detail | type') == string ]] || fail "401 detail is not a string"
}

# assert_422_entries JQ-ARRAY: the 422 detail's [loc, type] pairs, in order.
assert_422_entries() {
	assert_error 422
	assert_eq "$1" "$(jq -c '[.detail[] | [.loc, .type]]' "$scratch/body")" "422 entries"
	jq -e '.detail | all(has("msg") and (.msg | type == "string" and length > 0))' "$scratch/body" >/dev/null ||
		fail "a 422 entry lacks a msg"
}

iso_utc_us='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'

# The User shape of api.md, exactly, for this email and name.
assert_user_body() {
	assert_eq '["created_at","email","id","name","updated_at"]' "$(jq -c 'keys' "$scratch/body")" "User keys"
	assert_eq number "$(jqb '.id | type')" "id type"
	assert_match '^[1-9][0-9]*$' "$(jqb .id)" "id"
	assert_json .email "$1"
	assert_json .name "$2"
	assert_match "$iso_utc_us" "$(jqb .created_at)" "created_at"
	assert_match "$iso_utc_us" "$(jqb .updated_at)" "updated_at"
}

assert_no_password_material() {
	local what=$1 password=$2
	! grep -qF -- "$password" "$scratch/body" "$scratch/headers" || fail "$what: the password is in the response"
	! grep -qF -- '$2b$' "$scratch/body" "$scratch/headers" || fail "$what: a bcrypt hash is in the response"
	! grep -qi -- 'hashed_password' "$scratch/body" || fail "$what: hashed_password is in the response"
}

# ---- register

test_register_201_user_shape_and_location() {
	local email password
	email=$(new_email)
	password=$(new_password)
	auth_register "$email" "$password" "Ada Lovelace" -H 'X-Request-ID: reg-201'
	assert_status 201
	assert_common_headers
	assert_header X-Request-ID reg-201
	assert_user_body "$email" "Ada Lovelace"
	assert_eq "$(jqb .created_at)" "$(jqb .updated_at)" "updated_at at creation"
	assert_header Location "/api/v1/users/$(jqb .id)"
	assert_no_password_material register "$password"
	# created_at is now, in UTC.
	local created now
	created=$(date -u -d "$(jqb .created_at)" +%s)
	now=$(date -u +%s)
	((created <= now && now - created < 60)) || fail "created_at $(jqb .created_at) is not now ($now)"
	# The Location names the user.
	local id user
	id=$(jqb .id)
	user=$(body)
	get "/api/v1/users/$id"
	assert_status 200
	assert_eq "$user" "$(body)" "the user at Location"
	# Ids grow.
	auth_register "$(new_email)" "$(new_password)" "Next"
	assert_status 201
	(($(jqb .id) > id)) || fail "the next id $(jqb .id) is not above $id"
}

test_register_direct_on_the_daemon_answers_the_same() {
	local email
	email=$(new_email)
	direct_auth POST /api/v1/auth/register -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$email" password "$(new_password)" name Direct)"
	assert_status 201
	assert_common_headers
	assert_user_body "$email" Direct
	assert_header Location "/api/v1/users/$(jqb .id)"
}

test_register_lowercases_the_domain_keeps_the_local_part_and_trims_the_name() {
	local local_part=Mixed.Case+Tag$RANDOM$RANDOM
	auth_register "$local_part@Example.COM" "$(new_password)" $'  \xe3\x80\x80\tGrace Hopper \xe3\x80\x80 '
	assert_status 201
	assert_json .email "$local_part@example.com"
	assert_json .name "Grace Hopper"
	local id
	id=$(jqb .id)
	assert_eq "$local_part@example.com" "$(auth_psql -c "SELECT email FROM users WHERE id = $id")" "stored email"
	assert_eq "Grace Hopper" "$(auth_psql -c "SELECT name FROM users WHERE id = $id")" "stored name"
}

test_register_same_email_in_another_case_is_409() {
	local local_part=dup$RANDOM$RANDOM
	auth_new_user "$local_part@example.com"
	for variant in "$local_part@example.com" "${local_part^^}@EXAMPLE.COM" "${local_part^}@Example.com"; do
		auth_register "$variant" "$(new_password)" "Other" -H 'X-Request-ID: reg-409'
		assert_error 409
		assert_header X-Request-ID reg-409
		[[ $(jqb '.detail | type') == string ]] || fail "409 detail is not a string"
		assert_match 'already' "$(jqb .detail)" "409 detail"
	done
	assert_eq 1 "$(auth_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$local_part@example.com')")" \
		"rows for the address"
}

test_register_422_for_each_invalid_field() {
	local ok_email ok_pw
	ok_email=$(new_email)
	ok_pw=$(new_password)
	auth_register "not-an-email" "$ok_pw" "Name"
	assert_422_entries '[[["body","email"],"value_error"]]'
	for bad in '"q"@example.com' 'user@[127.0.0.1]' 'user@localhost' 'user@-bad.example.com' \
		"$(printf 'a%.0s' {1..65})@example.com" 'üser@example.com' ''; do
		auth_register "$bad" "$ok_pw" "Name"
		assert_422_entries '[[["body","email"],"value_error"]]'
	done
	auth_register "$ok_email" "Pzw0rdQ" "Name" # 7 bytes
	assert_422_entries '[[["body","password"],"string_too_short"]]'
	auth_register "$ok_email" "$pw_marker$(printf 'x%.0s' {1..66})" "Name" # 73 bytes
	assert_422_entries '[[["body","password"],"string_too_long"]]'
	auth_register "$ok_email" "$ok_pw" "   "
	assert_422_entries '[[["body","name"],"string_too_short"]]'
	auth_register "$ok_email" "$ok_pw" "$(printf '가%.0s' {1..101})"
	assert_422_entries '[[["body","name"],"string_too_long"]]'
	auth_register "$ok_email" "$ok_pw" $'Bad\x01Name'
	assert_422_entries '[[["body","name"],"string_pattern_mismatch"]]'
	# Nothing was created on the way.
	assert_eq 0 "$(auth_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$ok_email')")" "rows"
	# 100 Korean code points are fine.
	auth_register "$ok_email" "$ok_pw" "$(printf '가%.0s' {1..100})"
	assert_status 201
}

test_register_422_lists_every_failing_field() {
	auth_register "bad" "short" ""
	assert_422_entries '[[["body","email"],"value_error"],[["body","password"],"string_too_short"],[["body","name"],"string_too_short"]]'
	auth_register_raw '{}'
	assert_422_entries '[[["body","email"],"missing"],[["body","password"],"missing"],[["body","name"],"missing"]]'
	jq -e '[.detail[].msg] == ["Field required","Field required","Field required"]' "$scratch/body" >/dev/null ||
		fail "missing fields' msg"
	auth_register_raw "$(json_object email "$(new_email)" name X)"
	assert_422_entries '[[["body","password"],"missing"]]'
}

test_register_422_for_bodies_that_are_not_a_json_object() {
	local rid=reg-body-$RANDOM
	auth_register_raw '' -H "X-Request-ID: $rid"
	assert_422_entries '[[["body"],"json_invalid"]]'
	assert_header X-Request-ID "$rid"
	for text in '{' 'not json' '{"email": "a@example.com",}' '[]' '[{"email":"a@example.com"}]' 'null' '"x"' '42' \
		'{"email":"a@example.com"} {}'; do
		auth_register_raw "$text"
		assert_422_entries '[[["body"],"json_invalid"]]'
	done
	# No Content-Type at all is read as JSON.
	get /api/v1/auth/register -X POST -H 'Content-Type:' --data-binary '[1]'
	assert_422_entries '[[["body"],"json_invalid"]]'
}

test_register_422_for_wrong_json_types_and_null() {
	auth_register_raw '{"email":42,"password":true,"name":null}'
	assert_422_entries '[[["body","email"],"string_type"],[["body","password"],"string_type"],[["body","name"],"string_type"]]'
	auth_register_raw "$(jq -cn --arg e "$(new_email)" '{email: $e, password: ["Pzw0rdQ-array"], name: {"n": 1}}')"
	assert_422_entries '[[["body","password"],"string_type"],[["body","name"],"string_type"]]'
	auth_register_raw "$(jq -cn --arg p "$(new_password)" '{email: null, password: $p, name: "N"}')"
	assert_422_entries '[[["body","email"],"string_type"]]'
	# Unknown fields are ignored.
	auth_register_raw "$(jq -cn --arg e "$(new_email)" --arg p "$(new_password)" \
		'{email: $e, password: $p, name: "N", id: 1, is_admin: true, hashed_password: "x"}')"
	assert_status 201
	(($(jqb .id) != 1)) || fail "the client chose its id"
}

test_register_415_for_text_plain_and_405_for_get() {
	get /api/v1/auth/register -X POST -H 'Content-Type: text/plain' \
		--data-binary "$(json_object email "$(new_email)" password "$(new_password)" name X)"
	assert_error 415
	get /api/v1/auth/register -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary "email=a%40example.com&password=$pw_marker-form&name=X"
	assert_error 415
	get /api/v1/auth/register
	assert_error 405
	assert_match 'POST' "$(header Allow)" "Allow"
	get /api/v1/auth/login
	assert_error 405
	assert_match 'POST' "$(header Allow)" "Allow"
	get /api/v1/auth/me -X POST
	assert_error 405
	assert_match 'GET' "$(header Allow)" "Allow"
	# JSON with parameters and any case is JSON.
	get /api/v1/auth/register -X POST -H 'Content-Type: Application/JSON; charset=utf-8' \
		--data-binary "$(json_object email "$(new_email)" password "$(new_password)" name X)"
	assert_status 201
}

# ---- the 72-byte limit

test_password_of_72_bytes_of_multibyte_characters_registers_and_logs_in() {
	assert_eq 72 "$(printf '%s' "$auth_han24" | wc -c)" "bytes of the password"
	local email
	email=$(new_email)
	auth_register "$email" "$auth_han24" "Kim"
	assert_status 201
	login "$email" "$auth_han24"
	assert_status 200
	me "$(jqb .access_token)"
	assert_status 200
	assert_json .email "$email"
	# 25 characters, 73 bytes: refused at registration, never truncated.
	auth_register "$(new_email)" "${auth_han24}a" "Kim"
	assert_422_entries '[[["body","password"],"string_too_long"]]'
	# One character less is another password.
	login "$email" "${auth_han24%한}"
	assert_auth_401
}

test_login_with_the_72_bytes_and_more_is_refused() {
	# bcrypt reads 72 bytes. A longer password is never the registered one
	# (register refuses it), so login must not let a 72-byte prefix match:
	# api.md, "a longer one is rejected, never silently truncated" and
	# "any password that does not match is a 401".
	local email
	email=$(new_email)
	auth_register "$email" "$auth_han24" "Kim"
	assert_status 201
	login "$email" "${auth_han24}a"
	assert_auth_401
	login "$email" "${auth_han24}$pw_marker-suffix"
	assert_auth_401
}

# ---- concurrency

test_concurrent_registrations_of_one_email_give_one_201() {
	local email i pids=() body
	email=$(new_email)
	for i in $(seq 1 20); do
		body=$(json_object email "$email" password "$(new_password)" name "Racer $i")
		curl -s -o "$scratch/race.$i.body" -w '%{http_code}' --max-time 30 -X POST \
			-H 'Content-Type: application/json' --data-binary "$body" \
			"$base_url/api/v1/auth/register" >"$scratch/race.$i.status" &
		pids+=($!)
	done
	wait "${pids[@]}"
	local created=0 conflict=0 other=""
	for i in $(seq 1 20); do
		case $(cat "$scratch/race.$i.status") in
		201) created=$((created + 1)) ;;
		409) conflict=$((conflict + 1)) ;;
		*) other+=" $i:$(cat "$scratch/race.$i.status")" ;;
		esac
	done
	[[ -z $other ]] || fail "statuses other than 201/409:$other"
	assert_eq 1 "$created" "number of 201"
	assert_eq 19 "$conflict" "number of 409"
	assert_eq 1 "$(auth_psql -c "SELECT count(*) FROM users WHERE lower(email) = lower('$email')")" "rows"
}

# ---- login

test_login_json_returns_a_bearer_token_that_me_accepts() {
	auth_new_user "" "" "Login User"
	login "$USER_EMAIL" "$USER_PASSWORD" -H 'X-Request-ID: login-200'
	assert_status 200
	assert_common_headers
	assert_header X-Request-ID login-200
	assert_eq '["access_token","token_type"]' "$(jq -c 'keys' "$scratch/body")" "login keys"
	assert_json .token_type bearer
	assert_match '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$(jqb .access_token)" "access_token"
	assert_no_password_material login "$USER_PASSWORD"
	local token claims
	token=$(jqb .access_token)
	claims=$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d)
	assert_eq "$USER_EMAIL" "$(jq -r .sub <<<"$claims")" "sub"
	assert_eq 1800 "$(jq -r '.exp - .iat' <<<"$claims")" "exp - iat (ACCESS_TOKEN_EXPIRE_MINUTES=30)"
	me "$token"
	assert_status 200
	assert_eq "$USER_BODY" "$(body)" "me"
}

test_login_email_in_another_case_works() {
	local local_part=case$RANDOM$RANDOM
	auth_new_user "$local_part@example.com"
	login "${local_part^^}@EXAMPLE.COM" "$USER_PASSWORD"
	assert_status 200
	me "$(jqb .access_token)"
	assert_status 200
	assert_json .email "$local_part@example.com"
}

test_login_and_tokens_match_emails_by_ascii_case_only() {
	# The Kelvin sign (U+212A), which lower() folds to k in a UTF-8 locale,
	# names no user, not the one whose address has a k in its place.
	local local_part=k$RANDOM$RANDOM kelvin=$'\xe2\x84\xaa' key now
	auth_new_user "$local_part@example.com"
	login "$kelvin${local_part:1}@example.com" "$USER_PASSWORD"
	assert_auth_401
	login "K${local_part:1}@example.com" "$USER_PASSWORD"
	assert_status 200
	key=$(auth_secret)
	now=$(date +%s)
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$kelvin${local_part:1}@example.com" "$now" $((now + 600)))" "$key")"
	assert_auth_401
	# A NUL, a control character or a space, which only the form can carry
	# (JSON refuses a \u0000), names no user either.
	local odd
	for odd in %00 %01 %20 %7F; do
		get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
			--data-binary "username=${local_part}${odd}@example.com&password=$USER_PASSWORD"
		assert_auth_401
	done
}

test_login_oauth2_password_form_works() {
	local password="$pw_marker &=+%? é"
	auth_new_user "" "$password"
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "username=$USER_EMAIL" --data-urlencode "password=$password" --data-urlencode "grant_type=password"
	assert_status 200
	assert_json .token_type bearer
	me "$(jqb .access_token)"
	assert_status 200
	assert_json .id "$USER_ID"
	# The form's fields are username and password.
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "email=$USER_EMAIL" --data-urlencode "password=$password"
	assert_422_entries '[[["body","username"],"missing"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "username=$USER_EMAIL" --data-urlencode "password=${password}x"
	assert_auth_401
}

test_login_form_content_type_is_case_insensitive() {
	# Media types are case-insensitive (RFC 9110 §8.3.1); the server parses
	# this body as a form, so login must read username from it.
	auth_new_user
	get /api/v1/auth/login -X POST -H 'Content-Type: Application/X-WWW-Form-Urlencoded; charset=UTF-8' \
		--data-urlencode "username=$USER_EMAIL" --data-urlencode "password=$USER_PASSWORD"
	assert_status 200
	assert_json .token_type bearer
}

test_login_wrong_password_and_unknown_email_are_the_same_401() {
	auth_new_user
	login "$USER_EMAIL" "$USER_PASSWORD-wrong" -H 'X-Request-ID: login-wrong'
	assert_auth_401
	assert_header X-Request-ID login-wrong
	local wrong_detail
	wrong_detail=$(jqb .detail)
	login "nobody$RANDOM$RANDOM@example.com" "$USER_PASSWORD"
	assert_auth_401
	assert_eq "$wrong_detail" "$(jqb .detail)" "detail for an unknown email"
	assert_no_header Access-Control-Allow-Origin
	# A wrong password does not lock the right one out.
	login "$USER_EMAIL" "$USER_PASSWORD"
	assert_status 200
}

test_login_missing_or_mistyped_fields_are_422() {
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' --data-binary '{}'
	assert_422_entries '[[["body","email"],"missing"],[["body","password"],"missing"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$(new_email)")"
	assert_422_entries '[[["body","password"],"missing"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' \
		--data-binary '{"email":null,"password":12345678}'
	assert_422_entries '[[["body","email"],"string_type"],[["body","password"],"string_type"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' --data-binary '[]'
	assert_422_entries '[[["body"],"json_invalid"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' --data-binary ''
	assert_422_entries '[[["body"],"json_invalid"]]'
	get /api/v1/auth/login -X POST -H 'Content-Type: text/plain' --data-binary '{}'
	assert_error 415
}

test_login_applies_no_length_rule() {
	auth_new_user
	local long
	long=$pw_marker$(printf 'x%.0s' {1..93}) # 100 bytes
	assert_eq 100 "${#long}" "length"
	login "$USER_EMAIL" "$long"
	assert_auth_401
	login "$USER_EMAIL" "Pzw"
	assert_auth_401
	login "$USER_EMAIL" ""
	assert_auth_401
	login "$USER_EMAIL" "$pw_marker$(printf 'y%.0s' {1..600})"
	assert_auth_401
	login "unknown$RANDOM@example.com" "$pw_marker$(printf 'y%.0s' {1..600})"
	assert_auth_401
	# Nor a format rule on the email.
	login "not an email" "$USER_PASSWORD"
	assert_auth_401
}

# ---- me

test_me_returns_the_user_of_the_token() {
	auth_new_user "" "" "  Me Myself  "
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	me "$TOKEN" -H 'X-Request-ID: me-200'
	assert_status 200
	assert_common_headers
	assert_header X-Request-ID me-200
	assert_user_body "$USER_EMAIL" "Me Myself"
	assert_eq "$USER_BODY" "$(body)" "me equals the registered user"
	assert_no_password_material me "$USER_PASSWORD"
	# The scheme in any case, extra spaces.
	get /api/v1/auth/me -H "Authorization: bearer   $TOKEN"
	assert_status 200
	direct_auth GET /api/v1/auth/me -H "Authorization: BEARER $TOKEN"
	assert_status 200
	# A token forged with the stack's real key and valid claims is accepted:
	# the forged tokens of the next tests differ from it in one point only.
	local now
	now=$(date +%s)
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" "$now" $((now + 600)))" "$(auth_secret)")"
	assert_status 200
	assert_json .id "$USER_ID"
}

test_me_401_without_a_usable_token() {
	get /api/v1/auth/me -H 'X-Request-ID: me-none'
	assert_auth_401
	assert_header X-Request-ID me-none
	for auth in "Bearer" "Bearer " "Bearer     " "Basic dXNlcjpwYXNz" "Token abc" "abc.def.ghi" \
		"Bearer not-a-jwt" "Bearer a.b.c" "Bearer a.b" "Bearer ...." "Bearer a b"; do
		get /api/v1/auth/me -H "Authorization: $auth"
		assert_auth_401
	done
	# Over-long.
	get /api/v1/auth/me -H "Authorization: Bearer $(head -c 9000 /dev/zero | tr '\0' A).AAAA.AAAA"
	assert_auth_401
}

test_me_401_for_forged_tokens() {
	auth_new_user
	local key now claims good
	key=$(auth_secret)
	now=$(date +%s)
	claims=$(auth_claims "$USER_EMAIL" "$now" $((now + 600)))
	good=$(auth_forge "$auth_hs256" "$claims" "$key")
	me "$good"
	assert_status 200
	local -A forged=(
		[another_key]=$(auth_forge "$auth_hs256" "$claims" "another-key-0123456789abcdef-0123456789")
		[alg_none]=$(auth_forge '{"alg":"none","typ":"JWT"}' "$claims" "" none)
		[alg_none_signed]=$(auth_forge '{"alg":"none","typ":"JWT"}' "$claims" "$key")
		[hs512_same_key]=$(auth_forge '{"alg":"HS512","typ":"JWT"}' "$claims" "$key" sha512)
		[hs384_same_key]=$(auth_forge '{"alg":"HS384","typ":"JWT"}' "$claims" "$key" sha384)
		[alg_lower_case]=$(auth_forge '{"alg":"hs256","typ":"JWT"}' "$claims" "$key")
		[typ_not_jwt]=$(auth_forge '{"alg":"HS256","typ":"at+jwt"}' "$claims" "$key")
		[expired]=$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((now - 3600)) $((now - 1800)))" "$key")
		[expired_just_now]=$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((now - 100)) $((now - 1)))" "$key")
		[exp_string]=$(auth_forge "$auth_hs256" "{\"sub\":\"$USER_EMAIL\",\"iat\":$now,\"exp\":\"$((now + 600))\"}" "$key")
		[exp_float]=$(auth_forge "$auth_hs256" "{\"sub\":\"$USER_EMAIL\",\"iat\":$now,\"exp\":$((now + 600)).5}" "$key")
		[exp_missing]=$(auth_forge "$auth_hs256" "{\"sub\":\"$USER_EMAIL\",\"iat\":$now}" "$key")
		[iat_missing]=$(auth_forge "$auth_hs256" "{\"sub\":\"$USER_EMAIL\",\"exp\":$((now + 600))}" "$key")
		[iat_future]=$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((now + 600)) $((now + 1200)))" "$key")
		[sub_missing]=$(auth_forge "$auth_hs256" "{\"iat\":$now,\"exp\":$((now + 600))}" "$key")
		[sub_number]=$(auth_forge "$auth_hs256" "{\"sub\":$USER_ID,\"iat\":$now,\"exp\":$((now + 600))}" "$key")
		[sub_unknown]=$(auth_forge "$auth_hs256" "$(auth_claims "nobody$RANDOM$RANDOM@example.com" "$now" $((now + 600)))" "$key")
		[fourth_segment]="$good.$(printf x | auth_b64url)"
		[signature_removed]="${good%.*}."
	)
	local name
	for name in "${!forged[@]}"; do
		me "${forged[$name]}" -H "X-Request-ID: forged-$name"
		[[ $STATUS == 401 ]] || fail "forged token $name: expected 401, got $STATUS"
		assert_auth_401
		assert_header X-Request-ID "forged-$name"
	done
	# And the daemon goes on serving the good one.
	me "$good"
	assert_status 200
}

test_me_401_for_an_expired_token_issued_by_the_stack_key() {
	auth_new_user
	local now
	now=$(date +%s)
	# Issued 31 minutes ago with the 30-minute lifetime the stack gives.
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((now - 1860)) $((now - 60)))" "$(auth_secret)")"
	assert_auth_401
}

test_me_401_for_a_deleted_user() {
	auth_new_user
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	me "$TOKEN"
	assert_status 200
	auth_psql -c "DELETE FROM users WHERE id = $USER_ID"
	me "$TOKEN"
	assert_auth_401
}

test_me_401_for_a_token_issued_before_the_user_was_created() {
	auth_new_user
	local created key now
	created=$(date -u -d "$(jq -r .created_at <<<"$USER_BODY")" +%s)
	key=$(auth_secret)
	now=$(date +%s)
	# A token of an earlier account with this email, still unexpired.
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((created - 10)) $((now + 600)))" "$key")"
	assert_auth_401
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" $((created - 1)) $((now + 600)))" "$key")"
	assert_auth_401
	# The same second as created_at is fine (whole seconds).
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$USER_EMAIL" "$created" $((now + 600)))" "$key")"
	assert_status 200
}

test_token_of_a_deleted_account_does_not_work_for_a_new_one_with_that_email() {
	auth_new_user
	local email=$USER_EMAIL key created now
	key=$(auth_secret)
	auth_psql -c "DELETE FROM users WHERE id = $USER_ID"
	# The old account's token: issued 5 minutes before the new account.
	auth_new_user "$email"
	created=$(date -u -d "$(jq -r .created_at <<<"$USER_BODY")" +%s)
	now=$(date +%s)
	me "$(auth_forge "$auth_hs256" "$(auth_claims "$email" $((created - 300)) $((now + 600)))" "$key")"
	assert_auth_401
	token_for "$email" "$USER_PASSWORD"
	me "$TOKEN"
	assert_status 200
}

# Lookups that arrive together are answered by one query (batched_lookup.hpp):
# each request must still get the user of its own token.
test_me_concurrent_requests_each_get_the_user_of_their_token() {
	local i j emails=() tokens=()
	for i in $(seq 1 12); do
		auth_new_user
		token_for "$USER_EMAIL" "$USER_PASSWORD"
		emails+=("$USER_EMAIL")
		tokens+=("$TOKEN")
	done
	for j in 1 2 3 4 5; do
		for i in "${!tokens[@]}"; do
			curl -s -o "$scratch/me.$i.$j" -H "Authorization: Bearer ${tokens[$i]}" --max-time 10 \
				"$base_url/api/v1/auth/me" &
		done
	done
	wait
	for j in 1 2 3 4 5; do
		for i in "${!tokens[@]}"; do
			assert_eq "${emails[$i]}" "$(jq -r .email "$scratch/me.$i.$j")" "the email of /me for token $i, round $j"
		done
	done
}

# Keys travel to PostgreSQL inside an array literal: quotes, backslashes,
# braces and commas in a token's sub must neither break it nor match anyone.
test_me_sub_with_array_literal_characters_is_401_and_an_email_with_braces_works() {
	local key now sub
	key=$(auth_secret)
	now=$(date +%s)
	for sub in 'a"b@example.com' 'a\b@example.com' '{x,y}@example.com' 'NULL' '}' '",' ; do
		me "$(auth_forge "$auth_hs256" "$(auth_claims "$sub" "$now" $((now + 600)))" "$key")"
		assert_auth_401
	done
	auth_new_user "o'k{$RANDOM}|x@example.com"
	token_for "$USER_EMAIL" "$USER_PASSWORD"
	me "$TOKEN"
	assert_status 200
	assert_eq "$USER_EMAIL" "$(jqb .email)" "email"
}

# ---- logs

test_login_success_and_failure_are_logged_with_the_request_id() {
	auth_new_user
	local fail_rid=login-fail-$RANDOM$RANDOM ok_rid=login-ok-$RANDOM$RANDOM line
	login "$USER_EMAIL" "$USER_PASSWORD-wrong" -H "X-Request-ID: $fail_rid"
	assert_auth_401
	login "$USER_EMAIL" "$USER_PASSWORD" -H "X-Request-ID: $ok_rid"
	assert_status 200
	line=$(grep -F "[RequestID: $fail_rid]" "$logs/app.log" | grep -F ' - auth-api.login - ' || true)
	[[ -n $line ]] || fail "no auth-api.login line for $fail_rid"
	assert_match 'WARNING' "$line" "failure line"
	assert_match 'fail' "$line" "failure line"
	line=$(grep -F "[RequestID: $ok_rid]" "$logs/app.log" | grep -F ' - auth-api.login - ' || true)
	[[ -n $line ]] || fail "no auth-api.login line for $ok_rid"
	assert_match 'INFO' "$line" "success line"
	assert_match "$USER_ID" "$line" "success line names the user"
	! grep -F "$ok_rid" "$logs/app.log" | grep -qF "$USER_PASSWORD" || fail "the password is logged"
}

test_no_password_hash_or_token_in_any_response_or_log() {
	local seen=$scratch/seen email password wrong token
	keep() { cat "$scratch/headers" "$scratch/body" >>"$seen"; }
	: >"$seen"
	email=$(new_email)
	password=$(new_password)
	wrong=$pw_marker-wrong-$RANDOM
	auth_register "$email" "$password" "Secretive" && keep
	auth_register "$email" "$password" "Secretive" && keep # 409
	auth_register "$(new_email)" "$pw_marker$(printf 'z%.0s' {1..70})" "Too Long" && keep # 422
	auth_register "bad" "$password" "" && keep # 422
	login "$email" "$wrong" && keep
	login "nobody$RANDOM@example.com" "$password" && keep
	login "$email" "$password" && keep
	token=$(jqb .access_token)
	[[ -n $token && $token != null ]] || fail "no token"
	me "$token" && keep
	me "$token.x" && keep
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "username=$email" --data-urlencode "password=$password" && keep
	! grep -qF -- "$password" "$seen" || fail "a response contains the password"
	! grep -qF -- "$wrong" "$seen" || fail "a response contains the wrong password"
	! grep -qF -- "$pw_marker" "$seen" || fail "a response contains a test password"
	! grep -qF -- '$2b$' "$seen" || fail "a response contains a bcrypt hash"
	# The logs of the whole run so far: every password of this file carries
	# the marker, or is the multibyte one.
	local files=("$logs"/*.log "$logs"/*.stderr) f
	for f in "${files[@]}"; do
		[[ -f $f ]] || continue
		! grep -qF -- "$pw_marker" "$f" || fail "$f contains a password: $(grep -F -- "$pw_marker" "$f" | head -n1)"
		! grep -qF -- "한한한" "$f" || fail "$f contains the multibyte password"
		! grep -qF -- '$2b$' "$f" || fail "$f contains a bcrypt hash: $(grep -F -- '$2b$' "$f" | head -n1)"
		! grep -qF -- "$token" "$f" || fail "$f contains the access token"
		! grep -qF -- "$(cut -d. -f3 <<<"$token")" "$f" || fail "$f contains the token's signature"
	done
	# The hash is in the database, and nowhere else.
	assert_match '^\$2b\$04\$' "$(auth_psql -c "SELECT hashed_password FROM users WHERE email = '$email'")" "stored hash"
}

# ---- the login brake (nginx)

test_login_brake_answers_429_in_the_error_shape() {
	at_exit "\"$stack\" restart nginx"
	STACK_CONFIG="$STACK_CONFIG"$'\n'"LOGIN_RATE_PER_MINUTE=6"$'\n'"LOGIN_BURST=2" "$stack" restart nginx
	local n passed=0 rid body
	body=$(json_object email "brake$RANDOM@example.com" password "$pw_marker-brake")
	for n in $(seq 1 10); do
		rid=brake-$n-$RANDOM
		get /api/v1/auth/login -X POST -H 'Content-Type: application/json' -H "X-Request-ID: $rid" --data-binary "$body"
		[[ $STATUS == 429 ]] && break
		assert_auth_401
		passed=$((passed + 1))
	done
	assert_error 429
	((passed >= 3 && passed <= 4)) || fail "429 came after $passed requests, expected burst + 1 = 3"
	assert_header X-Request-ID "$rid"
	assert_json .request_id "$rid"
	[[ $(jqb '.detail | type') == string ]] || fail "429 detail is not a string"
	assert_header Retry-After 10
	assert_match '^[0-9]+(\.[0-9]+)?$' "$(header X-Process-Time)" "X-Process-Time"
	# Still braked, also for the OAuth2 form, with a fresh request id.
	get /api/v1/auth/login -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode "username=x@example.com" --data-urlencode "password=$pw_marker-form"
	assert_error 429
	assert_match "$uuid_re" "$(header X-Request-ID)" "a new request id"
	# Other routes are not braked.
	get /api/v1/hello
	assert_status 200
	auth_register "$(new_email)" "$(new_password)" "Not Braked"
	assert_status 201
	get /api/v1/auth/me
	assert_auth_401
	# The daemon itself has no brake.
	direct_auth POST /api/v1/auth/login -H 'Content-Type: application/json' --data-binary "$body"
	assert_auth_401
}

# ---- the password pool's bounded queue

test_password_pool_queue_full_is_503_at_once_while_health_stays_fast() {
	local port url pid
	port=$(free_port)
	"$bin/auth-api" -c "$config" -l "127.0.0.1:$port" -o "LOG_DIR=$scratch/log" -o BCRYPT_COST=14 \
		-o PASSWORD_WORKERS=1 -o PASSWORD_QUEUE_LIMIT=1 </dev/null >/dev/null 2>"$scratch/auth-api.stderr" &
	pid=$!
	test_pids+=("$pid")
	url=http://127.0.0.1:$port
	wait_until 5 curl -sf -o /dev/null "$url/health" || fail "own auth-api did not start: $(cat "$scratch/auth-api.stderr")"

	local i pids=()
	for i in $(seq 1 8); do
		curl -s -o "$scratch/pool.$i.body" -D "$scratch/pool.$i.headers" -w '%{http_code} %{time_total}' \
			--max-time 40 -X POST -H 'Content-Type: application/json' \
			--data-binary "$(json_object email "$(new_email)" password "$(new_password)" name Pool)" \
			"$url/api/v1/auth/register" >"$scratch/pool.$i.out" &
		pids+=($!)
	done
	# /health while the cost-14 hashes run.
	local out
	for i in $(seq 1 5); do
		out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$url/health")
		[[ ${out% *} == 200 ]] || fail "health during the storm: $out"
		awk -v t="${out#* }" 'BEGIN { exit !(t < 0.1) }' || fail "health took ${out#* } s during the storm"
	done
	local running=0
	for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null && running=$((running + 1)); done
	((running > 0)) || fail "the storm was over before /health was measured (cost 14 too fast?)"
	wait "${pids[@]}"

	local created=0 refused=0 status took
	for i in $(seq 1 8); do
		read -r status took <"$scratch/pool.$i.out" || true
		case $status in
		201) created=$((created + 1)) ;;
		503)
			refused=$((refused + 1))
			awk -v t="$took" 'BEGIN { exit !(t < 0.5) }' || fail "a 503 took $took s: not at once"
			grep -qiE '^Retry-After: [0-9]+' "$scratch/pool.$i.headers" || fail "503 without Retry-After"
			grep -qiE '^X-Request-ID: ' "$scratch/pool.$i.headers" || fail "503 without X-Request-ID"
			jq -e '(.detail | type == "string") and (.request_id | type == "string")' "$scratch/pool.$i.body" \
				>/dev/null || fail "503 body: $(cat "$scratch/pool.$i.body")"
			;;
		*) fail "registration $i: $status" ;;
		esac
	done
	((refused >= 4)) || fail "only $refused of 8 got 503 with one worker and a queue of one"
	((created >= 1 && created <= 2)) || fail "$created of 8 created with one worker and a queue of one"
	# The daemon is fine afterwards.
	curl -sf -o /dev/null --max-time 5 "$url/health" || fail "health after the storm"
	kill -0 "$pid" || fail "the daemon died"
}
