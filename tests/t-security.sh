#!/bin/sh
# t-security.sh - what a hostile network and a local user can and cannot
# do to mxwalld.
#
#   - after start-up the daemon runs as the user "mxwall" and keeps only
#     CAP_BPF (xdp backend, see SECURITY in mxwalld(8));
#   - the control socket: a user outside control_group cannot connect;
#     a control_group member may read (status) but not change (block);
#   - a client whose reverse DNS name is made of control characters, CR
#     LF and text that imitates a log line, listed on a DNS list whose TXT
#     record is 1,200 bytes of the same, ends up escaped and cut in the
#     log, in `mxwallctl why` and in the policy answer: no line a reader
#     could take for one mxwalld wrote, no control byte, nothing longer
#     than the documented bounds.
#
# The hostile DNS is a small server written here (python3) on the lab's
# loopback: it answers PTR, A and TXT with exactly the bytes given, which
# no ordinary DNS server would serve.
. "$(dirname "$0")/lab/lib.sh"

t_need_root
[ -x "$MXWALLD" ] || t_skip_all "$MXWALLD not built"
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
command -v setpriv >/dev/null || t_skip_all "setpriv (util-linux) missing"
getent passwd mxwall >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall ||
	t_skip_all "cannot create the mxwall user"

NS=$(lab_ns sec) || t_skip_all "cannot create a network namespace"
lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"

# ---- the hostile DNS server ----
cat >"$D/evildns.py" <<'EOF'
import socket, struct, threading

# PTR for 192.0.2.66: labels full of what must never reach a log raw.
EVIL = [b"x\r\nmxwalld[1]: BLOCK client=[6.6.6.6] reason=fake",
        b"\x1b[31mred\x07\x00nul\"q\\b", b"dynamic", b"example", b"net"]
# TXT of the listing: 1,200 bytes in strings of at most 255.
TXT = (b"Listed\r\nmxwalld[1]: ALLOW client=[6.6.6.6]\n\x1b[2J\"\\" * 30)[:1200]

def wire(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"

def qname(msg, p):
    labels = []
    while msg[p]:
        labels.append(msg[p + 1:p + 1 + msg[p]])
        p += 1 + msg[p]
    return labels, p + 1

def answer(msg):
    labels, p = qname(msg, 12)
    qtype = struct.unpack("!H", msg[p:p + 2])[0]
    name = b".".join(labels).lower()
    q = msg[12:p + 4]
    rr, rcode = [], 3
    if name == b"66.2.0.192.in-addr.arpa" and qtype == 12:
        rr, rcode = [(12, wire(EVIL))], 0
    elif labels == EVIL and qtype == 1:
        rr, rcode = [(1, socket.inet_aton("192.0.2.66"))], 0
    elif name in (b"66.2.0.192.bl.test", b"2.0.0.127.bl.test"):
        rcode = 0
        if qtype == 1:
            rr = [(1, socket.inet_aton("127.0.0.2"))]
        elif qtype == 16:
            rr = [(16, b"".join(bytes([len(TXT[i:i + 255])]) +
                               TXT[i:i + 255]
                               for i in range(0, len(TXT), 255)))]
    head = struct.pack("!HHHHHH", struct.unpack("!H", msg[:2])[0],
                       0x8180 | rcode, 1, len(rr), 0, 0)
    body = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", t, 1, 300, len(d)) + d
                    for t, d in rr)
    return head + q + body

def tcp():
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 53))
    t.listen(16)
    while True:
        c, _ = t.accept()
        try:
            n = struct.unpack("!H", c.recv(2))[0]
            msg = b""
            while len(msg) < n:
                msg += c.recv(n - len(msg))
            a = answer(msg)
            c.sendall(struct.pack("!H", len(a)) + a)
        except Exception:
            pass
        c.close()

threading.Thread(target=tcp, daemon=True).start()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    msg, peer = s.recvfrom(4096)
    try:
        a = answer(msg)
        if len(a) > 512:
            # Too big for plain UDP: header and question only, TC set,
            # so the resolver asks again over TCP.
            labels, p = qname(msg, 12)
            a = (a[:2] + struct.pack("!H", struct.unpack("!H", a[2:4])[0]
                                     | 0x0200) + a[4:6] + b"\0\0\0\0\0\0"
                 + msg[12:p + 4])
        s.sendto(a, peer)
    except Exception:
        pass
EOF
lab_spawn "$NS" python3 "$D/evildns.py" >/dev/null
lab_wait_port "$NS" udp 53 5 || t_skip_all "the test DNS server did not start"

cat >"$D/mxwall.conf" <<EOF
backend = xdp
interfaces =
pin_path = $LAB_BPFFS/mxwall
state_file = $D/state/verdicts
control_socket = $D/control.sock
control_group = mxwall
policy_listen = inet:127.0.0.1:10040
mynetworks = 127.0.0.0/8
dns_servers = 127.0.0.1:53
dnsbl_sites = bl.test
dnsbl_threshold = 1
client_checks = pcre:$TOP/rules/dynamic-normal.pcre
user = mxwall
EOF
: >"$D/daemon.log"
lab_spawn "$NS" sh -c "exec '$MXWALLD' -f -c '$D/mxwall.conf' \
	</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
