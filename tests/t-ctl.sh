#!/bin/sh
# t-ctl.sh - mxwallctl against a running mxwalld, as an administrator
# uses it.
#
# Lab: a server namespace (mxwalld with the XDP backend on its veth, a
# TCP/25 listener, rbldnsd serving bl.test and dnsmasq resolving PTR
# names, all on its loopback) and a client namespace holding the client
# addresses. Clients connect for real; the kernel program reports them,
# the daemon decides, and mxwallctl is asked why.
#
# Checked: every command's human and JSON output (golden files in
# tests/ctl/ where the output is stable, with times masked); why explains
# a DNSBL block, a PTR-rule block with file:line, a manual block and a
# prefix block; block makes a real connection fail and forget lets it
# through again; an ordinary user gets "permission denied" and a member
# of the mxwall group may read but not change; bad arguments print the
# usage and exit 1; with the daemon stopped the reading commands answer
# from the pinned maps and say so; export --format rbldnsd loads into a
# real rbldnsd that answers for the blocked addresses; replay of a
# capture written here gives the expected counts.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
command -v python3 >/dev/null || t_skip_all "python3 is not installed"
GOLD=$TOP/tests/ctl
D=$LABDIR

# ---- users: the daemon's, a member of its group, an outsider ----
t_need_mxwall_user
getent group mxwall >/dev/null || groupadd --system mxwall ||
	t_skip_all "cannot create the mxwall group"
OUTSIDER=mxctl$$
useradd --no-create-home --home-dir /nonexistent --shell /bin/sh \
	"$OUTSIDER" || t_skip_all "cannot create a test user"
lab_on_exit "userdel_outsider"
userdel_outsider() { userdel "$OUTSIDER" 2>/dev/null; }
OUT_UID=$(id -u "$OUTSIDER")
OUT_GID=$(id -g "$OUTSIDER")
MX_GID=$(getent group mxwall | cut -d: -f3)

# ---- namespaces and addresses ----
SRV=$(lab_ns srv) || t_skip_all "cannot create a network namespace"
CLI=$(lab_ns cli) || t_skip_all "cannot create a network namespace"
lab_veth "$SRV" mx0 "$CLI" cl0 || t_skip_all "cannot create a veth pair"
ip -n "$SRV" addr add 10.77.0.1/24 dev mx0
ip -n "$CLI" addr add 10.77.0.2/24 dev cl0
# Client addresses live in the client namespace; the server reaches
# them over the veth.
for a in 192.0.2.66 192.0.2.67 198.51.100.10 203.0.113.5 203.0.113.130 \
    198.18.0.7; do
	ip -n "$CLI" addr add "$a/32" dev cl0
done
for p in 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 198.18.0.0/24; do
	ip -n "$SRV" route add "$p" dev mx0
done
ip -n "$CLI" route add default dev cl0
ip -n "$SRV" addr add fd77::1/64 dev mx0
ip -n "$CLI" addr add fd77::2/64 dev cl0
ip -n "$CLI" addr add 2001:db8:77::5/128 dev cl0
ip -n "$SRV" route add 2001:db8:77::/48 dev mx0
ip -6 -n "$CLI" route add default dev cl0 2>/dev/null

lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
PINS=$LAB_BPFFS/mxwall

# ---- DNS: bl.test lists 192.0.2.66; PTR names for two clients ----
RBL=5301
cat >"$(dns_zone_file bl4)" <<'EOF'
$SOA 7200 ns.bl.test hostmaster.bl.test 1 600 300 86400 7200
$TTL 600
:127.0.0.2:Listed by bl.test, see http://bl.test/?$
127.0.0.2
192.0.2.66
EOF
dns_rbldnsd "$SRV" $RBL bl.test:ip4set:bl4 ||
	t_skip_all "rbldnsd does not start here"
dns_dnsmasq "$SRV" 53 --server=/bl.test/127.0.0.1#$RBL \
	--local=/example.net/ \
	--host-record=c-10.dynamic.example.net,198.51.100.10 \
	--host-record=mail.example.net,192.0.2.67 ||
	t_skip_all "dnsmasq does not start here"

