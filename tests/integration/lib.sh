# Helpers for the integration tests: HTTP through nginx or straight to a
# daemon, assertions that print what they expected, and the stack's layout.
# Every test runs with `set -euo pipefail`; a failed assertion exits 1.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
stack=$repo/scripts/stack
bin=${STACK_BIN:-$repo/build}
: "${STACK_DIR:?run the integration tests through tests/run}"
# shellcheck disable=SC1091
source "$STACK_DIR/ports.env"
base_url=http://127.0.0.1:$STACK_PORT
users_sock=$STACK_DIR/run/users-api-1.sock
auth_sock=$STACK_DIR/run/auth-api.sock
config=$STACK_DIR/etc/usersuite.env
logs=$STACK_DIR/log
scratch=$(mktemp -d "${TMPDIR:-/tmp}/usersuite-it.XXXXXX")
test_pids=()
undo=()

# at_exit COMMAND: run COMMAND when the test ends, pass or fail (last first).
at_exit() { undo+=("$1"); }

cleanup_test() {
	local p i
	for p in "${test_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for ((i = ${#undo[@]} - 1; i >= 0; i--)); do eval "${undo[i]}" >/dev/null 2>&1 || true; done
	rm -rf "$scratch"
}
trap cleanup_test EXIT

# stop_for_test COMPONENT: stop part of the shared stack until the test ends.
stop_for_test() {
	"$stack" stop "$1"
	at_exit "\"$stack\" start $1"
}

# pause_redis: SIGSTOP the shared Redis (it hangs, connections stay open)
# until resume_redis or the end of the test.
pause_redis() {
	redis_pid=$(cat "$STACK_DIR/run/redis.pid")
	kill -STOP "$redis_pid"
	at_exit "kill -CONT $redis_pid"
}
resume_redis() { kill -CONT "$redis_pid"; }

uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

fail() {
	echo "FAILED: $*" >&2
	if [[ -f $scratch/headers ]]; then
		echo "--- last response: $STATUS" >&2
		cat "$scratch/headers" >&2
		head -c 2000 "$scratch/body" >&2 || true
		echo >&2
	fi
	exit 1
}

# request METHOD URL [curl args...]: sets STATUS; headers and body in files.
request() {
	local method=$1 url=$2
	shift 2
	local head=()
	[[ $method == HEAD ]] && head=(--head)
	STATUS=$(curl -s -o "$scratch/body" -D "$scratch/headers" -w '%{http_code}' --max-time 10 \
		-X "$method" "${head[@]}" "$@" "$url") || true
}
# Through nginx, the one URL space.
get() { request GET "$base_url$1" "${@:2}"; }
# Straight to users-api or auth-api on its Unix socket.
direct() { request "$1" "http://localhost$2" --unix-socket "$users_sock" "${@:3}"; }
direct_auth() { request "$1" "http://localhost$2" --unix-socket "$auth_sock" "${@:3}"; }

body() { cat "$scratch/body"; }
# header NAME: the value of the last header of that name, "" if absent.
header() {
	awk -v want="$(tr '[:upper:]' '[:lower:]' <<<"$1")" '
		{ sub(/\r$/, "") }
		index($0, ":") { name = tolower(substr($0, 1, index($0, ":") - 1));
		                 if (name == want) { v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v); value = v } }
		END { print value }' "$scratch/headers"
}
header_count() {
	grep -ci "^$1:" "$scratch/headers" || true
}
jqb() { jq -r "$1" "$scratch/body"; }

assert_eq() { [[ $1 == "$2" ]] || fail "${3:-value}: expected [$1], got [$2]"; }
assert_match() { [[ $2 =~ $1 ]] || fail "${3:-value}: [$2] does not match /$1/"; }
assert_status() { assert_eq "$1" "$STATUS" "HTTP status"; }
assert_header() { assert_eq "$2" "$(header "$1")" "header $1"; }
assert_no_header() { [[ $(header_count "$1") == 0 ]] || fail "header $1 should be absent"; }
assert_json() { assert_eq "$2" "$(jqb "$1")" "JSON $1"; }

# The headers api.md puts on every response, and a JSON body's type.
assert_common_headers() {
	assert_match '^[A-Za-z0-9._:@/-]{1,128}$' "$(header X-Request-ID)" "X-Request-ID"
	assert_eq 1 "$(header_count X-Request-ID)" "number of X-Request-ID headers"
	assert_match '^[0-9]+(\.[0-9]+)?$' "$(header X-Process-Time)" "X-Process-Time"
	if [[ -s $scratch/body ]]; then assert_header Content-Type application/json; fi
}

