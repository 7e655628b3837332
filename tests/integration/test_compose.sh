# compose.yaml and the Dockerfile, checked statically: no container engine
# runs on our machines. docker-compose (Debian's) must accept the file, and
# its commands, ports and health checks must agree with what the Dockerfile
# installs and with nginx's configuration.

compose_config() {
	(cd "$repo" && SECRET_KEY=$(printf 'k%.0s' {1..40}) POSTGRES_PASSWORD=pw docker-compose -f compose.yaml config) >"$scratch/compose.yml" 2>"$scratch/compose.err" ||
		fail "docker-compose config rejects compose.yaml: $(cat "$scratch/compose.err")"
}

# compose_query PYTHON-EXPRESSION: evaluated with d = the resolved compose file.
compose_query() { python3 -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print($1)" "$scratch/compose.yml"; }

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
	assert_eq '"no"' "$(compose_query "'\"' + d['services']['migrate']['restart'] + '\"'")" "migrate's restart policy"
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
	prog=$(compose_query "d['services']['job-worker']['healthcheck']['test'][1]")
	[[ " $installed " == *" $prog "* ]] || fail "job-worker's health check runs $prog, which is not installed"
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
	# The rendered part must be valid nginx: render it as the Dockerfile does.
	local line
	line=$(sed -n '/scripts\/render-nginx -b/,/> \/out-nginx/p' "$repo/Dockerfile" | tr -d '\\\n' | sed 's/ *> .*//; s/^.*scripts\/render-nginx/scripts\/render-nginx/')
	(cd "$repo" && eval "$line") >"$scratch/usersuite.conf" || fail "the Dockerfile's render-nginx line fails"
	mkdir -p "$scratch/ngx"
	sed -e 's/server users-api:[0-9]*/server 127.0.0.1:1/; s/server auth-api:[0-9]*/server 127.0.0.1:2/' \
		-e "s|/dev/stdout|$scratch/ngx/access.log|" "$scratch/usersuite.conf" >"$scratch/ngx/usersuite.conf"
	printf 'pid %s/ngx/pid;\nevents {}\nhttp { include %s/ngx/usersuite.conf; }\n' "$scratch" "$scratch" >"$scratch/ngx/nginx.conf"
	nginx -t -q -p "$scratch/ngx" -e "$scratch/ngx/error.log" -c "$scratch/ngx/nginx.conf" 2>"$scratch/ngx/t" ||
		fail "nginx rejects the image's configuration: $(cat "$scratch/ngx/t")"
}
