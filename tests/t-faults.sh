#!/bin/sh
# t-faults.sh - mxwalld when the world around it breaks, in the lab.
#
# One namespace holds rbldnsd (the lists), dnsmasq (the resolver) and
# mxwalld (xdp backend, maps pinned in a private bpffs, no interface
# attached: verdicts go to the kernel maps, clients come through the
# policy socket as Postfix would send them). Faults, in order:
#
#   1. the resolver stops mid-run: nothing new is blocked, nothing good
#      is lost, a block made before stays; when it comes back, listed
#      clients are blocked again;
#   2. one list starts answering "listed" for every address, another
#      starts answering 127.255.255.254 (Spamhaus's "public resolver"
#      error) for everything: within one probe interval both are
#      quarantined and block no one, and mxwallctl dnsbl says so;
#   3. mxwalld is killed with SIGKILL while clients keep coming, and
#      started again: the blocks are back (from the pinned kernel maps),
#      good clients are still not blocked.
#
# What is checked is what an administrator sees: the policy answers
# Postfix would get, `mxwallctl dnsbl` / `show`, and the log lines.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
getent passwd mxwall >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall ||
	t_skip_all "cannot create the mxwall user"

NS=$(lab_ns faults) || t_skip_all "cannot create a network namespace"
lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
D=$LABDIR
RBL=5301
PROBE=10 # dnsbl_probe_interval, seconds (its lower bound)
mkdir -p "$D/state"
chown mxwall "$D/state"

# ---- the lists: bl.test stays sane; wild.test and err.test go bad ----
zone() {
	# zone FILE LINE... - write a zone atomically (rbldnsd reloads it).
	f=$(dns_zone_file "$1")
	shift
	{
		echo "\$SOA 7200 ns.test hostmaster.test 1 600 300 86400 7200"
		echo "\$TTL 600"
		for l in "$@"; do echo "$l"; done
	} >"$f.tmp"
	chmod 644 "$f.tmp"
	mv "$f.tmp" "$f"
	# rbldnsd notices a change by mtime, in whole seconds.
	touch -d "@$(($(date +%s) + ${ZONE_BUMP:-0}))" "$f"
}
zone bl ":127.0.0.2:Listed by bl.test" 127.0.0.2 192.0.2.66 192.0.2.67 \
	192.0.2.68
zone wild ":127.0.0.2:Listed by wild.test" 127.0.0.2 192.0.2.90
zone err ":127.0.0.2:Listed by err.test" 127.0.0.2 192.0.2.91
dns_rbldnsd "$NS" $RBL bl.test:ip4set:bl wild.test:ip4set:wild \
	err.test:ip4set:err || t_skip_all "rbldnsd does not start here"

DNSMASQ_ARGS="--server=/bl.test/127.0.0.1#$RBL
	--server=/wild.test/127.0.0.1#$RBL --server=/err.test/127.0.0.1#$RBL
	--local=/example.net/
	--host-record=mail.good.example.net,198.51.100.10
	--host-record=mx2.good.example.net,198.51.100.11"
# shellcheck disable=SC2086
dns_dnsmasq "$NS" 53 $DNSMASQ_ARGS || t_skip_all "dnsmasq does not start here"