# An error reply per api.md: status, headers, {"detail", "request_id"}.
assert_error() {
	assert_status "$1"
	assert_common_headers
	jq -e 'has("detail") and (.request_id | type == "string")' "$scratch/body" >/dev/null ||
		fail "error body lacks detail or request_id"
	assert_eq "$(header X-Request-ID)" "$(jqb .request_id)" "request_id in the body"
}

# wait_until SECONDS COMMAND...: polls until the command succeeds.
wait_until() {
	local limit=$1
	shift
	local deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

# shellcheck source=scripts/lib/free-port.sh
source "$repo/scripts/lib/free-port.sh"

# start_own_users_api [flags...]: a users-api of this test's own on a free
# TCP port, logging under $scratch/log; sets OWN_PID and OWN_URL. Another
# port is tried when something took the chosen one in the meantime.
start_own_users_api() {
	local port
	for _ in 1 2 3; do
		port=$(free_port)
		"$bin/users-api" -c "$config" -l "127.0.0.1:$port" -o "LOG_DIR=$scratch/log" "$@" \
			</dev/null >/dev/null 2>"$scratch/users-api.stderr" &
		OWN_PID=$!
		test_pids+=("$OWN_PID")
		OWN_PORT=$port
		OWN_URL=http://127.0.0.1:$port
		wait_until 5 own_users_api_answers_or_exited
		curl -s -o /dev/null "$OWN_URL/api/v1/hello" && return 0
		grep -q 'Address already in use' "$scratch/users-api.stderr" || break
	done
	fail "own users-api did not start: $(cat "$scratch/users-api.stderr")"
}
own_users_api_answers_or_exited() {
	kill -0 "$OWN_PID" 2>/dev/null || return 0
	curl -s -o /dev/null "$OWN_URL/api/v1/hello"
}

# has_client PORT: some client holds an established connection to PORT.
has_client() { ss -tnH state established "( sport = :$1 )" | grep -q .; }

# pg_super [psql args...]: psql as the superuser of the stack's PostgreSQL
# (database postgres unless -d), unaligned, tuples only, stopping at errors.
pg_super() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# create_test_database: a fresh database owned by usersuite, dropped (its
# sessions ended) when the test ends; sets TEST_DB and TEST_DB_URL.
create_test_database() {
	TEST_DB=t_$RANDOM$RANDOM
	pg_super -c "CREATE DATABASE $TEST_DB OWNER usersuite"
	at_exit "pg_super -c 'DROP DATABASE IF EXISTS $TEST_DB WITH (FORCE)'"
	TEST_DB_URL=postgresql://usersuite@127.0.0.1:$PG_PORT/$TEST_DB
}

# now_ms: the wall clock in milliseconds, for timing assertions.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# direct_process N METHOD PATH [curl args...]: straight to users-api-N (the
# stack runs USERS_API_PROCESSES of them) on its Unix socket.
direct_process() { request "$2" "http://localhost$3" --unix-socket "$STACK_DIR/run/users-api-$1.sock" "${@:4}"; }
# stack_redis ARGS...: redis-cli on the stack's Redis (raw replies).
stack_redis() { redis-cli -p "$REDIS_PORT" "$@"; }

# Accounts, for the tests of auth-api and users-api. Every password made
# here carries $pw_marker, which test_auth.sh's last test looks for in the
# logs of the whole run.
pw_marker=Pzw0rdQ
new_email() { echo "u$RANDOM$RANDOM$RANDOM@example.com"; }
new_password() { echo "$pw_marker-$RANDOM$RANDOM"; }

# json_object KEY VALUE ...: a JSON object of strings (jq does the escaping).
json_object() {
	jq -cn '$ARGS.positional as $a | reduce range(0; $a | length; 2) as $i ({}; .[$a[$i]] = $a[$i + 1])' --args "$@"
}

# login EMAIL PASSWORD [curl args...]: POST /api/v1/auth/login with a JSON body.
login() {
	get /api/v1/auth/login -X POST -H 'Content-Type: application/json' \
		--data-binary "$(json_object email "$1" password "$2")" "${@:3}"
}
# token_for EMAIL PASSWORD: logs in (200 asserted); sets TOKEN.
token_for() {
	login "$1" "$2"
	assert_status 200
	TOKEN=$(jqb .access_token)
}
# me TOKEN [curl args...]: GET /api/v1/auth/me with that bearer token.
me() { get /api/v1/auth/me -H "Authorization: Bearer $1" "${@:2}"; }