# ---- configuration ----
mkdir -p "$D/state"
chown mxwall "$D/state"
cat >"$D/access" <<'EOF'
# static blocks for t-ctl.sh
203.0.113.128/25	REJECT hosting range, no mail from here
EOF
cat >"$D/client_check" <<'EOF'
# PTR rules for t-ctl.sh (as the seed's client_check)
/^mail\.example\.net$/	DUNNO
/\.dynamic\./	REJECT We can't allow dynamic IP to relay!
EOF
CHECK_LINE=3
cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces = mx0
attach_mode = generic
pin_path = $PINS
control_socket = $D/control.sock
state_file = $D/state/verdicts
policy_listen = inet:127.0.0.1:10040
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_timeout = 3s
mynetworks = 127.0.0.0/8, 10.77.0.0/24
client_checks = regexp:$D/client_check
client_access = cidr:$D/access
user = mxwall
EOF

export MXWALL_PIN_PATH=$PINS
# ctl ARGS... - mxwallctl in the server namespace; stdout+stderr in $OUT,
# exit status in $RC.
ctl() {
	OUT=$(ip netns exec "$SRV" "$MXWALLCTL" -c "$D/mxwall.conf" "$@" 2>&1)
	RC=$?
}
# ctl_out ARGS... - the same, standard output only.
ctl_out() {
	OUT=$(ip netns exec "$SRV" "$MXWALLCTL" -c "$D/mxwall.conf" "$@" \
		2>"$D/ctl.err")
	RC=$?
}
# mask - hide what changes from run to run: times, durations, versions.
mask() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/TIME/g' \
		-e 's/in ([0-9]+[wdhms])+/in DURATION/g' \
		-e 's/"(decided|expires|expires_in|started|uptime)":[0-9]+/"\1":N/g' \
		-e 's/"(checked|since|snapshot_written|last_reload)":[0-9]+/"\1":N/g' \
		-e 's/mxwall-lab\.[^/ ]*/LAB/g' -e "s|$TOP/|TOP/|g"
}
# golden NAME TEXT - compare masked TEXT with tests/ctl/NAME.ref
# (MXWALL_GOLDEN_UPDATE=1 writes it instead).
golden() {
	got=$(printf '%s\n' "$2" | mask)
	if [ -n "${MXWALL_GOLDEN_UPDATE:-}" ]; then
		printf '%s\n' "$got" >"$GOLD/$1.ref"
	fi
	want=$(cat "$GOLD/$1.ref" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		t_pass "golden $1"
	else
		t_fail "golden $1"
		printf '%s\n' "$got" >"$D/$1.got"
		diff -u "$GOLD/$1.ref" "$D/$1.got" | sed 's/^/#   /'
	fi
}

# ---- start the daemon ----
DPID=""
start_daemon() {
	DPID=$(lab_spawn "$SRV" sh -c "exec '$MXWALLD' -f \
		-c '$D/mxwall.conf' >/dev/null 2>>'$D/daemon.log'")
	i=0
	while [ $i -lt 100 ] && ! grep -q "started:" "$D/daemon.log"; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "started:" "$D/daemon.log"
}
if ! start_daemon; then
	sed 's/^/# daemon: /' "$D/daemon.log"
	t_skip_all "mxwalld does not start here with the xdp backend"
fi
t_pass "mxwalld started with the xdp backend on mx0"
lab_tcp_listen "$SRV" 25 || t_skip_all "no TCP listener"

# ---- helpers in Python: JSON paths, DNS queries, a capture ----
cat >"$D/jq.py" <<'EOF'
# jq.py PATH... - read one JSON document on stdin; print each PATH's
# value (a.b.0.c), "MISSING" when absent; exit 1 when it is not JSON.
import json, sys
doc = json.load(sys.stdin)
for path in sys.argv[1:]:
    v = doc
    for k in path.split(".") if path else []:
        try:
            v = v[int(k)] if isinstance(v, list) else v[k]
        except (KeyError, IndexError, ValueError, TypeError):
            v = "MISSING"
            break
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
EOF
cat >"$D/dnsq.py" <<'EOF'
# dnsq.py PORT NAME TYPE - one UDP query to 127.0.0.1:PORT; prints the
# rcode name, then one line per A (dotted) or TXT (text) answer.
import random, socket, struct, sys
port, name, qtype = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = {"A": 1, "TXT": 16}[qtype]
qid = random.randrange(65536)
q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
q += struct.pack("!HH", t, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("127.0.0.1", port))
r = s.recv(4096)
rcode = r[3] & 15
print({0: "NOERROR", 3: "NXDOMAIN"}.get(rcode, "RCODE%d" % rcode))
an = struct.unpack("!H", r[6:8])[0]
i = 12
while r[i]:
    i += r[i] + 1
i += 5
for _ in range(an):
    if r[i] & 0xC0 == 0xC0:
        i += 2
    else:
        while r[i]:
            i += r[i] + 1
        i += 1
    rt, _, _, ln = struct.unpack("!HHIH", r[i:i + 10])
    i += 10
    d = r[i:i + ln]
    i += ln
    if rt == 1:
        print(".".join(str(b) for b in d))
    elif rt == 16:
        print(d[1:1 + d[0]].decode(errors="replace"))
EOF
cat >"$D/mkpcap.py" <<'EOF'
# mkpcap.py OUT SRC:COUNT:DPORT... - an Ethernet capture of TCP SYNs to
# 10.77.0.1, COUNT of them from SRC to port DPORT.
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
t = 1
for spec in sys.argv[2:]:
    src, count, dport = spec.split(":")
    for i in range(int(count)):
        tcp = struct.pack("!HHIIBBHHH", 40000 + i, int(dport), 1, 0,
                          5 << 4, 0x02, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i, 0, 64, 6, 0,
                         bytes(int(x) for x in src.split(".")),
                         bytes([10, 77, 0, 1]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        pkt = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + tcp
        out.write(struct.pack("<IIII", t, 0, len(pkt), len(pkt)) + pkt)
        t += 1
EOF
cat >"$D/raw.py" <<'EOF'
# raw.py SOCKET MODE - talk to the control socket without mxwallctl.
#   MODE hex:HEX   send these bytes, print the answer's head and body;
#   MODE crowd:N   open N connections sending nothing, print how many
#                  were answered at once and the first such answer.
import socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: a full backlog waits, not EAGAIN
    s.settimeout(3)
    return s
if mode.startswith("hex:"):
    s = conn()
    s.sendall(bytes.fromhex(mode[4:]))
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    sys.stdout.write(data.decode(errors="replace"))
else:
    socks = [conn() for _ in range(int(mode[6:]))]
    time.sleep(0.5)
    answered = []
    for s in socks:
        s.setblocking(False)
        try:
            answered.append(s.recv(4096).decode(errors="replace"))
        except BlockingIOError:
            pass
    print(len(answered))
    print(answered[0] if answered else "")
    for s in socks:
        s.close()
EOF
jq() { python3 "$D/jq.py" "$@"; }
# raw MODE - raw.py against the daemon's socket; answer in $OUT.
raw() { OUT=$(python3 "$D/raw.py" "$D/control.sock" "$1" 2>&1); }
# hex TEXT - TEXT's bytes in hex (printf escapes allowed).
hex() { printf "$1" | od -An -v -tx1 | tr -d ' \n'; }

# connects SRC - whether a TCP connection from SRC to the server's port
# 25 succeeds (1.5 s).
connects() { lab_tcp_connect "$CLI" "$1" 10.77.0.1 25; }
# wait_verdict ADDR WORD - wait until 'show ADDR' says WORD (5 s).
wait_verdict() {
	i=0
	while [ $i -lt 50 ]; do
		ctl show "$1"
		case "$OUT" in *"$2"*) return 0 ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---- usage and bad arguments: the synopsis and exit 1 ----
for bad in "" "show" "show 192.0.2.1 extra" "block" "block --ttl" \
    "forget" "flush --bogus" "export --format xml" "test" \
    "test 192.0.2.1 --name" "list --everything" "stats --nope" \
    "replay" "st" "nonsense"; do
	# shellcheck disable=SC2086
	ctl $bad
	t_eq "'mxwallctl $bad' exits 1" "$RC" 1
done
ctl show
t_eq "a missing argument prints the command's synopsis" "$OUT" \
	"usage: mxwallctl show ADDR"
ctl block --ttl 5x 192.0.2.9
t_match "a bad duration is named" "$OUT" 'ttl "5x"'
t_eq "... and exits 1" "$RC" 1
ctl show not-an-address
t_match "a bad address is named" "$OUT" \
	'show: "not-an-address" is not an address'
t_eq "... and exits 1" "$RC" 1
ctl st
t_match "an ambiguous prefix is refused" "$OUT" '"st" is ambiguous'
ctl_out --help
golden help "$OUT"

# ---- status ----
ctl_out status
t_eq "status exits 0" "$RC" 0
t_match "status names the daemon and its uptime" "$OUT" \
	'^mxwalld .+, running since .+ \(up [0-9]'
t_match "status shows backend, attach mode and interface" "$OUT" \
	'backend +xdp, attach mode generic, interfaces: mx0 \(generic\)'
t_match "status shows the mode" "$OUT" '^mode +enforce$'
ctl_out --json status
t_eq "status --json: running, backend, mode, interface" \
	"$(printf '%s' "$OUT" | jq daemon_running backend mode \
		interfaces.0.name interfaces.0.attached | tr '\n' ' ')" \
	"True xdp enforce mx0 generic "

# ---- bad requests on the socket: an error answer, never a crash ----
raw "hex:$(hex 'status\001\n')"
t_match "a control character gets an error answer" "$OUT" \
	'^error [0-9]+$'
t_match "... saying what is wrong" "$OUT" \
	'bad request: control character in request'
raw "hex:$(head -c 5000 /dev/zero | tr '\0' a | od -An -v -tx1 |
	tr -d ' \n')"
t_match "an overlong request is refused" "$OUT" \
	'request longer than 4095 bytes'
raw "hex:$(hex 'show 1.2.3.4%%zz\n')"
t_match "a bad escape is refused" "$OUT" 'bad %XX escape in request'
raw "hex:$(hex 'frobnicate now\n')"
t_match "an unknown command is named" "$OUT" \
	'unknown command "frobnicate"'
raw "hex:$(hex 'show 192.0.2.1 extra\n')"
t_match "wrong arguments get the usage" "$OUT" 'usage: show ADDR'
raw crowd:70
t_match "more than 64 connections at once: the rest are told busy" \
	"$OUT" '^6
error [0-9]+
busy: 64 control connections open, try again'
ctl status
t_eq "the daemon still answers after all that" "$RC" 0
t_check "... and is the same process" kill -0 "$DPID"

# ---- a DNSBL block, from a real connection ----
t_check "first connection of a listed client reaches the server" \
	connects 192.0.2.66
t_check "the daemon blocks it (bl.test)" wait_verdict 192.0.2.66 "block (dnsbl)"
if connects 192.0.2.66; then
	t_fail "a blocked client's connection is dropped in the kernel"
else
	t_pass "a blocked client's connection is dropped in the kernel"
fi
ctl why 192.0.2.66
WHY=$OUT
echo "$WHY" | sed 's/^/# why: /'
t_eq "why exits 0 for a known verdict" "$RC" 0
t_match "why: action, origin and expiry with its time" "$WHY" \
	'^192\.0\.2\.66: block \(dnsbl\), expires in [0-9]+m[0-9]+s \(20[0-9-]+T'
t_match "why: the list and its reply" "$WHY" \
	'reason: +reason=dnsbl list=bl\.test reply=127\.0\.0\.2'
t_match "why: the kernel hit count" "$WHY" 'kernel hits: [1-9]'
t_match "why: the list's TXT record, from a fresh evaluation" "$WHY" \
	'decided-by bl\.test reply=127\.0\.0\.2 txt="Listed by bl\.test, see http://bl\.test/\?192\.0\.2\.66"'
ctl_out --json why 192.0.2.66
t_eq "why --json: verdict and evaluation" \
	"$(printf '%s' "$OUT" | jq verdict.action verdict.origin \
		evaluation.list evaluation.reply evaluation.lists.0.outcome |
		tr '\n' ' ')" "block dnsbl bl.test 127.0.0.2 listed "

# ---- a PTR-rule block, with file:line ----
connects 198.51.100.10
t_check "a dynamic PTR name is blocked by the rule" \
	wait_verdict 198.51.100.10 "block (rule)"
ctl why 198.51.100.10
echo "$OUT" | sed 's/^/# why: /'
t_match "why names the table file and line" "$OUT" \
	"rule regexp:$D/client_check:$CHECK_LINE key=\"c-10\.dynamic\.example\.net\""
t_match "why gives the rule's text" "$OUT" \
	"We can.+t allow dynamic IP to relay"
t_match "why shows the verified name" "$OUT" \
	'name="c-10\.dynamic\.example\.net" fcrdns=verified'

# ---- a static prefix block (client_access cidr) ----
connects 203.0.113.130
t_check "a client in a blocked cidr prefix is blocked" \
	wait_verdict 203.0.113.130 "block ("
ctl why 203.0.113.130
echo "$OUT" | sed 's/^/# why: /'
t_match "why names the cidr table and line" "$OUT" \
	"cidr:$D/access:2"
t_match "why gives the prefix rule's text" "$OUT" "hosting range"

# ---- a manual block: a real connection fails, forget lets it in ----
t_check "an unlisted client connects" connects 203.0.113.5
ctl block 203.0.113.5 --ttl 2h --reason "spam run"
t_eq "block prints pfctl-style counts" "$OUT" "1/1 addresses blocked."
t_eq "block exits 0" "$RC" 0
if connects 203.0.113.5; then
	t_fail "after block the client's connection fails"
else
	t_pass "after block the client's connection fails"
fi
ctl why 203.0.113.5
t_match "why explains the manual block and its expiry" "$OUT" \
	'^203\.0\.113\.5: block \(manual\), expires in 1h59m'
t_match "why shows the reason given" "$OUT" 'spam run'
ctl forget 203.0.113.5
t_eq "forget prints pfctl-style counts" "$OUT" "1/1 addresses deleted."
t_check "after forget the client connects again" connects 203.0.113.5
ctl forget 203.0.113.5 192.0.2.250
t_eq "forget of addresses without verdicts exits 2" "$RC" 2
t_match "... and says how many" "$OUT" "0/2 addresses deleted."

# ---- a manual prefix block ----
ctl block 198.18.0.0/24 --reason "lab prefix"
t_eq "a prefix can be blocked" "$OUT" "1/1 addresses blocked."
if connects 198.18.0.7; then
	t_fail "a client inside the blocked prefix is dropped"
else
	t_pass "a client inside the blocked prefix is dropped"
fi
ctl why 198.18.0.7
t_match "why names the covering prefix" "$OUT" \
	'^198\.18\.0\.7: block \(manual\) by 198\.18\.0\.0/24, expires'
# IPv6: a prefix given by hand, and one address standing for its /64.
if lab_tcp_connect "$CLI" 2001:db8:77::5 fd77::1 25; then
	t_pass "an IPv6 client connects"
	ctl block 2001:db8:77::/48 --reason "v6 lab"
	t_eq "an IPv6 prefix can be blocked" "$OUT" "1/1 addresses blocked."
	if lab_tcp_connect "$CLI" 2001:db8:77::5 fd77::1 25; then
		t_fail "an IPv6 client inside the prefix is dropped"
	else
		t_pass "an IPv6 client inside the prefix is dropped"
	fi
	ctl why 2001:db8:77::5
	t_match "why names the covering IPv6 prefix" "$OUT" \
		'^2001:db8:77::5: block \(manual\) by 2001:db8:77::/48'
	ctl forget 2001:db8:77::/48
	t_eq "the IPv6 prefix can be forgotten" "$OUT" \
		"1/1 addresses deleted."
	t_check "... and the client connects again" \
		lab_tcp_connect "$CLI" 2001:db8:77::5 fd77::1 25
else
	t_fail "an IPv6 client connects"
fi
ctl block 2001:db8:1::5
ctl why 2001:db8:1::9
t_match "an IPv6 address is blocked as its /64" "$OUT" \
	'^2001:db8:1::9: block \(manual\) by 2001:db8:1::/64'
ctl forget 2001:db8:1::/64
t_eq "... and forgotten as its /64" "$OUT" "1/1 addresses deleted."
ctl block 127.0.0.1
t_eq "blocking an address in mynetworks is refused (exit 1)" "$RC" 1

# ---- test: a full evaluation that changes nothing ----
ctl test 192.0.2.66
t_eq "test of a listed address exits 0" "$RC" 0
t_match "test says it would block" "$OUT" \
	'192\.0\.2\.66: would block \(evaluation only'
ctl test 192.0.2.67
t_eq "test of a clean address exits 2" "$RC" 2
t_match "test shows the verified name" "$OUT" 'name="mail\.example\.net"'
ctl test 192.0.2.67 --name host-1.dynamic.example.net
t_eq "test --name applies the PTR rules to that name (exit 0)" "$RC" 0
ctl show 192.0.2.67
t_eq "test stored nothing (show exits 2)" "$RC" 2
t_match "show of an unknown address says so" "$OUT" \
	'^192\.0\.2\.67: no verdict'

# ---- list, export: golden files ----
masklist() {
	sed -E 's/^(.{24} .{6} .{7} .{14}) +[0-9]+  /\1 HITS  /'
}
ctl_out list
golden list "$(printf '%s\n' "$OUT" | masklist)"
ctl_out list --blocked
t_eq "list --blocked lists only blocks" \
	"$(printf '%s\n' "$OUT" | sed 1d | awk '$2 != "block"' | wc -l)" 0
ctl_out --json list
t_eq "list --json: the first verdict" \
	"$(printf '%s' "$OUT" | jq source verdicts.0.address \
		verdicts.0.action | tr '\n' ' ')" "daemon 192.0.2.66 block "
ctl_out export --format pf
golden export-pf "$OUT"
ctl_out export --format csv
golden export-csv "$(printf '%s\n' "$OUT" |
	sed -E 's/^([^,]*,[^,]*,[^,]*,[^,]*),[0-9]+,[0-9]+,[0-9]+,/\1,D,E,H,/')"

