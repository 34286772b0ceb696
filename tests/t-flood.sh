#!/bin/sh
# t-flood.sh - a SYN flood from 100,000 listed addresses while a good
# client still gets through.
#
# Two namespaces joined by a veth: the MX host (mxwalld with the kernel
# program attached to mx0, rbldnsd and dnsmasq on its loopback, a TCP
# listener on port 25) and the outside (a good client, 192.0.2.77, and a
# sender of SYNs with forged sources). The MX host's port 25 is a real
# Postfix (tests/lab/postfix.sh) asking mxwalld's policy socket; the good
# client sends one message with swaks during each round, and it must be
# delivered.
#
#   Round 1: 100,000 sources (10.64.0.0 .. 10.65.134.159), listed on
#   bl.test and already blocked: their verdicts come from the snapshot
#   of an earlier run, restored into the kernel at start. Every SYN must
#   be dropped in the kernel.
#   Round 2: 20,000 sources the daemon has never seen (10.66.0.0/16,
#   also listed), sent three times: their first SYNs pass and are
#   reported, and the daemon evaluates them as fast as DNS answers - a
#   daemon under load.
#
# During both rounds the good client must connect every time it tries
# and its mail must be delivered; afterwards it must not be blocked, and
# blocks made in round 2 must all be flood sources. In round 2 its RCPT
# must be answered within a second: its evaluation is urgent (a policy
# request waits for it), so its DNS queries do not wait behind the
# thousands the flood's evaluations queued (0.07 to 0.2 s here; before
# they were urgent, 3.3 s, or all 5 s of policy_verdict_wait).
#
# Skipped when XDP cannot be attached here (old kernel, no veth XDP).
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"
. "$(dirname "$0")/lab/postfix.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
t_need_progs postfix swaks
t_need_mxwall_user

N=100000
MX=$(lab_ns mx) && OUT=$(lab_ns out) && lab_veth "$MX" mx0 "$OUT" out0 ||
	t_skip_all "cannot create namespaces and a veth pair"
lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
ip -n "$MX" addr add 192.0.2.25/24 dev mx0
ip -n "$OUT" addr add 192.0.2.77/24 dev out0
D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"

cat >"$(dns_zone_file bl)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 3600
:127.0.0.2:Listed by bl.test
127.0.0.2
10.64.0.0/14
EOF
# The snapshot an earlier run would have left: N live blocks.
now=$(date +%s)
awk -v n=$N -v now="$now" 'BEGIN {
	print "# mxwall verdicts v1"
	for (i = 0; i < n; i++)
		printf "10.%d.%d.%d block dnsbl 1 %d %d %s\n",
		    64 + int(i / 65536), int(i / 256) % 256, i % 256, now,
		    now + 3600,
		    "reason=dnsbl list=bl.test reply=127.0.0.2 score=1"
}' >"$D/state/verdicts"
chown mxwall "$D/state/verdicts"
dns_rbldnsd "$MX" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
DNS_LOG_QUERIES="" dns_dnsmasq "$MX" 53 --server=/bl.test/127.0.0.1#5301 \
	--local=/example.net/ || t_skip_all "dnsmasq does not start"
pf_setup "$MX"
pf_start || t_skip_all "postfix did not start: $(tail -n 3 "$PF_DIR/start.out")"
chmod 755 "$PF_SPOOL/private"

cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces = mx0
attach_mode = auto
pin_path = $LAB_BPFFS/mxwall
state_file = $D/state/verdicts
control_socket = $D/control.sock
policy_listen = unix:$PF_POLICY_SOCKET
policy_socket_mode = 0666
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_threshold = 1
circuit_breaker = no
user = mxwall
EOF
ctl() {
	ip netns exec "$MX" "$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1
}
# kstat NAME - one kernel counter, read from the pinned maps.
kstat() {
	ip netns exec "$MX" env MXWALL_PIN_PATH="$LAB_BPFFS/mxwall" \
		"$MXWALLCTL" -s "$D/no-daemon.sock" stats 2>/dev/null |
		awk -v n="$1" '$1 == n { print $2 }'
}
: >"$D/daemon.log"
lab_spawn "$MX" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
	</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
PID=$(cat "$D/pid")
i=0
while [ $i -lt 100 ] && ! grep -q "started:" "$D/daemon.log"; do
	sleep 0.1
	i=$((i + 1))
done
if ! grep -q "started:" "$D/daemon.log"; then
	cat "$D/daemon.log"
	grep -qi 'attach' "$D/daemon.log" &&
		t_skip_all "the kernel program does not attach here"
	t_fail "mxwalld did not start"
	t_done
fi
t_pass "mxwalld started with the program on mx0"

# The flood: IPv4 SYNs with forged sources, built once, sent ROUNDS times.
cat >"$D/flood.py" <<'EOF'
import socket, struct, sys, time

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

dst = socket.inet_aton(sys.argv[1])
base = struct.unpack("!I", socket.inet_aton(sys.argv[2]))[0]
n, rounds, pause = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
pk = []
for i in range(n):
    src = struct.pack("!I", base + i)
    tcp = struct.pack("!HHIIBBHHH", 1024 + i % 60000, 25, i, 0, 5 << 4, 2,
                      65535, 0, 0)
    c = csum(src + dst + struct.pack("!BBH", 0, 6, 20) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0,
                     src, dst)
    pk.append(ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + tcp)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
