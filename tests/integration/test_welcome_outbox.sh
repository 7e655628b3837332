# register commits the user and its welcome e-mail job together (the job
# outbox, job_outbox.hpp): a Redis outage delays the e-mail, never loses it,
# and a registration that fails leaves no job behind.

outbox_psql() { pg_super -d usersuite "$@"; }
outbox_rows_for() { outbox_psql -c "SELECT count(*) FROM job_outbox WHERE args::json->>'to' = '$1'"; }
# outbox_mail_for EMAIL: the spooled message addressed to EMAIL.
outbox_mail_for() { grep -lF -- "<$1>" "$STACK_DIR/mail"/*.eml 2>/dev/null | head -n1 | grep .; }

outbox_row_gone() { [[ $(outbox_psql -c "SELECT count(*) FROM job_outbox WHERE job_id = '$1'") == 0 ]]; }

outbox_register() {
	get /api/v1/auth/register -X POST -H 'Content-Type: application/json' -H "X-Request-ID: $2" \
		--data-binary "$(json_object email "$1" password "$(new_password)" name "Outbox $RANDOM")"
}

test_outbox_is_empty_once_register_answers() {
	local email
	email=$(new_email)
	outbox_register "$email" "outbox-ok-$RANDOM"
	assert_status 201
	# The reply waits for the round that moved the row to Redis.
	assert_eq 0 "$(outbox_rows_for "$email")" "outbox rows for $email after the 201"
	wait_until 5 outbox_mail_for "$email" || fail "no message for $email within 5 s"
}

test_register_while_redis_is_stopped_mails_once_redis_is_back() {
	local email rid user_id
	email=$(new_email)
	rid=outbox-down-$RANDOM$RANDOM
	stop_for_test redis
	outbox_register "$email" "$rid"
	assert_status 201
	user_id=$(jqb .id)
	assert_eq 1 "$(outbox_rows_for "$email")" "outbox rows while Redis is stopped"
	assert_eq "send_email|default|$rid|$user_id" \
		"$(outbox_psql -c "SELECT type, queue, request_id, user_id FROM job_outbox WHERE args::json->>'to' = '$email'")" \
		"the outbox row"
	sleep 2 # rounds meanwhile find Redis still away and leave the row
	assert_eq 1 "$(outbox_rows_for "$email")" "outbox rows after 2 s without Redis"
	"$stack" start redis
	wait_until 10 outbox_mail_for "$email" || fail "no message for $email within 10 s of Redis coming back"
	assert_eq 0 "$(outbox_rows_for "$email")" "outbox rows after the e-mail"
	grep -qF "[RequestID: $rid] - send_email job for user $user_id queued as job" "$logs/app.log" ||
		fail "no line of the job's queueing with the request id"
	assert_eq 1 "$(grep -lF -- "<$email>" "$STACK_DIR/mail"/*.eml | wc -l)" "messages for $email"
}

test_duplicate_register_leaves_no_job() {
	local email
	email=$(new_email)
	outbox_register "$email" "outbox-first-$RANDOM"
	assert_status 201
	wait_until 5 outbox_mail_for "$email" || fail "no message for the first registration"
	stop_for_test redis # a job, if any were written, would stay in the outbox
	outbox_register "${email^^}" "outbox-dup-$RANDOM"
	assert_error 409
	assert_eq 0 "$(outbox_rows_for "$email")" "outbox rows after the 409"
	assert_eq 0 "$(outbox_psql -c "SELECT count(*) FROM job_outbox WHERE lower(args::json->>'to') = lower('$email')")" \
		"outbox rows of any case"
}

# A row another process claimed and never finished (it died) is queued
# once the claim runs out; one written by SQL alone is queued by the
# once-a-second round, without a registration.
test_outbox_rows_left_behind_are_queued_by_the_rounds() {
	local email=left-$RANDOM$RANDOM@example.com
	local args
	args=$(jq -cn --arg to "$email" '{to: $to, name: "Left", subject: "Left behind", body: "body"}')
	outbox_psql -c "INSERT INTO job_outbox (type, queue, args, request_id, claimed_until)
		VALUES ('send_email', 'default', '$args', 'outbox-left', now() + interval '2 seconds')"
	sleep 1
	assert_eq 1 "$(outbox_rows_for "$email")" "a claimed row stays while its claim runs"
	wait_until 8 outbox_mail_for "$email" || fail "the row left behind was not mailed"
	assert_eq 0 "$(outbox_rows_for "$email")" "outbox rows afterwards"
}

# A row queued twice (its first reply lost to a timeout, or a process gone
# between queueing and deleting it) is one job: the row carries the job's
# id, and Redis adds nothing for an id it holds.
test_outbox_row_queued_twice_is_one_job() {
	stop_for_test job-worker # the job stays queued, where it can be counted
	local job_id before args
	args=$(jq -cn '{to: "twice@example.com", name: "Twice", subject: "s", body: "b"}')
	job_id=$(outbox_psql -c "SELECT gen_random_uuid()")
	before=$("$bin/jobctl" -c "$config" --json stats | jq .queued.default)
	local i
	for i in 1 2; do
		outbox_psql -c "INSERT INTO job_outbox (job_id, type, queue, args, request_id)
			VALUES ('$job_id', 'send_email', 'default', '$args', 'outbox-twice-$i')"
		wait_until 5 outbox_row_gone "$job_id" || fail "row $i was not moved to Redis"
	done
	assert_eq queued "$("$bin/jobctl" -c "$config" --json status "$job_id" | jq -r .status)" "the job"
	assert_eq "$((before + 1))" "$("$bin/jobctl" -c "$config" --json stats | jq .queued.default)" "jobs queued on default"
	assert_eq outbox-twice-1 "$("$bin/jobctl" -c "$config" --json status "$job_id" | jq -r .request_id)" "the first queueing kept"
}
