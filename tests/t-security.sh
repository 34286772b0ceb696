#!/bin/sh
# t-security.sh - what an attacker or a local user can make of a running
# mxwalld.
#
# 1. Privileges: after start-up the daemon runs as user mxwall (every
#    Uid and Gid field in /proc/PID/status), with no supplementary root
#    group, NoNewPrivs set and exactly the capabilities its backend needs
#    in CapPrm, CapEff and CapBnd (xdp: CAP_BPF; none: nothing), none
#    inheritable or ambient. Its control socket is not open to others.
# 2. The control socket: an ordinary user (created here, removed at
#    cleanup) cannot connect at all; a member of group mxwall may read but
#    block, forget, flush and reload are refused, and nothing changes.
# 3. Hostile DNS data, served in the lab: PTR names with a newline, CR,
#    ESC, NUL, "[", "=" and a fake "BLOCK client=[...]" (from a small
#    authoritative stub, through dnsmasq, which passes them as they are;
#    dnsmasq itself refuses such names in --ptr-record); a 253-byte PTR
#    name of three 63-byte labels with spaces, quotes, \001 and UTF-8
#    (dnsmasq --ptr-record); TXT records with a newline and a fake log
#    line, and one of 1,000 bytes (dnsmasq --txt-record; more than 512
#    bytes, so it comes over TCP), and one with raw control bytes
#    (rbldnsd). The daemon's log must stay one line per event (every
#    line starts with "mxwalld[", no raw control byte anywhere, no
#    forged BLOCK line, the text escaped as \xNN and cut), and so must
#    'mxwallctl why' (human and JSON) and the policy service's answers.
# Skips (77) without root, rbldnsd, dnsmasq or python3.
. "$(dirname "$0")/lab/lib.sh"
. "$(dirname "$0")/lab/dns.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
command -v rbldnsd >/dev/null || t_skip_all "rbldnsd is not installed"
command -v dnsmasq >/dev/null || t_skip_all "dnsmasq is not installed"
command -v python3 >/dev/null || t_skip_all "python3 is not installed"
command -v setpriv >/dev/null || t_skip_all "setpriv is not installed"
t_need_mxwall_user
MX_UID=$(id -u mxwall)
MX_GID=$(getent group mxwall | cut -d: -f3)
[ -n "$MX_GID" ] || MX_GID=$(id -g mxwall)
OUTSIDER=mxsec$$
useradd --no-create-home --home-dir /nonexistent --shell /bin/sh \
	"$OUTSIDER" || t_skip_all "cannot create a test user"
userdel_outsider() { userdel "$OUTSIDER" 2>/dev/null; }
lab_on_exit userdel_outsider
OUT_UID=$(id -u "$OUTSIDER")
OUT_GID=$(id -g "$OUTSIDER")
D=$LABDIR
BACKEND=xdp
[ -r /sys/kernel/btf/vmlinux ] || BACKEND=none

# ---- the lab: DNS servers with hostile data ----
NS=$(lab_ns sec) || t_skip_all "cannot create a network namespace"
# The stub: an authoritative server answering raw wire-format names.
cat >"$D/stub.py" <<'EOF'
# stub.py PORT ADDR=NAMEHEX... - a tiny authoritative DNS server on
# 127.0.0.1:PORT: a PTR query for ADDR's reverse name answers the name
# whose wire-format labels are NAMEHEX, bytes as they are (control
# characters and all); an A query for that name answers ADDR; anything
# else is NXDOMAIN.
import socket, struct, sys
port, ptr, fwd = int(sys.argv[1]), {}, {}
for arg in sys.argv[2:]:
    addr, name = arg.split("=")
    rev = b"".join(bytes([len(l)]) + l.encode() for l in
                   addr.split(".")[::-1] + ["in-addr", "arpa"]) + b"\0"
    ptr[rev] = bytes.fromhex(name)
    fwd[bytes.fromhex(name).lower()] = bytes(int(x) for x in addr.split("."))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