PID=$(cat "$D/pid")
lab_wait_port "$NS" tcp 10040 10 || {
	cat "$D/daemon.log"
	t_skip_all "mxwalld did not start"
}

# ---- privileges ----
t_eq "the daemon runs as user mxwall" \
	"$(ps -o user= -p "$PID" | tr -d ' ')" mxwall
t_eq "it keeps only CAP_BPF (bit 39) in its effective set" \
	"$(awk '/^CapEff/ {print $2}' /proc/"$PID"/status)" 0000008000000000
t_eq "and nothing more in its permitted set" \
	"$(awk '/^CapPrm/ {print $2}' /proc/"$PID"/status)" 0000008000000000
t_eq "no_new_privs is set" \
	"$(awk '/^NoNewPrivs/ {print $2}' /proc/"$PID"/status)" 1

# ---- the control socket ----
# as USER GROUPS CMD... - run mxwallctl in the namespace as someone else.
as() {
	u=$1 g=$2
	shift 2
	if [ -n "$g" ]; then g="--groups=$g"; else g=--clear-groups; fi
	ip netns exec "$NS" setpriv --reuid="$u" --regid=nogroup "$g" \
		"$MXWALLCTL" -s "$D/control.sock" "$@" 2>&1
}
out=$(as nobody "" status)
t_eq "a user outside control_group cannot use the socket (exit)" "$?" 1
t_match "and is told why" "$out" 'permission denied'
out=$(as nobody mxwall status)
t_eq "a control_group member may read (status, exit)" "$?" 0
out=$(as nobody mxwall block 192.0.2.9)
t_eq "a control_group member may not block (exit)" "$?" 1
t_match "and is told why" "$out" 'permission denied'
ip netns exec "$NS" "$MXWALLCTL" -s "$D/control.sock" show 192.0.2.9 \
	>/dev/null 2>&1
t_eq "the refused block left no verdict (show exits 2)" "$?" 2

# ---- hostile names and TXT records ----
cat >"$D/policy.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", 10040), timeout=30)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
          b"client_address=192.0.2.66\nclient_name=unknown\n"
          b"sender=a@example.org\nrecipient=b@example.com\n\n")
got = b""
while not got.endswith(b"\n\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
sys.stdout.buffer.write(got)
EOF
ip netns exec "$NS" python3 "$D/policy.py" >"$D/answer"
ip netns exec "$NS" "$MXWALLCTL" -s "$D/control.sock" why 192.0.2.66 \
	>"$D/why" 2>&1
sleep 0.5

# no_ctl FILE - FILE holds no control byte but newline (and no DEL).
no_ctl() {
	! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"
}
# longest FILE - the longest line's length in bytes.
longest() {
	LC_ALL=C awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$1"
}

t_match "the listed client is refused" "$(cat "$D/answer")" \
	'^action=554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.66\] blocked using bl\.test'
t_eq "the policy answer is one line and an empty one" \
	"$(wc -l <"$D/answer" | tr -d ' ')" 2
t_check "the policy answer holds no control byte" no_ctl "$D/answer"
t_check "the policy answer is at most action= + 1024 bytes + LF ($(longest "$D/answer"))" \
	test "$(longest "$D/answer")" -le $((7 + 1024))

t_check "the log has the BLOCK line for the client" \
	grep -q 'BLOCK client=\[192\.0\.2\.66\]' "$D/daemon.log"
t_check "the log holds no control byte" no_ctl "$D/daemon.log"
t_eq "every log line is one mxwalld wrote (no injected line)" \
	"$(grep -v '^mxwalld\[[0-9]*\]: ' "$D/daemon.log")" ""
t_eq "no forged event reached the log as an event" \
	"$(grep -c '^mxwalld\[[0-9]*\]: \(BLOCK\|ALLOW\) client=\[6\.6\.6\.6\]' "$D/daemon.log")" 0
t_check "no log line is longer than 4096 bytes ($(longest "$D/daemon.log"))" \
	test "$(longest "$D/daemon.log")" -le 4096

t_match "why shows the block" "$(cat "$D/why")" \
	'^192\.0\.2\.66: block \(dnsbl\)'
t_check "why holds no control byte" no_ctl "$D/why"
t_eq "why has no line that starts like a forged event" \
	"$(grep -c '^mxwalld\[1\]' "$D/why")" 0
# c-ares hands the name over with \DDD escapes; why escapes those again.
t_match "why shows the hostile name, escaped" "$(cat "$D/why")" \
	'ptr="x\\x5c013\\x5c010mxwalld\[1\]: BLOCK client='
t_match "why shows the TXT record, escaped" "$(cat "$D/why")" \
	'txt="Listed\\x0d\\x0amxwalld'
t_check "why cuts the 1,200-byte TXT ($(longest "$D/why") bytes at most per line)" \
	test "$(longest "$D/why")" -le 1024
t_check "the daemon is still running" kill -0 "$PID"

t_done
