# The job queues on the stack's real Redis, job-worker and jobctl: priority
# order, a job whose worker is SIGKILLed runs on another, retries then the
# failed registry then requeue, delayed jobs, graceful SIGTERM, Redis going
# away and coming back, replies lost, a wait Redis refuses, 1,000 jobs through
# two workers, the welcome e-mail of register, jobs that cannot run, jobctl as
# a shell tool (a corrupt record, enqueue --count failing part way), a failing
# sendmail, jobctl workers and a hung or stopped worker.
#
# Most tests stop the stack's job-worker (stop_for_test) and start workers of
# their own, each logging to its own directory under $scratch, so that they
# know which worker takes which job. Each test first empties the queues.

jobs_key() { echo "usersuite:jobs:$1"; }
jobs_ctl() { "$bin/jobctl" -c "$config" "$@"; }
# jobs_field ID FIELD: a field of the job's hash as stored (times in Unix ms).
jobs_field() { stack_redis HGET "$(jobs_key "job:$1")" "$2"; }
jobs_status() { jobs_field "$1" status; }
# jobs_is STATUS ID...: every job has that status.
jobs_is() {
	local want=$1 id
	shift
	for id in "$@"; do [[ $(jobs_status "$id") == "$want" ]] || return 1; done
}
# jobs_json ID: jobctl status --json, into $scratch/job.json.
jobs_json() { jobs_ctl status --json "$1" >"$scratch/job.json" || fail "jobctl status $1 exited $?"; }
# jobs_ms ID FIELD: a time field of jobctl status --json, in Unix milliseconds.
jobs_ms() {
	jobs_json "$1"
	jq -r --arg f "$2" '.[$f] | (.[0:19] + "Z" | fromdateiso8601) * 1000 + (.[20:23] | tonumber)' "$scratch/job.json"
}
jobs_queue() { stack_redis LRANGE "$(jobs_key "queue:$1")" 0 -1 | tr '\n' ' ' | sed 's/ $//'; }
jobs_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# jobs_forget_dead_workers: a worker killed by an earlier test leaves its
# heartbeat and job list behind; a live worker would reap them (and requeue
# its jobs) some seconds later, in the middle of another test.
jobs_forget_dead_workers() {
	local w pid
	for w in $(stack_redis ZRANGE "$(jobs_key workers)" 0 -1); do
		pid=${w#*:}
		pid=${pid%%:*}
		if ! jobs_alive "$pid"; then
			stack_redis DEL "$(jobs_key "worker:$w:jobs")" >/dev/null
			stack_redis ZREM "$(jobs_key workers)" "$w" >/dev/null
		fi
	done
}

jobs_purge() {
	local q
	for q in high default low scheduled failed; do jobs_ctl purge "$q" >/dev/null || return 1; done
}

# jobs_reset: empty queues and registries and forget dead workers, now and
# when the test ends: after lib.sh has killed the test's workers and before
# the stack's job-worker starts again (which would otherwise run a leftover
# long job, and keep the next test's stop_for_test waiting for it).
jobs_reset() {
	jobs_purge || fail "jobctl purge failed"
	jobs_forget_dead_workers
	at_exit jobs_cleanup
}
jobs_cleanup() {
	local p
	for p in "${test_pids[@]}"; do wait_until 3 jobs_gone "$p" || true; done
	jobs_purge
	jobs_forget_dead_workers
}
jobs_gone() { ! jobs_alive "$1"; }

# jobs_worker NAME [-o KEY=VALUE ...]: a job-worker of this test's own,
# logging to $scratch/NAME/app.log; waits until it is up and sets
# WORKER_PID and WORKER_ID (the "host:pid:rand" of jobctl status .worker).
jobs_worker() {
	local name=$1
	shift
	"$bin/job-worker" -c "$config" -o "LOG_DIR=$scratch/$name" -o LOG_STDERR=false "$@" \
		</dev/null >/dev/null 2>"$scratch/$name.stderr" &
	WORKER_PID=$!
	test_pids+=("$WORKER_PID")
	wait_until 5 grep -q "pid $WORKER_PID, ready" "$scratch/$name/app.log" ||
		fail "job-worker $name did not start: $(cat "$scratch/$name.stderr")"
	WORKER_ID=$(sed -n "s/.* as worker \([^ ,]*\), .*pid $WORKER_PID, ready.*/\1/p" "$scratch/$name/app.log")
	assert_match "^[^:]+:$WORKER_PID:[0-9a-f]+$" "$WORKER_ID" "worker id of $name"
}
# jobs_logged NAME TEXT: the worker's log has a line with TEXT.
jobs_logged() { grep -qF -- "$2" "$scratch/$1/app.log"; }
assert_logged() { jobs_logged "$1" "$2" || fail "$1's log lacks [$2]:"$'\n'"$(tail -n 20 "$scratch/$1/app.log")"; }
# jobs_wait_exit PID SECONDS: waits (bounded) for the worker to exit; sets EXIT_STATUS.
jobs_wait_exit() {
	wait_until "$2" jobs_gone "$1" || fail "worker $1 still runs after $2 s"
	EXIT_STATUS=0
	wait "$1" || EXIT_STATUS=$?
}
# jobs_enqueue TYPE JSON [options]: jobctl enqueue, asserting exit 0; sets JOB.
jobs_enqueue() {
	JOB=$(jobs_ctl enqueue "$@") || fail "jobctl enqueue $* exited $?"
	assert_match "$uuid_re" "$JOB" "job id"
}

# ---- 1. priority

test_jobs_priority_high_then_default_then_low() {
	stop_for_test job-worker
	jobs_reset
	local q high=() default=() low=()
	for q in low default high low default high; do
		jobs_enqueue noop '{"sleep_ms":20}' --queue "$q"
		eval "$q+=(\"\$JOB\")"
	done
	jobs_ctl stats --json >"$scratch/stats"
	assert_eq '{"default":2,"high":2,"low":2}' "$(jq -cS .queued "$scratch/stats")" "queued before any worker"
	local expected=("${high[@]}" "${default[@]}" "${low[@]}")
	jobs_worker w1 -o WORKER_CONCURRENCY=1
	wait_until 10 jobs_is finished "${expected[@]}" || fail "not all six jobs finished"
	# The order the worker logged their starts in.
	local logged
	logged=$(grep -oE 'job [0-9a-f-]{36} started' "$scratch/w1/app.log" | awk '{print $2}' | tr '\n' ' ')
	assert_eq "${expected[*]} " "$logged" "order of the starts in the log"
	# And the order of started_at, one at a time (each starts after the last ended).
	local id prev_end=0 start
	for id in "${expected[@]}"; do
		start=$(jobs_ms "$id" started_at)
		((start >= prev_end)) || fail "job $id started at $start, before the previous one ended at $prev_end"
		prev_end=$(jobs_ms "$id" ended_at)
		assert_eq 1 "$(jq -r .attempts "$scratch/job.json")" "attempts of $id"
		assert_eq "$WORKER_ID" "$(jq -r .worker "$scratch/job.json")" "worker of $id"
	done
}

# ---- 2. a worker killed mid-job

test_jobs_sigkilled_workers_job_runs_on_another_within_worker_timeout() {
	stop_for_test job-worker
	jobs_reset
	local timeout_ms=1500 heartbeat_ms=200
	local opts=(-o "WORKER_HEARTBEAT_MS=$heartbeat_ms" -o "WORKER_TIMEOUT_MS=$timeout_ms")
	jobs_worker w1 "${opts[@]}"
	local pid1=$WORKER_PID id1=$WORKER_ID
	jobs_worker w2 "${opts[@]}"
	local pid2=$WORKER_PID id2=$WORKER_ID
	jobs_enqueue noop '{"sleep_ms":1500}'
	local job=$JOB
	wait_until 5 jobs_is started "$job" || fail "the job did not start"
	local holder victim survivor survivor_id
	holder=$(jobs_field "$job" worker)
	if [[ $holder == "$id1" ]]; then
		victim=$pid1 survivor=w2 survivor_id=$id2
	elif [[ $holder == "$id2" ]]; then
		victim=$pid2 survivor=w1 survivor_id=$id1
	else
		fail "the job is held by [$holder], not by $id1 or $id2"
	fi
	assert_eq "$victim" "$(cut -d: -f2 <<<"$holder")" "the pid in .worker"
	local killed_at
	kill -KILL "$victim"
	killed_at=$(now_ms)
	# Redelivered once WORKER_TIMEOUT_MS has passed since the last heartbeat
	# (found at the survivor's next tick), then it runs its 1.5 s.
	wait_until $(((timeout_ms + 2 * heartbeat_ms + 1500) / 1000 + 4)) jobs_is finished "$job" ||
		fail "the job is [$(jobs_status "$job")] $(( $(now_ms) - killed_at )) ms after the kill"
	jobs_json "$job"
	assert_eq 2 "$(jq -r .attempts "$scratch/job.json")" "attempts"
	assert_eq "$survivor_id" "$(jq -r .worker "$scratch/job.json")" "the worker that finished it"
	local redelivered
	redelivered=$(($(jobs_ms "$job" started_at) - killed_at))
	((redelivered >= timeout_ms - 2 * heartbeat_ms)) ||
		fail "redelivered $redelivered ms after the kill, before WORKER_TIMEOUT_MS ($timeout_ms) ran out"
	((redelivered <= timeout_ms + 2 * heartbeat_ms + 1000)) ||
		fail "redelivered only $redelivered ms after the kill (WORKER_TIMEOUT_MS $timeout_ms)"
	assert_logged "$survivor" "found 1 dead worker(s): returned 1 job(s) to the head of their queue"
	assert_logged "$survivor" "job $job started: noop from default, attempt 2"
	assert_logged "$survivor" "job $job (noop) finished"
	# The dead worker is gone from the registry of workers, and with it its list.
	assert_eq "" "$(stack_redis ZSCORE "$(jobs_key workers)" "$holder")" "heartbeat of the dead worker"
	assert_eq 0 "$(stack_redis EXISTS "$(jobs_key "worker:$holder:jobs")")" "job list of the dead worker"
	jobs_alive "$(cut -d: -f2 <<<"$survivor_id")" || fail "the surviving worker died"
}

# ---- 3. retries, the failed registry, requeue

test_jobs_retry_then_failed_registry_then_requeue() {
	stop_for_test job-worker
	jobs_reset
	local opts=(-o JOB_MAX_ATTEMPTS=3 -o JOB_RETRY_DELAY_MS=100)
	jobs_worker w1 "${opts[@]}"
	local pid=$WORKER_PID
	jobs_enqueue noop '{"fail":"boom"}'
	local a=$JOB
	jobs_enqueue noop '{"fail":"bang"}' --queue low
	local b=$JOB
	# Three runs with 0.05-0.1 s, then 0.1-0.2 s between them.
	wait_until 3 jobs_is failed "$a" "$b" || fail "jobs not failed: $(jobs_status "$a") $(jobs_status "$b")"
	jobs_json "$a"
	assert_eq 3 "$(jq -r .attempts "$scratch/job.json")" "attempts"
	assert_eq failed "$(jq -r .status "$scratch/job.json")" "status"
	assert_eq boom "$(jq -r .error "$scratch/job.json")" "error"
	assert_eq 3 "$(grep -c "job $a started" "$scratch/w1/app.log")" "runs of $a in the log"
	assert_logged w1 "job $a (noop) failed"
	assert_logged w1 "(attempt 1 of 3): boom; retry in"
	assert_logged w1 "(attempt 2 of 3): boom; retry in"
	assert_logged w1 "(attempt 3 of 3): boom; moved to the failed registry"
	# jobctl failed, text and JSON.
	local text
	text=$(jobs_ctl failed) || fail "jobctl failed exited $?"
	grep -qE "^$a  [0-9]{4}-[0-9T:.-]+Z  noop  default  attempts 3  boom\$" <<<"$text" || fail "jobctl failed: $text"
	grep -qE "^$b  [0-9]{4}-[0-9T:.-]+Z  noop  low  attempts 3  bang\$" <<<"$text" || fail "jobctl failed: $text"
	assert_eq 2 "$(wc -l <<<"$text")" "lines of jobctl failed"
	jobs_ctl failed --json >"$scratch/failed" || fail "jobctl failed --json exited $?"
	assert_eq "$(jq -c '[$a, $b] | sort' --arg a "$a" --arg b "$b" -n)" "$(jq -c '[.[].id] | sort' "$scratch/failed")" \
		"ids of jobctl failed --json"
	jq -e '[.[].ended_at] == ([.[].ended_at] | sort)' "$scratch/failed" >/dev/null ||
		fail "jobctl failed --json is not oldest failure first: $(jq -c '[.[].ended_at]' "$scratch/failed")"
	assert_eq '[3,3]' "$(jq -c '[.[].attempts]' "$scratch/failed")" "attempts in jobctl failed --json"
	assert_eq '["failed","failed"]' "$(jq -c '[.[].status]' "$scratch/failed")" "statuses in jobctl failed --json"
	assert_eq 2 "$(jobs_ctl stats --json | jq .failed)" "stats failed"

	# Requeue with no worker running, so the job stays where requeue put it.
	kill -TERM "$pid"
	jobs_wait_exit "$pid" 5
	local rc=0 out
	out=$(jobs_ctl requeue "$a") || rc=$?
	assert_eq 0 "$rc" "jobctl requeue exit status"
	assert_eq "requeued 1 job(s)" "$out" "jobctl requeue output"
	jobs_json "$a"
	assert_eq queued "$(jq -r .status "$scratch/job.json")" "status after requeue"
	assert_eq 0 "$(jq -r .attempts "$scratch/job.json")" "attempts after requeue"
	assert_eq "$a" "$(jobs_queue default)" "queue default after requeue"
	assert_eq "[\"$b\"]" "$(jobs_ctl failed --json | jq -c '[.[].id]')" "failed registry after requeue"
	# Only a job in the failed registry can be requeued.
	rc=0
	jobs_ctl requeue "$a" 2>"$scratch/err" || rc=$?
	assert_eq 1 "$rc" "requeue of a queued job"
	rc=0
	jobs_ctl requeue 00000000-0000-4000-8000-000000000000 2>"$scratch/err" || rc=$?
	assert_eq 1 "$rc" "requeue of an unknown id"
	assert_match "not in the failed registry" "$(cat "$scratch/err")" "stderr of requeue of an unknown id"
	# --all.
	out=$(jobs_ctl requeue --all) || fail "requeue --all exited $?"
	assert_eq "requeued 1 job(s)" "$out" "requeue --all output"
	assert_eq "$b" "$(jobs_queue low)" "queue low after requeue --all"
	assert_eq '[]' "$(jobs_ctl failed --json | jq -c .)" "failed registry after requeue --all"
	out=$(jobs_ctl requeue --all --json) || fail "requeue --all of nothing exited $?"
	assert_eq '{"requeued":0}' "$out" "requeue --all of an empty registry"
	# Run again from attempt 1: failed again after 3 more runs, not 6 in all.
	jobs_worker w2 "${opts[@]}"
	wait_until 10 jobs_is failed "$a" "$b" || fail "requeued jobs did not fail again"
	assert_eq 3 "$(jobs_field "$a" attempts)" "attempts after the second round"
	assert_eq 3 "$(grep -c "job $a started" "$scratch/w2/app.log")" "runs of $a after requeue"
}

# ---- 4. delayed jobs

test_jobs_delayed_job_runs_not_before_its_time_and_soon_after() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1
	sleep 0.3 # idle, waiting for work
	jobs_enqueue noop '{}' --in 2
	local late=$JOB
	jobs_enqueue noop '{}' --in 1
	local early=$JOB
	jobs_json "$late"
	assert_eq scheduled "$(jq -r .status "$scratch/job.json")" "status of a delayed job"
	assert_eq 2000 "$(($(jobs_ms "$late" run_at) - $(jobs_ms "$late" created_at)))" "run_at - created_at"
	assert_eq 2 "$(jobs_ctl stats --json | jq .scheduled)" "stats scheduled"
	# Neither runs early: every status read that ended before the first is
	# due says scheduled.
	local due_early status_early status_late read_by
	due_early=$(jobs_ms "$early" run_at)
	while :; do
		status_early=$(jobs_status "$early")
		status_late=$(jobs_status "$late")
		read_by=$(now_ms)
		((read_by < due_early)) || break
		assert_eq scheduled "$status_early" "status of the 1 s job $((due_early - read_by)) ms before it is due"
		assert_eq scheduled "$status_late" "status of the 2 s job"
		sleep 0.1
	done
	wait_until 6 jobs_is finished "$early" "$late" || fail "delayed jobs not finished"
	local id delay waited
	for id in "$early" "$late"; do
		[[ $id == "$early" ]] && delay=1000 || delay=2000
		waited=$(($(jobs_ms "$id" started_at) - $(jobs_ms "$id" created_at)))
		((waited >= delay)) || fail "job delayed $delay ms started after $waited ms"
		((waited <= delay + 1500)) || fail "job delayed $delay ms started only after $waited ms"
		(($(jobs_ms "$id" started_at) >= $(jobs_ms "$id" run_at))) || fail "started_at before run_at"
	done
	(($(jobs_ms "$early" started_at) < $(jobs_ms "$late" started_at))) || fail "the 1 s job did not start first"
	assert_eq 1 "$(jobs_field "$late" attempts)" "attempts"
}

