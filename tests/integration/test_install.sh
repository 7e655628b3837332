# make install into a DESTDIR, the units checked with systemd-analyze, and
# the operator scripts against the running stack.

install_into() { make -C "$repo" --no-print-directory install "$@" >"$scratch/install.out" 2>&1 || fail "make install $*: $(cat "$scratch/install.out")"; }

test_install_tree_is_complete_and_filled_in() {
	local root=$scratch/destdir prefix=$scratch/destdir/usr/local p
	install_into DESTDIR="$root"
	for p in users-api auth-api job-worker jobctl migrate; do
		[[ -x $prefix/sbin/$p ]] || fail "$p not installed in sbin"
		"$prefix/sbin/$p" --version >/dev/null || fail "installed $p --version failed"
		[[ -f $prefix/share/man/man8/$p.8 ]] || fail "no man page for $p"
	done
	for p in healthcheck backup restore status; do
		[[ -x $prefix/sbin/usersuite-$p ]] || fail "usersuite-$p not linked into sbin"
	done
	[[ -f $prefix/share/man/man5/usersuite.env.5 && -f $prefix/share/man/man7/usersuite.7 ]] || fail "section 5 or 7 page missing"
	[[ -f $prefix/share/usersuite/sql/migrations/0001_users.up.sql ]] || fail "migrations not installed"
	[[ -f $prefix/lib/systemd/system/usersuite-users-api@.service &&
		-f $prefix/lib/systemd/system/usersuite-.service.d/hardening.conf ]] || fail "systemd units not installed"
	[[ -f $prefix/etc/usersuite/logrotate.d/usersuite ]] || fail "logrotate file not installed"
	assert_eq 640 "$(stat -c %a "$prefix/etc/usersuite/usersuite.env")" "mode of the installed usersuite.env"
	assert_eq "MIGRATIONS_DIR=/usr/local/share/usersuite/sql/migrations" \
		"$(grep '^MIGRATIONS_DIR=' "$prefix/etc/usersuite/usersuite.env")" "installed MIGRATIONS_DIR"
	# Every placeholder is filled in.
	if grep -rIl '@[A-Z_]\{3,\}@' "$root" >"$scratch/left"; then fail "placeholders left in: $(cat "$scratch/left")"; fi
	grep -q "ExecStart=/usr/local/sbin/users-api -c /usr/local/etc/usersuite/usersuite.env" \
		"$prefix/lib/systemd/system/usersuite-users-api@.service" || fail "unit's ExecStart not filled in"
}

test_install_never_overwrites_edited_configuration() {
	local root=$scratch/destdir etc=$scratch/destdir/usr/local/etc/usersuite
	install_into DESTDIR="$root"
	echo "PROJECT_NAME=Edited" >>"$etc/usersuite.env"
	echo "# edited" >>"$etc/nginx/usersuite.conf"
	install_into DESTDIR="$root"
	grep -q '^PROJECT_NAME=Edited$' "$etc/usersuite.env" || fail "the edited usersuite.env was overwritten"
	grep -q '^# edited$' "$etc/nginx/usersuite.conf" || fail "the edited nginx part was overwritten"
	[[ -f $etc/usersuite.env.new && -f $etc/nginx/usersuite.conf.new ]] || fail "no .new beside the edited files"
	grep -q 'usersuite.env differs' "$scratch/install.out" || fail "install did not say the file differs"
	# A file equal to the version being installed is replaced, with no .new.
	rm -f "$etc/logrotate.d/usersuite.new"
	install_into DESTDIR="$root"
	[[ ! -e $etc/logrotate.d/usersuite.new ]] || fail "an unedited file got a .new"
}

