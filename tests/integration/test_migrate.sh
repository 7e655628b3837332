# migrate against the stack's PostgreSQL: each test has a database of its
# own (create_test_database) and, when it needs custom migrations, a
# directory of its own under $scratch. migrate runs with an empty
# environment and an empty config file, so nothing stray is read.

# The key of the migration lock, and its halves as pg_locks shows them.
lock_key=8463219666997045620
lock_classid=$((lock_key >> 32))
lock_objid=$((lock_key & 0xffffffff))

# ---- helpers

# new_migrations: an empty migrations directory for the test, as $mdir.
new_migrations() {
	mdir=$scratch/sql/migrations
	rm -rf "$mdir"
	mkdir -p "$mdir"
}

# migration N NAME UP-SQL [DOWN-SQL]: writes NNNN_NAME.up.sql and .down.sql.
migration() {
	local stem
	stem=$(printf '%04d_%s' "$1" "$2")
	printf '%s\n' "$3" >"$mdir/$stem.up.sql"
	printf '%s\n' "${4:-SELECT 1;}" >"$mdir/$stem.down.sql"
}

# mig ARGS...: migrate on the test's database and directory, nothing else.
mig() {
	: >"$scratch/empty.env"
	env -i PATH="$PATH" "$bin/migrate" -c "$scratch/empty.env" -d "$TEST_DB_URL" --dir "$mdir" "$@"
}

# run_mig ARGS...: sets rc; the output in $scratch/out and $scratch/err.
run_mig() {
	rc=0
	mig "$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
}
out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }

# expect N ARGS...: runs migrate ARGS and fails unless it exits N.
expect() {
	local want=$1
	shift
	run_mig "$@"
	[[ $rc == "$want" ]] || fail "migrate $*: exit $rc, expected $want
stdout: $(out)
stderr: $(err)"
}

assert_contains() { [[ $2 == *"$1"* ]] || fail "${3:-output}: [$2] does not contain [$1]"; }
assert_lacks() { [[ $2 != *"$1"* ]] || fail "${3:-output}: [$2] should not contain [$1]"; }

# q SQL: one query on the test's database as the superuser.
q() { pg_super -d "$TEST_DB" -c "$1"; }
# versions: schema_migrations as "1:applied 2:failed", "" if empty, "none" if absent.
versions() {
	if [[ $(q "SELECT to_regclass('schema_migrations') IS NULL") == t ]]; then
		echo none
		return
	fi
	q "SELECT coalesce(string_agg(version || ':' || status, ' ' ORDER BY version), '') FROM schema_migrations"
}
# tables: the public tables, sorted, space-separated.
tables() {
	q "SELECT coalesce(string_agg(relname, ' ' ORDER BY relname), '') FROM pg_class
	   WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
}
current() {
	mig current
}
assert_current() { assert_eq "$1" "$(current)" "migrate current"; }
assert_tables() { assert_eq "$1" "$(tables)" "tables"; }
assert_versions() { assert_eq "$1" "$(versions)" "schema_migrations"; }