test_jobs_at_a_time_runs_then() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1
	local at=$(($(date +%s) + 2)) iso
	iso=$(date -u -d "@$((at + 1))" +%Y-%m-%dT%H:%M:%SZ)
	jobs_enqueue noop '{}' --at "$at"
	local by_seconds=$JOB
	jobs_enqueue noop '{}' --at "$iso"
	local by_iso=$JOB
	assert_eq scheduled "$(jobs_status "$by_seconds")" "status of a job queued --at a later time"
	# run_at is the given time, to the clock difference between here and Redis (same machine).
	local due=$((at * 1000)) got
	got=$(jobs_ms "$by_seconds" run_at)
	((got >= due - 200 && got <= due + 200)) || fail "--at $at gave run_at $got"
	got=$(jobs_ms "$by_iso" run_at)
	((got >= due + 800 && got <= due + 1200)) || fail "--at $iso gave run_at $got"
	wait_until 6 jobs_is finished "$by_seconds" "$by_iso" || fail "jobs queued --at a time did not run"
	(($(jobs_ms "$by_seconds" started_at) >= $(jobs_ms "$by_seconds" run_at))) || fail "started before its time"
	# A time already past queues at once; a bad time is a usage error.
	jobs_enqueue noop '{}' --at 1
	assert_match '^(queued|started|finished)$' "$(jobs_status "$JOB")" "status of a job queued --at a past time"
	local rc=0
	jobs_ctl enqueue noop '{}' --at tomorrow >/dev/null 2>&1 || rc=$?
	assert_eq 2 "$rc" "exit status of --at tomorrow"
}