while True:
    q, peer = s.recvfrom(4096)
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    if i + 5 > len(q):
        continue
    qname, qtype = q[12:i + 1].lower(), struct.unpack("!H", q[i + 1:i + 3])[0]
    rr = b""
    if qtype == 12 and qname in ptr:
        rr = struct.pack("!HHHIH", 0xc00c, 12, 1, 300, len(ptr[qname])) + \
            ptr[qname]
    elif qtype == 1 and qname in fwd:
        rr = struct.pack("!HHHIH", 0xc00c, 1, 1, 300, 4) + fwd[qname]
    flags = 0x8400 | (q[2] & 1) << 8 | (0 if rr else 3)
    s.sendto(q[:2] + struct.pack("!HHHHH", flags, 1, 1 if rr else 0, 0, 0)
             + q[12:i + 5] + rr, peer)
EOF
# wire LABEL... - a name in wire format, in hex; each LABEL is read with
# Python's bytes escapes (\n, \x1b, \\).
wire() {
	python3 -c 'import codecs, sys
labels = [codecs.escape_decode(a.encode())[0] for a in sys.argv[1:]]
print((b"".join(bytes([len(l)]) + l for l in labels) + b"\0").hex())' "$@"
}
# 192.0.2.70: a PTR name forging a log line, with every dangerous byte
# (a resolver never confirms such a name: it stays the raw PTR name).
# 192.0.2.74: a printable name forging key=value pairs, confirmed by its
# A record (so it is the verified name, and the rule below blocks it).
EVIL='evil\nBLOCK client=[1.2.3.4] reason=fake\r\x1b[31m\xc3\xa9\x00x=y'
FORGE='ok reason=allowlist score=-99 ttl=0 "q" \\ x'
lab_spawn "$NS" python3 "$D/stub.py" 5353 \
	"192.0.2.70=$(wire "$EVIL" hostile example)" \
	"192.0.2.74=$(wire "$FORGE" hostile example)" >/dev/null
