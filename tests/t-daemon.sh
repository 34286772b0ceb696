#!/bin/sh
# t-daemon.sh - mxwalld end to end: the real kernel program (xdp backend)
# on a veth pair between two namespaces, a real rbldnsd serving the
# lists and a real dnsmasq resolving names, all inside the server
# namespace; clients connect from the client namespace.
#
# Checked, as a user would see it (connections and log lines):
#   - a listed client's first connection passes, the next is dropped in
#     the kernel (drop_verdict counted); a /\.dynamic\./ client likewise;
#     a good client always connects;
#   - the daemon runs as the unprivileged user with only CAP_BPF;
#   - a rule change (/tenlong\.com\.tw/ OK) lifts a cached block at once;
#   - a reload with a broken table keeps the old rules and names the
#     file and line;
#   - observe mode drops nothing and counts would-drops;
#   - a restart restores the snapshot into the kernel before any DNS
#     answer (DNS made silent first);
#   - after kill -9 verdicts keep working until their expiry, and then
#     nothing is blocked;
#   - a blocked host that keeps knocking is decided again before its
#     block expires, so it never gets a window.
# Skips (77) without root, BTF, rbldnsd or dnsmasq.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -r /sys/kernel/btf/vmlinux ] || t_skip_all "kernel without BTF"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
t_need_mxwall_user

lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
PIN=$LAB_BPFFS/mx
export MXWALL_PIN_PATH=$PIN
srv=$(lab_ns srv) && cli=$(lab_ns cli) || t_skip_all "cannot create namespaces"
lab_veth "$srv" veth0 "$cli" veth1 || t_skip_all "cannot create veth"
ip -n "$srv" addr add 10.99.0.1/24 dev veth0
ip -n "$srv" addr add fd00:99::1/64 dev veth0
ip -n "$cli" addr add fd00:99:8::8/64 dev veth1
ip -n "$srv" route add fd00:99:8::/64 dev veth0
ip -n "$cli" route add fd00:99::/64 dev veth1
for a in 2 3 4 5 6 7; do
	ip -n "$cli" addr add 10.99.0.$a/24 dev veth1 2>/dev/null ||
		ip -n "$cli" addr add 10.99.0.$a/32 dev veth1
done
lab_tcp_listen "$srv" 25 || t_skip_all "listener did not start"

# Clients: .2 listed (bl.test), .3 dynamic PTR, .4 good, .5 listed but
# named mail.tenlong.com.tw, .6 listed with a 15 s TTL (short.test).
cat >"$(dns_zone_file bl)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 600
:127.0.0.2:Listed by bl.test
127.0.0.2
10.99.0.2
10.99.0.5
EOF
cat >"$(dns_zone_file short)" <<'EOF'
$SOA 7200 ns.short.test hostmaster.short.test 1 600 300 86400 600
$TTL 15
:127.0.0.2:Listed by short.test
127.0.0.2
10.99.0.6
10.99.0.7
EOF
cat >"$(dns_zone_file bl6)" <<'EOF'
$TTL 600
:127.0.0.2:Listed by bl.test (IPv6)
::ffff:7f00:2
fd00:99:8::/64
EOF
dns_rbldnsd "$srv" 5301 bl.test:ip4set:bl bl.test:ip6trie:bl6 \
	short.test:ip4set:short ||
	t_skip_all "rbldnsd does not start here"
dns_dnsmasq "$srv" 53 --server=/bl.test/127.0.0.1#5301 \
	--server=/short.test/127.0.0.1#5301 --local=/example.net/ \
	--local=/com.tw/ \
	--host-record=mail.example.net,10.99.0.4 \
	--host-record=c-3.dynamic.example.net,10.99.0.3 \
	--host-record=mail.tenlong.com.tw,10.99.0.5 ||
	t_skip_all "dnsmasq does not start here"

D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
printf '%s\n' '/\.dynamic\./ REJECT dynamic address' >"$D/client_check"
# conf MODE - write the configuration in mode MODE.
conf() {
	cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces = veth0
attach_mode = generic
mode = $1
pin_path = $PIN
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen = inet:127.0.0.1:10040
user = mxwall
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test, short.test
dnsbl_threshold = 1
dnsbl_min_ttl = 1s
dnsbl_timeout = 3s
client_checks = regexp:$D/client_check
EOF
}
conf enforce
: >"$D/daemon.log"