# jobs_delivered ID N WORKER: the job runs its Nth attempt on WORKER.
jobs_delivered() {
	[[ $(jobs_status "$1") == started && $(jobs_field "$1" attempts) == "$2" && $(jobs_field "$1" worker) == "$3" ]]
}

test_jobs_a_job_that_keeps_killing_its_worker_ends_in_the_failed_registry() {
	stop_for_test job-worker
	jobs_reset
	local opts=(-o WORKER_HEARTBEAT_MS=200 -o WORKER_TIMEOUT_MS=1000 -o JOB_MAX_ATTEMPTS=2)
	jobs_enqueue noop '{"sleep_ms":10000}'
	local job=$JOB n
	# Two deliveries, each ended by killing the worker that holds the job.
	for n in 1 2; do
		jobs_worker "k$n" "${opts[@]}"
		wait_until 5 jobs_delivered "$job" "$n" "$WORKER_ID" ||
			fail "delivery $n did not start (status $(jobs_status "$job"), attempts $(jobs_field "$job" attempts))"
		kill -KILL "$WORKER_PID"
	done
	# A third worker reaps the second: the job has had its JOB_MAX_ATTEMPTS.
	jobs_worker k3 "${opts[@]}"
	wait_until 5 jobs_is failed "$job" || fail "the job is [$(jobs_status "$job")], not failed"
	assert_match "stopped answering during attempt 2" "$(jobs_field "$job" error)" "the recorded error"
	jobs_ctl failed --json | jq -e --arg id "$job" 'any(.[]; .id == $id)' >/dev/null || fail "jobctl failed does not list it"
	assert_logged k3 "returned 0 job(s) to the head of their queue, 1 to the failed registry"
}

test_jobs_unreachable_redis_costs_no_cpu_and_sigterm_still_works() {
	# A connect that fails at once (a broadcast address) reports the error
	# synchronously: the worker must wait a second between tries, not spin.
	"$bin/job-worker" -c "$config" -o LOG_DIR="$scratch/unreach" -o LOG_STDERR=false \
		-o REDIS_URL=redis://255.255.255.255:6379/0 </dev/null >/dev/null 2>"$scratch/unreach.stderr" &
	local pid=$!
	test_pids+=("$pid")
	sleep 3
	local ticks
	ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	((ticks < 100)) || fail "job-worker used $ticks CPU ticks in 3 s with Redis unreachable"
	kill -TERM "$pid"
	jobs_wait_exit "$pid" 5
	assert_eq 0 "$EXIT_STATUS" "exit status after SIGTERM with Redis unreachable"
}

