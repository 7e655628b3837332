# Command line and configuration: --help, --version, exit statuses, and the
# key table agreeing with etc/usersuite.env and usersuite.env(5).

test_help_and_version() {
	local prog
	for prog in users-api auth-api; do
		"$bin/$prog" --help >"$scratch/help" || fail "$prog --help failed"
		assert_match "^usage: $prog \[-hnV\] \[-c file\] \[-l address\] \[-o key=value\]" "$(head -1 "$scratch/help")"
		grep -q 'SECRET_KEY (required)' "$scratch/help" || fail "--help does not list SECRET_KEY"
		"$bin/$prog" --version >"$scratch/version" || fail "$prog --version failed"
		assert_match "^$prog [0-9]+\.[0-9]+\.[0-9]+ \(libevent" "$(cat "$scratch/version")"
	done
}

test_usage_errors_exit_2() {
	local rc=0
	"$bin/users-api" --bogus 2>"$scratch/err" || rc=$?
	assert_eq 2 "$rc" "exit status"
	assert_match 'unknown option --bogus' "$(cat "$scratch/err")"
	rc=0
	"$bin/users-api" -o NOEQUALS 2>/dev/null || rc=$?
	assert_eq 2 "$rc" "exit status for -o without ="
}

expect_config_error() {
	local key=$1
	shift
	local rc=0
	env -i PATH="$PATH" "$bin/users-api" "$@" -n >"$scratch/out" 2>"$scratch/err" || rc=$?
	assert_eq 78 "$rc" "exit status for bad $key"
	assert_eq 1 "$(wc -l <"$scratch/err")" "lines of the error message"
	assert_match "^users-api: config: $key" "$(cat "$scratch/err")"
}

