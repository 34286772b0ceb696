#!/bin/sh
# eval.sh - benchmark of the verdict engine (bench/bench_eval.c) against
# rbldnsd (5 lists) and dnsmasq (PTR + forward records for every client,
# list zones forwarded to rbldnsd), on loopback in a namespace of its own,
# at 100, 1,000 and 10,000 evaluations in flight. Prints figures only.
. "$(dirname "$0")/../tests/lab/lib.sh"
DNS_LOG_QUERIES=
. "$(dirname "$0")/../tests/lab/dns.sh"

B=$BUILD/bench/bench_eval
[ "$(id -u)" = 0 ] || { echo "bench_eval: skipped: needs root"; exit 0; }
[ -x "$B" ] || { echo "bench_eval: skipped: no $B"; exit 0; }
command -v rbldnsd >/dev/null && command -v dnsmasq >/dev/null ||
	{ echo "bench_eval: skipped: rbldnsd/dnsmasq missing"; exit 0; }
NS=$(lab_ns bench) || { echo "bench_eval: skipped: no namespace"; exit 0; }
N=${BENCH_EVAL_N:-10000}

# Every client 10.0.x.y has a PTR name that confirms; every list lists
# about 2 % of them (different ones), plus its RFC 5782 test point.
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++)
	printf "10.0.%d.%d h-%d.bench.example\n", int(i / 256), i % 256, i }' \
	>"$DNS_DIR/hosts"
for l in 1 2 3 4 5; do
	awk -v n=$N -v l=$l 'BEGIN {
		print "$SOA 3600 ns.bench hm.bench 1 600 300 86400 3600"
		print "$TTL 3600"
		print ":127.0.0.2:listed by bl" l
		print "127.0.0.2"
		for (i = 1; i <= n; i++)
			if ((i * 7 + l * 13) % 50 == 0)
				printf "10.0.%d.%d\n", int(i / 256), i % 256
	}' >"$DNS_DIR/bl$l"
done
dns_rbldnsd "$NS" 5301 bl1.bench:ip4set:bl1 bl2.bench:ip4set:bl2 \
	bl3.bench:ip4set:bl3 bl4.bench:ip4set:bl4 bl5.bench:ip4set:bl5 ||
	{ echo "bench_eval: skipped: rbldnsd does not start"; exit 0; }
FWD=""
for l in 1 2 3 4 5; do FWD="$FWD --server=/bl$l.bench/127.0.0.1#5301"; done
# shellcheck disable=SC2086
dns_dnsmasq "$NS" 53 $FWD --local=/bench.example/ \
	--addn-hosts="$DNS_DIR/hosts" ||
	{ echo "bench_eval: skipped: dnsmasq does not start"; exit 0; }
UNBOUND=""
if command -v unbound >/dev/null; then
	{
		echo '	local-zone: "bench.example." static'
		echo '	local-zone: "10.in-addr.arpa." static'
		awk '{ printf "\tlocal-data: \"%s. 60 A %s\"\n", $2, $1
		       printf "\tlocal-data-ptr: \"%s 60 %s.\"\n", $1, $2 }' \
			"$DNS_DIR/hosts"
		for l in 1 2 3 4 5; do
			printf 'stub-zone:\n\tname: "bl%s.bench."\n' $l
			printf '\tstub-addr: 127.0.0.1@5301\n'
		done
	} >"$DNS_DIR/unbound.local"
	dns_unbound "$NS" 5353 "$DNS_DIR/unbound.local" && UNBOUND=yes
fi

# conf RESOLVER [DIRECT] - the configuration; with DIRECT the lists are
# asked of rbldnsd directly (dnsbl_servers), else through the resolver.
conf() {
	cat <<CONF
dns_servers = $1
${2:+dnsbl_servers = 127.0.0.1:5301}
dnsbl_sites = bl1.bench*2, bl2.bench*2, bl3.bench, bl4.bench, bl5.bench
dnsbl_threshold = 2
circuit_breaker = no
mynetworks = 127.0.0.0/8
dns_max_inflight = ${BENCH_EVAL_INFLIGHT:-200}
CONF
}
conf 127.0.0.1:53 >"$LABDIR/dnsmasq.conf"
conf 127.0.0.1:53 direct >"$LABDIR/dnsmasq-direct.conf"
conf 127.0.0.1:5353 >"$LABDIR/unbound.conf"

# run WHAT CONF K... - one bench_eval run per K, fresh addresses each.
FIRST=1
run() {
	echo "bench_eval: $1:"
	c=$2
	shift 2
	for k in "$@"; do
		ip netns exec "$NS" ${BENCH_EVAL_WRAP:-} "$B" -c "$LABDIR/$c" \
			-n $N -k $k -b "10.0.$((FIRST / 256)).$((FIRST % 256))"
	done
}

echo "bench_eval: PTR + forward confirmation + 5 lists per address"
if [ -n "$UNBOUND" ]; then
	run "unbound (2 threads, no cache), lists from rbldnsd" unbound.conf \
		${BENCH_EVAL_K:-100 1000 10000}
fi
run "dnsmasq (1 thread), lists forwarded to rbldnsd" dnsmasq.conf \
	${BENCH_EVAL_K:-100 1000 10000}
run "dnsmasq for names, lists asked of rbldnsd directly" \
	dnsmasq-direct.conf ${BENCH_EVAL_K:-1000}