# start - run mxwalld in the server namespace; wait until it is ready.
start() {
	lab_spawn "$srv" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
	PID=$(cat "$D/pid")
	n0=$(grep -c "started:" "$D/daemon.log")
	i=0
	while [ $i -lt 100 ] &&
	    [ "$(grep -c "started:" "$D/daemon.log")" = "$n0" ]; do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}
connect() { lab_tcp_connect "$cli" "$1" 10.99.0.1 25 1.5; }
# wait_log REGEX [SECONDS] - until the daemon's log has a matching line.
wait_log() { lab_wait_grep "$D/daemon.log" "$1" "${2:-8}"; }
ctl() { ip netns exec "$srv" "$MXWALLCTL" -s "$D/no-daemon.sock" "$@"; }
# policy_ask ADDR - the policy service's answer for a RCPT from ADDR.
policy_ask() {
	ip netns exec "$srv" python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", 10040), timeout=10)
s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\n"
	   "protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
	   "helo_name=x.example\nsender=a@example.org\n"
	   "recipient=b@example.net\n\n" % sys.argv[1]).encode())
print(s.recv(4096).decode().split("\n")[0])
' "$1"
}

start
if ! grep -q "started:" "$D/daemon.log"; then
	cat "$D/daemon.log"
	t_skip_all "mxwalld does not start here (see its log above)"
fi
t_pass "daemon started with the xdp backend"

t_eq "runs as the unprivileged user" \
	"$(ps -o user= -p "$PID" | tr -d ' ')" mxwall
t_eq "keeps only CAP_BPF" \
	"$(awk '/^CapEff/ {print $2}' /proc/"$PID"/status)" 0000008000000000

t_check "good client connects" connect 10.99.0.4
sleep 1
t_check "good client connects again" connect 10.99.0.4

t_check "listed client: first connection passes" connect 10.99.0.2
t_check "listed client: BLOCK logged with list and reply" \
	wait_log "BLOCK client=\[10.99.0.2\].*list=bl.test reply=127.0.0.2"
if connect 10.99.0.2; then
	t_fail "listed client: next connection is dropped"
else
	t_pass "listed client: next connection is dropped"
fi
t_match "the kernel counted the drop" "$(ctl stats)" '^drop_verdict +[1-9]'
t_match "policy service rejects the listed client, naming the list" \
	"$(policy_ask 10.99.0.2)" "^action=.*(REJECT|5[0-9][0-9]).*bl\.test"
t_eq "policy service lets the good client through" \
	"$(policy_ask 10.99.0.4)" "action=DUNNO"

# IPv6: the verdict covers the client's /64.
c6() { lab_tcp_connect "$cli" fd00:99:8::8 fd00:99::1 25 1.5; }
t_check "listed IPv6 client: first connection passes" c6
t_check "listed IPv6 client: BLOCK logged" \
	wait_log "BLOCK client=\[fd00:99:8::(8|/64)?\]"
if c6; then
	t_fail "listed IPv6 client: next connection is dropped"
else
	t_pass "listed IPv6 client: next connection is dropped"
fi

t_check "dynamic client: first connection passes" connect 10.99.0.3
t_check "dynamic client: BLOCK logged with the rule" \
	wait_log "BLOCK client=\[10.99.0.3\].*reason=rule"
if connect 10.99.0.3; then
	t_fail "dynamic client: next connection is dropped"
else
	t_pass "dynamic client: next connection is dropped"
fi
t_check "good client still connects" connect 10.99.0.4

# A rule change lifts a cached block.
t_check "tenlong client: first connection passes" connect 10.99.0.5
t_check "tenlong client: blocked by the list" \
	wait_log "BLOCK client=\[10.99.0.5\]"
if connect 10.99.0.5; then
	t_fail "tenlong client: dropped while blocked"
else
	t_pass "tenlong client: dropped while blocked"