# jobs_cpu_ticks PID: the user and system CPU ticks the process has used.
jobs_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

test_jobs_a_wait_that_redis_refuses_costs_no_cpu() {
	stop_for_test job-worker
	jobs_reset
	# A wake key of another type makes every BLPOP fail at once (WRONGTYPE),
	# as a Redis before 6.0 refuses the fractional timeout, while fetches
	# work: the idle worker must not loop fetch and BLPOP at full speed.
	local wake
	wake=$(jobs_key wake)
	at_exit "redis-cli -p $REDIS_PORT DEL $wake"
	stack_redis DEL "$wake" >/dev/null
	stack_redis SET "$wake" not-a-list >/dev/null
	jobs_worker w1
	local pid=$WORKER_PID ticks
	ticks=$(jobs_cpu_ticks "$pid")
	sleep 3
	ticks=$(($(jobs_cpu_ticks "$pid") - ticks))
	((ticks < 15)) || fail "job-worker used $ticks CPU ticks in 3 s while Redis refused its wait"
	assert_logged w1 "Redis refused the wait for jobs (WRONGTYPE"
	assert_eq 1 "$(grep -c 'Redis refused the wait' "$scratch/w1/app.log")" "log lines of the refused wait"
	# Once the wait works again, so do the worker's wake-ups.
	stack_redis DEL "$wake" >/dev/null
	jobs_enqueue noop '{}'
	wait_until 3 jobs_is finished "$JOB" || fail "a job queued after the wait came back is [$(jobs_status "$JOB")]"
	wait_until 7 jobs_logged w1 "Redis takes the wait for jobs again" || fail "no log line for the wait coming back"
	jobs_enqueue noop '{}'
	wait_until 1 jobs_is finished "$JOB" || fail "a job queued to an idle worker waited: [$(jobs_status "$JOB")]"
}

test_jobs_a_fetch_whose_reply_is_lost_is_released() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o REDIS_TIMEOUT_MS=300
	local pid=$WORKER_PID
	jobs_enqueue noop '{}' --in 2
	local job=$JOB
	# Redis hangs while the job comes due: the worker's fetch times out and
	# its connection is dropped, but Redis runs the fetch once it resumes,
	# and the reply goes nowhere. The worker must give that job back.
	pause_redis
	sleep 5
	resume_redis
	wait_until 8 jobs_is finished "$job" || fail "a job taken by a fetch whose reply was lost stayed $(jobs_status "$job")"
	jobs_alive "$pid" || fail "the worker died"
	assert_eq 1 "$(jobs_field "$job" attempts)" "attempts of the released job"
}

test_jobs_a_job_left_in_a_live_workers_list_runs_soon() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o WORKER_HEARTBEAT_MS=200 -o WORKER_TIMEOUT_MS=1000
	local list
	list=$(jobs_key "worker:$WORKER_ID:jobs")
	jobs_enqueue noop '{"sleep_ms":1500}'
	local running=$JOB
	wait_until 5 jobs_is started "$running" || fail "the job did not start"
	# What a fetch whose reply was lost leaves when Redis runs it late: a job
	# started by this live worker, in its list, with a token the worker never
	# learned (fetch number 1, long sent); and an id whose record is gone.
	jobs_enqueue noop '{}' --in 600
	local orphan=$JOB ghost=00000000-0000-4000-8000-00000000dead
	stack_redis EVAL "local P = 'usersuite:jobs:'
		local t = redis.call('TIME')
		redis.call('ZREM', P .. 'scheduled', ARGV[1])
		redis.call('HSET', P .. 'job:' .. ARGV[1], 'status', 'started', 'attempts', 1,
			'started_at', t[1] * 1000, 'worker', ARGV[2], 'token', '1-lost-reply')
		redis.call('RPUSH', P .. 'worker:' .. ARGV[2] .. ':jobs', ARGV[1], ARGV[3])" 0 "$orphan" "$WORKER_ID" "$ghost" >/dev/null
	wait_until 3 jobs_is finished "$orphan" || fail "the job left in the worker's list is [$(jobs_status "$orphan")]"
	assert_eq 1 "$(jobs_field "$orphan" attempts)" "attempts of the job left in the list"
	assert_eq "$WORKER_ID" "$(jobs_field "$orphan" worker)" "the worker that ran it"
	assert_logged w1 "returned 1 job(s) that this worker held in Redis but did not run to the head of their queue"
	# The job the worker runs is left alone, heartbeat after heartbeat.
	assert_eq started "$(jobs_status "$running")" "status of the running job"
	assert_eq "$running" "$(stack_redis LRANGE "$list" 0 -1)" "the worker's list: the running job only"
	wait_until 3 jobs_is finished "$running" || fail "the running job is [$(jobs_status "$running")]"
	assert_eq 1 "$(jobs_field "$running" attempts)" "attempts of the running job"
	assert_eq 1 "$(grep -c "job $running started" "$scratch/w1/app.log")" "runs of the running job"
}

test_jobs_a_report_whose_reply_was_lost_is_known_as_recorded() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o REDIS_TIMEOUT_MS=300 -o JOB_MAX_ATTEMPTS=1
	jobs_enqueue noop '{"sleep_ms":500}'
	local ok=$JOB
	jobs_enqueue noop '{"sleep_ms":500,"fail":"boom"}'
	local bad=$JOB
	wait_until 5 jobs_is started "$ok" "$bad" || fail "the jobs did not start"
	# Both end while Redis hangs: their reports time out, Redis runs them
	# once it resumes and the replies go nowhere. Sent again, they find the
	# outcome recorded by the same token, not the job taken over.
	pause_redis
	sleep 2
	resume_redis
	wait_until 5 jobs_is finished "$ok" || fail "the job that ended while Redis hung is [$(jobs_status "$ok")]"
	wait_until 5 jobs_is failed "$bad" || fail "the job that failed while Redis hung is [$(jobs_status "$bad")]"
	wait_until 5 jobs_logged w1 "job $ok (noop) finished in" || fail "no finished line"
	wait_until 5 jobs_logged w1 "job $bad (noop) failed in" || fail "no failed line"
	grep -F "job $ok (noop) finished in" "$scratch/w1/app.log" |
		grep -qF "; recorded already, by the report whose reply was lost" || fail "finished line: $(grep -F "job $ok" "$scratch/w1/app.log")"
	grep -F "job $bad (noop) failed in" "$scratch/w1/app.log" |
		grep -qF "boom; recorded already, by the report whose reply was lost" || fail "failed line: $(grep -F "job $bad" "$scratch/w1/app.log")"
	! jobs_logged w1 "no longer this worker's" || fail "a recorded report was logged as taken over"
	assert_eq 1 "$(jobs_field "$ok" attempts)" "attempts of the finished job"
	assert_eq boom "$(jobs_field "$bad" error)" "error of the failed job"
}

# ---- 5. SIGTERM