test_installed_nginx_part_is_valid_for_a_system_nginx() {
	local root=$scratch/destdir conf=$scratch/destdir/usr/local/etc/usersuite/nginx/usersuite.conf
	install_into DESTDIR="$root"
	grep -q '/_bench/fixed' "$conf" && fail "the bench-only location was installed"
	grep -q 'server unix:/run/usersuite/users-api-2.sock' "$conf" || fail "users_api upstream lacks the second process"
	# Included in an http block as Debian's nginx.conf includes conf.d/*.conf,
	# beside the directives that file sets.
	mkdir -p "$scratch/ngx"
	sed "s|/var/log/nginx/usersuite-access.log|$scratch/ngx/access.log|" "$conf" >"$scratch/ngx/usersuite.conf"
	cat >"$scratch/ngx/nginx.conf" <<-CONF
		pid $scratch/ngx/pid;
		events {}
		http {
		    sendfile on; tcp_nopush on; keepalive_timeout 65; types_hash_max_size 2048;
		    access_log $scratch/ngx/debian-access.log;
		    include $scratch/ngx/usersuite.conf;
		}
	CONF
	nginx -t -q -p "$scratch/ngx" -e "$scratch/ngx/error.log" -c "$scratch/ngx/nginx.conf" 2>"$scratch/ngx/t" ||
		fail "nginx -t rejects the installed part: $(cat "$scratch/ngx/t")"
}

test_installed_systemd_units_verify() {
	command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (package systemd)"
	local root=$scratch/destdir units=$scratch/units
	install_into DESTDIR="$root"
	# systemd-analyze checks that ExecStart's programs exist: point the
	# units at the DESTDIR copies (a scratch PREFIX would rebuild build/).
	mkdir -p "$units/usersuite-.service.d"
	for f in "$root"/usr/local/lib/systemd/system/usersuite*.service "$root"/usr/local/lib/systemd/system/usersuite*.target; do
		sed "s|/usr/local/sbin/|$root/usr/local/sbin/|g" "$f" >"$units/${f##*/}"
	done
	cp "$root/usr/local/lib/systemd/system/usersuite-.service.d/hardening.conf" "$units/usersuite-.service.d/"
	(cd "$units" && systemd-analyze verify usersuite.target usersuite-migrate.service \
		usersuite-users-api@1.service usersuite-auth-api.service usersuite-job-worker.service) >"$scratch/v" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$scratch/v")"
	[[ ! -s $scratch/v ]] || fail "systemd-analyze verify warns: $(cat "$scratch/v")"
	local f=$units/usersuite-.service.d/hardening.conf key
	for key in User=usersuite NoNewPrivileges=yes ProtectSystem=strict; do
		grep -qx "$key" "$f" || fail "hardening lacks $key"
	done
	grep -q '^Restart=on-failure$' "$units/usersuite-auth-api.service" || fail "no restart on failure"
	# migrate is tried again while the database comes up late at boot.
	grep -q '^Restart=on-failure$' "$units/usersuite-migrate.service" || fail "migrate is not tried again"
	# TERM reaches job-worker alone, and it has SHUTDOWN_TIMEOUT to drain
	# before systemd kills what is left.
	f=$units/usersuite-job-worker.service
	grep -qx 'KillMode=mixed' "$f" || fail "job-worker's TERM also reaches its jobs' commands"
	local stop drain
	stop=$(sed -n 's/^TimeoutStopSec=//p' "$f")
	drain=$(sed -n 's/^SHUTDOWN_TIMEOUT=//p' "$repo/etc/usersuite.env")
	[[ $stop =~ ^[0-9]+$ && $drain =~ ^[0-9]+$ ]] && ((stop > drain)) ||
		fail "job-worker's TimeoutStopSec ($stop) is not above SHUTDOWN_TIMEOUT ($drain)"
}

test_healthcheck_script() {
	"$repo/scripts/healthcheck" "$base_url/health" || fail "healthcheck of the running stack failed"
	"$repo/scripts/healthcheck" -v "$base_url/health" | grep -q healthy || fail "healthcheck -v printed no answer"
	local rc=0
	"$repo/scripts/healthcheck" -t 2 http://127.0.0.1:1/health 2>/dev/null || rc=$?
	assert_eq 69 "$rc" "exit status for a service that does not answer"
	rc=0
	"$repo/scripts/healthcheck" "$base_url/api/v1/users/0" 2>/dev/null || rc=$?
	assert_eq 1 "$rc" "exit status for an unhealthy answer"
	rc=0
	"$repo/scripts/healthcheck" -x 2>/dev/null || rc=$?
	assert_eq 2 "$rc" "exit status for a usage error"
	"$repo/scripts/healthcheck" -h | grep -q 'exit status' || fail "-h printed no help"
}

