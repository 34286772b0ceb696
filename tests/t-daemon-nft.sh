#!/bin/sh
# t-daemon-nft.sh - mxwalld with the nft backend: new clients learnt from
# the pcap SYN capture, verdicts in an nftables set of table inet NAME,
# TCP to port 25 from set members dropped by its chain. Same lab as
# t-daemon.sh: two namespaces on a veth pair, rbldnsd and dnsmasq in the
# server namespace. The nftables table lives in that namespace and goes
# with it.
#
# Checked: a listed client's first connection passes and the next is
# dropped; the element is in the set with a timeout; a good client
# connects; the daemon keeps only CAP_NET_ADMIN; observe mode passes the
# blocked client and the rule counts it without dropping; forget removes
# the element; when the circuit breaker trips, the kernel stops
# dropping.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
CTL=$BUILD/tools/ctlcall
[ -x "$CTL" ] || t_skip_all "$CTL not built"
command -v nft >/dev/null || t_skip_all "nft is not installed"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
t_need_mxwall_user

srv=$(lab_ns srv) && cli=$(lab_ns cli) || t_skip_all "cannot create namespaces"
lab_veth "$srv" veth0 "$cli" veth1 || t_skip_all "cannot create veth"
ip -n "$srv" addr add 10.98.0.1/24 dev veth0
for a in 2 3 4; do
	ip -n "$cli" addr add 10.98.0.$a/24 dev veth1 2>/dev/null ||
		ip -n "$cli" addr add 10.98.0.$a/32 dev veth1
done
ip netns exec "$srv" nft list tables >/dev/null 2>&1 ||
	t_skip_all "nftables does not work in a namespace here"
lab_tcp_listen "$srv" 25 || t_skip_all "listener did not start"

cat >"$(dns_zone_file bl)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 600
:127.0.0.2:Listed by bl.test
127.0.0.2
10.98.0.2
10.98.0.3
EOF
dns_rbldnsd "$srv" 5301 bl.test:ip4set:bl ||
	t_skip_all "rbldnsd does not start here"
dns_dnsmasq "$srv" 53 --server=/bl.test/127.0.0.1#5301 \
	--local=/example.net/ --host-record=mail.example.net,10.98.0.4 ||
	t_skip_all "dnsmasq does not start here"

D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
conf() {
	cat >"$D/mxwall.conf" <<EOF
backend = nft
nft_table = mxtest
interfaces = veth0
mode = $1
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen =
user = mxwall
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_timeout = 3s
EOF
	shift
	for l in "$@"; do echo "$l" >>"$D/mxwall.conf"; done
}
conf enforce
: >"$D/daemon.log"
lab_spawn "$srv" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
	</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
PID=$(cat "$D/pid")

wait_log() { lab_wait_grep "$D/daemon.log" "$1" "${2:-8}"; }
connect() { lab_tcp_connect "$cli" "$1" 10.98.0.1 25 1.5; }
nftx() { ip netns exec "$srv" nft "$@"; }

if ! wait_log "started:" 10; then
	cat "$D/daemon.log"
	t_skip_all "mxwalld with the nft backend does not start here"
fi
t_pass "daemon started with the nft backend"
t_check "table inet mxtest exists" \
	sh -c "ip netns exec '$srv' nft list table inet mxtest >/dev/null"
t_eq "keeps only CAP_NET_ADMIN" \
	"$(awk '/^CapEff/ {print $2}' /proc/"$PID"/status)" 0000000000001000

t_check "good client connects" connect 10.98.0.4
t_check "listed client: first connection passes" connect 10.98.0.2
t_check "listed client: BLOCK logged" wait_log "BLOCK client=\[10.98.0.2\]"
sleep 0.2
t_match "the address is in the set, with a timeout" \
	"$(nftx list set inet mxtest block4)" "10.98.0.2 timeout"
if connect 10.98.0.2; then
	t_fail "listed client: next connection is dropped"
else
	t_pass "listed client: next connection is dropped"
fi
t_match "the drop rule counted it" \
	"$(nftx list chain inet mxtest input | grep '@block4')" \
	"counter packets [1-9].* drop"
t_check "good client connects again" connect 10.98.0.4

conf observe
kill -HUP "$PID"
wait_log "RELOAD ok file=.* mode=observe"
before=$(nftx list chain inet mxtest input | grep '@block4' |
	sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
t_check "observe mode: blocked client connects" connect 10.98.0.2
after=$(nftx list chain inet mxtest input | grep '@block4' |
	sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
t_check "observe mode: the rule counts without dropping" \
	test "${after:-0}" -gt "${before:-0}"
t_check "observe mode: the rule has no drop" \
	sh -c "! ip netns exec '$srv' nft list chain inet mxtest input |
	       grep '@block4' | grep -q drop"
conf enforce
kill -HUP "$PID"
wait_log "RELOAD ok file=.* mode=enforce"

ip netns exec "$srv" "$CTL" "$D/control.sock" forget 10.98.0.2 >/dev/null
t_check "forget removes the element" \
	sh -c "! ip netns exec '$srv' nft list set inet mxtest block4 |
	       grep -q 10.98.0.2"

# The circuit breaker (made to trip on the first block) reaches nftables.
conf enforce "circuit_breaker_min_clients = 1" "circuit_breaker_share = 1" \
	"circuit_breaker_factor = 1" "circuit_breaker_window = 1h"
kill -HUP "$PID"
sleep 0.5
t_check "breaker: first connection of a new listed client passes" \
	connect 10.98.0.3
t_check "breaker: trips and is logged" wait_log "BREAKER state=on"
sleep 0.3
t_check "breaker: the drop rule no longer drops" \
	sh -c "! ip netns exec '$srv' nft list chain inet mxtest input |
	       grep '@block4' | grep -q drop"
t_check "breaker: the blocked client connects (observe)" connect 10.98.0.3

kill -TERM "$PID"
t_done
