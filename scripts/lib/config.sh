# Sourced by the operator scripts: reads a key of the suite's config file as
# the daemons do (the environment wins over the file; in the file the last
# line wins; an "export " prefix, quotes and a " #" comment are dropped).

# config_value FILE KEY: prints the value, or nothing when the key is unset.
config_value() {
	local file=$1 key=$2
	if [[ -n ${!key+set} ]]; then
		printf '%s\n' "${!key}"
		return
	fi
	[[ -r $file ]] || return 0
	sed -n "s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}$key[[:space:]]*=[[:space:]]*//p" "$file" |
		tail -n1 | sed -e 's/[[:space:]]#.*$//' -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
}

# The config file the installed daemons read, unless -c names another.
default_config() {
	local d
	for d in "${USERSUITE_SYSCONFDIR:-}" /usr/local/etc/usersuite /etc/usersuite; do
		if [[ -n $d && -r $d/usersuite.env ]]; then
			echo "$d/usersuite.env"
			return
		fi
	done
	echo /usr/local/etc/usersuite/usersuite.env
}

# split_pg_password URL: sets PG_URL to URL without its password and
# exports the password as PGPASSWORD for libpq, so that it is not on a
# command line that ps(1) shows every local user.
split_pg_password() {
	local re='^(postgres(ql)?://)([^:@/]*):([^@/]*)@(.*)$'
	PG_URL=$1
	if [[ $PG_URL =~ $re ]]; then
		local pw=${BASH_REMATCH[4]}
		PGPASSWORD=$(printf '%b' "${pw//%/\\x}")
		export PGPASSWORD
		PG_URL=${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[5]}
	fi
}