# ---- export --format rbldnsd into a real rbldnsd ----
ctl block 2001:db8:9::5 --reason "v6 export"
ctl_out export --format rbldnsd
printf '%s\n' "$OUT" >"$(dns_zone_file mxexport)"
t_eq "export --format rbldnsd exits 0" "$RC" 0
if dns_rbldnsd "$SRV" 5302 mx.test:combined:mxexport; then
	q() { ip netns exec "$SRV" python3 "$D/dnsq.py" 5302 "$1" "$2" |
		tr '\n' ' '; }
	t_eq "the exported zone lists the DNSBL-blocked address" \
		"$(q 66.2.0.192.mx.test A)" "NOERROR 127.0.0.2 "
	t_match "... with the reason as TXT" "$(q 66.2.0.192.mx.test TXT)" \
		'^NOERROR reason=dnsbl list=bl.test'
	t_eq "the exported zone lists the manual prefix" \
		"$(q 9.0.18.198.mx.test A)" "NOERROR 127.0.0.2 "
	t_eq "an address without a block is not listed" \
		"$(q 67.2.0.192.mx.test A)" "NXDOMAIN "
	n6=$(python3 -c 'import ipaddress
print(ipaddress.ip_address("2001:db8:9::5").reverse_pointer[:-9])')
	t_eq "the IPv6 block is exported too (ip6trie)" \
		"$(q "$n6.mx.test" A)" "NOERROR 127.0.0.2 "
else
	t_fail "rbldnsd loads the exported zone"
fi
ctl forget 2001:db8:9::/64

# ---- one policy request, to be counted by stats ----
ANSWER=$(ip netns exec "$SRV" python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 10040), timeout=5)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
          b"client_address=192.0.2.66\nclient_name=unknown\n"
          b"sender=a@example.org\nrecipient=b@example.net\n\n")
