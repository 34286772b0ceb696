#!/bin/sh
# demo.sh - 'make demo': mxwall end to end, in network namespaces, in
# well under a minute.
#
# The lab (everything inside namespaces this script creates):
#
#   good ─┐
#   dyn ──┤ br0 in "net" ── mx0 on the MX host: XDP program (mxwalld),
#   bl ───┤                  Postfix (policy socket to mxwalld),
#   v6 ───┘                  dnsmasq (resolver), rbldnsd (bl.test)
#
#   good  192.0.2.10      mail.good.example, forward-confirmed PTR
#   dyn   192.0.2.77      77.2.0.192.dynamic.example.net: the seed's
#                         client_check rejects /\.dynamic\./
#   bl    192.0.2.66      listed in bl.test (rbldnsd)
#   v6    2001:db8:66::10 listed in bl.test by its /64 (IPv6 nibbles)
#
# mxwalld runs on the MX host in enforce mode with the xdp backend, the
# seed's client_check and bl.test, from a configuration in the lab's
# temporary folder. Each client sends a message with swaks, then tries
# again: a bad client's first message is refused at RCPT by Postfix with
# the reason (through the policy socket), its second attempt never gets
# an answer because the kernel drops its SYNs. The table at the end says
# what each client saw and what 'mxwallctl why' says about it.
#
# Everything (namespaces, links, the bpffs mount, Postfix, DNS servers,
# mxwalld, the user mxwall if the demo had to create it) is registered
# with tests/lab/lib.sh and removed on exit, also on Ctrl-C.
# tests/t-demo.sh runs this script and checks its table.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

T0=$(date +%s)
# step TEXT - say what happens next (with the seconds elapsed).
step() {
	printf '[%2ds] %s\n' $(($(date +%s) - T0)) "$*"
}
# die TEXT - the demo cannot go on here: say why, clean up, exit 1.
die() {
	echo "demo: $*: stopping" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (namespaces, BPF, Postfix)"
[ -x "$MXWALLD" ] && [ -x "$MXWALLCTL" ] || die "not built: run make"
[ -r /sys/kernel/btf/vmlinux ] || die "this kernel has no BTF"
for p in rbldnsd dnsmasq postfix swaks; do
	command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] ||
		die "$p is not installed (make deps)"
done
# mxwalld drops root to this user after start-up.
if ! getent passwd mxwall >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall ||
		die "cannot create the user mxwall"
	userdel_mxwall() { userdel mxwall 2>/dev/null; }
	lab_on_exit userdel_mxwall
fi

MX4=192.0.2.25 MX6=2001:db8:25::25
D=$LABDIR

# ---- namespaces: a switch, the MX host, one per client ----
step "namespaces: an MX host and four clients on one Ethernet segment"
net=$(lab_ns net) && mx=$(lab_ns mx) || die "cannot create namespaces"
ip -n "$net" link add br0 type bridge || die "cannot create a bridge"
ip -n "$net" link set br0 up
# plug NS IF PORT - a veth from IF in NS to PORT on the switch.
plug() {
	lab_veth "$1" "$2" "$net" "$3" || die "cannot create a veth pair"
	ip -n "$net" link set "$3" master br0
}
plug "$mx" mx0 p-mx
ip -n "$mx" addr add $MX4/24 dev mx0
ip -n "$mx" addr add $MX6/64 dev mx0 nodad
ip -n "$mx" -6 route add 2001:db8::/32 dev mx0
# client NAME IF ADDR... - a client namespace with these addresses.
client() {
	c=$(lab_ns "$1") || die "cannot create namespace $1"
	plug "$c" eth0 "p-$1"
	shift
	for a in "$@"; do
		case $a in
		*:*) ip -n "$c" addr add "$a/64" dev eth0 nodad
		     ip -n "$c" -6 route add 2001:db8::/32 dev eth0 ;;
		*) ip -n "$c" addr add "$a/24" dev eth0 ;;
		esac
	done
	echo "$c"
}
GOOD=192.0.2.10 DYN=192.0.2.77 BL=192.0.2.66 V6=2001:db8:66::10
ns_good=$(client good $GOOD) && ns_dyn=$(client dyn $DYN) &&
	ns_bl=$(client bl $BL) && ns_v6=$(client v6 $V6) || exit 1

