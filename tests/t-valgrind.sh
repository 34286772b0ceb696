#!/bin/sh
# t-valgrind.sh - mxwalld under valgrind's memcheck through one whole
# scenario: start, DNS list probes, policy requests (a listed client, a
# good one, a malformed request), control commands (status, why, block,
# forget, list, dnsbl, stats), a reload, and a clean stop. memcheck must
# report no error and no leak ("definitely" or "indirectly" lost).
#
# Backend none (the policy socket only): the kernel path is exercised by
# the kern suites; valgrind cannot follow bpf() system calls usefully.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
command -v valgrind >/dev/null || t_skip_all "valgrind is not installed"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
getent passwd mxwall >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall ||
	t_skip_all "cannot create the mxwall user"

NS=$(lab_ns vg) || t_skip_all "cannot create a network namespace"
D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
chmod 777 "$D"

cat >"$(dns_zone_file bl)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 600
:127.0.0.2:Listed by bl.test
127.0.0.2
192.0.2.66
EOF
dns_rbldnsd "$NS" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
dns_dnsmasq "$NS" 53 --server=/bl.test/127.0.0.1#5301 \
	--local=/example.net/ --host-record=mail.good.example.net,198.51.100.10 ||
	t_skip_all "dnsmasq does not start"

printf '%s\n' '/\.dynamic\./ REJECT dynamic address' >"$D/client_check"
cat >"$D/mxwall.conf" <<EOF
backend = none
state_file = $D/state/verdicts
control_socket = $D/control.sock
control_group =
policy_listen = inet:127.0.0.1:10040
policy_verdict_wait = 20s
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dns_query_timeout = 5s
dnsbl_sites = bl.test*2
dnsbl_threshold = 2
client_checks = regexp:$D/client_check
sender_checks = regexp:$TOP/rules/sender_check
user = mxwall
EOF

: >"$D/daemon.log"
# sh stays valgrind's parent to record its exit status; the daemon (and
# valgrind, one process) is ended by its own PID, also on early exit.
DPID=""
kill_daemon() { [ -n "$DPID" ] && kill "$DPID" 2>/dev/null; }
lab_on_exit kill_daemon
lab_spawn "$NS" sh -c "valgrind --tool=memcheck --vgdb=no --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --log-file='$D/valgrind.log' \
	'$MXWALLD' -f -c '$D/mxwall.conf' </dev/null >/dev/null \
	2>>'$D/daemon.log'; echo \$? >'$D/exit'" >"$D/pid"
lab_wait_port "$NS" tcp 10040 60 || {
	cat "$D/daemon.log" "$D/valgrind.log"
	t_skip_all "mxwalld did not start under valgrind"
}
# The daemon's own PID (valgrind runs it in place of the shell's child).
i=0
while [ $i -lt 50 ] && ! grep -q 'started:' "$D/daemon.log"; do
	sleep 0.2
	i=$((i + 1))
done
DPID=$(sed -n 's/^mxwalld\[\([0-9]*\)\]: started:.*/\1/p' "$D/daemon.log" |
	head -n 1)
t_check "mxwalld started under valgrind (pid $DPID)" test -n "$DPID"

cat >"$D/policy.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", 10040), timeout=60)
f = s.makefile("rwb")
for arg in sys.argv[1:]:
    if arg == "BAD":
        f.write(b"this is not a policy request\n\n")
        f.flush()
        print("BAD", f.readline() == b"" and "CLOSED" or "ANSWERED")
        break
    addr, _, sender = arg.partition(",")
    f.write(("request=smtpd_access_policy\nprotocol_state=RCPT\n"
             "client_address=%s\nclient_name=unknown\nsender=%s\n"
             "recipient=r@example.com\n\n" % (addr, sender or "a@b.example")
             ).encode())
    f.flush()
    ans = []
    while True:
        line = f.readline()
        if line in (b"\n", b""):
            break
        ans.append(line.decode().strip())
    print(addr, " ".join(ans))
EOF
ctl() {
	ip netns exec "$NS" "$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1
}
out=$(ip netns exec "$NS" python3 "$D/policy.py" 192.0.2.66 198.51.100.10 \
	198.51.100.11,news@ms1.epaper.com.tw BAD)
t_match "listed client refused" "$out" '^192\.0\.2\.66 action=554 '
t_match "good client passes" "$out" '^198\.51\.100\.10 action=DUNNO'
t_match "sender table applies" "$out" \
	'^198\.51\.100\.11 action=DISCARD PC HOME Spam'
t_match "malformed request: connection closed unanswered" "$out" \
	'^BAD CLOSED'
t_check "status" ctl status
t_match "why" "$(ctl why 192.0.2.66)" '^192\.0\.2\.66: block \(dnsbl\)'
t_match "block" "$(ctl block 203.0.113.7 --reason valgrind)" '1/1'
t_match "list" "$(ctl list)" '203\.0\.113\.7'
t_match "forget" "$(ctl forget 203.0.113.7)" '1/1'
t_check "dnsbl" ctl dnsbl
t_check "stats" ctl stats
t_check "reload" ctl reload
t_match "a request after the reload" \
	"$(ip netns exec "$NS" python3 "$D/policy.py" 192.0.2.66)" \
	'^192\.0\.2\.66 action=554 '

kill "$DPID"
i=0
while [ $i -lt 150 ] && [ ! -s "$D/exit" ]; do
	sleep 0.2
	i=$((i + 1))
done
t_match "mxwalld stopped cleanly" "$(cat "$D/daemon.log")" 'stopped'
t_eq "valgrind's exit status (99: memcheck found errors)" \
	"$(cat "$D/exit" 2>/dev/null)" 0
t_match "memcheck: no errors" "$(cat "$D/valgrind.log")" \
	'ERROR SUMMARY: 0 errors'
t_check "memcheck: nothing definitely lost" \
	sh -c "! grep -q 'definitely lost: [1-9]' '$D/valgrind.log'"
t_check "memcheck: nothing indirectly lost" \
	sh -c "! grep -q 'indirectly lost: [1-9]' '$D/valgrind.log'"
grep -A3 'ERROR SUMMARY\|LEAK SUMMARY' "$D/valgrind.log"
t_done