print(s.recv(4096).decode().splitlines()[0])
' 2>&1)
t_match "the policy service rejects the blocked client" "$ANSWER" \
	'^action=(REJECT|5[0-9][0-9])'

# ---- stats and dnsbl ----
ctl_out stats
t_match "stats shows kernel drops by verdict" "$OUT" \
	'drop_verdict +[1-9]'
t_match "stats shows per-list figures" "$OUT" 'bl\.test +[0-9]+ queries'
t_match "stats counts policy answers" "$OUT" \
	'^policy: [1-9][0-9]* requests: [0-9]+ dunno, [1-9][0-9]* reject'
ctl_out stats --prometheus
t_match "prometheus: drops by outcome" "$OUT" \
	'mxwall_packets_total\{outcome="drop_verdict"\} [1-9]'
t_eq "prometheus: every line is a comment or a sample" \
	"$(printf '%s\n' "$OUT" | grep -Ev '^# (HELP|TYPE) .+' |
		grep -Evc '^[a-z_]+(\{[a-z]+="[^"]*"\})? [0-9.e+-]+$')" 0
ctl_out --json stats
t_match "stats --json parses and has the kernel counters" \
	"$(printf '%s' "$OUT" | jq kernel.drop_prefix)" '^[1-9]'
t_match "stats --json has the policy answers" \
	"$(printf '%s' "$OUT" | jq policy.reject)" '^[1-9]'