open(sys.argv[6] + ".start", "w").close()
for r in range(rounds):
    t0, sent = time.time(), 0
    for p in pk:
        try:
            s.sendto(p, (sys.argv[1], 0))
            sent += 1
        except OSError:
            time.sleep(0.0005)
    print("round %d: %d SYNs in %.1fs" % (r + 1, sent, time.time() - t0),
          flush=True)
    open(sys.argv[6] + ".%d" % (r + 1), "w").close()
    time.sleep(pause)
EOF

# connects - try the good client every 0.2 s until FILE exists; prints
# "ok/total" attempts.
connects() {
	ok=0 total=0
	while [ ! -e "$1" ] && [ $total -lt 300 ]; do
		total=$((total + 1))
		lab_tcp_connect "$OUT" 192.0.2.77 192.0.2.25 25 2 &&
			ok=$((ok + 1))
		sleep 0.2
	done
	echo "$ok/$total"
}

t_match "the snapshot's $N blocks are restored" "$(cat "$D/daemon.log")" \
	"restored $N verdicts from"
t_check "the good client connects before the flood" \
	lab_tcp_connect "$OUT" 192.0.2.77 192.0.2.25 25 2

# mail.sh NAME - once the flood NAME is being sent, one message from the
# good client; writes its queue id (if Postfix accepted it) to id-NAME.
cat >"$D/mail.sh" <<EOF
i=0
while [ ! -e "$D/\$1.start" ] && [ \$i -lt 300 ]; do
	sleep 0.1
	i=\$((i + 1))
done
ip netns exec "$OUT" swaks --timeout 30 --show-time-lapse \\
	--server 192.0.2.25 \\
	--local-interface 192.0.2.77 --helo good.client.example \\
	--from alice@client.example --to bob@example.org \\
	--header "Subject: during \$1" >"$D/swaks-\$1.out" 2>&1
sed -n 's/.*250 2\\.0\\.0 Ok: queued as \\([0-9A-F]*\\).*/\\1/p' \\
	"$D/swaks-\$1.out" | head -n 1 >"$D/id-\$1"
EOF
# mail_during NAME - start mail.sh NAME in the background.
mail_during() {
	lab_spawn - sh "$D/mail.sh" "$1" >"$D/mail-$1.pid"
}
# mail_id NAME - wait for mail.sh NAME to finish; print the queue id.
mail_id() {
	p=$(cat "$D/mail-$1.pid")
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 400 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cat "$D/id-$1" 2>/dev/null
}
delivered() {
	pf_wait_log " $1: to=<bob@example.org>.*status=sent"
}
# rcpt_secs NAME - how long Postfix took to answer mail.sh NAME's RCPT.
rcpt_secs() {
	awk '/^ -> RCPT TO:/ { r = 1; next }
	     r && /^=== response in / { sub(/s$/, "", $4); print $4; exit }' \
		"$D/swaks-$1.out"
}
# below SECS MAX - SECS is a number below MAX.
below() {
	awk -v s="$1" -v m="$2" 'BEGIN { exit !(s != "" && s + 0 < m) }'
}

# Round 1: the known sources. The sender builds its packets first.
d0=$(kstat drop_verdict)
lab_spawn "$OUT" python3 "$D/flood.py" 192.0.2.25 10.64.0.0 $N 1 0 \
	"$D/known" >/dev/null 2>"$D/flood.err"
mail_during known
r1=$(connects "$D/known.1")
id=$(mail_id known)
t_check "round 1 was sent" test -e "$D/known.1"
t_match "good client connected all through round 1 ($r1)" "$r1" \
	'^([1-9][0-9]*)/\1$'
t_check "round 1: the good client's mail was accepted (queued as $id)" \
	test -n "$id"
t_check "round 1: and delivered" delivered "$id"
d1=$(kstat drop_verdict)
dropped=$((${d1:-0} - ${d0:-0}))
t_check "round 1: the kernel dropped the known sources' SYNs ($dropped of $N)" \
	test "$dropped" -ge $((N * 99 / 100))

# Round 2: new sources, evaluated by the daemon while they flood.
# Sent three times, half a second apart, so the daemon is still busy
# with the first sends while the later ones arrive.
lab_spawn "$OUT" python3 "$D/flood.py" 192.0.2.25 10.66.0.0 20000 3 0.5 \
	"$D/new" >/dev/null 2>>"$D/flood.err"
mail_during new
r2=$(connects "$D/new.3")
id=$(mail_id new)
t_check "round 2 was sent" test -e "$D/new.3"
t_match "good client connected all through round 2 ($r2)" "$r2" \
	'^([1-9][0-9]*)/\1$'
t_check "round 2: the good client's mail was accepted (queued as $id)" \
	test -n "$id"
t_check "round 2: and delivered" delivered "$id"
rcpt=$(rcpt_secs new)
t_check "round 2: its RCPT was answered in under 1 s (${rcpt}s)" \
	below "$rcpt" 1
sleep 2
ctl list --blocked >"$D/blocked"
new=$(grep -c '^10\.66\.' "$D/blocked")
t_check "round 2: the daemon blocked new flood sources ($new of 20000)" \
	test "$new" -gt 0
t_eq "every block is a flood source" \
	"$(awk 'NR > 1 && $1 !~ /^10\.6[4-6]\./' "$D/blocked")" ""
t_eq "the good client is not blocked" \
	"$(grep -c '192\.0\.2\.77' "$D/blocked")" 0
t_check "the daemon survived the flood" kill -0 "$PID"
t_check "the good client connects after the flood" \
	lab_tcp_connect "$OUT" 192.0.2.77 192.0.2.25 25 2
ctl stats >"$D/stats"
t_match "the good client's evaluation ran urgent" "$(cat "$D/stats")" \
	' [1-9][0-9]* urgent '
cat "$D/stats" "$D/flood.err"
t_done
