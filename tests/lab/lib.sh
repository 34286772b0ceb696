# lib.sh - shared helpers for mxwall's integration suites (tests/t-*.sh).
#
# Source it from a suite:  . "$(dirname "$0")/lab/lib.sh"
#
# Assertions count into a summary that t_done prints as
# "N passed, N failed" and turns into the exit status (77 when the whole
# suite was skipped).
#
# The lab: every namespace, link, pin and process a suite creates is
# registered here and removed by one EXIT/INT/TERM trap, so an interrupted
# suite leaves nothing behind. Names carry a per-run tag ($LAB) so two
# suites never collide. Traffic goes only to loopback or to addresses
# inside namespaces the suite created.
#
# Never kill by name: lab_spawn records PIDs and cleanup ends those.

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
MXWALLD=$BUILD/mxwalld
MXWALLCTL=$BUILD/mxwallctl
LAB=${LAB:-mx$$}
LABDIR=$(mktemp -d "/tmp/mxwall-lab.$LAB.XXXXXX")
chmod 755 "$LABDIR"

T_PASS=0 T_FAIL=0 T_SKIP=0
LAB_NS="" LAB_PIDS="" LAB_LINKS="" LAB_PINS="" LAB_CLEANUP=""

t_pass() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"; }
t_skip() { T_SKIP=$((T_SKIP + 1)); echo "skipped: $*"; }

# t_check DESC CMD... - pass when CMD succeeds.
t_check() {
	desc=$1; shift
	if "$@"; then t_pass "$desc"; else t_fail "$desc"; fi
}

# t_eq DESC GOT WANT - pass when the two strings are equal.
t_eq() {
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1: got [$2], want [$3]"
	fi
}

# t_match DESC TEXT REGEX - pass when TEXT matches the extended regex.
t_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		t_pass "$1"
	else
		t_fail "$1: [$2] does not match /$3/"
	fi
}

# t_done - print the summary and exit with the suite's status.
t_done() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	if [ $T_FAIL -gt 0 ]; then exit 1; fi
	if [ $T_PASS -eq 0 ] && [ $T_SKIP -gt 0 ]; then exit 77; fi
	exit 0
}

# t_skip_all WHY - the whole suite cannot run here.
t_skip_all() {
	echo "skipped: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
}

t_need_root() {
	[ "$(id -u)" = 0 ] || t_skip_all "needs root (namespaces, BPF)"
}

# t_need_progs PROG... - skip the suite unless each program is on $PATH
# or in /usr/sbin.
t_need_progs() {
	for _p in "$@"; do
		command -v "$_p" >/dev/null 2>&1 ||
			[ -x "/usr/sbin/$_p" ] || t_skip_all "$_p is not installed"
	done
}

# t_need_mxwall_user - the system user mxwalld drops to (user = mxwall):
# created when missing, or the suite is skipped.
t_need_mxwall_user() {
	getent passwd mxwall >/dev/null ||
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin mxwall ||
		t_skip_all "cannot create the mxwall user"
}

lab_cleanup() {
	set +e
	# Registrations made inside $(...) reach us through these files.
	LAB_NS="$LAB_NS $(cat "$LABDIR/.ns" 2>/dev/null)"
	LAB_PIDS="$LAB_PIDS $(cat "$LABDIR/.pids" 2>/dev/null)"
	for c in $LAB_CLEANUP; do eval "$c"; done
	for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.1
	for p in $LAB_PIDS; do kill -9 "$p" 2>/dev/null; done
	for l in $LAB_LINKS; do ip link del "$l" 2>/dev/null; done
	for n in $LAB_NS; do ip netns del "$n" 2>/dev/null; done
	for d in $LAB_PINS; do rm -rf "$d" 2>/dev/null; done
	[ -n "${KEEP_LAB:-}" ] || rm -rf "$LABDIR"
}
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

# lab_on_exit CMD - run CMD (a string) during cleanup, before the kills.
lab_on_exit() { LAB_CLEANUP="$LAB_CLEANUP $1"; }