ctl_out dnsbl
t_match "dnsbl shows each list's health" "$OUT" '^bl\.test +dnsbl +ok '
ctl_out --json dnsbl
t_eq "dnsbl --json: state of bl.test" \
	"$(printf '%s' "$OUT" | jq lists.0.list lists.0.state | tr '\n' ' ')" \
	"bl.test ok "

# ---- --json everywhere: one document, also for errors ----
for c in "status" "list" "show 192.0.2.66" "test 192.0.2.67" "stats" \
    "dnsbl" "block 192.0.2.240" "forget 192.0.2.240" "export --format csv" \
    "show bogus" "config" "reload"; do
	# shellcheck disable=SC2086
	ctl_out --json $c
	if printf '%s' "$OUT" | jq "" >/dev/null 2>&1; then
		t_pass "--json $c prints one JSON document"
	else
		t_fail "--json $c prints one JSON document: [$OUT]"
	fi
done

# ---- replay: a capture through a copy of the program ----
python3 "$D/mkpcap.py" "$D/replay.pcap" 192.0.2.66:3:25 198.18.0.7:2:25 \
	192.0.2.67:4:25 192.0.2.66:1:80
ctl_out --json stats
# drop_prefix: only 198.18.0.7, which never got a connection up (so no
# late retransmissions), meets the prefix; pass_unknown: 192.0.2.67
# never connected. Two replays on the live program would add 4 and 8.
before=$(printf '%s' "$OUT" | jq kernel.drop_prefix kernel.pass_unknown |
	tr '\n' ' ')