# lock_holders: backend pids holding the migration lock in the test's database.
lock_holders() {
	q "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
	   AND classid = $lock_classid AND objid = $lock_objid
	   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
lock_taken() { [[ -n $(lock_holders) ]]; }

# hold_lock [DB]: a psql session of the test's own takes the migration lock
# in DB (default the test's) and keeps it; sets holder_pid, its backend, and
# holder_client, the psql process. release_lock ends that session.
hold_lock() {
	local db=${1:-$TEST_DB}
	pg_super -d "$db" -c "SELECT pg_advisory_lock($lock_key)" -c "SELECT pg_sleep(100)" >/dev/null 2>&1 &
	holder_client=$!
	test_pids+=("$holder_client")
	if [[ $db == "$TEST_DB" ]]; then
		wait_until 10 lock_taken || fail "the test's psql did not get the migration lock"
		holder_pid=$(lock_holders)
	fi
}
release_lock() {
	q "SELECT pg_terminate_backend($holder_pid)" >/dev/null
	wait "$holder_client" 2>/dev/null || true
}

# start_mig NAME ARGS...: migrate in the background, output in
# $scratch/NAME.out and .err; its pid in pids[NAME].
declare -A pids
start_mig() {
	local name=$1
	shift
	mig "$@" >"$scratch/$name.out" 2>"$scratch/$name.err" &
	pids[$name]=$!
	test_pids+=("$!")
}
# finish_mig NAME: waits for it; sets rc.
finish_mig() {
	rc=0
	wait "${pids[$1]}" || rc=$?
}
running() { kill -0 "${pids[$1]}" 2>/dev/null; }
err_of() { cat "$scratch/$1.err"; }
out_of() { cat "$scratch/$1.out"; }
err_has() { grep -qF -- "$2" "$scratch/$1.err"; }

# schema_dump: pg_dump --schema-only of the test's database, without the
# per-run \restrict keys.
schema_dump() {
	pg_dump --schema-only -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$TEST_DB" | grep -Ev '^\\(un)?restrict '
}

# Three migrations, each table its own.
three_migrations() {
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	migration 2 b 'CREATE TABLE b (x int);' 'DROP TABLE b;'
	migration 3 c 'CREATE TABLE c (x int);' 'DROP TABLE c;'
}

# all_wait_for PID N: migrators m1..mN all said they wait for PID.
all_wait_for() {
	local i
	for ((i = 1; i <= $2; i++)); do
		err_has "m$i" "waiting for the migration lock, held by PostgreSQL backend pid $1" || return 1
	done
}
# writer_of_t: the backend with a write on table t, if any.
writer_of_t() {
	local pid
	pid=$(q "SELECT pid FROM pg_locks WHERE relation = 't'::regclass AND mode = 'RowExclusiveLock' AND granted")
	[[ -n $pid ]] && echo "$pid"
}
# index_build_waits: a migrate's CREATE INDEX CONCURRENTLY t_a_idx waits on a lock.
index_build_waits() {
	[[ $(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	        AND application_name = 'migrate' AND query LIKE '%CREATE INDEX CONCURRENTLY t_a_idx%'
	        AND wait_event_type = 'Lock'") == 1 ]]
}
# locks_held_anywhere N: N sessions, in any database, hold the migration key.
locks_held_anywhere() {
	[[ $(pg_super -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
	                  AND classid = $lock_classid AND objid = $lock_objid") == "$1" ]]
}
# m ARGS...: a command with an empty environment.
m() { env -i PATH="$PATH" "$@"; }
# expect_78 ARGS...: the command exits 78 with a configuration message.
expect_78() {
	rc=0
	m "$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
	assert_eq 78 "$rc" "exit status of $* ($(err))"
	assert_match '^migrate: config: ' "$(err)"
}

# ---- 1. round trip

test_up_down_up_round_trip_leaves_the_same_schema() {
	create_test_database
	mdir=$repo/sql/migrations
	local head
	head=$(basename "$(find "$mdir" -name '*.up.sql' | sort | tail -n1)" .up.sql)
	expect 0 up
	assert_contains "now at $head" "$(out)"
	assert_current "$head"
	expect 0 check
	schema_dump >"$scratch/first.sql"
	grep -q 'CREATE TABLE public.users' "$scratch/first.sql" || fail "no users table after up"

	expect 0 down base
	assert_contains "now at base" "$(out)"
	assert_current base
	assert_tables schema_migrations
	assert_versions ""
	assert_eq 0 "$(q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace")" "functions left"
	assert_eq 0 "$(q "SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace
	                  AND typname NOT LIKE '%schema_migrations'")" "types left"

	expect 0 up
	expect 0 check
	schema_dump >"$scratch/second.sql"
	diff -u "$scratch/first.sql" "$scratch/second.sql" >"$scratch/diff" ||
		fail "the schema after up/down/up differs: $(cat "$scratch/diff")"
	# And down one step at a time back to base, and up again: the same too.
	local n
	n=$(find "$mdir" -name '*.up.sql' | wc -l)
	for ((; n > 0; n--)); do expect 0 down; done
	assert_current base
	expect 0 up
	schema_dump >"$scratch/third.sql"
	diff -u "$scratch/first.sql" "$scratch/third.sql" >"$scratch/diff" ||
		fail "the schema after step-wise down and up differs: $(cat "$scratch/diff")"
}

# ---- 2. the shipped migrations against sql/schema.sql, and drift

test_shipped_migrations_agree_with_schema_sql_and_check_detects_drift() {
	create_test_database
	mdir=$repo/sql/migrations
	expect 1 check
	assert_contains "differs from $repo/sql/schema.sql" "$(out)"
	expect 0 up
	run_mig check
	[[ $rc == 0 ]] || fail "the shipped migrations and sql/schema.sql disagree (exit $rc):
$(out)
$(err)"
	assert_contains "matches $repo/sql/schema.sql" "$(out)"

	q "ALTER TABLE users ADD COLUMN x int"
	expect 1 check
	assert_contains "the database's schema differs from $repo/sql/schema.sql" "$(out)"
	assert_contains "+    x integer" "$(out)" "the diff"
	assert_contains "--- $repo/sql/schema.sql" "$(out)" "the diff"
	assert_contains "+++ database" "$(out)" "the diff"

	q "ALTER TABLE users DROP COLUMN x"
	expect 0 check
	q "CREATE INDEX users_name_idx ON users (name)"
	expect 1 check
	assert_contains "+CREATE INDEX users_name_idx ON public.users USING btree (name);" "$(out)" "the diff"
}

# ---- 3. ten at once

test_ten_concurrent_ups_apply_each_migration_exactly_once() {
	create_test_database
	new_migrations
	migration 1 log "CREATE TABLE applied_log (version int NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());
INSERT INTO applied_log (version) VALUES (1);" 'DROP TABLE applied_log;'
	migration 2 two "CREATE TABLE two (x int);
INSERT INTO applied_log (version) VALUES (2);"
	migration 3 three "INSERT INTO applied_log (version) VALUES (3);"
	# The test holds the lock while all ten start, so that they all contend.
	hold_lock
	local i
	for i in $(seq 1 10); do start_mig "m$i" up; done
	wait_until 20 all_wait_for "$holder_pid" 10 || fail "not all ten migrate up waited for the lock"
	assert_versions none
	release_lock
	local applied=0 already=0
	for i in $(seq 1 10); do
		finish_mig "m$i"
		[[ $rc == 0 ]] || fail "migrate up #$i exited $rc: $(err_of "m$i")"
		if grep -q '^applied 0001_log' "$scratch/m$i.out"; then applied=$((applied + 1)); fi
		if grep -q '^already at 0003_three' "$scratch/m$i.out"; then already=$((already + 1)); fi
	done
	assert_eq 1 "$applied" "runs that applied the migrations"
	assert_eq 9 "$already" "runs that found them applied"
	assert_eq "1:1 2:1 3:1" "$(q "SELECT string_agg(version || ':' || n, ' ' ORDER BY version)
	                            FROM (SELECT version, count(*) n FROM applied_log GROUP BY version) s")" "applied_log"
	assert_eq 1 "$(q "SELECT count(DISTINCT pid) FROM applied_log")" "sessions that applied"
	assert_versions "1:applied 2:applied 3:applied"
	assert_current 0003_three
}

# ---- 4. a failing migration in the middle

test_broken_migration_rolls_back_to_the_version_before() {
	create_test_database
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	migration 2 b '-- 0002: creates b, then fails
CREATE TABLE b (x int);
INSERT INTO b VALUES (1);
INSERT INTO b SELECT x FROM no_such_table;' 'DROP TABLE b;'
	migration 3 c 'CREATE TABLE c (x int);' 'DROP TABLE c;'
	expect 1 up
	assert_contains "applied 0001_a" "$(out)"
	assert_lacks "0002_b" "$(out)"
	assert_lacks "0003_c" "$(out)"
	assert_contains "$mdir/0002_b.up.sql at line 4, column 29" "$(err)"
	assert_contains 'relation "no_such_table" does not exist' "$(err)"
	assert_contains "SQLSTATE 42P01" "$(err)"
	assert_contains "rolled back" "$(err)"
	assert_eq 1 "$(wc -l <"$scratch/err")" "lines on stderr"
	assert_versions "1:applied"
	assert_tables "a schema_migrations"
	assert_current 0001_a
	expect 0 status
	assert_contains "pending: 2 0002_b 0003_c" "$(out)"
	# Again: the same failure, the same state.
	expect 1 up
	assert_versions "1:applied"
	assert_tables "a schema_migrations"
	# A failing statement that is not the last of a transaction aborts it too.
	migration 2 b 'CREATE TABLE b (x int);
SELECT 1/0;
CREATE TABLE b2 (x int);' 'DROP TABLE b2; DROP TABLE b;'
	expect 1 up
	assert_contains "division by zero" "$(err)"
	assert_tables "a schema_migrations"
	# Fixed (it was never applied, so it may change): all three apply.
	migration 2 b 'CREATE TABLE b (x int);' 'DROP TABLE b;'
	expect 0 up
	assert_versions "1:applied 2:applied 3:applied"
	assert_tables "a b c schema_migrations"
}

# A migration and its version record commit together: when the record
# cannot be written, the migration's changes are rolled back too.
test_migration_and_its_version_record_commit_together() {
	create_test_database
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	migration 2 b 'CREATE TABLE b (x int);
ALTER TABLE schema_migrations ADD CONSTRAINT refuse_version_2 CHECK (version <> 2);' 'DROP TABLE b;'
	expect 1 up
	assert_contains "0002_b" "$(err)"
	assert_contains "refuse_version_2" "$(err)"
	assert_versions "1:applied"
	assert_tables "a schema_migrations"
	assert_eq 0 "$(q "SELECT count(*) FROM pg_constraint WHERE conname = 'refuse_version_2'")" "the constraint"
}

# The position a failure reports points at the statement that failed, also
# when the server gives no position (a constraint violated, not a parse
# error). In a no-transaction file each statement runs alone, so migrate
# knows which one it was.
test_error_position_in_a_no_transaction_file_points_at_the_failing_statement() {
	create_test_database
	new_migrations
	migration 1 t 'CREATE TABLE t (a int);
INSERT INTO t VALUES (1), (1);' 'DROP TABLE t;'
	migration 2 idx '-- migrate:no-transaction
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a);' '-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS t_a_key;
DROP INDEX CONCURRENTLY t_a_idx;'
	expect 1 up
	assert_contains "could not create unique index" "$(err)"
	assert_contains "$mdir/0002_idx.up.sql at line 3, column 1:" "$(err)" "no-transaction failure"
}

# In a transactional file, an error without a server position must not be
# reported at a made-up place (line 1, column 1 is the file's comment).
test_error_without_a_server_position_is_not_placed_at_line_1() {
	create_test_database
	new_migrations
	migration 1 t '-- 0001: a duplicate key on line 4
CREATE TABLE t (a int PRIMARY KEY);
INSERT INTO t VALUES (1);
INSERT INTO t VALUES (1);' 'DROP TABLE t;'
	expect 1 up
	assert_contains "$mdir/0001_t.up.sql" "$(err)"
	assert_contains "duplicate key value" "$(err)"
	assert_lacks "line 1, column 1" "$(err)" "the position of a failure on line 4"
	assert_tables schema_migrations
}

# ---- 5. edited files

test_edited_applied_file_is_refused_but_crlf_is_not_an_edit() {
	create_test_database
	new_migrations
	migration 1 a '-- the first
CREATE TABLE a (x int);
CREATE INDEX a_x ON a (x);' 'DROP TABLE a;'
	migration 2 b 'CREATE TABLE b (x int);' 'DROP TABLE b;'
	expect 0 up
	cp "$mdir/0001_a.up.sql" "$scratch/original.sql"

	# Line endings only: not an edit.
	sed -i 's/$/\r/' "$mdir/0001_a.up.sql"
	grep -q $'\r$' "$mdir/0001_a.up.sql" || fail "the file was not converted to CRLF"
	expect 0 status
	expect 0 up
	assert_contains "already at 0002_b" "$(out)"

	# A real edit, with a new migration pending.
	migration 3 c 'CREATE TABLE c (x int);' 'DROP TABLE c;'
	cp "$scratch/original.sql" "$mdir/0001_a.up.sql"
	sed -i 's/(x int)/(x bigint)/' "$mdir/0001_a.up.sql"
	expect 1 up
	assert_contains "$mdir/0001_a.up.sql was edited after it was applied" "$(err)"
	assert_versions "1:applied 2:applied"
	assert_tables "a b schema_migrations"
	expect 1 status
	assert_contains "problem: $mdir/0001_a.up.sql was edited after it was applied" "$(out)"
	assert_contains "to fix:" "$(out)"
	expect 1 up --sql
	assert_contains "0001_a.up.sql was edited" "$(err)"
	expect 1 down
	assert_versions "1:applied 2:applied"
	# A comment added is an edit too.
	cp "$scratch/original.sql" "$mdir/0001_a.up.sql"
	echo '-- a remark' >>"$mdir/0001_a.up.sql"
	expect 1 up
	assert_contains "0001_a.up.sql was edited" "$(err)"
	# The down file of an applied migration is checked too.
	cp "$scratch/original.sql" "$mdir/0001_a.up.sql"
	cp "$mdir/0002_b.down.sql" "$scratch/original.down.sql"
	echo 'DROP TABLE a;' >>"$mdir/0002_b.down.sql"
	expect 1 down
	assert_contains "$mdir/0002_b.down.sql was edited" "$(err)"
	assert_tables "a b schema_migrations"
	expect 1 status
	assert_contains "0002_b.down.sql was edited" "$(out)"
	# Restored: up goes on.
	cp "$scratch/original.down.sql" "$mdir/0002_b.down.sql"
	expect 0 status
	expect 0 up
	assert_versions "1:applied 2:applied 3:applied"
}

# ---- 6. files missing, gaps

test_missing_applied_file_and_numbering_gap_are_reported() {
	create_test_database
	three_migrations
	expect 0 up
	mkdir "$scratch/aside"
	mv "$mdir"/0003_c.* "$scratch/aside/"
	expect 1 status
	assert_contains "problem: 0003_c is applied in the database but has no file on disk" "$(out)"
	assert_contains "to fix:" "$(out)"
	expect 1 up
	assert_contains "0003_c is applied in the database but has no file on disk" "$(err)"
	expect 1 down
	assert_contains "0003_c is applied in the database but has no file on disk" "$(err)"
	expect 0 history
	assert_contains "0003_c  applied" "$(out)"
	assert_contains "(no file on disk)" "$(out)"
	assert_versions "1:applied 2:applied 3:applied"
	assert_tables "a b c schema_migrations"

	# A gap on disk: 0001 and 0003.
	mv "$scratch/aside"/0003_c.* "$mdir/"
	mv "$mdir"/0002_b.* "$scratch/aside/"
	local cmd
	for cmd in up status history "down base"; do
		# shellcheck disable=SC2086
		expect 1 $cmd
		assert_contains "gap in the numbering of $mdir: expected 0002, found 0003_c" "$(err)" "$cmd"
	done
	assert_versions "1:applied 2:applied 3:applied"
	assert_tables "a b c schema_migrations"

	# A gap on an empty database is refused before anything runs.
	create_test_database
	expect 1 up
	assert_contains "gap in the numbering" "$(err)"
	assert_tables ""
}

# ---- 7. --sql

test_sql_prints_the_plan_and_changes_nothing() {
	create_test_database
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	migration 2 b "CREATE TABLE b (x int);
INSERT INTO b VALUES (1);" 'DROP TABLE b;'
	expect 0 up --sql
	local sql
	sql=$(out)
	assert_contains "CREATE TABLE IF NOT EXISTS schema_migrations" "$sql"
	assert_contains "BEGIN;" "$sql"
	assert_contains "CREATE TABLE a (x int);" "$sql"
	assert_contains "INSERT INTO b VALUES (1);" "$sql"
	assert_contains "INSERT INTO schema_migrations (" "$sql"
	assert_contains "VALUES (1, 'a', '$(sha256sum <"$mdir/0001_a.up.sql" | cut -d' ' -f1)'" "$sql"
	assert_contains "VALUES (2, 'b'" "$sql"
	assert_contains "COMMIT;" "$sql"
	assert_eq 2 "$(grep -c '^BEGIN;$' <<<"$sql")" "BEGINs"
	assert_eq 2 "$(grep -c '^COMMIT;$' <<<"$sql")" "COMMITs"
	assert_versions none
	assert_tables ""
	assert_current base

	expect 0 up 0001
	q "SELECT * FROM schema_migrations" >"$scratch/before"
	expect 0 up --sql
	assert_lacks "CREATE TABLE a" "$(out)"
	assert_contains "CREATE TABLE b (x int);" "$(out)"
	expect 0 down --sql
	assert_contains "BEGIN;" "$(out)"
	assert_contains "DROP TABLE a;" "$(out)"
	assert_contains "DELETE FROM schema_migrations WHERE version = 1;" "$(out)"
	assert_contains "COMMIT;" "$(out)"
	expect 0 down --sql base
	assert_contains "DROP TABLE a;" "$(out)"
	q "SELECT * FROM schema_migrations" >"$scratch/after"
	cmp -s "$scratch/before" "$scratch/after" || fail "--sql changed schema_migrations"
	assert_current 0001_a
	assert_tables "a schema_migrations"

	# It takes no lock: it works while another migrator holds it.
	hold_lock
	expect 0 --lock-timeout 0 up --sql
	assert_contains "CREATE TABLE b (x int);" "$(out)"
	release_lock
}

# psql_as_app ARGS...: psql on the test's database as the role migrate uses.
psql_as_app() { psql -h 127.0.0.1 -p "$PG_PORT" -U usersuite -d "$TEST_DB" -X -q -v ON_ERROR_STOP=1 "$@"; }

# --sql prints the exact SQL: run by psql, it does what up does, also for a
# file whose last statement has no semicolon (which up runs fine).
test_sql_output_run_by_psql_does_what_up_does() {
	create_test_database
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	migration 2 b 'CREATE TABLE b (x int);
INSERT INTO b VALUES (2)' 'DROP TABLE b'
	local direct_db=$TEST_DB
	expect 0 up
	create_test_database
	mig up --sql >"$scratch/up.sql"
	psql_as_app -f "$scratch/up.sql" >"$scratch/psql.out" 2>&1 ||
		fail "psql could not run the output of up --sql: $(cat "$scratch/psql.out")
--- the SQL:
$(cat "$scratch/up.sql")"
	expect 0 status
	assert_current 0002_b
	assert_tables "a b schema_migrations"
	assert_eq 2 "$(q "SELECT x FROM b")" "b's row"
	assert_eq "$(TEST_DB=$direct_db q "SELECT version, name, checksum, status FROM schema_migrations")" \
		"$(q "SELECT version, name, checksum, status FROM schema_migrations")" "schema_migrations of up and of psql"
	mig down --sql base >"$scratch/down.sql"
	psql_as_app -f "$scratch/down.sql" >"$scratch/psql.out" 2>&1 ||
		fail "psql could not run the output of down --sql: $(cat "$scratch/psql.out")"
	assert_current base
	assert_tables schema_migrations
}

# ---- 8. no-transaction migrations

test_concurrent_index_applies_while_another_migrator_waits() {
	create_test_database
	new_migrations
	migration 1 t 'CREATE TABLE t (a int);
INSERT INTO t SELECT generate_series(1, 1000);' 'DROP TABLE t;'
	migration 2 t_a_idx '-- migrate:no-transaction
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);' '-- migrate:no-transaction
DROP INDEX CONCURRENTLY t_a_idx;'
	expect 0 up 0001
	# A writer of the test's own keeps a transaction open on t, so that
	# CREATE INDEX CONCURRENTLY waits for it: the overlap is observable.
	pg_super -d "$TEST_DB" -c "BEGIN" -c "INSERT INTO t VALUES (0)" -c "SELECT pg_sleep(100)" >/dev/null 2>&1 &
	test_pids+=("$!")
	local writer_client=$! writer
	wait_until 10 writer_of_t || fail "the writer did not start"
	writer=$(writer_of_t)

	start_mig first up
	wait_until 10 index_build_waits || fail "CREATE INDEX CONCURRENTLY did not start: $(err_of first)"
	local first_lock
	first_lock=$(lock_holders)
	[[ -n $first_lock ]] || fail "the first migrate holds no lock"

	start_mig second up
	wait_until 10 err_has second "waiting for the migration lock, held by PostgreSQL backend pid $first_lock" ||
		fail "the second migrate did not say it waits for pid $first_lock: $(err_of second)"
	running first || fail "the first migrate ended early: $(err_of first)"
	running second || fail "the second migrate did not wait: $(err_of second)"

	q "SELECT pg_terminate_backend($writer)" >/dev/null
	wait "$writer_client" 2>/dev/null || true
	finish_mig first
	assert_eq 0 "$rc" "exit status of the first migrate ($(err_of first))"
	assert_contains "applied 0002_t_a_idx" "$(out_of first)"
	finish_mig second
	assert_eq 0 "$rc" "exit status of the second migrate ($(err_of second))"
	assert_contains "already at 0002_t_a_idx" "$(out_of second)"
	assert_eq t "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_idx'::regclass")" "t_a_idx is valid"
	assert_versions "1:applied 2:applied"
	expect 0 status
	expect 0 history
	assert_contains "0002_t_a_idx  applied" "$(out)"
	assert_contains "(no-transaction)" "$(out)"
	# And down, outside a transaction too.
	expect 0 down
	assert_eq "" "$(q "SELECT to_regclass('t_a_idx')")" "t_a_idx after down"
	assert_versions "1:applied"
}

test_failed_no_transaction_migration_is_recorded_and_baseline_lets_up_retry() {
	create_test_database
	new_migrations
	migration 1 t 'CREATE TABLE t (a int);
INSERT INTO t VALUES (1), (1);' 'DROP TABLE t;'
	migration 2 idx '-- migrate:no-transaction
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a);' '-- migrate:no-transaction
DROP INDEX CONCURRENTLY t_a_key;
DROP INDEX CONCURRENTLY t_a_idx;'
	migration 3 c 'CREATE TABLE c (x int);' 'DROP TABLE c;'
	expect 1 up
	assert_contains "$mdir/0002_idx.up.sql" "$(err)"
	assert_contains "could not create unique index" "$(err)"
	assert_contains "not rolled back (no-transaction)" "$(err)"
	assert_contains "migrate status" "$(err)"
	assert_versions "1:applied 2:failed"
	# Its first statement ran, and nothing after it.
	assert_eq t "$(q "SELECT to_regclass('t_a_idx') IS NOT NULL")" "t_a_idx from the first statement"
	assert_tables "schema_migrations t"
	assert_current 0001_t

	expect 1 status
	assert_contains "problem: 0002_idx failed outside a transaction" "$(out)"
	assert_contains "to fix:" "$(out)"
	assert_contains "migrate baseline 0002" "$(out)"
	assert_contains "migrate baseline 0001" "$(out)"
	expect 1 up
	assert_contains "0002_idx failed outside a transaction" "$(err)"
	assert_versions "1:applied 2:failed"
	assert_tables "schema_migrations t"

	# What status says: undo its statements by hand, baseline the version
	# before it, up again.
	q "DROP INDEX t_a_idx; DROP INDEX IF EXISTS t_a_key; TRUNCATE t; INSERT INTO t VALUES (1), (2);"
	expect 0 baseline 0001
	assert_contains "recorded the database as at 0001_t; nothing was run" "$(out)"
	assert_versions "1:applied"
	expect 0 status
	expect 0 up
	assert_contains "applied 0002_idx" "$(out)"
	assert_contains "applied 0003_c" "$(out)"
	assert_versions "1:applied 2:applied 3:applied"
	assert_eq "2 2" "$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE indisvalid) FROM pg_index WHERE indrelid = 't'::regclass")" \
		"the two indexes, valid"
}

test_failed_no_transaction_down_is_recorded_and_status_says_what_to_do() {
	create_test_database
	new_migrations
	migration 1 t 'CREATE TABLE t (a int);' 'DROP TABLE t;'
	migration 2 idx '-- migrate:no-transaction
CREATE INDEX CONCURRENTLY t_a_idx ON t (a);' '-- migrate:no-transaction
DROP INDEX CONCURRENTLY t_a_idx;
DROP INDEX CONCURRENTLY no_such_index;'
	expect 0 up
	expect 1 down
	assert_contains "$mdir/0002_idx.down.sql at line 3, column 1" "$(err)"
	assert_contains 'index "no_such_index" does not exist' "$(err)"
	assert_versions "1:applied 2:failed_down"
	assert_eq "" "$(q "SELECT to_regclass('t_a_idx')")" "t_a_idx, dropped by the first statement"
	expect 1 status
	assert_contains "problem: undoing 0002_idx failed outside a transaction" "$(out)"
	assert_contains "migrate baseline 0001" "$(out)"
	expect 1 up
	expect 1 down
	assert_versions "1:applied 2:failed_down"
	# The index is gone: the database is at 0001.
	expect 0 baseline 0001
	expect 0 status
	expect 0 up
	assert_eq t "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_idx'::regclass")" "t_a_idx"
}