# 192.0.2.71: a 199-byte name of three 63-byte labels, the first with a
# space, a quote, "=" and \001 (dnsmasq turns UTF-8 into punycode, so
# raw UTF-8 comes from the stub above).
A63=$(python3 -c 'import sys
sys.stdout.buffer.write(b"a b\"c=d\001" + b"z" * 55)')
X63=$(python3 -c 'print("x" * 63)')
LONG_NAME="$A63.$X63.$X63.example"
# TXT for 192.0.2.71: a forged second log line; for .72: 1,000 bytes.
TXT_NL=$(printf 'Listed\nBLOCK client=[6.6.6.6] reason=forged\r\033[2J')
TXT_K=$(python3 -c 'print("K" * 250)')
# rbldnsd: 192.0.2.73 listed, its TXT full of raw control bytes.
printf '%s\n' '$SOA 600 ns.bl.test hostmaster.bl.test 1 600 300 86400 600' \
	'$TTL 600' '127.0.0.2 :127.0.0.2:test point' \
	"$(printf '192.0.2.73 :127.0.0.2:ctl\001\002\033[31m\r\tbell\007del\177 %s' \
		"$(python3 -c 'print("R" * 250)')")" >"$(dns_zone_file bl)"
dns_rbldnsd "$NS" 5301 bl.test:ip4set:bl || t_skip_all "rbldnsd does not start"
dns_dnsmasq "$NS" 53 --server=/bl.test/127.0.0.1#5301 \
	--server=/70.2.0.192.in-addr.arpa/127.0.0.1#5353 \
	--server=/74.2.0.192.in-addr.arpa/127.0.0.1#5353 \
	--server=/hostile.example/127.0.0.1#5353 --local=/example/ \
	"--ptr-record=71.2.0.192.in-addr.arpa,$LONG_NAME" \
	--address=/71.2.0.192.bl.test/127.0.0.2 \
	"--txt-record=71.2.0.192.bl.test,$TXT_NL" \
	--address=/72.2.0.192.bl.test/127.0.0.2 \
	"--txt-record=72.2.0.192.bl.test,$TXT_K,$TXT_K,$TXT_K,$TXT_K" ||
	t_skip_all "dnsmasq does not start with the hostile records"

# ---- the daemon ----
KERNEL=""
if [ $BACKEND = xdp ]; then
	lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
	ip -n "$NS" link add sec0 type veth peer name sec1
	ip -n "$NS" link set sec0 up
	KERNEL="interfaces = sec0
attach_mode = generic
pin_path = $LAB_BPFFS/mx"
fi
mkdir -p "$D/state"
chown mxwall "$D/state"
printf '%s\n' '/hostile/ REJECT hostile name' >"$D/client_check"
# conf BACKEND KERNEL-LINES - write mxwall.conf for that backend.
conf() {
	cat >"$D/mxwall.conf" <<EOF
backend = $1
$2
mode = enforce
control_socket = $D/control.sock
state_file = $D/state/verdicts
policy_listen = inet:127.0.0.1:10040
user = mxwall
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_timeout = 5s
client_checks = regexp:$D/client_check
reverse_client_checks = regexp:$D/client_check
EOF
}
PID=""
# start - mxwalld in the lab namespace; 0 once it says it started.
start() {
	: >"$D/daemon.log"
	PID=$(lab_spawn "$NS" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/daemon.log'")
	wait_log "started:" 10
}
# stop - SIGTERM, and wait for the process to go.
stop() {
	lab_stop "$PID" 2>/dev/null
}
wait_log() { lab_wait_grep "$D/daemon.log" "$1" "${2:-10}"; }
# status FIELD - a line of /proc/$PID/status, tabs as spaces.
status() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$PID/status" | tr '\t' ' '; }

# ---- 1. privileges, for the none backend and the real one ----
for b in none $BACKEND; do
	if [ $b = xdp ]; then conf xdp "$KERNEL"; caps=0000008000000000
	else conf none ""; caps=0000000000000000; fi
	if ! start; then
		sed 's/^/# daemon: /' "$D/daemon.log"
		t_fail "$b: mxwalld starts"
		continue
	fi
	t_eq "$b: every Uid field is mxwall's" "$(status Uid)" \
		"$MX_UID $MX_UID $MX_UID $MX_UID"
	t_eq "$b: every Gid field is mxwall's" "$(status Gid)" \
		"$MX_GID $MX_GID $MX_GID $MX_GID"
	t_check "$b: no supplementary group 0" \
		sh -c "! echo ' $(status Groups) ' | grep -q ' 0 '"
	t_eq "$b: CapEff" "$(status CapEff)" $caps
	t_eq "$b: CapPrm" "$(status CapPrm)" $caps
	t_eq "$b: CapBnd cut to the same" "$(status CapBnd)" $caps
	t_eq "$b: nothing inheritable" "$(status CapInh)" 0000000000000000
	t_eq "$b: nothing ambient" "$(status CapAmb)" 0000000000000000
	t_eq "$b: NoNewPrivs" "$(status NoNewPrivs)" 1
	[ $b = $BACKEND ] || stop
done
t_match "the control socket is not open to others" \
	"$(stat -c '%A %U' "$D/control.sock")" '^s....-----? root$|^s.......-. '
t_check "the control socket is not world-writable" \
	sh -c "! stat -c %A '$D/control.sock' | grep -q '^s.......w'"

# ---- 2. the control socket and local users ----
# as WHO ARGS... - mxwallctl as the outsider or a member of group mxwall.
as() {
	who=$1
	shift
	if [ "$who" = outsider ]; then groups=--clear-groups
	else groups=--groups=$MX_GID; fi
	OUT=$(setpriv --reuid="$OUT_UID" --regid="$OUT_GID" $groups \
		"$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1)
	RC=$?
}
as outsider status
t_eq "an ordinary user: status refused (exit 1)" "$RC" 1
t_match "... permission denied" "$OUT" "permission denied"
for c in "block 192.0.2.9" "forget 192.0.2.9" "flush --all" "reload" \
    "allow 192.0.2.9"; do
	# shellcheck disable=SC2086
	as outsider $c
	t_eq "an ordinary user: '$c' refused (exit 1)" "$RC" 1
done
# (Debian's python3: root's PATH may lead to a copy others cannot run.)
OUT=$(setpriv --reuid="$OUT_UID" --regid="$OUT_GID" --clear-groups \
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(e.strerror)' "$D/control.sock" 2>&1)
t_eq "an ordinary user cannot even connect to the socket" "$OUT" \
	"Permission denied"
as member status
t_eq "a member of group mxwall may read" "$RC" 0
for c in "block 192.0.2.9" "allow 192.0.2.9" "forget 192.0.2.9" \
    "flush --all" "reload"; do
	# shellcheck disable=SC2086
	as member $c
	t_eq "a member of group mxwall: '$c' refused (exit 1)" "$RC" 1
	t_match "... and told why" "$OUT" "permission denied"
done
ctl() {
	OUT=$(ip netns exec "$NS" "$MXWALLCTL" -c "$D/mxwall.conf" "$@" 2>&1)
	RC=$?
}
ctl show 192.0.2.9
t_eq "the refused commands changed nothing" "$RC" 2
t_check "no RELOAD was logged" sh -c "! grep -q RELOAD '$D/daemon.log'"

# ---- 3. hostile DNS data ----
cat >"$D/policy.py" <<'EOF'
# policy.py ADDR[,HELO,SENDER]... - one RCPT policy request per client on
# one connection to 127.0.0.1:10040 (HELO and SENDER read with Python's
# bytes escapes); prints each answer's action line, or "BROKEN: ..." when
# an answer is not exactly one line and an empty one.
import codecs, socket, sys
s = socket.create_connection(("127.0.0.1", 10040), timeout=30)
f = s.makefile("rb")
for arg in sys.argv[1:]:
    addr, helo, sender = (arg.split(",") + ["x", "a@b.example"])[:3]
    esc = lambda t: codecs.escape_decode(t.encode())[0]
    s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
              b"client_address=" + addr.encode() + b"\nclient_name=unknown\n"
              b"helo_name=" + esc(helo) + b"\nsender=" + esc(sender) +
              b"\nrecipient=c@d.example\n\n")
    line, blank = f.readline(), f.readline()
    if not line.startswith(b"action=") or blank != b"\n":
        print("BROKEN: %r %r" % (line, blank))
    else:
        sys.stdout.write(line.decode("utf-8", "replace"))
EOF
HELO='x\r\x1b[2J helo=<forged> y'
SENDER="$(python3 -c 'print("s" * 1000)')@example.org"
OUT=$(ip netns exec "$NS" python3 "$D/policy.py" 192.0.2.70 192.0.2.71 \
	192.0.2.72 192.0.2.73 "192.0.2.74,$HELO,$SENDER" 2>&1)
printf '%s\n' "$OUT" | sed 's/^/# policy: /' | cut -c1-300
t_eq "policy: five answers of one line each" \
	"$(printf '%s\n' "$OUT" | grep -c '^action=')" 5
t_eq "policy answers: no raw control byte" \
	"$(printf '%s' "$OUT" | LC_ALL=C tr -d '\n' |
		LC_ALL=C tr -dc '\000-\037\177' | wc -c)" 0
t_match "policy: the forged-TXT client is refused, the TXT on one line" \
	"$OUT" '^action=554 5\.7\.1 .*\[192\.0\.2\.71\] blocked using bl\.test; Listed\?BLOCK client=\[6\.6\.6\.6\]'
t_match "policy: the 1,000-byte TXT is refused, and cut" "$OUT" \
	'^action=554 5\.7\.1 .*\[192\.0\.2\.72\] blocked using bl\.test; K+$'
t_check "policy: that answer is under 600 bytes" \
	test "$(printf '%s\n' "$OUT" | grep '192\.0\.2\.72' | wc -c)" -lt 600
t_match "policy: the control-byte TXT arrives as ?" "$OUT" \
	'\[192\.0\.2\.73\] blocked using bl\.test; ctl\?\?'
t_match "policy: the raw PTR name's rule" "$OUT" \
	'^action=REJECT hostile name$'
for a in 192.0.2.70 192.0.2.71 192.0.2.73 192.0.2.74; do
	ctl why $a
	printf '%s\n' "$OUT" >"$D/why.$a"
	ctl --json why $a
	printf '%s\n' "$OUT" >"$D/why-json.$a"
done
for a in 192.0.2.70 192.0.2.71 192.0.2.73 192.0.2.74; do
	sed "s/^/# why: /" "$D/why.$a" | cut -c1-300
done

# The log: one line per event, whatever the DNS and the request said.
LOG=$D/daemon.log
sed 's/^/# log: /' "$LOG" | cut -c1-300
t_eq "log: every line starts with mxwalld[" \
	"$(grep -cv '^mxwalld\[[0-9]*\]: ' "$LOG")" 0
t_eq "log: no raw control byte" \
	"$(LC_ALL=C tr -d '\n' <"$LOG" | LC_ALL=C tr -dc '\000-\037\177' |
		wc -c)" 0
t_eq "log: BLOCK lines for our five clients only" \
	"$(sed -n 's/^mxwalld\[[0-9]*\]: BLOCK client=\(\[[^]]*\]\).*/\1/p' \
		"$LOG" | sort -u | tr '\n' ' ')" \
	"[192.0.2.70] [192.0.2.71] [192.0.2.72] [192.0.2.73] [192.0.2.74] "
t_check "log: the forged lines appear only inside quoted values" \
	sh -c "! grep -E '(^|[^\"])BLOCK client=\[(1\.2\.3\.4|6\.6\.6\.6)\]' '$LOG' | grep -v '=\"'"
L74=$(grep 'BLOCK client=\[192\.0\.2\.74\]' "$LOG")
t_eq "log: the forged name adds no reason= field to its BLOCK line" \
	"$(printf '%s\n' "$L74" | grep -o ' reason=' | wc -l)" 1
t_match "log: ... and keeps the rule's reason" "$L74" \
	' reason=rule table=regexp:.*client_check line=1 '
L74=$(grep 'POLICY .*192\.0\.2\.74' "$LOG")
t_eq "log: the forged HELO adds no helo= field to its POLICY line" \
	"$(printf '%s\n' "$L74" | grep -o ' helo=' | wc -l)" 1
t_match "log: the HELO's control bytes escaped" "$L74" '\\x0d\\x1b\[2J'
t_check "log: no line longer than 2,000 bytes" \
	sh -c "! awk 'length > 2000' '$LOG' | grep -q ."
t_check "log: the 1,000-byte sender and TXT are cut (no 300 in a row)" \
	sh -c "! grep -Eq 's{300}|K{300}' '$LOG'"

# 'mxwallctl why', human and JSON.
for a in 192.0.2.70 192.0.2.71 192.0.2.73 192.0.2.74; do
	t_eq "why $a: no raw control byte" \
		"$(LC_ALL=C tr -d '\n' <"$D/why.$a" |
			LC_ALL=C tr -dc '\000-\037\177' | wc -c)" 0
	t_eq "why $a: no line starts with a forged event" \
		"$(grep -c '^BLOCK\|^mxwalld' "$D/why.$a")" 0
	t_check "why --json $a: one valid JSON document" \
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
		"$D/why-json.$a"