ctl_out replay "$D/replay.pcap"
echo "$OUT" | sed 's/^/# replay: /'
t_eq "replay exits 0" "$RC" 0
t_match "replay counts the drops and the distinct sources" "$OUT" \
	'dropped +5 packets from 2 addresses'
t_match "replay counts the passed packets" "$OUT" 'passed +5 packets'
t_match "replay: by DNSBL verdict" "$OUT" \
	'dnsbl by verdict +3 packets from 1 addresses'
t_match "replay: by manual prefix" "$OUT" \
	'manual by prefix +2 packets from 1 addresses'
ctl_out --json replay "$D/replay.pcap"
t_eq "replay --json: packets, dropped, addresses" \
	"$(printf '%s' "$OUT" | jq packets dropped.packets dropped.addresses |
		tr '\n' ' ')" "10 5 2 "
ctl_out --json stats
t_eq "replay leaves the live counters alone" \
	"$(printf '%s' "$OUT" | jq kernel.drop_prefix kernel.pass_unknown |
		tr '\n' ' ')" "$before"

# ---- permissions ----
# The tree may sit where other users cannot reach (a clone under /root):
# they run a copy of mxwallctl from the lab.
cp "$MXWALLCTL" "$D/mxwallctl"
chmod 755 "$D/mxwallctl"
as_outsider() {
	OUT=$(setpriv --reuid="$OUT_UID" --regid="$OUT_GID" --clear-groups \
		"$D/mxwallctl" -s "$D/control.sock" "$@" 2>&1)
	RC=$?
}
as_member() {
	OUT=$(setpriv --reuid="$OUT_UID" --regid="$OUT_GID" \
		--groups="$MX_GID" "$D/mxwallctl" -s "$D/control.sock" "$@" 2>&1)
	RC=$?
}
as_outsider status
t_eq "an ordinary user is refused (exit 1)" "$RC" 1
t_match "... with a clear permission denied" "$OUT" "permission denied"
as_member status
t_eq "a member of the mxwall group may read" "$RC" 0
as_member block 192.0.2.241
t_eq "a member of the mxwall group may not change (exit 1)" "$RC" 1
t_match "... and is told why" "$OUT" \
	"block: permission denied: changing commands need root"