test_jobs_sigterm_lets_the_running_job_finish_and_exits_0() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1
	local pid=$WORKER_PID
	jobs_enqueue noop '{"sleep_ms":1000}'
	local job=$JOB
	wait_until 5 jobs_is started "$job" || fail "the job did not start"
	kill -TERM "$pid"
	sleep 0.2
	# A job queued now is not taken: the worker fetches no more.
	jobs_enqueue noop '{}'
	local later=$JOB
	jobs_wait_exit "$pid" 5
	assert_eq 0 "$EXIT_STATUS" "exit status after SIGTERM"
	assert_eq finished "$(jobs_status "$job")" "status of the running job"
	assert_eq 1 "$(jobs_field "$job" attempts)" "attempts of the running job"
	assert_eq queued "$(jobs_status "$later")" "status of the job queued during the drain"
	assert_eq 0 "$(jobs_field "$later" attempts)" "attempts of the job queued during the drain"
	assert_logged w1 "SIGTERM: taking no new work; finishing 1 in-flight job(s)"
	assert_logged w1 "job $job (noop) finished"
	assert_logged w1 "drained; exiting"
	assert_eq "" "$(stack_redis ZSCORE "$(jobs_key workers)" "$WORKER_ID")" "heartbeat of the stopped worker"
}

test_jobs_sigterm_past_shutdown_timeout_returns_the_job_to_the_head_of_its_queue() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o SHUTDOWN_TIMEOUT=1 -o WORKER_CONCURRENCY=1
	local pid=$WORKER_PID
	jobs_enqueue noop '{"sleep_ms":10000}'
	local long=$JOB
	wait_until 5 jobs_is started "$long" || fail "the job did not start"
	jobs_enqueue noop '{}'
	local other=$JOB
	assert_eq "$other" "$(jobs_queue default)" "queue default while the worker is busy"
	local t0
	t0=$(now_ms)
	kill -TERM "$pid"
	jobs_wait_exit "$pid" 5
	local took=$(($(now_ms) - t0))
	assert_eq 0 "$EXIT_STATUS" "exit status"
	((took >= 900 && took < 3000)) || fail "exited $took ms after SIGTERM with SHUTDOWN_TIMEOUT=1"
	assert_eq "$long $other" "$(jobs_queue default)" "queue default: the returned job first"
	assert_eq queued "$(jobs_status "$long")" "status of the returned job"
	assert_eq 0 "$(jobs_field "$long" attempts)" "attempts of the returned job"
	assert_eq 0 "$(stack_redis EXISTS "$(jobs_key "worker:$WORKER_ID:jobs")")" "the stopped worker's job list"
	assert_logged w1 "SHUTDOWN_TIMEOUT passed with 1 job(s) still running"
	assert_logged w1 "returned 1 unfinished job(s) to the head of their queue"
	! jobs_logged w1 "job $long (noop) finished" || fail "the long job finished"
	# The next worker takes it first, from attempt 1.
	jobs_worker w2 -o WORKER_CONCURRENCY=1
	wait_until 5 jobs_is started "$long" || fail "the returned job was not taken again"
	assert_eq 1 "$(jobs_field "$long" attempts)" "attempts when taken again"
	assert_eq "$other" "$(jobs_queue default)" "queue default after the next worker took the returned job"
}

test_jobs_second_sigterm_returns_the_job_at_once() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o SHUTDOWN_TIMEOUT=30
	local pid=$WORKER_PID
	jobs_enqueue noop '{"sleep_ms":10000}'
	local job=$JOB
	wait_until 5 jobs_is started "$job" || fail "the job did not start"
	kill -TERM "$pid"
	wait_until 2 jobs_logged w1 "SIGTERM: taking no new work" || fail "no log line for the first SIGTERM"
	sleep 0.3
	jobs_alive "$pid" || fail "the worker exited on the first SIGTERM with a job running"
	local t0
	t0=$(now_ms)
	kill -TERM "$pid"
	jobs_wait_exit "$pid" 3
	local took=$(($(now_ms) - t0))
	assert_eq 0 "$EXIT_STATUS" "exit status"
	((took < 1500)) || fail "exited $took ms after the second SIGTERM"
	assert_eq "$job" "$(jobs_queue default)" "queue default"
	assert_eq queued "$(jobs_status "$job")" "status of the returned job"
	assert_eq 0 "$(jobs_field "$job" attempts)" "attempts of the returned job"
	assert_logged w1 "SIGTERM again: exiting now with 1 job(s) unfinished"
	assert_logged w1 "returned 1 unfinished job(s) to the head of their queue"
}

# ---- 6. Redis going away and coming back

test_jobs_worker_carries_on_after_redis_restarts_and_hangs() {
	stop_for_test job-worker
	at_exit "\"$stack\" start redis"
	jobs_reset
	jobs_worker w1 -o WORKER_HEARTBEAT_MS=200
	local pid=$WORKER_PID
	jobs_enqueue noop '{}'
	wait_until 5 jobs_is finished "$JOB" || fail "the first job did not finish"
	# A restart (the stack's Redis keeps no data) while a job runs.
	jobs_enqueue noop '{"sleep_ms":1500}'
	wait_until 5 jobs_is started "$JOB" || fail "the job did not start"
	"$stack" stop redis
	local rc=0
	jobs_ctl stats >/dev/null 2>&1 || rc=$?
	assert_eq 69 "$rc" "jobctl stats while Redis is stopped"
	wait_until 5 jobs_logged w1 "Redis failed while" || fail "the worker did not notice Redis had gone"
	"$stack" start redis
	wait_until 10 jobs_logged w1 "Redis answers again" || fail "the worker did not notice Redis came back"
	jobs_alive "$pid" || fail "the worker died"
	jobs_enqueue noop '{}'
	local after=$JOB
	wait_until 5 jobs_is finished "$after" || fail "a job queued after the restart did not run: $(jobs_status "$after")"
	assert_eq "$WORKER_ID" "$(jobs_field "$after" worker)" "the worker of the job after the restart"
	heartbeat_back() { [[ -n $(stack_redis ZSCORE "$(jobs_key workers)" "$WORKER_ID") ]]; }
	wait_until 3 heartbeat_back || fail "the worker's heartbeat is not back"
	# A hang (SIGSTOP) while a job runs: its outcome waits for Redis, then counts.
	jobs_enqueue noop '{"sleep_ms":500}'
	local hung=$JOB
	wait_until 5 jobs_is started "$hung" || fail "the job did not start"
	pause_redis
	sleep 1.5
	resume_redis
	wait_until 5 jobs_is finished "$hung" || fail "the job that ended while Redis hung is [$(jobs_status "$hung")]"
	assert_eq 1 "$(jobs_field "$hung" attempts)" "attempts of the job that ended while Redis hung"
	jobs_enqueue noop '{}'
	wait_until 5 jobs_is finished "$JOB" || fail "a job queued after the hang did not run"
	jobs_alive "$pid" || fail "the worker died"
	grep -q "Redis failed while" "$scratch/w1/error.log" || fail "no error line for the outage"
}

# ---- 7. many jobs, two workers, none twice