# ns_pid COMM - the PID of the one COMM process in our namespace.
ns_pid() {
	for p in $(ip netns pids "$NS"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && echo "$p"
	done | head -n 1
}

cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces =
pin_path = $LAB_BPFFS/mxwall
state_file = $D/state/verdicts
snapshot_interval = 10s
control_socket = $D/control.sock
control_group =
policy_listen = inet:127.0.0.1:10040
policy_verdict_wait = 8s
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dns_query_timeout = 1s
dns_query_tries = 1
dnsbl_timeout = 3s
dnsbl_sites = bl.test*2, wild.test*2, err.test*2
dnsbl_threshold = 2
dnsbl_probe_interval = ${PROBE}s
circuit_breaker = no
user = mxwall
EOF

# policy ADDR[,NAME]... - one connection, one request per client, as
# Postfix sends them; prints "ADDR ACTION" lines.
cat >"$D/policy.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", 10040), timeout=30)
f = s.makefile("rwb")
for arg in sys.argv[1:]:
    addr, _, name = arg.partition(",")
    name = name or "unknown"
    f.write(("request=smtpd_access_policy\nprotocol_state=RCPT\n"
             "protocol_name=ESMTP\nclient_address=%s\nclient_name=%s\n"
             "reverse_client_name=%s\nhelo_name=h.example\n"
             "sender=s@example.org\nrecipient=r@example.com\n\n"
             % (addr, name, name)).encode())
    f.flush()
    ans = []
    while True:
        line = f.readline()
        if not line:
            print(addr, "CLOSED")
            sys.exit(1)
        if line == b"\n":
            break
        ans.append(line.decode().strip())
    print(addr, " ".join(ans).replace("action=", "", 1))
EOF
policy() {
	ip netns exec "$NS" python3 "$D/policy.py" "$@" 2>&1
}
# answer ADDR[,NAME] - the action for one client: DUNNO, 554 ... etc.
answer() {
	policy "$1" | sed -n "s/^${1%%,*} //p"
}
ctl() {
	ip netns exec "$NS" "$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1
}

# start - mxwalld in the namespace; wait until it answers policy requests.
start() {
	lab_spawn "$NS" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
	PID=$(cat "$D/pid")
	lab_wait_port "$NS" tcp 10040 10
}
: >"$D/daemon.log"
start || { cat "$D/daemon.log"; t_skip_all "mxwalld does not start here"; }
t_check "mxwalld started" kill -0 "$PID"

# Baseline: a listed client is refused, a good one is not.
t_match "listed client refused at RCPT" "$(answer 192.0.2.66)" \
	'^554 5\.7\.1 .*\[192\.0\.2\.66\] blocked using bl\.test'
t_eq "good client passes" "$(answer 198.51.100.10,mail.good.example.net)" \
	DUNNO

# ---- 1. the resolver stops ----
dpid=$(ns_pid dnsmasq)
t_check "found the resolver's PID ($dpid)" test -n "$dpid"
kill "$dpid"
sleep 0.5
t_eq "resolver down: a listed client never seen before is not blocked" \
	"$(answer 192.0.2.67)" DUNNO
t_eq "resolver down: a good client never seen before passes" \
	"$(answer 198.51.100.11,mx2.good.example.net)" DUNNO
t_eq "resolver down: the good client seen before still passes" \
	"$(answer 198.51.100.10,mail.good.example.net)" DUNNO
t_match "resolver down: the block made before stays" \
	"$(answer 192.0.2.66)" '^554 '
t_check "resolver down: the daemon is still running" kill -0 "$PID"

# shellcheck disable=SC2086
dns_dnsmasq "$NS" 53 $DNSMASQ_ARGS
got=""
i=0
while [ $i -lt 15 ]; do
	got=$(answer 192.0.2.68)
	case $got in 554*) break ;; esac
	sleep 1
	i=$((i + 1))
done
t_match "resolver back: listed clients are blocked again (${i}s)" "$got" \
	'^554 .*blocked using bl\.test'

# ---- 2. a list answers only errors, another lists the world ----
t_match "before: wild.test and err.test are healthy" \
	"$(ctl dnsbl | grep -E 'wild\.test|err\.test' | grep -c ' ok')" '^2$'
ZONE_BUMP=2 zone err ":127.255.255.254:Query refused" 0.0.0.0/1 128.0.0.0/1
changed=$(date +%s)
# Wait until the list really answers so (rbldnsd reloads by mtime).
i=0
while [ $i -lt 10 ]; do
	ctl test 192.0.2.152 >"$D/test-err.out"
	grep -q '127\.255\.255\.254' "$D/test-err.out" && break
	sleep 1
	i=$((i + 1))
