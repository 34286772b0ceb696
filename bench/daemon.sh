#!/bin/sh
# daemon.sh - mxwalld's figures (printed, not asserted), in a lab of two
# namespaces on a veth pair with the kernel program attached (generic
# XDP) and a private bpffs:
#   1. cold start to filtering with a 1,000,000-entry snapshot (target
#      < 3 s): from exec until readiness, i.e. every verdict restored into
#      the kernel;
#   2. resident memory of the daemon holding those verdicts (target
#      < 100 MB), and the time to write their snapshot;
#   3. new addresses from the ring buffer to kernel verdicts, end to end:
#      20,000 SYNs from distinct sources; each address goes through the
#      ring, a PTR lookup (dnsmasq answers NXDOMAIN), the client table
#      (/^unknown$/ REJECT) and back into the kernel as a block.
# Prints "skipped: why" and exits 0 where it cannot run (no root, BTF,
# dnsmasq).
. "$(dirname "$0")/../tests/lab/lib.sh"
. "$(dirname "$0")/../tests/lab/dns.sh"
BD=$BUILD/bench/bench_daemon
skip() { echo "skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$MXWALLD" ] && [ -x "$BD" ] || skip "not built"
[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
getent passwd mxwall >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin mxwall || skip "no mxwall user"
N=${BENCH_SNAPSHOT_N:-1000000}
R=${BENCH_RING_N:-20000}

lab_bpffs_private || skip "cannot mount a bpf filesystem"
srv=$(lab_ns srv) && cli=$(lab_ns cli) || skip "cannot create namespaces"
lab_veth "$srv" veth0 "$cli" veth1 || skip "cannot create veth"
ip -n "$srv" addr add 10.97.0.1/24 dev veth0
ip -n "$cli" addr add 10.97.0.2/24 dev veth1
MAC=$(ip -n "$srv" -o link show veth0 |
	sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
DNS_LOG_QUERIES="" dns_dnsmasq "$srv" 53 || skip "dnsmasq does not start"

D=$LABDIR
mkdir -p "$D/state"
chown mxwall "$D/state"
printf '%s\n' '/^unknown$/ REJECT no reverse name' >"$D/client_check"

# conf PIN - the configuration, maps pinned under PIN.
conf() {
	cat >"$D/mxwall.conf" <<-CONF
	backend = xdp
	interfaces = veth0
	attach_mode = generic
	pin_path = $1
	state_file = $D/state/verdicts
	control_socket = $D/control.sock
	policy_listen =
	user = mxwall
	dns_servers = 127.0.0.1:53
	dns_max_inflight = 1000
	circuit_breaker = no
	client_checks = regexp:$D/client_check
	CONF
}

# run - start mxwalld; $PID, and the seconds until readiness in $SECS.
run() {
	: >"$D/daemon.log"
	t0=$(date +%s.%N)
	lab_spawn "$srv" sh -c "exec ${BENCH_WRAP:-} '$MXWALLD' -f -c '$D/mxwall.conf' \
		</dev/null >/dev/null 2>>'$D/daemon.log'" >"$D/pid"
	PID=$(cat "$D/pid")
	while ! grep -q "started:" "$D/daemon.log"; do
		if ! kill -0 "$PID" 2>/dev/null; then
			cat "$D/daemon.log" >&2
			return 1
		fi
		sleep 0.02
	done
	t1=$(date +%s.%N)
	SECS=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
}

stop() {
	kill -TERM "$PID"
	while kill -0 "$PID" 2>/dev/null; do sleep 0.1; done
}

"$BD" snapshot "$D/state/verdicts" "$N" || exit 1
chown mxwall "$D/state/verdicts"
conf "$LAB_BPFFS/cold"
run || skip "mxwalld does not start here"
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	/proc/"$PID"/stat)
echo "cold start to filtering with a $N-entry snapshot: $SECS s" \
	"(target < 3 s); daemon CPU time $cpu s; load average" \
	"$(cut -d' ' -f1 /proc/loadavg)"
grep -o -e "restored .*" -e "start-up restore: .*" "$D/daemon.log"
rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/"$PID"/status)
echo "resident memory with $N cached verdicts: $rss MB (target < 100 MB)"
t0=$(date +%s.%N)
kill -USR1 "$PID"
while ! grep -q "written on SIGUSR1" "$D/daemon.log"; do sleep 0.02; done
echo "$t0 $(date +%s.%N)" | awk -v n="$N" \
	'{ printf "snapshot of %s verdicts written in %.2f s\n", n, $2 - $1 }'
stop

rm -f "$D/state/verdicts"
MXWALL_PIN_PATH=$LAB_BPFFS/cold ip netns exec "$srv" "$MXWALLCTL" \
	-s "$D/no-daemon.sock" detach veth0 >/dev/null 2>&1
rm -rf "$LAB_BPFFS/cold"
conf "$LAB_BPFFS/ring"
run || skip "mxwalld does not start here"
ip netns exec "$cli" "$BD" syn veth1 "$MAC" 10.97.0.1 "$R" &
synpid=$!
ip netns exec "$srv" "$BD" wait "$D/control.sock" "$R" 60
wait $synpid
MXWALL_PIN_PATH=$LAB_BPFFS/ring ip netns exec "$srv" "$MXWALLCTL" \
	-s "$D/no-daemon.sock" stats 2>/dev/null |
	grep -E "^event_(posted|lost|dedup) "
stop
