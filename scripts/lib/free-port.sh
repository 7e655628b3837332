# Sourced by the stack, bench and test scripts.

# free_port: prints a loopback TCP port that nothing uses now. It is taken
# below the kernel's ephemeral range, so an outgoing connection (of curl, wrk,
# nginx to its upstreams) cannot be holding it by the time a daemon binds it.
free_port() {
	local low high p
	read -r low high </proc/sys/net/ipv4/ip_local_port_range
	if ((low > 11024)); then high=$((low - 1)) low=10000; else low=$((high + 1)) high=65535; fi
	for _ in $(seq 1 100); do
		p=$((low + RANDOM % (high - low + 1)))
		if ! ss -Htan "( sport = :$p or dport = :$p )" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port in $low-$high" >&2
	return 1
}