test_backup_and_restore_round_trip() {
	local hash
	hash='$2b$04$'$(printf 'a%.0s' {1..53})
	create_test_database
	DATABASE_URL=$TEST_DB_URL "$bin/migrate" -c "$config" up >/dev/null
	pg_super -d "$TEST_DB" -c "INSERT INTO users (email, hashed_password, name) VALUES ('kept@example.com', '$hash', 'Kept')"
	DATABASE_URL=$TEST_DB_URL "$repo/scripts/backup" -c "$config" -o "$scratch/b.dump" 2>/dev/null || fail "backup failed"
	[[ -s $scratch/b.dump && ! -e $scratch/b.dump.part ]] || fail "no complete backup file"
	pg_super -d "$TEST_DB" -c "DELETE FROM users; INSERT INTO users (email, hashed_password, name) VALUES ('later@example.com', '$hash', 'Later')"
	# Without -y nothing changes.
	DATABASE_URL=$TEST_DB_URL "$repo/scripts/restore" -c "$config" "$scratch/b.dump" >/dev/null 2>&1 || fail "restore listing failed"
	assert_eq "later@example.com" "$(pg_super -d "$TEST_DB" -c 'SELECT email FROM users')" "rows after a listing"
	DATABASE_URL=$TEST_DB_URL "$repo/scripts/restore" -y -c "$config" "$scratch/b.dump" 2>/dev/null || fail "restore failed"
	assert_eq "kept@example.com" "$(pg_super -d "$TEST_DB" -c 'SELECT email FROM users')" "rows after restore"
	local rc=0
	"$repo/scripts/restore" -y -c "$config" "$scratch/missing.dump" 2>/dev/null || rc=$?
	assert_eq 66 "$rc" "exit status for a missing backup file"
	rc=0
	DATABASE_URL= "$repo/scripts/backup" -c /dev/null -o "$scratch/x.dump" 2>/dev/null || rc=$?
	assert_eq 78 "$rc" "exit status without DATABASE_URL"
	# The dump cannot take its name (a directory has it): a failure, and
	# nothing left behind.
	mkdir "$scratch/taken.dump"
	rc=0
	DATABASE_URL=$TEST_DB_URL "$repo/scripts/backup" -c "$config" -o "$scratch/taken.dump" 2>/dev/null || rc=$?
	assert_eq 1 "$rc" "exit status when the final rename fails"
	[[ ! -e $scratch/taken.dump.part && -z $(ls -A "$scratch/taken.dump") ]] || fail "a failed rename left files behind"
}

test_suite_status_script() {
	"$repo/scripts/suite-status" -c "$config" >"$scratch/out" 2>&1 || fail "suite-status failed: $(cat "$scratch/out")"
	local section
	for section in processes listening health jobs "last errors"; do
		grep -q "^== $section" "$scratch/out" || fail "suite-status has no $section section"
	done
	grep -q '^job-worker: pid' "$scratch/out" || fail "suite-status shows no job-worker"
	grep -q '^workers: [1-9]' "$scratch/out" || fail "suite-status shows no live worker"
}

# With no -c and no readable default file, the environment alone counts,
# for jobctl too (whose -c would refuse the named, missing default).
test_suite_status_without_a_config_file() {
	[[ -r /usr/local/etc/usersuite/usersuite.env || -r /etc/usersuite/usersuite.env ]] &&
		fail "a system-wide usersuite.env exists on this machine; the test needs none"
	local port redis_url
	port=$(sed -n 's/^PORT=//p' "$config" | tail -n1)
	redis_url=$(sed -n 's/^REDIS_URL=//p' "$config" | tail -n1)
	USERSUITE_SYSCONFDIR=$scratch/none PORT=$port REDIS_URL=$redis_url \
		"$repo/scripts/suite-status" >"$scratch/out" 2>&1 || true
	sed -n '/^== jobs/,/^== last errors/p' "$scratch/out" >"$scratch/jobs"
	grep -q '^workers: [1-9]' "$scratch/jobs" || fail "no job figures without a config file: $(cat "$scratch/jobs")"
}
