# Start, slow clients, signals: each test runs a users-api of its own.

test_half_sent_request_does_not_delay_another() {
	start_own_users_api
	exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT"
	printf 'GET /api/v1/hello HTTP/1.1\r\nHost: x\r\nX-Partial: ' >&3
	local start end
	start=$(date +%s%N)
	request GET "$OWN_URL/api/v1/hello"
	end=$(date +%s%N)
	exec 3<&-
	assert_status 200
	(((end - start) / 1000000 < 500)) || fail "the second request took $(((end - start) / 1000000)) ms"
}

test_idle_connection_closed_after_idle_timeout() {
	start_own_users_api -o HTTP_IDLE_TIMEOUT=1
	exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT"
	local start=$SECONDS
	# cat returns when the daemon closes the connection.
	timeout 10 cat <&3 >/dev/null || fail "the idle connection was still open after 10 s"
	exec 3<&-
	((SECONDS - start <= 3)) || fail "closed only after $((SECONDS - start)) s"
}

test_slow_header_closed_after_idle_timeout() {
	start_own_users_api -o HTTP_IDLE_TIMEOUT=1
	exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT"
	printf 'GET /api/v1/hello HTTP/1.1\r\nHost: x\r\n' >&3
	timeout 10 cat <&3 >/dev/null || fail "a half-sent request held its connection for 10 s"
	exec 3<&-
	request GET "$OWN_URL/api/v1/hello"
	assert_status 200
}

# A byte every 0.3 s never trips the idle timeout; the request deadline does.
test_trickling_client_closed_at_the_request_deadline() {
	start_own_users_api -o HTTP_IDLE_TIMEOUT=2 -o HTTP_REQUEST_TIMEOUT=1
	exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT"
	(
		printf 'GET /api/v1/hello HTTP/1.1\r\nHost: x\r\n'
		for _ in $(seq 1 40); do
			printf 'X'
			sleep 0.3
		done
	) >&3 2>/dev/null &
	local writer=$! start=$SECONDS
	timeout 10 cat <&3 >/dev/null || fail "the trickling connection was still open after 10 s"
	kill "$writer" 2>/dev/null || true
	exec 3<&-
	((SECONDS - start <= 3)) || fail "closed only after $((SECONDS - start)) s"
	grep -q 'sent no whole request in 1 s' "$scratch/log/app.log" || fail "no log line for the closed connection"
	request GET "$OWN_URL/api/v1/hello"
	assert_status 200
}

# A slow reply is not cut by the request deadline.
test_request_deadline_spares_requests_being_answered() {
	start_own_users_api -o HTTP_REQUEST_TIMEOUT=1 -o HEALTH_TIMEOUT_MS=2500
	pause_redis
	request GET "$OWN_URL/health"
	assert_error 503
}

test_sigterm_exits_0_and_frees_the_port() {
	start_own_users_api
	kill -TERM "$OWN_PID"
	local rc=0
	wait "$OWN_PID" || rc=$?
	assert_eq 0 "$rc" "exit status after SIGTERM"
	if (exec 3<>"/dev/tcp/127.0.0.1/$OWN_PORT") 2>/dev/null; then fail "port $OWN_PORT still accepts"; fi
	grep -q 'SIGTERM: taking no new work' "$scratch/log/app.log" || fail "no shutdown line in the log"
}

test_sigterm_removes_unix_socket() {
	local sock=$scratch/own.sock
	"$bin/users-api" -c "$config" -l "unix:$sock" -o "LOG_DIR=$scratch/log" </dev/null >/dev/null 2>&1 &
	local pid=$!
	test_pids+=("$pid")
	wait_until 5 curl -s -o /dev/null --unix-socket "$sock" http://x/api/v1/hello || fail "did not start"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_eq 0 "$rc" "exit status"
	[[ ! -e $sock ]] || fail "the socket file is still there"
}