test_bad_config_exits_78_naming_the_key() {
	local ok=(-o DATABASE_URL=postgresql://u@127.0.0.1/db -o SECRET_KEY=0123456789abcdef0123456789abcdef)
	expect_config_error DATABASE_URL -o SECRET_KEY=0123456789abcdef0123456789abcdef
	expect_config_error SECRET_KEY -o DATABASE_URL=postgresql://u@127.0.0.1/db
	expect_config_error SECRET_KEY "${ok[@]}" -o SECRET_KEY=short
	expect_config_error SECRET_KEY "${ok[@]}" -o SECRET_KEY=your-secret-key-change-this-in-production
	expect_config_error REDIS_PORT "${ok[@]}" -o REDIS_PORT=70000
	expect_config_error DATABASE_POOL_SIZE "${ok[@]}" -o DATABASE_POOL_SIZE=ten
	expect_config_error LOG_LEVEL "${ok[@]}" -o LOG_LEVEL=LOUD
	expect_config_error BACKEND_CORS_ORIGINS "${ok[@]}" -o 'BACKEND_CORS_ORIGINS=["http://a.example/"]'
	expect_config_error USERS_API_LISTEN "${ok[@]}" -l localhost:80
	expect_config_error DATABASE_URL "${ok[@]}" -o DATABASE_URL=mysql://x@127.0.0.1/db
	expect_config_error NO_SUCH_KEY "${ok[@]}" -o NO_SUCH_KEY=1
	expect_config_error -c "${ok[@]}" -c "$scratch/missing.env"
	printf 'SECRET_KEY=0123456789abcdef0123456789abcdef\nDATABASE_URL=postgresql://u@127.0.0.1/db\nTYPO_KEY=1\n' >"$scratch/typo.env"
	expect_config_error TYPO_KEY -c "$scratch/typo.env"
}

test_placeholder_secret_allowed_in_development() {
	env -i PATH="$PATH" "$bin/users-api" -o DATABASE_URL=postgresql://u@127.0.0.1/db \
		-o SECRET_KEY=your-secret-key-change-this-in-production -o ENVIRONMENT=development -n >"$scratch/out"
	assert_eq "configuration OK" "$(cat "$scratch/out")"
}

test_precedence_file_then_environment_then_flags() {
	printf 'SECRET_KEY=0123456789abcdef0123456789abcdef\nDATABASE_URL=postgresql://u@127.0.0.1/db\nLOG_LEVEL=LOUD\n' >"$scratch/p.env"
	local rc=0
	env -i PATH="$PATH" "$bin/users-api" -c "$scratch/p.env" -n >/dev/null 2>&1 || rc=$?
	assert_eq 78 "$rc" "the file's bad LOG_LEVEL"
	env -i PATH="$PATH" LOG_LEVEL=DEBUG "$bin/users-api" -c "$scratch/p.env" -n >/dev/null ||
		fail "the environment should override the file"
	rc=0
	env -i PATH="$PATH" LOG_LEVEL=DEBUG "$bin/users-api" -c "$scratch/p.env" -o LOG_LEVEL=NOPE -n >/dev/null 2>&1 || rc=$?
	assert_eq 78 "$rc" "the flag should override the environment"
}

test_seed_env_file_is_accepted() {
	# The seed's .env, as its README prints it, with the two keys it needs.
	cat >"$scratch/seed.env" <<'SEED'
HOST=0.0.0.0
PORT=8001
PROJECT_NAME=Learning FastAPI
VERSION=0.1.0
DESCRIPTION=FastAPI Learning Project
BACKEND_CORS_ORIGINS=["*"]  # comment
DATABASE_URL=postgresql://fastapi_user:fastapi_password@localhost:5432/fastapi_db
DATABASE_ECHO=true  # comment
DATABASE_POOL_SIZE=10
DATABASE_MAX_OVERFLOW=20
REDIS_HOST=localhost
REDIS_PORT=7379
REDIS_DB=0
SECRET_KEY=your-secret-key-change-this-in-production
ALGORITHM=HS256
ACCESS_TOKEN_EXPIRE_MINUTES=30
REDIS_URL=redis://localhost:7379/0
ENVIRONMENT=development
SEED
	env -i PATH="$PATH" "$bin/users-api" -c "$scratch/seed.env" -n >"$scratch/out" ||
		fail "the seed's settings are refused"
	assert_eq "configuration OK" "$(cat "$scratch/out")"
}

# Every program's --help: together they list every key of the table.
all_help() {
	local prog
	for prog in users-api auth-api job-worker jobctl migrate; do "$bin/$prog" --help; done
}

# Keys and defaults: the table (via --help), etc/usersuite.env and the man page.
test_docs_and_sample_agree_with_the_key_table() {
	all_help | sed -n 's/^  \([A-Z_][A-Z0-9_]*\) (\(.*\))$/\1 \2/p' | sort -u >"$scratch/table"
	cut -d' ' -f1 "$scratch/table" | sort -u >"$scratch/table.keys"
	grep -oE '^[A-Z_][A-Z0-9_]*=' "$repo/etc/usersuite.env" | tr -d = | sort -u >"$scratch/sample.keys"
	diff -u "$scratch/table.keys" "$scratch/sample.keys" >"$scratch/d1" ||
		fail "etc/usersuite.env and the key table differ: $(cat "$scratch/d1")"
	[[ -f $repo/man/usersuite.env.5 ]] || fail "man/usersuite.env.5 is missing"
	grep -oE '^\.It Ic [A-Z_][A-Z0-9_]*$' "$repo/man/usersuite.env.5" | awk '{print $3}' | sort -u >"$scratch/man.keys"
	diff -u "$scratch/table.keys" "$scratch/man.keys" >"$scratch/d2" ||
		fail "usersuite.env(5) and the key table differ: $(cat "$scratch/d2")"
	# The page says keys are checked "in the order of the list below": the table's.
	grep -oE '^\.It Ic [A-Z_][A-Z0-9_]*$' "$repo/man/usersuite.env.5" | awk '{print $3}' >"$scratch/man.order"
	grep -oE '^ *\{"[A-Z_][A-Z0-9_]*"' "$repo/libcommon/config_keys.cpp" | tr -d ' {"' >"$scratch/table.order"
	diff -u "$scratch/table.order" "$scratch/man.order" >"$scratch/d3" ||
		fail "usersuite.env(5) lists the keys in another order than libcommon/config_keys.cpp: $(cat "$scratch/d3")"
	# Each default in the man page, as "Default: .Ql VALUE" after its .It line.
	local key def want
	while read -r key def; do
		want=${def#default \"}
		want=${want%\"}
		[[ $def == required ]] && want=Required
		awk -v k="$key" '$0 == ".It Ic " k {on=1; next} /^\.It /{on=0} on' "$repo/man/usersuite.env.5" >"$scratch/entry"
		if [[ $want == Required ]]; then
			grep -q 'Required' "$scratch/entry" || fail "man page: $key is not marked Required"
		else
			grep -qF ".Ql ${want:-\"\"}" "$scratch/entry" || fail "man page: default of $key is not .Ql ${want:-\"\"}"
		fi
	done <"$scratch/table"
}

test_readme_table_agrees_with_the_key_table() {
	all_help | sed -n 's/^  \([A-Z_][A-Z0-9_]*\) (\(.*\))$/\1 \2/p' |
		sed -e 's/ default "\(.*\)"$/ \1/' -e 's/ required$/ *required*/' | sort -u >"$scratch/table"
	# README rows: | `KEY` | `default` or (empty) or *required* | meaning |
	sed -n 's/^| `\([A-Z_][A-Z0-9_]*\)` | \([^|]*\) |.*/\1 \2/p' "$repo/README.md" |
		sed -e 's/ `\(.*\)` *$/ \1/' -e 's/ (empty) *$/ /' -e 's/ *$//' | sort -u >"$scratch/readme"
	sed -i 's/ *$//' "$scratch/table"
	diff -u "$scratch/table" "$scratch/readme" >"$scratch/d" || fail "README's key table differs: $(cat "$scratch/d")"
}

test_man_pages_lint_clean() {
	local page out
	for page in "$repo"/man/*.[1-8]; do
		out=$(mandoc -Tlint -W warning "$page" 2>&1) || true
		[[ -z $out ]] || fail "mandoc -Tlint $page: $out"
	done
	for prog in users-api auth-api job-worker jobctl migrate; do
		[[ -f $repo/man/$prog.8 ]] || fail "no man page for $prog"
	done
}