done
t_match "err.test now answers 127.255.255.254" "$(cat "$D/test-err.out")" \
	'err\.test.*127\.255\.255\.254'
t_eq "an error reply is no listing: new client on err.test only passes" \
	"$(answer 192.0.2.151)" DUNNO
ZONE_BUMP=4 zone wild ":127.0.0.2:Listed by wild.test" 0.0.0.0/1 128.0.0.0/1
i=0
while [ $i -lt $((PROBE + 8)) ]; do
	out=$(ctl dnsbl)
	if printf '%s\n' "$out" | grep -q 'wild\.test.*quarantined' &&
	    printf '%s\n' "$out" | grep -q 'err\.test.*quarantined'; then
		break
	fi
	sleep 1
	i=$((i + 1))
done
took=$(($(date +%s) - changed))
t_match "wild.test (lists everything) is quarantined" "$out" \
	'wild\.test.*quarantined'
t_match "err.test (answers 127.255.255.254) is quarantined" "$out" \
	'err\.test.*quarantined'
t_check "both within one probe interval and a bit (${took}s)" \
	test "$took" -le $((PROBE + 10))
t_match "the quarantine of wild.test is logged with its reason" \
	"$(cat "$D/daemon.log")" 'QUARANTINE list=wild\.test why=.*127\.0\.0\.1'
t_match "the quarantine of err.test is logged with its reason" \
	"$(cat "$D/daemon.log")" 'QUARANTINE list=err\.test why=.*error'
t_eq "quarantined lists block no one (192.0.2.150, on no sane list)" \
	"$(answer 192.0.2.150)" DUNNO
t_eq "a good client still passes" \
	"$(answer 198.51.100.12)" DUNNO
t_match "the sane list still blocks" "$(answer 192.0.2.66)" '^554 '

# ---- 3. SIGKILL under load, then restart ----
# Load: three connections sending requests for many clients, listed and
# not, while the daemon is killed.
cat >"$D/load.sh" <<EOF
n=0
while [ \$n -lt 40 ]; do
	python3 "$D/policy.py" 192.0.2.66 203.0.113.\$n 198.51.100.10 \
		>/dev/null 2>&1
	n=\$((n + 1))
done
EOF
l1=$(lab_spawn "$NS" sh "$D/load.sh")
l2=$(lab_spawn "$NS" sh "$D/load.sh")
sleep 1
# A block made just before the kill may miss the last snapshot: it must
# come back from the kernel's pinned maps then.
ctl block 192.0.2.77 --reason "fault test" >"$D/block.out"
ctl show 192.0.2.77 >"$D/show-before.out"
kill -9 "$PID"
sleep 0.3
t_check "mxwalld is gone after SIGKILL" sh -c "! kill -0 $PID 2>/dev/null"
start
t_check "mxwalld restarted" kill -0 "$PID"
t_match "restart: the verdicts are restored" "$(cat "$D/daemon.log")" \
	'restored [0-9]+ verdicts from .* and [0-9]+ from the kernel table'
ctl show 192.0.2.66 >"$D/show-66.out"
ctl show 192.0.2.77 >"$D/show-77.out"
t_match "restart: the listed client is still blocked" \
	"$(cat "$D/show-66.out")" '^192\.0\.2\.66: block \(dnsbl\)'
t_match "restart: the block made just before the kill is back" \
	"$(cat "$D/show-77.out")" '^192\.0\.2\.77: block \(manual\)'
t_match "restart: it is refused at once" "$(answer 192.0.2.66)" '^554 '
t_eq "restart: the good client passes" \
	"$(answer 198.51.100.10,mail.good.example.net)" DUNNO
wait "$l1" "$l2" 2>/dev/null
bad=$(ctl list --blocked | grep -E '198\.51\.100\.|203\.0\.113\.')
t_eq "no good client is blocked after all this" "$bad" ""

t_done