test_jobs_1000_jobs_through_two_workers_each_once() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1
	jobs_worker w2
	jobs_ctl enqueue noop '{}' --count 1000 --json >"$scratch/enq" || fail "enqueue --count 1000 exited $?"
	local ids=()
	mapfile -t ids < <(jq -r '.ids[]' "$scratch/enq")
	assert_eq 1000 "${#ids[@]}" "ids printed"
	assert_eq 1000 "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" "distinct ids"
	local script="local f, once = 0, 0
		for _, id in ipairs(ARGV) do
			local h = redis.call('HMGET', 'usersuite:jobs:job:' .. id, 'status', 'attempts')
			if h[1] == 'finished' then f = f + 1 end
			if h[2] == '1' then once = once + 1 end
		end
		return {f, once}"
	all_finished() { [[ $(stack_redis EVAL "$script" 0 "${ids[@]}" | head -n1) == 1000 ]]; }
	wait_until 30 all_finished || fail "finished: $(stack_redis EVAL "$script" 0 "${ids[@]}" | head -n1) of 1000"
	assert_eq $'1000\n1000' "$(stack_redis EVAL "$script" 0 "${ids[@]}")" "finished, and with attempts 1"
	# Each started exactly once, by one of the two, as their logs say.
	cat "$scratch/w1/app.log" "$scratch/w2/app.log" | grep -oE 'job [0-9a-f-]{36} started' | awk '{print $2}' |
		sort | uniq -c | awk '{print $1}' | sort | uniq -c | sed 's/^ *//' >"$scratch/runs"
	assert_eq "1000 1" "$(cat "$scratch/runs")" "(jobs, starts per job) in the logs"
	cat "$scratch/w1/app.log" "$scratch/w2/app.log" | grep -oE 'job [0-9a-f-]{36} started' | awk '{print $2}' |
		sort >"$scratch/started"
	printf '%s\n' "${ids[@]}" | sort | cmp -s - "$scratch/started" || fail "the logged jobs are not the queued ones"
	local n1 n2
	n1=$(grep -c ' started: noop' "$scratch/w1/app.log" || true)
	n2=$(grep -c ' started: noop' "$scratch/w2/app.log" || true)
	((n1 > 0 && n2 > 0)) || fail "one worker did all the work: $n1 and $n2"
	assert_eq 1000 "$(cat "$scratch/w1/app.log" "$scratch/w2/app.log" | grep -c '(noop) finished in')" "finished lines"
	assert_eq '{"default":0,"high":0,"low":0}' "$(jobs_ctl stats --json | jq -cS .queued)" "queues afterwards"
}

# ---- 8. the welcome e-mail of register

# jobs_mail_for EMAIL: the spooled message addressed to EMAIL.
jobs_mail_for() { grep -lF -- "<$1>" "$STACK_DIR/mail"/*.eml 2>/dev/null | head -n1 | grep .; }

test_jobs_register_spools_a_welcome_message_within_5s() {
	local email name rid
	email=$(new_email)
	name="Zoë Jobs $RANDOM"
	rid=jobs-register-$RANDOM$RANDOM
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' -H "X-Request-ID: $rid" \
		--data-binary "$(json_object email "$email" password "$(new_password)" name "$name")"
	assert_status 201
	assert_header X-Request-ID "$rid"
	wait_until 5 jobs_mail_for "$email" || fail "no message for $email in $STACK_DIR/mail within 5 s"
	local file
	file=$(jobs_mail_for "$email")
	sed -n '1,/^$/p' "$file" >"$scratch/head"
	sed '1,/^$/d' "$file" >"$scratch/text"
	grep -qE "^To: .*<$email>\$" "$scratch/head" || fail "no To: for $email: $(cat "$scratch/head")"
	grep -qE '^Subject: .+' "$scratch/head" || fail "no Subject:"
	grep -qE '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000$' \
		"$scratch/head" || fail "no RFC 5322 Date: $(cat "$scratch/head")"
	grep -qE '^Message-ID: <[^<>@ ]+@[^<>@ ]+>$' "$scratch/head" || fail "no Message-ID:"
	grep -qE '^From: .+' "$scratch/head" || fail "no From:"
	grep -qi '^Content-Type: text/plain; charset=UTF-8$' "$scratch/head" || fail "no UTF-8 Content-Type"
	grep -qF -- "$name" "$scratch/text" || fail "the name is not in the body: $(cat "$scratch/text")"
	grep -qF -- "$email" "$scratch/text" || fail "the address is not in the body"
	# The request id follows the job: auth-api's line names the job, the worker's lines carry the id.
	local job
	job=$(grep -F "[RequestID: $rid]" "$logs/app.log" | sed -n 's/.*queued as job \([0-9a-f-]\{36\}\).*/\1/p' | head -n1)
	assert_match "$uuid_re" "$job" "the job id in auth-api's log"
	wait_until 3 grep -qF "job-worker.worker - INFO - [RequestID: $rid] - job $job (send_email) finished" "$logs/app.log" ||
		fail "no finished line of the worker for the job with the request id"
	grep -qF "job-worker.worker - INFO - [RequestID: $rid] - job $job started: send_email from default, attempt 1" \
		"$logs/app.log" || fail "no started line of the worker with the request id"
	jobs_json "$job"
	assert_eq finished "$(jq -r .status "$scratch/job.json")" "status"
	assert_eq "$rid" "$(jq -r .request_id "$scratch/job.json")" "request_id of the job"
	assert_eq "$email" "$(jq -r .result.to "$scratch/job.json")" "result.to"
	assert_eq "Message-ID: $(jq -r .result.message_id "$scratch/job.json")" "$(grep '^Message-ID:' "$scratch/head")" \
		"the Message-ID in the result and the file"
}

# ---- 9. jobs that cannot run

test_jobs_unknown_type_and_bad_arguments_fail_for_good_and_the_worker_carries_on() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o JOB_MAX_ATTEMPTS=5 -o JOB_RETRY_DELAY_MS=100
	local unknown sleep_x no_to
	jobs_enqueue no_such_type '{}'
	unknown=$JOB
	jobs_enqueue noop '{"sleep_ms":"x"}'
	sleep_x=$JOB
	jobs_enqueue send_email '{"subject":"s","body":"b"}'
	no_to=$JOB
	jobs_enqueue noop '{}'
	local good=$JOB
	wait_until 5 jobs_is finished "$good" || fail "the noop after the bad jobs did not finish"
	wait_until 2 jobs_is failed "$unknown" "$sleep_x" "$no_to" || fail "the bad jobs are not failed"
	local id
	for id in "$unknown" "$sleep_x" "$no_to"; do
		jobs_json "$id"
		assert_eq failed "$(jq -r .status "$scratch/job.json")" "status of $id"
		assert_eq 1 "$(jq -r .attempts "$scratch/job.json")" "attempts of $id"
		assert_eq 1 "$(grep -c "job $id started" "$scratch/w1/app.log")" "runs of $id"
	done
	assert_eq 'unknown job type "no_such_type"' "$(jobs_ctl status --json "$unknown" | jq -r .error)" "error of the unknown type"
	assert_match 'bad arguments: sleep_ms' "$(jobs_ctl status --json "$sleep_x" | jq -r .error)" "error of sleep_ms x"
	assert_match 'bad arguments: to' "$(jobs_ctl status --json "$no_to" | jq -r .error)" "error of send_email without to"
	assert_eq "$(printf '%s\n' "$unknown" "$sleep_x" "$no_to" | sort)" "$(jobs_ctl failed --json | jq -r '.[].id' | sort)" \
		"the failed registry"
	assert_logged w1 "job $unknown (no_such_type) failed"
	grep -F "job $unknown (no_such_type) failed" "$scratch/w1/app.log" | grep -qF "moved to the failed registry" ||
		fail "the unknown type was not moved to the failed registry at once"
	jobs_alive "$WORKER_PID" || fail "the worker died"
	jobs_enqueue noop '{"sleep_ms":10}'
	wait_until 5 jobs_is finished "$JOB" || fail "a later noop did not finish"
}

