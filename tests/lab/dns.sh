# dns.sh - real DNS servers for integration suites: rbldnsd serving test
# lists and dnsmasq as the resolver, both inside a namespace the suite
# created (so any port is free and nothing leaks).
#
# Source it after lib.sh:  . "$(dirname "$0")/lab/dns.sh"
#
#   dns_zone_file NAME            path of a zone data file in the lab
#                                 (write it with a here-document)
#   dns_rbldnsd NS PORT ZONE:TYPE:FILE...
#                                 rbldnsd on 127.0.0.1/PORT (UDP only),
#                                 as user rbldns (it refuses root); query
#                                 log in $DNS_DIR/rbldnsd-PORT.log
#   dns_dnsmasq NS PORT ARG...    dnsmasq on 127.0.0.1:PORT, no upstream,
#                                 no cache (TTLs pass through unchanged),
#                                 log in $DNS_DIR/dnsmasq-PORT.log, every
#                                 query too unless DNS_LOG_QUERIES="";
#                                 ARGs: --host-record=NAME,ADDR (A/AAAA and
#                                 PTR), --ptr-record=REVNAME,NAME,
#                                 --server=/ZONE/127.0.0.1#PORT ...
#   dns_unbound NS PORT CONF      unbound (2 threads, no cache) with the
#                                 server: lines in CONF appended
#   dns_silent NS PORT            drop UDP to 127.0.0.1:PORT on input: a
#                                 server that never answers
#   dns_query_count FILE PATTERN  how many logged queries match PATTERN
#   dns_resolv_conf NS            programs run with ip netns exec NS
#                                 (Postfix, swaks) resolve through
#                                 127.0.0.1; removed at exit
#
# Every process goes through lab_spawn, so the lab's trap ends it by PID.

DNS_DIR=$LABDIR/dns
DNS_LOG_QUERIES=${DNS_LOG_QUERIES-yes}
mkdir -p "$DNS_DIR"
chmod 755 "$DNS_DIR"
chown rbldns "$DNS_DIR" 2>/dev/null

dns_zone_file() { echo "$DNS_DIR/$1"; }

# dns_rbldnsd NS PORT ZONESPEC... - start rbldnsd and wait for its socket.
dns_rbldnsd() {
	_ns=$1 _port=$2
	shift 2
	chmod 644 "$DNS_DIR"/* 2>/dev/null
	lab_spawn "$_ns" rbldnsd -n -q -u rbldns -w "$DNS_DIR" \
		-b "127.0.0.1/$_port" -c 1 -l "+rbldnsd-$_port.log" "$@" \
		>"$DNS_DIR/rbldnsd-$_port.out" 2>&1
	lab_wait_port "$_ns" udp "$_port" 5 || {
		echo "dns.sh: rbldnsd did not start on port $_port:" >&2
		cat "$DNS_DIR/rbldnsd-$_port.out" >&2
		return 1
	}
	# -q loads the zones in the background: wait for the first answer.
	sleep 0.3
}

# dns_dnsmasq NS PORT ARG... - start dnsmasq and wait for its socket.
dns_dnsmasq() {
	_ns=$1 _port=$2
	shift 2
	lab_spawn "$_ns" dnsmasq --conf-file=/dev/null --keep-in-foreground \
		--no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address=127.0.0.1 --port="$_port" --cache-size=0 \
		--pid-file= --user=root --dns-forward-max=20000 \
		--local=/in-addr.arpa/ --local=/ip6.arpa/ \
		--log-facility="$DNS_DIR/dnsmasq-$_port.log" \
		${DNS_LOG_QUERIES:+--log-queries=extra} \
		"$@" >"$DNS_DIR/dnsmasq-$_port.out" 2>&1
	lab_wait_port "$_ns" udp "$_port" 5 || {
		echo "dns.sh: dnsmasq did not start on port $_port:" >&2
		cat "$DNS_DIR/dnsmasq-$_port.out" >&2
		return 1
	}
}

# dns_unbound NS PORT CONF - unbound on 127.0.0.1:PORT in the foreground,
# its server: clause completed from CONF (local-data, stub-zone lines).
# Multi-threaded and cache-less (TTL 0): the resolver for benchmarks.
dns_unbound() {
	_ns=$1 _port=$2
	{
		cat <<EOF
server:
	interface: 127.0.0.1
	port: $_port
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$DNS_DIR"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 0
	num-threads: 2
	so-rcvbuf: 4m
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	target-fetch-policy: "0 0 0 0 0"
	cache-max-ttl: 0
	cache-max-negative-ttl: 0
	ratelimit: 0
	ip-ratelimit: 0
	num-queries-per-thread: 4096
	outgoing-range: 8192
EOF
		cat "$3"
	} >"$DNS_DIR/unbound-$_port.conf"
	lab_spawn "$_ns" unbound -d -c "$DNS_DIR/unbound-$_port.conf" \
		>"$DNS_DIR/unbound-$_port.out" 2>&1
	lab_wait_port "$_ns" udp "$_port" 10 || {
		echo "dns.sh: unbound did not start on port $_port:" >&2
		cat "$DNS_DIR/unbound-$_port.out" >&2
		return 1
	}
}

# dns_silent NS PORT - UDP to 127.0.0.1:PORT is dropped on input (nft):
# the sender sees no error and never an answer.
dns_silent() {
	ip netns exec "$1" nft -f - <<EOF
table inet mxwall_dns_silent {
	chain input {
		type filter hook input priority 0;
		udp dport $2 drop
	}
}
EOF
}

# dns_query_count FILE PATTERN - logged queries matching PATTERN (grep -E).
dns_query_count() {
	grep -Ec -- "$2" "$1" 2>/dev/null || true
}

# dns_resolv_conf NS - /etc/netns/NS/resolv.conf naming 127.0.0.1 (the
# dnsmasq of dns_dnsmasq NS 53), removed by the lab's trap.
dns_resolv_conf() {
	mkdir -p "/etc/netns/$1"
	echo "nameserver 127.0.0.1" >"/etc/netns/$1/resolv.conf"
	DNS_NETNS_CONF="${DNS_NETNS_CONF:-} /etc/netns/$1"
	lab_on_exit dns_resolv_conf_cleanup
}
dns_resolv_conf_cleanup() {
	for _d in $DNS_NETNS_CONF; do rm -rf "$_d"; done
	DNS_NETNS_CONF=
}