fi
printf '%s\n' '/tenlong\.com\.tw/ OK' '/\.dynamic\./ REJECT dynamic address' \
	>"$D/client_check"
kill -HUP "$PID"
t_check "reload with the new rule is accepted" wait_log "RELOAD ok"
wait_log "ALLOW client=\[10.99.0.5\]" 8
t_check "the rule change lifts the cached block" connect 10.99.0.5
if connect 10.99.0.3; then
	t_fail "the dynamic block stays after the reload"
else
	t_pass "the dynamic block stays after the reload"
fi

# A broken table is refused; the old rules stay.
printf '%s\n' '/tenlong\.com\.tw/ OK' '/\.dynamic\./ REJECT dynamic address' \
	'/unclosed REJECT' >"$D/client_check"
kill -HUP "$PID"
t_check "broken reload logged with file and line" \
	wait_log "RELOAD failed .*client_check, line 3"
t_check "the daemon still runs" kill -0 "$PID"
if connect 10.99.0.3; then
	t_fail "old rules kept: dynamic client still dropped"
else
	t_pass "old rules kept: dynamic client still dropped"
fi
printf '%s\n' '/tenlong\.com\.tw/ OK' '/\.dynamic\./ REJECT dynamic address' \
	>"$D/client_check"

# Observe mode: nothing dropped, would-drops counted.
conf observe
kill -HUP "$PID"
wait_log "RELOAD ok file=.* mode=observe"
t_check "observe mode: blocked client connects" connect 10.99.0.2
t_match "observe mode: would_drop counted" "$(ctl stats)" \
	'^would_drop +[1-9]'
conf enforce
kill -HUP "$PID"
wait_log "RELOAD ok file=.* mode=enforce"
if connect 10.99.0.2; then
	t_fail "enforce again: blocked client dropped"
else
	t_pass "enforce again: blocked client dropped"
fi

# A host that keeps knocking is decided again before its block expires:
# .7 (15 s TTL) tries every 2 s for 20 s and never gets through.
t_check "knocking client: first connection passes" connect 10.99.0.7
t_check "knocking client blocked" wait_log "BLOCK client=\[10.99.0.7\]"
through=0
end=$(($(date +%s) + 20))
while [ "$(date +%s)" -lt $end ]; do
	connect 10.99.0.7 && through=$((through + 1))
	sleep 0.5
done
t_eq "knocking client: no connection got through past its TTL" \
	"$through" 0
t_check "knocking client: decided again before expiry" \
	test "$(grep -c "BLOCK client=\[10.99.0.7\]" "$D/daemon.log")" -ge 2

# A short block (15 s TTL) for the kill -9 check below.
t_check "short-TTL client: first connection passes" connect 10.99.0.6
t_check "short-TTL client blocked" wait_log "BLOCK client=\[10.99.0.6\]"
short_at=$(date +%s)

# Stop: the snapshot is written. Take .3 out of the kernel by hand, make
# DNS silent, start again: .3 must be blocked from the snapshot alone.
lab_stop "$PID"
t_check "snapshot holds the dynamic block" \
	grep -q "^10.99.0.3 block rule " "$D/state/verdicts"
ctl forget 10.99.0.3 >/dev/null 2>&1
t_check "without its verdict the client connects" connect 10.99.0.3
dns_silent "$srv" 53
dns_silent "$srv" 5301
start
t_check "restart: restored from the snapshot" \
	wait_log "restored [1-9][0-9]* verdicts from $D/state/verdicts" 1
if connect 10.99.0.3; then
	t_fail "restart: snapshot blocks before any DNS answer"
else
	t_pass "restart: snapshot blocks before any DNS answer"
fi

# kill -9: the kernel keeps enforcing until expiry, then nothing.
kill -9 "$PID"
sleep 0.2
if connect 10.99.0.6; then
	t_fail "after kill -9 the verdict still works"
else
	t_pass "after kill -9 the verdict still works"
fi
now=$(date +%s)
left=$((short_at + 16 - now))
[ $left -gt 0 ] && sleep $left
t_check "after its expiry the client connects" connect 10.99.0.6

t_done
