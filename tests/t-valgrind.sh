#!/bin/sh
# t-valgrind.sh - mxwalld under valgrind's memcheck through one whole
# scenario, failing on any memory error or definite leak.
#
# Inside a namespace of its own: rbldnsd serves bl.test, dnsmasq resolves
# PTR names and forwards bl.test to it. mxwalld runs there in the
# foreground under
#   valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
# with the policy service (inet and unix), the control socket, the seed's
# client_check and sender_check tables, and the xdp backend on a veth to
# a client namespace when the kernel has BTF (else, or with BACKEND=none,
# the none backend). The scenario: a listed client's connection seen by
# the kernel program (ring buffer, verdict written back), policy requests
# for a listed client, a
# dynamic-IP client, a good client with a discarded sender and one with a
# good sender (each answer checked), a malformed request; mxwallctl
# status, why, test, block, forget, stats, dnsbl, config; a reload by
# SIGHUP and one by mxwallctl, then SIGTERM. Valgrind's own report is
# checked: no errors, nothing definitely lost, and the daemon stopped
# cleanly.
#
# Suppressions (tests/valgrind.supp) cover third-party libraries only,
# each with the reason. Skips (77) without valgrind, root, rbldnsd or
# dnsmasq.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
command -v valgrind >/dev/null || t_skip_all "valgrind is not installed"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
command -v python3 >/dev/null || t_skip_all "python3 is not installed"
t_need_mxwall_user
BACKEND=${BACKEND:-xdp}
[ -r /sys/kernel/btf/vmlinux ] || BACKEND=none
D=$LABDIR

NS=$(lab_ns vg) || t_skip_all "cannot create a network namespace"
cat >"$(dns_zone_file bl)" <<'EOF'
$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 600
$TTL 600
:127.0.0.2:Listed by bl.test, see http://bl.test/?$
127.0.0.2
192.0.2.66
192.0.2.67
EOF
dns_rbldnsd "$NS" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
dns_dnsmasq "$NS" 53 --server=/bl.test/127.0.0.1#5301 \
	--local=/example.net/ --local=/example/ \
	--host-record=mail.good.example,192.0.2.10 \
	--host-record=c-77.dynamic.example.net,192.0.2.77 ||
	t_skip_all "dnsmasq does not start"

KERNEL=""
if [ "$BACKEND" = xdp ]; then
	lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
	CL=$(lab_ns cl) || t_skip_all "cannot create a network namespace"
	lab_veth "$NS" vg0 "$CL" vg1 || t_skip_all "cannot create a veth pair"
	ip -n "$NS" addr add 192.0.2.1/24 dev vg0
	ip -n "$CL" addr add 192.0.2.67/24 dev vg1
	KERNEL="interfaces = vg0
attach_mode = generic
pin_path = $LAB_BPFFS/mx"
fi
mkdir -p "$D/state" "$D/pf"
chown mxwall "$D/state"
# The reloads read the tables as mxwall, which may not reach the
# checkout (a clone under a 0700 directory): give it copies.
cp "$TOP/rules/client_check" "$TOP/rules/sender_check" "$D/"
cat >"$D/mxwall.conf" <<EOF
backend = $BACKEND
$KERNEL
mode = enforce
control_socket = $D/control.sock
state_file = $D/state/verdicts
policy_listen = inet:127.0.0.1:10040, unix:$D/pf/policy.sock
user = mxwall
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_timeout = 5s
policy_verdict_wait = 10s
client_checks = regexp:$D/client_check
sender_checks = regexp:$D/sender_check
EOF

# ---- start under valgrind ----
VG_EXIT=42
lab_spawn "$NS" valgrind --tool=memcheck --leak-check=full \
	--show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--error-exitcode=$VG_EXIT --track-origins=yes --num-callers=30 \
	--vgdb=no \
	--suppressions="$TOP/tests/valgrind.supp" \
	--log-file="$D/valgrind.log" \
	"$MXWALLD" -f -c "$D/mxwall.conf" </dev/null >/dev/null \
	2>"$D/daemon.log" >"$D/pid"