ctl show 192.0.2.241
t_eq "the refused block changed nothing" "$RC" 2

# ---- reload ----
ctl reload
t_eq "reload exits 0" "$RC" 0
cp "$D/access" "$D/access.good"
echo "not-a-prefix REJECT" >>"$D/access"
ctl reload
t_eq "a reload with a broken table exits 1" "$RC" 1
t_match "... naming the file and line" "$OUT" "$D/access, line 3"
cp "$D/access.good" "$D/access"

# ---- the daemon stopped: reading commands answer from the maps ----
kill "$DPID"
i=0
while [ $i -lt 50 ] && kill -0 "$DPID" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
ctl status
t_eq "status without the daemon exits 1" "$RC" 1
t_match "... and says it is not running" "$OUT" \
	'mxwalld +not running \(kernel maps alone\)'
t_match "... with the maps' verdict counts" "$OUT" \
	'verdicts +[0-9]+ blocked'
ctl_out --json status
t_eq "status --json without the daemon" \
	"$(printf '%s' "$OUT" | jq daemon_running)" "False"
ctl list
t_eq "list without the daemon exits 0" "$RC" 0
t_match "... says the daemon is not running" "$OUT" \
	'mxwalld is not running'
t_match "... and lists the kernel's verdicts" "$OUT" \
	'192\.0\.2\.66 +block +dnsbl'