# ---- 10. jobctl as a shell tool

# jobs_expect STATUS COMMAND...: the command exits STATUS.
jobs_expect() {
	local want=$1 rc=0
	shift
	"$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
	[[ $rc == "$want" ]] || fail "$* exited $rc, not $want: $(cat "$scratch/err")"
}

test_jobs_jobctl_help_exit_statuses_and_json() {
	jobs_reset
	jobs_expect 0 "$bin/jobctl" --help
	local c
	for c in enqueue status stats workers failed requeue purge; do
		grep -qE "^  $c( |$)" "$scratch/out" || fail "--help does not describe $c"
	done
	grep -q 'exit status' "$scratch/out" || fail "--help does not give the exit statuses"
	jobs_expect 0 "$bin/jobctl" -V
	# Usage errors: 2, and a usage line.
	jobs_expect 2 jobs_ctl
	grep -q '^usage: jobctl' "$scratch/err" || fail "no usage line: $(cat "$scratch/err")"
	jobs_expect 2 jobs_ctl frobnicate
	jobs_expect 2 jobs_ctl enqueue noop '{bad'
	jobs_expect 2 jobs_ctl enqueue noop '[]'
	jobs_expect 2 jobs_ctl enqueue noop
	jobs_expect 2 jobs_ctl enqueue 'No-Such' '{}'
	jobs_expect 2 jobs_ctl enqueue noop '{}' --queue urgent
	jobs_expect 2 jobs_ctl enqueue noop '{}' --in -1
	jobs_expect 2 jobs_ctl enqueue noop '{}' --in soon
	jobs_expect 2 jobs_ctl enqueue noop '{}' --count 0
	jobs_expect 2 jobs_ctl stats --queue high
	jobs_expect 2 jobs_ctl status
	jobs_expect 2 jobs_ctl requeue
	jobs_expect 2 jobs_ctl purge everything
	jobs_expect 2 jobs_ctl --bogus stats
	jobs_expect 2 jobs_ctl workers extra
	jobs_expect 2 jobs_ctl workers --host ''
	jobs_expect 2 jobs_ctl stats --host "$(hostname)"
	assert_eq 0 "$(jobs_ctl stats --json | jq '[.queued[]] | add')" "jobs queued by the usage errors"
	# No such job: 1.
	jobs_expect 1 jobs_ctl status 00000000-0000-4000-8000-000000000000
	assert_match 'no job' "$(cat "$scratch/err")" "stderr"
	# Redis unreachable: 69; a bad configuration value: 78.
	for c in stats workers failed "status x" "enqueue noop {}" "requeue --all" "purge low"; do
		# shellcheck disable=SC2086
		jobs_expect 69 jobs_ctl -o REDIS_URL=redis://127.0.0.1:1/0 $c
	done
	jobs_expect 78 jobs_ctl -o REDIS_TIMEOUT_MS=abc stats
	grep -q 'REDIS_TIMEOUT_MS' "$scratch/err" || fail "the config error does not name the key"
	jobs_expect 78 jobs_ctl -o REDIS_URL=http://x stats
	# --json: one document that jq reads.
	jobs_expect 0 jobs_ctl enqueue noop '{"sleep_ms":1}' --queue low --in 60 --json
	jq -e '(.id | test("^[0-9a-f-]{36}$")) and .type == "noop" and .queue == "low" and .status == "scheduled"' \
		"$scratch/out" >/dev/null || fail "enqueue --json: $(cat "$scratch/out")"
	local id
	id=$(jq -r .id "$scratch/out")
	jobs_expect 0 jobs_ctl enqueue noop '{}' --in 60 --count 3 --json
	jq -e '(.ids | length) == 3 and .status == "scheduled"' "$scratch/out" >/dev/null || fail "enqueue --count --json"
	jobs_expect 0 jobs_ctl status --json "$id"
	jq -e '.id == $id and .status == "scheduled" and .attempts == 0 and .args == {"sleep_ms":1} and (.token == null)
		and (.run_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))' --arg id "$id" "$scratch/out" >/dev/null ||
		fail "status --json: $(cat "$scratch/out")"
	jobs_expect 0 jobs_ctl status "$id"
	grep -qx "status: scheduled" "$scratch/out" || fail "status text: $(cat "$scratch/out")"
	jobs_expect 0 jobs_ctl stats --json
	jq -e '(.queued | keys) == ["default","high","low"] and .scheduled == 4 and .failed == 0
		and (.started | type) == "number" and .workers >= 1' "$scratch/out" >/dev/null ||
		fail "stats --json (the stack's worker runs): $(cat "$scratch/out")"
	jobs_expect 0 jobs_ctl stats
	grep -qx 'scheduled: 4' "$scratch/out" || fail "stats text: $(cat "$scratch/out")"
	grep -qE '^workers: [1-9][0-9]*$' "$scratch/out" || fail "stats text: $(cat "$scratch/out")"
	jobs_expect 0 jobs_ctl failed --json
	assert_eq '[]' "$(jq -c . "$scratch/out")" "failed --json"
	jobs_expect 0 jobs_ctl purge scheduled --json
	assert_eq '{"purged":4,"queue":"scheduled"}' "$(jq -cS . "$scratch/out")" "purge --json"
	jobs_expect 1 jobs_ctl status "$id"
}

test_jobs_jobctl_reports_a_corrupt_record() {
	jobs_reset
	jobs_enqueue noop '{}' --in 600
	local job=$JOB
	stack_redis HSET "$(jobs_key "job:$job")" attempts many >/dev/null
	jobs_expect 69 jobs_ctl status --json "$job"
	assert_eq "" "$(cat "$scratch/out")" "stdout of status --json of a corrupt record"
	assert_eq "jobctl: job $job has a corrupt record: attempts is \"many\", not a whole number" "$(cat "$scratch/err")" \
		"stderr of status --json of a corrupt record"
	# Text shows the field as stored.
	jobs_expect 0 jobs_ctl status "$job"
	grep -qx "attempts: many" "$scratch/out" || fail "status text: $(cat "$scratch/out")"
	stack_redis HSET "$(jobs_key "job:$job")" attempts 2x >/dev/null
	# Failed now (ms): a score of 1 is past JOB_FAILED_TTL, and a worker's
	# next reap took the entry away before jobctl looked (a flaky failure).
	stack_redis ZADD "$(jobs_key failed)" "$(date +%s%3N)" "$job" >/dev/null
	jobs_expect 69 jobs_ctl failed --json
	assert_match "job $job has a corrupt record: attempts is \"2x\"" "$(cat "$scratch/err")" "stderr of failed --json"
}

