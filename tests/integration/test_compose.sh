# compose.yaml and the Dockerfile, checked statically: no container engine
# runs on our machines. docker-compose (Debian's) must accept the file, and
# its commands, ports and health checks must agree with what the Dockerfile
# installs and with nginx's configuration, and each image's unprivileged
# user must be able to read and write what it needs. job-worker's health
# check, a shell command line, is run here against the stack.

compose_config() {
	(cd "$repo" && SECRET_KEY=$(printf 'k%.0s' {1..40}) POSTGRES_PASSWORD=pw docker-compose -f compose.yaml config) >"$scratch/compose.yml" 2>"$scratch/compose.err" ||
		fail "docker-compose config rejects compose.yaml: $(cat "$scratch/compose.err")"
}

# compose_query PYTHON-EXPRESSION: evaluated with d = the resolved compose file.
compose_query() { python3 -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print($1)" "$scratch/compose.yml"; }

# dockerfile_stage NAME: the instructions of the Dockerfile's stage NAME,
# one a line, with continued lines joined as Docker joins them.
dockerfile_stage() {
	python3 - "$repo/Dockerfile" "$1" <<-'PY'
		import re, sys
		stage = None
		for line in re.sub(r'\\[ \t]*\n', '', open(sys.argv[1]).read()).splitlines():
		    m = re.match(r'FROM\s+\S+\s+AS\s+(\S+)', line, re.I)
		    if m:
		        stage = m.group(1)
		    elif stage == sys.argv[2] and line.strip() and not line.lstrip().startswith('#'):
		        print(line)
	PY
}

# nginx_entrypoint [NAME=VALUE ...]: runs the nginx image's ENTRYPOINT, with
# that environment, on the repository's render-nginx and template; prints
# the part it renders instead of writing /run/nginx/usersuite.conf.
nginx_entrypoint() {
	local argv script
	mapfile -d '' argv < <(dockerfile_stage nginx | sed -n 's/^ENTRYPOINT //p' |
		python3 -c 'import json, sys; sys.stdout.write("".join(a + "\0" for a in json.load(sys.stdin)))')
	((${#argv[@]} == 4)) || fail "the nginx stage's ENTRYPOINT is not [shell, option, script, name]"
	script=${argv[2]//\/usr\/share\/usersuite\/nginx\//$repo\/etc\/nginx\/}
	script=${script//\/run\/nginx\/usersuite.conf/\/dev\/stdout}
	env -i PATH="$repo/scripts:/usr/bin:/bin" "$@" "${argv[0]}" "${argv[1]}" "$script" "${argv[3]}" true
}

test_compose_file_is_accepted() {
	command -v docker-compose >/dev/null || fail "docker-compose is missing (Debian package docker-compose)"
	compose_config
	local s
	for s in nginx postgres redis migrate users-api auth-api job-worker; do
		[[ $(compose_query "'$s' in d['services']") == True ]] || fail "compose.yaml has no service $s"
	done
	assert_eq 2 "$(compose_query "d['services']['users-api'].get('scale')")" "users-api replicas"
	assert_eq "[{'published': 8001, 'target': 8001}]" "$(compose_query "d['services']['nginx']['ports']")" "nginx's ports"
	assert_eq True "$(compose_query "'pgdata' in d['volumes'] and any((v.get('source') if isinstance(v, dict) else v.split(':')[0]) == 'pgdata' for v in d['services']['postgres']['volumes'])")" \
		"PostgreSQL's named volume"
}

test_compose_needs_a_secret_key() {
	local rc=0
	(cd "$repo" && env -u SECRET_KEY POSTGRES_PASSWORD=pw docker-compose -f compose.yaml config) >/dev/null 2>"$scratch/err" || rc=$?
	[[ $rc != 0 ]] || fail "compose.yaml works without SECRET_KEY"
	grep -q SECRET_KEY "$scratch/err" || fail "the refusal does not name SECRET_KEY: $(cat "$scratch/err")"
}

test_every_service_has_a_health_check_and_the_daemons_wait_for_migrate() {
	compose_config
	local s
	for s in nginx postgres redis users-api auth-api job-worker; do
		[[ $(compose_query "bool(d['services']['$s'].get('healthcheck', {}).get('test'))") == True ]] ||
			fail "$s has no health check"
		[[ $(compose_query "d['services']['$s'].get('restart')") == unless-stopped ]] || fail "$s has no restart policy"
	done
	# migrate is tried again after a failure, a bounded number of times, so
	# that a database still starting does not fail the daemons' start.
	assert_match '^on-failure:[1-9][0-9]*$' "$(compose_query "d['services']['migrate']['restart']")" "migrate's restart policy"
	# Over TCP: the first-start init server listens on the Unix socket only.
	assert_eq True "$(compose_query "'-h' in d['services']['postgres']['healthcheck']['test']")" \
		"postgres's health check names a TCP host"
	for s in users-api auth-api job-worker; do
		assert_eq service_completed_successfully \
			"$(compose_query "d['services']['$s']['depends_on']['migrate']['condition']")" "$s waits for migrate"
	done
}

test_commands_are_programs_the_dockerfile_installs() {
	compose_config
	# The Dockerfile's suite image is `make install-strip` of the build stage.
	grep -q 'make install-strip PREFIX=/usr' "$repo/Dockerfile" || fail "the Dockerfile does not make install"
	grep -q '^FROM debian:12-slim AS suite' "$repo/Dockerfile" || fail "no suite stage on Debian 12"
	grep -q '^USER usersuite' "$repo/Dockerfile" || fail "the suite image does not run as usersuite"
	local installed s prog
	installed=$(sed -n 's/^programs=(\(.*\))$/\1/p' "$repo/scripts/install-tree")
	for s in migrate users-api auth-api job-worker; do
		assert_eq suite "$(compose_query "d['services']['$s']['build']['target']")" "$s's image"
		prog=$(compose_query "d['services']['$s']['command'][0]")
		[[ " $installed " == *" $prog "* ]] || fail "$s runs $prog, which make install does not install ($installed)"
		grep -q "build/$prog" "$repo/Dockerfile" || fail "the Dockerfile does not build $prog"
	done
	assert_eq CMD-SHELL "$(compose_query "d['services']['job-worker']['healthcheck']['test'][0]")" \
		"the kind of job-worker's health check"
	prog=$(compose_query "d['services']['job-worker']['healthcheck']['test'][1].split()[0]")
	[[ " $installed " == *" $prog "* ]] || fail "job-worker's health check runs $prog, which is not installed"
}

test_job_worker_health_check_wants_a_live_worker_of_its_own_host() {
	compose_config
	# docker-compose config prints $ escaped as $$, as compose.yaml must
	# write it; the container's shell gets $.
	local check
	check=$(compose_query "d['services']['job-worker']['healthcheck']['test'][1].replace('\$\$', '\$')")
	# shellcheck disable=SC2016 # the command line, unexpanded
	assert_eq 'jobctl workers --host "$(hostname)" >/dev/null' "$check" "job-worker's health check"
	# Run by a shell as in the container, against the stack's Redis, whose
	# job-worker runs on this host; then as on a host with no live worker.
	mkdir "$scratch/path"
	ln -s "$bin/jobctl" "$scratch/path/jobctl"
	job_worker_health() { env -i PATH="$scratch/path:/usr/bin:/bin" REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" sh -c "$check"; }
	wait_until 5 job_worker_health || fail "the health check fails with the stack's job-worker running"
	printf '#!/bin/sh\necho no-such-host\n' >"$scratch/path/hostname"
	chmod +x "$scratch/path/hostname"
	local rc=0
	job_worker_health 2>"$scratch/err" || rc=$?
	assert_eq 1 "$rc" "the health check's exit status with no live worker on its host"
	assert_eq "jobctl: no live worker on host no-such-host" "$(cat "$scratch/err")" "the health check's output"
}

test_ports_agree_with_the_nginx_config() {
	compose_config
	local users auth
	users=$(compose_query "d['services']['users-api']['environment']['USERS_API_LISTEN'].rsplit(':', 1)[1]")
	auth=$(compose_query "d['services']['auth-api']['environment']['AUTH_API_LISTEN'].rsplit(':', 1)[1]")
	assert_match "127\\.0\\.0\\.1:$users/health" "$(compose_query "d['services']['users-api']['healthcheck']['test'][-1]")" \
		"users-api's health check port"
	assert_match "127\\.0\\.0\\.1:$auth/health" "$(compose_query "d['services']['auth-api']['healthcheck']['test'][-1]")" \
		"auth-api's health check port"
	grep -q "USERS_API_SERVERS=server users-api:$users " "$repo/Dockerfile" || fail "nginx's users_api upstream is not users-api:$users"
	grep -q "AUTH_API_UPSTREAM=auth-api:$auth " "$repo/Dockerfile" || fail "nginx's auth_api upstream is not auth-api:$auth"
	grep -q 'PORT=8001 ' "$repo/Dockerfile" || fail "nginx does not listen on 8001 in the image"
	assert_match '127\.0\.0\.1:8001/health' "$(compose_query "d['services']['nginx']['healthcheck']['test'][-1]")" \
		"nginx's health check port"
	# The rendered part must be valid nginx: render it as the image's
	# entrypoint does at start, with the login brake of compose's env file.
	local rate burst
	rate=$(compose_query "d['services']['nginx']['environment']['LOGIN_RATE_PER_MINUTE']")
	burst=$(compose_query "d['services']['nginx']['environment']['LOGIN_BURST']")
	assert_eq "$(sed -n 's/^LOGIN_RATE_PER_MINUTE=//p' "$repo/etc/usersuite.env")" "$rate" "nginx's LOGIN_RATE_PER_MINUTE"
	nginx_entrypoint LOGIN_RATE_PER_MINUTE="$rate" LOGIN_BURST="$burst" >"$scratch/usersuite.conf" 2>"$scratch/err" ||
		fail "the nginx image's entrypoint fails: $(cat "$scratch/err")"
	grep -q "rate=${rate}r/m;" "$scratch/usersuite.conf" || fail "the rendered part lacks the env file's LOGIN_RATE_PER_MINUTE"
	grep -q "burst=$burst " "$scratch/usersuite.conf" || fail "the rendered part lacks the env file's LOGIN_BURST"
	mkdir -p "$scratch/ngx"
	sed -e 's/server users-api:[0-9]*/server 127.0.0.1:1/; s/server auth-api:[0-9]*/server 127.0.0.1:2/' \
		-e "s|/dev/stdout|$scratch/ngx/access.log|" "$scratch/usersuite.conf" >"$scratch/ngx/usersuite.conf"
	printf 'pid %s/ngx/pid;\nevents {}\nhttp { include %s/ngx/usersuite.conf; }\n' "$scratch" "$scratch" >"$scratch/ngx/nginx.conf"
	nginx -t -q -p "$scratch/ngx" -e "$scratch/ngx/error.log" -c "$scratch/ngx/nginx.conf" 2>"$scratch/ngx/t" ||
		fail "nginx rejects the image's configuration: $(cat "$scratch/ngx/t")"
}

test_suite_image_user_can_read_its_config() {
	local df=$repo/Dockerfile sysconfdir img=$scratch/img mode
	sysconfdir=$(sed -n 's/.*make install-strip .*SYSCONFDIR=\([^ ]*\).*/\1/p' "$df")
	[[ -n $sysconfdir ]] || fail "the Dockerfile's make install-strip sets no SYSCONFDIR"
	# The default config path is compiled in: the build before the install
	# must use the same one, or the install builds everything again.
	grep -q "make -j.* SYSCONFDIR=$sysconfdir " "$df" || fail "the Dockerfile builds with another SYSCONFDIR than it installs with"
	# The image's install step into a DESTDIR; install-tree itself, since
	# make install with that SYSCONFDIR would rebuild build/ here.
	PREFIX=/usr SYSCONFDIR=$sysconfdir SBINDIR=/usr/sbin MANDIR=/usr/share/man DATADIR=/usr/share/usersuite \
		UNITDIR=/usr/lib/systemd/system BUILD=$bin DESTDIR=$img "$repo/scripts/install-tree" >"$scratch/out" 2>&1 ||
		fail "install-tree: $(cat "$scratch/out")"
	# Installed as root in the build stage, so root's: usersuite may read it
	# only through the group, and the directory must let it through.
	mode=$(stat -c %a "$img$sysconfdir/usersuite.env")
	((8#$mode & 8#040)) || fail "usersuite.env is installed mode $mode: its group cannot read it"
	((!(8#$mode & 8#004))) || fail "usersuite.env is installed mode $mode: every user can read it"
	mode=$(stat -c %a "$img$sysconfdir")
	((8#$mode & 8#001)) || fail "$sysconfdir is installed mode $mode: usersuite cannot reach the file"
	# The suite stage gives the file to the group between the copy and USER.
	dockerfile_stage suite >"$scratch/suite"
	local copy chgrp user
	copy=$(awk '$0 == "COPY --from=build /out/ /" { print NR }' "$scratch/suite")
	chgrp=$(awk -v s="chgrp usersuite $sysconfdir/usersuite.env " 'index($0 " ", s) { print NR }' "$scratch/suite")
	user=$(awk '$0 == "USER usersuite" { print NR }' "$scratch/suite")
	[[ -n $copy && -n $user ]] || fail "the suite stage lacks the copy of /out or USER usersuite"
	[[ -n $chgrp ]] && ((copy < chgrp && chgrp < user)) ||
		fail "the suite stage does not chgrp usersuite $sysconfdir/usersuite.env after the copy and before USER"
}

test_nginx_image_renders_its_part_at_start_unprivileged() {
	compose_config
	assert_eq "[]" "$(compose_query "[k for k in ('LOGIN_RATE_PER_MINUTE', 'LOGIN_BURST') if k not in d['services']['nginx'].get('environment', {})]")" \
		"keys of the env file nginx lacks"
	dockerfile_stage nginx >"$scratch/nginx"
	local user
	user=$(sed -n 's/^USER //p' "$scratch/nginx")
	[[ -n $user && $user != root && $user != 0 ]] || fail "the nginx image runs nginx as root"
	grep -q "install -d -o $user -g $user /run/nginx\\b" "$scratch/nginx" || fail "/run/nginx is not $user's"
	grep -q "chown -R $user:$user /var/lib/nginx\\b" "$scratch/nginx" || fail "nginx's temporary paths are not $user's"
	grep -q 'ln -s /run/nginx/usersuite.conf /etc/nginx/conf.d/usersuite.conf' "$scratch/nginx" ||
		fail "conf.d does not link to the part rendered at start"
	grep -q 'cp etc/nginx/usersuite.conf /out-nginx/usr/share/usersuite/nginx/' "$repo/Dockerfile" ||
		fail "the template is not where the entrypoint reads it"
	# Debian's nginx.conf (the image's, Debian 12's) as the stage edits it.
	local edit
	edit=$(sed -n 's|.*sed -i \(.*\) /etc/nginx/nginx.conf .*|\1|p' "$scratch/nginx")
	[[ -n $edit ]] || fail "the nginx stage does not edit nginx.conf"
	eval "sed $edit /etc/nginx/nginx.conf" >"$scratch/nginx.conf"
	grep -q '^user ' "$scratch/nginx.conf" && fail "nginx.conf keeps its user directive"
	assert_eq "pid /run/nginx/nginx.pid;" "$(grep '^pid ' "$scratch/nginx.conf")" "nginx's pid file"
	# A rate nginx cannot take stops the container, naming the key.
	local rate rc
	for rate in 0 many; do
		rc=0
		nginx_entrypoint LOGIN_RATE_PER_MINUTE=$rate LOGIN_BURST=10 >/dev/null 2>"$scratch/err" || rc=$?
		assert_eq 78 "$rc" "the entrypoint's exit status for LOGIN_RATE_PER_MINUTE=$rate"
		grep -q LOGIN_RATE_PER_MINUTE "$scratch/err" || fail "the refusal does not name the key: $(cat "$scratch/err")"
	done
}