done
# The resolver gives names in presentation form (\010 for a newline,
# \. for a dot inside a label); the backslash itself is then escaped.
t_match "why 192.0.2.70: the raw PTR name escaped" \
	"$(cat "$D/why.192.0.2.70")" \
	'evil\\x5c010BLOCK client=\[1\\x5c\.2\\x5c\.3\\x5c\.4\] reason=fake\\x5c013\\x5c027'
t_match "why 192.0.2.71: the long name escaped, its quote too" \
	"$(cat "$D/why.192.0.2.71")" 'ptr="a b\\x5c\\x22c=d'
t_match "why 192.0.2.71: the TXT's newline escaped" \
	"$(cat "$D/why.192.0.2.71")" 'Listed\\x0aBLOCK client=\[6\.6\.6\.6\]'
t_match "why 192.0.2.73: rbldnsd's control bytes escaped" \
	"$(cat "$D/why.192.0.2.73")" \
	'ctl\\x01\\x02\\x1b\[31m\\x0d\\x09bell\\x07del\\x7f'
t_match "why 192.0.2.73: the TXT cut" "$(cat "$D/why.192.0.2.73")" \
	'R{100,200}\.\.\."'
t_check "the daemon is still running" kill -0 "$PID"
stop
t_check "and stops cleanly" wait_log "stopped" 5

t_done