# ---- DNS on the MX host: rbldnsd for bl.test, dnsmasq resolving ----
step "DNS: rbldnsd serves bl.test, dnsmasq resolves PTR names"
cat >"$(dns_zone_file bl4)" <<'EOF'
$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 600
$TTL 600
:127.0.0.2:Listed by bl.test, see http://bl.test/lookup?$
127.0.0.2
192.0.2.66
EOF
cat >"$(dns_zone_file bl6)" <<'EOF'
$TTL 600
:127.0.0.2:Listed by bl.test (IPv6), see http://bl.test/lookup
::ffff:7f00:2
2001:db8:66::/64
EOF
DNS_LOG_QUERIES=
dns_rbldnsd "$mx" 5301 bl.test:ip4set:bl4 bl.test:ip6trie:bl6 ||
	die "rbldnsd did not start"
dns_dnsmasq "$mx" 53 --server=/bl.test/127.0.0.1#5301 \
	--local=/example/ --local=/example.net/ \
	--host-record=mail.good.example,$GOOD \
	--host-record=77.2.0.192.dynamic.example.net,$DYN ||
	die "dnsmasq did not start"
# Postfix (and swaks' name lookups) resolve through it too.
dns_resolv_conf "$mx"

# ---- Postfix and mxwalld on the MX host ----
lab_bpffs_private || die "cannot mount a bpf filesystem"
mkdir -p "$D/state" && chown mxwall "$D/state"
pf_setup "$mx"
cat >"$D/mxwall.conf" <<EOF
# mxwall.conf for make demo (tests/demo.sh)
mode = enforce
backend = xdp
interfaces = mx0
attach_mode = auto
pin_path = $LAB_BPFFS/mxwall
control_socket = $D/control.sock
state_file = $D/state/verdicts
policy_listen = unix:$PF_POLICY_SOCKET
user = mxwall
mynetworks = 127.0.0.0/8, [::1]/128
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_threshold = 1
client_checks = regexp:$TOP/rules/client_check
EOF
# Postfix first: it creates the private folder mxwalld listens in.
step "Postfix: smtpd on $MX4 and [$MX6], check_policy_service mxwall"
pf_start || die "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"
step "mxwalld: xdp backend on mx0, enforce mode, policy socket for Postfix"
DPID=$(lab_spawn "$mx" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
	</dev/null >/dev/null 2>>'$D/mxwalld.log'")
i=0
while [ $i -lt 100 ] && ! grep -q "started:" "$D/mxwalld.log" 2>/dev/null
do
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
grep -q "started:" "$D/mxwalld.log" 2>/dev/null || {
	cat "$D/mxwalld.log" >&2
	die "mxwalld did not start (its log is above)"
}

# ---- the mail ----
# send NS SERVER FILE - one message from NS; swaks' transcript in FILE.
# Run it in the background: it becomes swaks, so $! is swaks' PID.
send() {
	exec ip netns exec "$1" swaks --timeout 4 --server "$2" \
		--helo "client.example" --from "alice@client.example" \
		--to "bob@example.org" --header "Subject: make demo" \
		--body "Hello from make demo." >"$3" 2>&1
}
CLIENTS="good dyn bl v6"
# each N - every client sends its Nth message, all at the same time.
each() {
	pids=""
	for c in $CLIENTS; do
		eval "ns=\$ns_$c addr=\$$(echo $c | tr a-z A-Z)"
		case $addr in *:*) srv="[$MX6]" ;; *) srv=$MX4 ;; esac
		send "$ns" "$srv" "$D/$c.$1" &
		pids="$pids $!"
		LAB_PIDS="$LAB_PIDS $!" # ended by the cleanup if interrupted
	done
	# Only swaks: a bare wait would wait for the servers too.
	for p in $pids; do wait "$p"; done
}
step "each client sends a message"
each 1
step "each client tries again (no answer within 4 s means dropped)"
each 2