test_jobs_enqueue_count_that_fails_part_way_prints_the_ids_it_queued() {
	stop_for_test job-worker
	jobs_reset
	# Past maxmemory Redis refuses the enqueue script's writes (OOM): the
	# jobs queued until then are printed, and the failure reported.
	local used mode n
	at_exit "redis-cli -p $REDIS_PORT CONFIG SET maxmemory 0"
	for mode in text json; do
		jobs_purge
		used=$(stack_redis INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
		stack_redis CONFIG SET maxmemory $((used + 1000000)) >/dev/null
		local opts=() rc=0
		[[ $mode == json ]] && opts=(--json)
		jobs_ctl enqueue noop '{}' --count 100000 "${opts[@]}" >"$scratch/out" 2>"$scratch/err" || rc=$?
		stack_redis CONFIG SET maxmemory 0 >/dev/null
		assert_eq 69 "$rc" "exit status of enqueue --count past maxmemory ($mode)"
		if [[ $mode == json ]]; then
			jq -e '.type == "noop" and .status == "queued" and .queue == "default"' "$scratch/out" >/dev/null ||
				fail "enqueue --json: $(head -c 300 "$scratch/out")"
			jq -r '.ids[]' "$scratch/out" >"$scratch/ids"
		else
			cp "$scratch/out" "$scratch/ids"
		fi
		n=$(wc -l <"$scratch/ids")
		((n > 0 && n < 100000)) || fail "$n ids printed ($mode)"
		grep -qx "jobctl: $n of 100000 job(s) were queued" "$scratch/err" || fail "stderr ($mode): $(cat "$scratch/err")"
		grep -q "OOM" "$scratch/err" || fail "stderr without the reason ($mode): $(cat "$scratch/err")"
		stack_redis LRANGE "$(jobs_key queue:default)" 0 -1 | cmp -s - "$scratch/ids" ||
			fail "the ids printed ($mode) are not the jobs queued"
	done
}

# ---- 11. a failing sendmail

test_jobs_failing_sendmail_is_a_failed_attempt_and_retried() {
	stop_for_test job-worker
	jobs_reset
	jobs_worker w1 -o SENDMAIL_COMMAND=/bin/false -o JOB_MAX_ATTEMPTS=3 -o JOB_RETRY_DELAY_MS=600
	jobs_enqueue send_email "$(json_object to jobs-false@example.com subject Hi body Hello)"
	local job=$JOB
	attempt_failed() { [[ $(jobs_status "$job") == scheduled && $(jobs_field "$job" attempts) == "$1" ]]; }
	wait_until 5 attempt_failed 1 || fail "no retry scheduled after attempt 1: $(jobs_status "$job")"
	assert_match 'exited with status 1' "$(jobs_field "$job" error)" "error after attempt 1"
	wait_until 5 attempt_failed 2 || fail "no retry scheduled after attempt 2: $(jobs_status "$job")"
	wait_until 5 jobs_is failed "$job" || fail "not failed after 3 attempts: $(jobs_status "$job")"
	jobs_json "$job"
	assert_eq 3 "$(jq -r .attempts "$scratch/job.json")" "attempts"
	assert_eq "sendmail exited with status 1" "$(jq -r .error "$scratch/job.json")" "error"
	assert_logged w1 "(attempt 1 of 3): sendmail exited with status 1; retry in"
	assert_logged w1 "(attempt 2 of 3): sendmail exited with status 1; retry in"
	assert_logged w1 "(attempt 3 of 3): sendmail exited with status 1; moved to the failed registry"
}

# ---- 12. jobctl workers

# jobs_listed [OPTION ...]: jobctl workers, with these options, lists $WORKER_ID.
jobs_listed() { jobs_ctl "$@" workers 2>/dev/null | grep -q "^$WORKER_ID  "; }

test_jobs_jobctl_workers_lists_live_workers_and_drops_a_hung_or_stopped_one() {
	stop_for_test job-worker
	jobs_reset
	local host
	host=$(hostname)
	jobs_worker w1 -o WORKER_HEARTBEAT_MS=200 -o SHUTDOWN_TIMEOUT=1
	local pid=$WORKER_PID
	jobs_enqueue noop '{"sleep_ms":30000}'
	local a=$JOB
	jobs_enqueue noop '{"sleep_ms":30000}'
	wait_until 5 jobs_is started "$a" "$JOB" || fail "the jobs did not start"
	jobs_expect 0 jobs_ctl workers
	grep -qxE "$WORKER_ID  heartbeat [0-9]+ ms ago  2 job\(s\)" "$scratch/out" || fail "workers: $(cat "$scratch/out")"
	assert_eq 1 "$(wc -l <"$scratch/out")" "lines of workers"
	jobs_expect 0 jobs_ctl workers --host "$host" --json
	jq -e --arg id "$WORKER_ID" 'length == 1 and .[0].id == $id and .[0].jobs == 2
		and (.[0].heartbeat_ms_ago | type == "number" and . >= 0 and . < 1000)' "$scratch/out" >/dev/null ||
		fail "workers --json: $(cat "$scratch/out")"
	# --host is a whole host name: nothing found is exit 1, and [] as JSON.
	jobs_expect 1 jobs_ctl workers --host no-such-host
	assert_eq "" "$(cat "$scratch/out")" "stdout of workers of no host"
	assert_eq "jobctl: no live worker on host no-such-host" "$(cat "$scratch/err")" "stderr of workers of no host"
	jobs_expect 1 jobs_ctl workers --host "${host%?}" --json
	assert_eq '[]' "$(jq -c . "$scratch/out")" "workers --json of a host name cut short"
	# A hung worker (SIGSTOP) sends no heartbeat: once its last one is older
	# than WORKER_TIMEOUT_MS it is no longer listed, though not reaped yet.
	kill -STOP "$pid"
	jobs_listed -o WORKER_TIMEOUT_MS=1000 || fail "the worker is not listed just after it hung"
	sleep 1.3
	jobs_expect 1 jobs_ctl -o WORKER_TIMEOUT_MS=1000 workers --host "$host"
	assert_eq "" "$(cat "$scratch/out")" "workers once the hung worker's heartbeat is older than 1 s"
	jobs_expect 0 jobs_ctl workers --json
	jq -e --arg id "$WORKER_ID" '.[] | select(.id == $id) | .heartbeat_ms_ago >= 1000' "$scratch/out" >/dev/null ||
		fail "the hung worker's heartbeat by the default WORKER_TIMEOUT_MS: $(cat "$scratch/out")"
	kill -CONT "$pid"
	wait_until 3 jobs_listed -o WORKER_TIMEOUT_MS=1000 || fail "the worker is not listed again after SIGCONT"
	# A worker stopped with SIGTERM leaves the workers set as it exits.
	kill -TERM "$pid"
	jobs_wait_exit "$pid" 5
	assert_eq 0 "$EXIT_STATUS" "exit status after SIGTERM"
	jobs_expect 1 jobs_ctl workers
	assert_eq "jobctl: no live worker" "$(cat "$scratch/err")" "stderr of workers with none alive"
	jobs_expect 1 jobs_ctl workers --json
	assert_eq '[]' "$(jq -c . "$scratch/out")" "workers --json with none alive"
}