ctl why 192.0.2.66
t_eq "why without the daemon exits 0" "$RC" 0
t_match "... answers from the kernel maps" "$OUT" \
	'verdict +192\.0\.2\.66: block \(dnsbl\), expires in .*kernel hits [1-9]'
ctl why 198.18.0.7
t_match "... and finds covering prefixes" "$OUT" \
	'block_prefix +198\.18\.0\.0/24: block \(manual\)'
ctl stats
t_eq "stats without the daemon exits 0" "$RC" 0
t_match "... with the kernel counters" "$OUT" 'drop_verdict +[1-9]'
ctl dnsbl
t_eq "dnsbl needs the daemon (exit 1)" "$RC" 1
t_match "... and says so" "$OUT" "dnsbl: needs mxwalld"
ctl_out --json block 192.0.2.200
t_eq "block without the daemon writes the maps (JSON answer)" \
	"$(printf '%s' "$OUT" | jq requested blocked | tr '\n' ' ')" "1 1 "
ctl_out --json forget 192.0.2.200
t_eq "forget without the daemon (JSON answer)" \
	"$(printf '%s' "$OUT" | jq requested deleted | tr '\n' ' ')" "1 1 "

# ---- restart: verdicts come back; flush ----
: >"$D/daemon.log"
if start_daemon; then
	t_pass "mxwalld restarts"
	ctl show 192.0.2.66
	t_eq "the snapshot brought the DNSBL verdict back" "$RC" 0
	ctl flush
	t_match "flush removes evaluated verdicts" "$OUT" \
		'^[1-9][0-9]* verdicts flushed \(manual verdicts kept'
	ctl_out list
	t_eq "after flush only the manual verdicts remain" \
		"$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1, $3}' |
			tr '\n' ' ')" "198.18.0.0/24 manual "
	ctl flush --all
	t_eq "flush --all removes the manual ones too" "$OUT" \
		"1 verdicts flushed."
	ctl_out list
	t_eq "nothing is left" "$OUT" ""
else
	t_fail "mxwalld restarts"
fi

t_done