# ---- the table ----
# outcome C N - what client C's Nth attempt came to, in a few words.
outcome() {
	f=$D/$1.$2
	id=$(sed -n 's/^<-  250 .*queued as \([0-9A-F]*\).*/\1/p' "$f")
	if [ -n "$id" ] && pf_wait_log " $id: to=<bob@example.org>.*status=sent" 5
	then
		echo "delivered"
	elif grep -q '^<\*\* *5[0-9][0-9] ' "$f"; then
		echo "rejected at RCPT"
	elif ! grep -q '^<-  220 ' "$f" &&
	    grep -q 'connect: timeout' "$f"; then
		echo "dropped in the kernel"
	else
		echo "unexpected"
	fi
}
# detail C N ADDR - the server's words (or the silence) behind outcome.
detail() {
	f=$D/$1.$2
	case $(outcome "$1" "$2") in
	delivered) sed -n 's/^<-  \(250 .*queued as .*\)/\1/p' "$f" ;;
	"rejected at RCPT") sed -n 's/^<\*\* *\(5[0-9][0-9] .*\)/\1/p' "$f" |
		head -n 1 ;;
	"dropped in the kernel")
		n=$(grep -c "connect from [^ ]*\[$3\]\$" "$(pf_log)")
		printf 'no answer within 4 s; Postfix saw %s connection%s from it' \
			"$n" "$([ "$n" = 1 ] || echo s)" ;;
	*) tail -n 2 "$f" | tr '\n' ' ' ;;
	esac
}
# why ADDR - the heart of 'mxwallctl why ADDR': its first line and the
# reason (or, with no verdict, what a fresh evaluation found).
why() {
	ip netns exec "$mx" "$MXWALLCTL" -c "$D/mxwall.conf" why "$1" \
		>"$D/why.$1" 2>&1
	head -n 1 "$D/why.$1"
	if grep -q '^  reason:' "$D/why.$1"; then
		sed -n 's/^  reason: *//p; s/^  kernel hits: */kernel hits: /p' \
			"$D/why.$1"
	else
		sed -n 's/^    \(ptr=.*\)/\1/p; s/^    \(dnsbl .*\)/\1/p' \
			"$D/why.$1"
	fi
}
# label C - the client's name in the table.
label() {
	case $1 in
	good) echo "good sender" ;;
	dyn) echo "dynamic IP" ;;
	bl) echo "DNSBL-listed" ;;
	v6) echo "IPv6, listed" ;;
	esac
}
step "done (the lab is removed on exit)"
echo
echo "What each client saw (mail to bob@example.org, twice):"
echo
printf '%-14s %-16s %-18s %s\n' CLIENT ADDRESS "FIRST MESSAGE" \
	"SECOND ATTEMPT"
for c in $CLIENTS; do
	eval "addr=\$$(echo $c | tr a-z A-Z)"
	printf '%-14s %-16s %-18s %s\n' "$(label $c)" "$addr" \
		"$(outcome $c 1)" "$(outcome $c 2)"
done
echo
echo "In detail, with 'mxwallctl why ADDRESS':"
for c in $CLIENTS; do
	eval "addr=\$$(echo $c | tr a-z A-Z)"
	echo
	echo "$(label $c) $addr"
	echo "  1st: $(detail $c 1 "$addr")"
	echo "  2nd: $(detail $c 2 "$addr")"
	why "$addr" | sed '1s/^/  why: /; 2,$s/^/       /'
done
echo
echo "Kernel counters ('mxwallctl stats'):"
ip netns exec "$mx" "$MXWALLCTL" -c "$D/mxwall.conf" stats 2>&1 |
	grep -E '(drop_verdict|pass_established|pass_unknown|event_posted) ' |
	sed 's/^ */  /'