# ---- 9. the lock

test_waiter_names_the_holder_pid_and_proceeds_when_released() {
	create_test_database
	three_migrations
	hold_lock
	start_mig waiter up
	wait_until 10 err_has waiter "migrate: waiting for the migration lock, held by PostgreSQL backend pid $holder_pid" ||
		fail "migrate did not say it waits for pid $holder_pid: $(err_of waiter)"
	running waiter || fail "migrate did not wait: $(err_of waiter)"
	assert_versions none
	release_lock
	finish_mig waiter
	assert_eq 0 "$rc" "exit status ($(err_of waiter))"
	assert_contains "now at 0003_c" "$(out_of waiter)"
	assert_versions "1:applied 2:applied 3:applied"
}

test_lock_timeout_exits_75_within_a_few_seconds() {
	create_test_database
	three_migrations
	hold_lock
	local started elapsed
	started=$(now_ms)
	expect 75 --lock-timeout 1 up
	elapsed=$(($(now_ms) - started))
	((elapsed >= 900 && elapsed < 4000)) || fail "--lock-timeout 1 took $elapsed ms"
	assert_contains "waiting for the migration lock, held by PostgreSQL backend pid $holder_pid" "$(err)"
	assert_contains "the migration lock is still held by backend pid $holder_pid after 1 s" "$(err)"
	assert_versions none
	for cmd in "down" "baseline 0001"; do
		started=$(now_ms)
		# shellcheck disable=SC2086
		expect 75 --lock-timeout 0 $cmd
		elapsed=$(($(now_ms) - started))
		((elapsed < 2000)) || fail "--lock-timeout 0 $cmd took $elapsed ms"
	done
	assert_versions none
	release_lock
	expect 0 --lock-timeout 1 up
	assert_versions "1:applied 2:applied 3:applied"
}