# An in-flight /health waits on a stopped Redis; SIGTERM lets it finish.
test_sigterm_finishes_in_flight_request() {
	start_own_users_api -o HEALTH_TIMEOUT_MS=1500
	pause_redis
	curl -s -o "$scratch/inflight" -w '%{http_code}' --max-time 10 "$OWN_URL/health" >"$scratch/inflight.status" &
	local curl_pid=$!
	wait_until 5 has_client "$OWN_PORT" || fail "the request never connected"
	kill -TERM "$OWN_PID"
	local rc=0
	wait "$OWN_PID" || rc=$?
	wait "$curl_pid" || true
	resume_redis
	assert_eq 0 "$rc" "exit status"
	assert_eq 503 "$(cat "$scratch/inflight.status")" "status of the in-flight request"
	jq -e '.checks.redis != "ok"' "$scratch/inflight" >/dev/null || fail "in-flight reply: $(cat "$scratch/inflight")"
}

test_second_sigterm_exits_at_once() {
	start_own_users_api -o HEALTH_TIMEOUT_MS=5000
	pause_redis
	curl -s -o /dev/null --max-time 10 "$OWN_URL/health" &
	wait_until 5 has_client "$OWN_PORT" || fail "the request never connected"
	local start=$SECONDS
	kill -TERM "$OWN_PID"
	wait_until 2 grep -q 'taking no new work' "$scratch/log/app.log" || fail "first SIGTERM not seen"
	kill -TERM "$OWN_PID"
	local rc=0
	wait "$OWN_PID" || rc=$?
	resume_redis
	assert_eq 0 "$rc" "exit status"
	((SECONDS - start < 4)) || fail "took $((SECONDS - start)) s; the second SIGTERM should exit at once"
}

test_sighup_reopens_log_files() {
	start_own_users_api
	mv "$scratch/log/app.log" "$scratch/log/app.log.1"
	kill -HUP "$OWN_PID"
	wait_until 5 test -f "$scratch/log/app.log" || fail "app.log not reopened"
	request GET "$OWN_URL/api/v1/hello" -H 'X-Request-ID: after-hup'
	assert_status 200
	wait_until 5 grep -q 'after-hup' "$scratch/log/app.log" || fail "new lines do not go to the new app.log"
	grep -q 'after-hup' "$scratch/log/app.log.1" && fail "a new line went to the rotated file"
	true
}

test_listen_address_in_use_is_reported() {
	start_own_users_api
	local rc=0
	"$bin/users-api" -c "$config" -l "127.0.0.1:$OWN_PORT" -o "LOG_DIR=$scratch/log2" 2>"$scratch/err" || rc=$?
	assert_eq 71 "$rc" "exit status"
	assert_match "cannot listen on 127.0.0.1:$OWN_PORT" "$(cat "$scratch/err")"
}

test_process_up_line_logged() {
	start_own_users_api
	grep -qE "users-api\.main - INFO - \[RequestID: -\] - users-api [0-9.]+ \(libevent .*\) up on 127\.0\.0\.1:$OWN_PORT, pid $OWN_PID, ready in [0-9.]+ ms" \
		"$scratch/log/app.log" || fail "no process-up line: $(head -3 "$scratch/log/app.log")"
}

# Replies the socket cannot take at once: a client sends 40 requests for the
# 30 KB OpenAPI document on one connection with a small receive buffer and
# reads nothing for a second, so the daemon's writes stop part way; then it
# reads every reply, whole and in order, and the daemon serves on.
test_replies_larger_than_the_socket_takes_arrive_whole() {
	start_own_users_api
	local size
	size=$(curl -s "$OWN_URL/openapi.json" | wc -c)
	((size > 20000)) || fail "the document is only $size bytes"
	python3 - "$OWN_PORT" "$size" <<'PY' || fail "pipelined large replies were not delivered whole"
import socket, sys, time
port, size = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
n = 40
s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * n)
time.sleep(1)
s.settimeout(10)
data = b""
def bodies():
    replies = data.split(b"HTTP/1.1 200 OK")[1:]
    return [r.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in r else b"" for r in replies]
while len(bodies()) < n or len(bodies()[-1]) < size:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
got = bodies()
print(f"{len(got)} replies, body sizes {sorted(set(len(b) for b in got))}", file=sys.stderr)
sys.exit(0 if len(got) == n and all(len(b) == size for b in got) else 1)
PY
	request GET "$OWN_URL/api/v1/hello"
	assert_status 200
}