# lab_ns NAME - create namespace $LAB-NAME with loopback up; prints its name.
lab_ns() {
	n=$LAB-$1
	ip netns add "$n" || return 1
	LAB_NS="$LAB_NS $n"
	echo "$n" >>"$LABDIR/.ns" # usually called as $(lab_ns X)
	ip -n "$n" link set lo up
	# Let the namespace's IPv6 addresses work at once (no DAD wait).
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 2>/dev/null
	echo "$n"
}

# lab_veth NS1 IF1 NS2 IF2 - a veth pair between two namespaces, up.
lab_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		return 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# lab_spawn NS CMD... - start CMD in NS (or on the host when NS is "-")
# in the background; registers and prints its PID.
lab_spawn() {
	ns=$1; shift
	if [ "$ns" = - ]; then
		"$@" &
	else
		ip netns exec "$ns" "$@" &
	fi
	p=$!
	LAB_PIDS="$LAB_PIDS $p"
	echo "$p" >>"$LABDIR/.pids"
	echo "$p"
}

# lab_pin DIR - register a bpffs pin directory for removal.
lab_pin() { LAB_PINS="$LAB_PINS $1"; }

# lab_wait_port NS PROTO PORT [SECONDS] - wait until something listens.
lab_wait_port() {
	i=0 max=$((${4:-5} * 10))
	while [ $i -lt $max ]; do
		if ip netns exec "$1" ss -Hln"$(printf %s "$2" | cut -c1)" \
		    "sport = :$3" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# lab_wait_grep FILE REGEX [SECONDS] - wait until FILE has a line that
# matches the extended regular expression REGEX.
lab_wait_grep() {
	i=0 max=$((${3:-5} * 10))
	while [ $i -lt $max ]; do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# lab_stop PID [SECONDS] - SIGTERM to PID, then wait until it is gone,
# at most SECONDS (5); the caller checks whether it went.
lab_stop() {
	kill -TERM "$1"
	i=0 max=$((${2:-5} * 10))
	while [ $i -lt $max ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}

# lab_wait_file FILE [SECONDS] - wait until FILE exists.
lab_wait_file() {
	i=0 max=$((${2:-5} * 10))
	while [ $i -lt $max ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# lab_bpffs - make sure a bpf filesystem is mounted at /sys/fs/bpf.
# 'ip netns exec' remounts /sys, so inside a namespace it may be missing.
lab_bpffs() {
	mountpoint -q /sys/fs/bpf 2>/dev/null ||
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null
}

# lab_bpffs_private - mount a bpf filesystem of the suite's own at
# $LABDIR/bpf (unmounted by cleanup) and set LAB_BPFFS to it. Unlike
# /sys/fs/bpf it stays visible inside 'ip netns exec', which remounts
# /sys, so pins made there are seen by every command of the suite.
# Call it directly, not in $(...): the cleanup must be registered here.
lab_bpffs_private() {
	LAB_BPFFS=$LABDIR/bpf
	mkdir -p "$LAB_BPFFS" && mount -t bpf bpf "$LAB_BPFFS" || return 1
	lab_on_exit umount_lab_bpffs
}
umount_lab_bpffs() { umount -l "$LAB_BPFFS" 2>/dev/null; }

# lab_tcp_listen NS PORT - a TCP listener in NS on PORT, IPv4 and IPv6,
# that accepts and closes each connection; registered like lab_spawn.
lab_tcp_listen() {
	lab_spawn "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
' "$2" >/dev/null
	lab_wait_port "$1" tcp "$2"
}

# lab_tcp_connect NS SRC DST PORT [SECONDS] - exit 0 when a TCP
# connection from SRC to DST:PORT, made inside NS, succeeds in time.
lab_tcp_connect() {
	ip netns exec "$1" python3 -c '
import socket, sys
src, dst, port, t = sys.argv[1:5]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(float(t))
s.bind((src, 0))
try:
    s.connect((dst, int(port)))
except OSError:
    sys.exit(1)
' "$2" "$3" "$4" "${5:-1.5}"
}