# The lock is per database: a migrator of another database, with the same
# key, neither blocks this one nor is named as the holder.
test_lock_holder_named_is_the_one_in_this_database() {
	create_test_database
	three_migrations
	local mine=$TEST_DB others=() i j
	for i in 1 2 3 4 5; do
		create_test_database
		others+=("$TEST_DB")
	done
	TEST_DB=$mine
	TEST_DB_URL=postgresql://usersuite@127.0.0.1:$PG_PORT/$mine
	# Which holder pg_locks lists first varies with the sessions and their
	# order: several tries, each with new holders started in another order.
	for i in 1 2 3 4 5 6; do
		for ((j = 0; j < ${#others[@]}; j++)); do hold_lock "${others[(i + j) % ${#others[@]}]}"; done
		wait_until 10 locks_held_anywhere "${#others[@]}" || fail "the other databases' locks were not taken"
		if ((i == 1)); then
			expect 0 --lock-timeout 0 up 0001  # not blocked by them
		fi
		hold_lock
		expect 75 --lock-timeout 0 up
		assert_contains "held by PostgreSQL backend pid $holder_pid" "$(err)" "try $i, holders: $(pg_super -c "SELECT string_agg(pid || '@' || database, ' ') FROM pg_locks WHERE locktype = 'advisory'")"
		pg_super -c "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
		             AND classid = $lock_classid AND objid = $lock_objid" >/dev/null
		wait_until 10 locks_held_anywhere 0 || fail "the holders did not end"
	done
	assert_versions "1:applied"
}

# ---- 10. unreachable database, bad configuration

test_unreachable_database_exits_69_quickly() {
	create_test_database
	three_migrations
	local port url cmd started elapsed
	port=$(free_port)
	cp "$repo/sql/schema.sql" "$scratch/sql/schema.sql"  # check reads it before it connects
	for url in "postgresql://usersuite@127.0.0.1:$port/x" "postgresql://usersuite@127.0.0.1:1/x"; do
		for cmd in up down current history status check "baseline 0001" "up --sql"; do
			started=$(now_ms)
			# shellcheck disable=SC2086
			TEST_DB_URL=$url expect 69 $cmd
			elapsed=$(($(now_ms) - started))
			((elapsed < 3000)) || fail "$cmd on $url took $elapsed ms"
			assert_contains "migrate: cannot connect to PostgreSQL" "$(err)" "$cmd on $url"
		done
	done
	# A server that accepts the connection and never answers: the connect
	# timeout (5 s) ends it.
	if command -v python3 >/dev/null; then
		python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$scratch/silent.port" &
		test_pids+=("$!")
		wait_until 10 test -s "$scratch/silent.port" || fail "the silent server did not start"
		started=$(now_ms)
		TEST_DB_URL="postgresql://usersuite@127.0.0.1:$(cat "$scratch/silent.port")/x" expect 69 up
		elapsed=$(($(now_ms) - started))
		((elapsed < 8000)) || fail "up on a silent server took $elapsed ms"
		assert_contains "cannot connect to PostgreSQL" "$(err)"
	fi
}

test_database_url_from_file_environment_or_flag_and_bad_url_exits_78() {
	create_test_database
	three_migrations
	local bad_port
	bad_port=postgresql://usersuite@127.0.0.1:$(free_port)/x
	: >"$scratch/empty.env"
	printf 'DATABASE_URL=%s\nMIGRATIONS_DIR=%s\n' "$TEST_DB_URL" "$mdir" >"$scratch/good.env"
	printf 'DATABASE_URL=%s\n' "$bad_port" >"$scratch/bad.env"
	m "$bin/migrate" -c "$scratch/good.env" current >"$scratch/out" || fail "DATABASE_URL from the file"
	assert_eq base "$(out)"
	m DATABASE_URL="$TEST_DB_URL" MIGRATIONS_DIR="$mdir" "$bin/migrate" -c "$scratch/empty.env" current >"$scratch/out" ||
		fail "DATABASE_URL from the environment"
	m DATABASE_URL="$TEST_DB_URL" "$bin/migrate" -c "$scratch/bad.env" --dir "$mdir" up >"$scratch/out" ||
		fail "the environment should win over the file"
	assert_versions "1:applied 2:applied 3:applied"
	m DATABASE_URL="$bad_port" "$bin/migrate" -c "$scratch/bad.env" -d "$TEST_DB_URL" --dir "$mdir" status >"$scratch/out" ||
		fail "the flag should win over the environment"
	m DATABASE_URL="$bad_port" "$bin/migrate" -c "$scratch/bad.env" -o "DATABASE_URL=$TEST_DB_URL" current >"$scratch/out" ||
		fail "-o should win over the environment"
	local rc=0
	m DATABASE_URL="$TEST_DB_URL" "$bin/migrate" -c "$scratch/empty.env" -d "$bad_port" current 2>/dev/null || rc=$?
	assert_eq 69 "$rc" "the flag's unreachable URL"

	expect_78 "$bin/migrate" -c "$scratch/empty.env" -d mysql://usersuite@127.0.0.1/x current
	assert_contains DATABASE_URL "$(err)"
	expect_78 DATABASE_URL=redis://127.0.0.1:1/0 "$bin/migrate" -c "$scratch/empty.env" current
	assert_contains DATABASE_URL "$(err)"
	expect_78 "$bin/migrate" -c "$scratch/empty.env" -d 'not a url' up
	expect_78 "$bin/migrate" -c "$scratch/empty.env" current
	assert_contains DATABASE_URL "$(err)"
	expect_78 "$bin/migrate" -c "$scratch/missing.env" -d "$TEST_DB_URL" current
	printf 'DATABASE_URL=%s\nNO_SUCH_KEY=1\n' "$TEST_DB_URL" >"$scratch/typo.env"
	expect_78 "$bin/migrate" -c "$scratch/typo.env" current
	assert_contains NO_SUCH_KEY "$(err)"
}

# ---- 11. usage

test_bad_arguments_exit_2_with_a_usage_line() {
	create_test_database
	three_migrations
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		run_mig $args
		[[ $rc == 2 ]] || fail "migrate $args: exit $rc, expected 2; stderr: $(err)"
		assert_match '^migrate: .+' "$(head -n1 "$scratch/err")" "first line for [$args]"
		assert_match '^usage: migrate ' "$(sed -n 2p "$scratch/err")" "usage line for [$args]"
		assert_eq "" "$(out)" "stdout for [$args]"
	done <<'ARGS'

frobnicate
up a b
up 0009
up nope
up 0001_nope
down 0002_a
down 0004
down xyz
down 1 2
down -1
--sql status
--sql current
--sql baseline 0001
new Bad-Name
new
new a b
new a-b
current extra
history extra
status extra
check extra
dump extra
baseline
baseline abc
baseline 0009
baseline 0001_b
--bogus up
-x up
--lock-timeout x up
--lock-timeout -1 up
--lock-timeout 86401 up
-o NOEQUALS up
-o =x up
up --dir
ARGS
	assert_versions none
	assert_eq 6 "$(find "$mdir" -type f | wc -l | tr -d ' ')" "files in the migrations directory"
	expect 0 --help
	assert_match '^usage: migrate ' "$(head -n1 "$scratch/out")"
	for cmd in up down current history status new dump check baseline; do
		grep -qE "^  $cmd( |$)" "$scratch/out" || fail "--help does not list $cmd"
	done
	expect 0 -V
	assert_match '^migrate [0-9]+\.[0-9]+\.[0-9]+$' "$(out)"
}

# Usage is checked before the configuration: without DATABASE_URL, bad
# arguments still give 2 and the usage line, not a configuration error.
test_bad_arguments_exit_2_without_configuration() {
	: >"$scratch/empty.env"
	local args rc
	for args in "up a b" "new Bad-Name" "down xyz" "baseline" "current extra"; do
		rc=0
		# shellcheck disable=SC2086
		env -i PATH="$PATH" "$bin/migrate" -c "$scratch/empty.env" $args 2>"$scratch/err" || rc=$?
		[[ $rc == 2 ]] || fail "migrate $args without configuration: exit $rc, expected 2; stderr: $(err)"
		assert_match '^usage: migrate ' "$(sed -n 2p "$scratch/err")" "usage line for [$args]"
	done
}

# ---- 12. new, baseline

test_new_creates_the_next_numbered_pair() {
	create_test_database
	new_migrations
	expect 0 new first_step
	assert_eq "$mdir/0001_first_step.up.sql
$mdir/0001_first_step.down.sql" "$(out)" "files printed"
	[[ -f $mdir/0001_first_step.up.sql && -f $mdir/0001_first_step.down.sql ]] || fail "the pair was not created"
	grep -q 'migrate:no-transaction' "$mdir/0001_first_step.up.sql" || fail "the template does not mention no-transaction"
	printf 'CREATE TABLE a (x int);\n' >>"$mdir/0001_first_step.up.sql"
	printf 'DROP TABLE a;\n' >>"$mdir/0001_first_step.down.sql"
	expect 0 new second_2
	[[ -f $mdir/0002_second_2.up.sql && -f $mdir/0002_second_2.down.sql ]] || fail "0002 was not created"
	assert_eq 4 "$(find "$mdir" -type f | wc -l | tr -d ' ')" "files"
	# The new files, as created (comments only), are valid migrations.
	expect 0 up
	assert_versions "1:applied 2:applied"
	expect 0 down base
	assert_tables schema_migrations
	# It numbers after what is there, and refuses a directory with a gap.
	migration 3 third 'SELECT 1;'
	expect 0 new fourth
	[[ -f $mdir/0004_fourth.up.sql ]] || fail "0004 was not created"
	rm "$mdir"/0003_third.*
	expect 1 new fifth
	assert_contains "gap" "$(err)"
	[[ ! -e $mdir/0004_fifth.up.sql && ! -e $mdir/0005_fifth.up.sql ]] || fail "new wrote into a directory with a gap"
	mdir=$scratch/no/such/dir expect 1 new x
	# new touches only files: no database needed.
	: >"$scratch/empty.env"
	env -i PATH="$PATH" "$bin/migrate" -c "$scratch/empty.env" --dir "$scratch/fresh" new x 2>"$scratch/err" &&
		fail "new in a missing directory succeeded"
	mkdir "$scratch/fresh"
	env -i PATH="$PATH" "$bin/migrate" -c "$scratch/empty.env" --dir "$scratch/fresh" new first >"$scratch/out" ||
		fail "new without DATABASE_URL failed: $(cat "$scratch/err")"
	[[ -f $scratch/fresh/0001_first.up.sql ]] || fail "new without DATABASE_URL wrote nothing"
}

test_baseline_records_without_running_anything() {
	create_test_database
	new_migrations
	migration 1 a 'CREATE TABLE a (x int);' 'DROP TABLE a;'
	# 0002 would fail if it ran: baseline must not run it.
	migration 2 b 'CREATE TABLE b (x int);
SELECT 1/0;' 'DROP TABLE b;'
	migration 3 c 'CREATE TABLE c (x int);' 'DROP TABLE c;'
	q "CREATE TABLE a (x int); CREATE TABLE b (x int);"
	expect 0 baseline 0002
	assert_contains "recorded the database as at 0002_b; nothing was run" "$(out)"
	assert_versions "1:applied 2:applied"
	assert_tables "a b schema_migrations"
	assert_eq "$(sha256sum <"$mdir/0001_a.up.sql" | cut -d' ' -f1) $(sha256sum <"$mdir/0002_b.up.sql" | cut -d' ' -f1)" \
		"$(q "SELECT string_agg(checksum, ' ' ORDER BY version) FROM schema_migrations")" "checksums recorded"
	assert_current 0002_b
	expect 0 history
	assert_match '^0001_a  applied [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$(sed -n 1p "$scratch/out")"
	assert_match '^0002_b  applied ' "$(sed -n 2p "$scratch/out")"
	assert_eq "0003_c  pending" "$(sed -n 3p "$scratch/out")"
	expect 0 status
	assert_contains "current: 0002_b" "$(out)"
	assert_contains "pending: 1 0003_c" "$(out)"
	expect 0 up
	assert_contains "applied 0003_c" "$(out)"
	assert_lacks "0002_b" "$(out)"
	assert_versions "1:applied 2:applied 3:applied"
	# Back to an earlier version: the records above it go, nothing runs.
	expect 0 baseline 0001_a
	assert_versions "1:applied"
	assert_tables "a b c schema_migrations"
	expect 0 baseline base
	assert_contains "recorded the database as at base" "$(out)"
	assert_versions ""
	assert_current base
	assert_tables "a b c schema_migrations"
	expect 2 baseline 0004
	assert_versions ""
}

# ---- 13. down: steps, targets, base

test_down_counts_steps_or_goes_to_a_target() {
	create_test_database
	three_migrations
	expect 0 up
	expect 0 down
	assert_contains "reverted 0003_c" "$(out)"
	assert_current 0002_b
	assert_tables "a b schema_migrations"
	expect 0 up
	expect 0 down 2
	assert_current 0001_a
	assert_tables "a schema_migrations"
	expect 0 up
	expect 0 down 0001
	assert_contains "reverted 0003_c" "$(out)"
	assert_contains "reverted 0002_b" "$(out)"
	assert_contains "now at 0001_a" "$(out)"
	assert_current 0001_a
	expect 0 up
	expect 0 down 0002_b
	assert_current 0002_b
	expect 0 down 1
	assert_current 0001_a
	expect 0 up
	expect 0 down 3
	assert_current base
	assert_tables schema_migrations
	expect 0 up
	expect 0 down base
	assert_contains "now at base" "$(out)"
	assert_current base
	assert_tables schema_migrations
	assert_versions ""
	# Nothing to undo: nothing done.
	expect 0 down
	assert_contains "already at base" "$(out)"
	expect 0 down 2
	assert_current base
	# More steps than applied: refused, nothing changed.
	expect 0 up 0002
	assert_current 0002_b
	expect 2 down 3
	assert_contains "only 2 migration(s) are applied" "$(err)"
	assert_current 0002_b
	expect 0 down 0
	assert_current 0002_b
	# A target above the current version undoes nothing; up to one below
	# applies nothing.
	expect 0 down 0003
	assert_current 0002_b
	expect 0 up 0001
	assert_contains "already at 0002_b" "$(out)"
	assert_tables "a b schema_migrations"
	expect 0 up 3
	assert_current 0003_c
}