PID=$(cat "$D/pid")
# wait_log REGEX [SECONDS] - until the daemon's log matches.
wait_log() {
	i=0 max=$((${2:-20} * 10))
	while [ $i -lt $max ]; do
		grep -Eq -- "$1" "$D/daemon.log" && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if ! wait_log "started:" 60; then
	sed 's/^/# daemon: /' "$D/daemon.log"
	sed 's/^/# valgrind: /' "$D/valgrind.log"
	t_fail "mxwalld starts under valgrind"
	t_done
fi
t_pass "mxwalld starts under valgrind (backend $BACKEND)"
wait_log "dnsbl list bl.test: healthy" 20

# ---- a client seen by the kernel program ----
if [ "$BACKEND" = xdp ]; then
	lab_tcp_listen "$NS" 25 || t_skip_all "no TCP listener"
	t_check "kernel path: the first connection passes" \
		lab_tcp_connect "$CL" 192.0.2.67 192.0.2.1 25 5
	t_check "kernel path: the daemon blocks the client" \
		wait_log "BLOCK client=\[192\.0\.2\.67\]"
	if lab_tcp_connect "$CL" 192.0.2.67 192.0.2.1 25 2; then
		t_fail "kernel path: the next connection is dropped"
	else
		t_pass "kernel path: the next connection is dropped"
	fi
fi

# ---- policy requests ----
cat >"$D/policy.py" <<'EOF'
# policy.py WHERE REQUEST... - send each REQUEST (a,b,c as
# client_address,helo_name,sender) on one connection to the policy
# service at WHERE (a port on 127.0.0.1, or a unix socket path); print
# each answer's action line. "BAD" sends a malformed request instead and
# prints what came back before the service closed the connection.
import socket, sys
where = sys.argv[1]
if where.isdigit():
    s = socket.create_connection(("127.0.0.1", int(where)), timeout=30)
else:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(where)
f = s.makefile("rwb")
for r in sys.argv[2:]:
    if r == "BAD":
        f.write(b"request=smtpd_access_policy\nno equals sign here\n\n")
        f.flush()
        print("closed:" + repr(f.read()))
        break
    addr, helo, sender = r.split(",")
    req = ("request=smtpd_access_policy\nprotocol_state=RCPT\n"
           "protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
           "helo_name=%s\nsender=%s\nrecipient=bob@example.org\n"
           "instance=vg.%s\n\n" % (addr, helo, sender, addr))
    f.write(req.encode())
    f.flush()
    print(f.readline().decode().rstrip("\n"))
    f.readline()
EOF
policy() { ip netns exec "$NS" python3 "$D/policy.py" "$@" 2>&1; }
OUT=$(policy 10040 192.0.2.66,x.example,a@b.example \
	192.0.2.77,x.example,a@b.example \
	192.0.2.10,mail.good.example,news@ms1.epaper.com.tw \
	192.0.2.10,mail.good.example,alice@good.example)
echo "$OUT" | sed 's/^/# policy: /'
t_match "policy: the listed client is rejected naming the list" "$OUT" \
	'^action=554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.66\] blocked using bl\.test'
t_match "policy: the dynamic-IP client gets the table's text" "$OUT" \
	'action=REJECT We can.+t allow dynamic IP to relay!'
t_match "policy: the epaper sender is discarded" "$OUT" \
	'action=DISCARD PC HOME Spam'
t_match "policy: the good client and sender: DUNNO" "$OUT" \
	'action=DUNNO$'
OUT=$(policy "$D/pf/policy.sock" 192.0.2.66,x.example,a@b.example BAD)
t_match "policy over the unix socket answers" "$OUT" \
	'^action=554 5\.7\.1'
t_match "a malformed request is not answered" "$OUT" "^closed:b''$"

# ---- mxwallctl ----
ctl() {
	OUT=$(ip netns exec "$NS" "$MXWALLCTL" -c "$D/mxwall.conf" "$@" 2>&1)
	RC=$?
}
ctl status
t_match "ctl status" "$OUT" "^mxwalld .+running since"
ctl why 192.0.2.66
t_match "ctl why: the DNSBL verdict" "$OUT" \
	'reason=dnsbl list=bl\.test reply=127\.0\.0\.2'
ctl test 192.0.2.77
t_match "ctl test: would block by the rule" "$OUT" 'would block'
ctl block 198.51.100.0/24 --ttl 1h --reason "valgrind run"
t_eq "ctl block" "$OUT" "1/1 addresses blocked."
ctl forget 198.51.100.0/24
t_eq "ctl forget" "$OUT" "1/1 addresses deleted."
ctl stats
t_eq "ctl stats exits 0" "$RC" 0
ctl dnsbl
t_match "ctl dnsbl" "$OUT" 'bl\.test +dnsbl +ok'
ctl config
t_eq "ctl config exits 0" "$RC" 0
ctl --json why 192.0.2.77
t_match "ctl --json why" "$OUT" '"action":"block"'

# ---- reloads, then stop ----
kill -HUP "$PID"
t_check "SIGHUP reload" wait_log "RELOAD ok"
ctl reload
t_eq "ctl reload exits 0" "$RC" 0
OUT=$(policy 10040 192.0.2.66,x.example,a@b.example)
t_match "policy still answers after the reloads" "$OUT" '^action=554'
lab_stop "$PID" 30
wait "$PID" 2>/dev/null
RC=$?
t_check "the daemon stopped on SIGTERM" wait_log "stopped" 1
sed -n '/HEAP SUMMARY/,$p' "$D/valgrind.log" | sed 's/^==[0-9]*== /# /'
if [ $RC = $VG_EXIT ] || ! grep -q "ERROR SUMMARY: 0 errors" "$D/valgrind.log"
then
	sed 's/^==[0-9]*== /# /' "$D/valgrind.log" | head -n 150
	t_fail "valgrind found errors or definite leaks (exit $RC)"
else
	t_pass "valgrind: no errors, no definite leaks (exit $RC)"
fi
t_check "valgrind: nothing definitely lost" sh -c \
	"! grep -E 'definitely lost: [1-9]' '$D/valgrind.log'"
t_check "valgrind saw the daemon to its end" \
	grep -q "HEAP SUMMARY" "$D/valgrind.log"

t_done
