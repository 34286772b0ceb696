#!/bin/sh
# demo.sh - 'make demo': mxwall's kernel fast path, shown in a pair of
# network namespaces in well under a minute.
#
# A "mail server" namespace listens on TCP port 25; a "clients"
# namespace holds two clients. mxwallctl attaches the program to the
# server's interface, blocks one client, and then: the blocked client's
# connection is dropped in the kernel (it never reaches the listener),
# the unknown client connects and the kernel reports it as an event for
# the daemon to evaluate. Everything it creates (namespaces, veth, a
# private bpffs, the listener) is removed on exit, also on Ctrl-C.
. "$(dirname "$0")/lab/lib.sh"

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ "$(id -u)" = 0 ] || { echo "demo: needs root (namespaces, BPF)"; exit 1; }
[ -x "$MXWALLCTL" ] || { echo "demo: build first: make"; exit 1; }
EVENTS=$BUILD/tools/kern_events

lab_bpffs_private || { echo "demo: cannot mount a bpf filesystem"; exit 1; }
export MXWALL_PIN_PATH=$LAB_BPFFS/mx
srv=$(lab_ns mail) && cli=$(lab_ns clients) &&
	lab_veth "$srv" mx0 "$cli" cl0 || { echo "demo: no namespaces"; exit 1; }
ip -n "$srv" addr add 192.0.2.25/24 dev mx0
ip -n "$cli" addr add 192.0.2.66/24 dev cl0
ip -n "$cli" addr add 192.0.2.77/24 dev cl0
lab_tcp_listen "$srv" 25 || { echo "demo: listener did not start"; exit 1; }

# mxwallctl inside the server namespace, never talking to a real daemon.
mxwallctl() {
	ip netns exec "$srv" "$MXWALLCTL" -s "$LABDIR/no-daemon.sock" "$@" \
		2>&1 | grep -v 'mxwalld is not running'
}

say "A mail server (192.0.2.25, namespace $srv) and two clients: 192.0.2.66 and 192.0.2.77"
say "Attach the kernel program to the server's interface (auto: native XDP first)"
run mxwallctl attach mx0

say "Block 192.0.2.66 for ten minutes (as mxwalld would after a DNSBL hit)"
run mxwallctl block 192.0.2.66 --ttl 10m --reason dnsbl
run mxwallctl list

say "The blocked client tries port 25"
if lab_tcp_connect "$cli" 192.0.2.66 192.0.2.25 25 2; then
	echo "192.0.2.66: connected (unexpected!)"
else
	echo "192.0.2.66: no answer within 2 s: its SYNs were dropped in the kernel"
fi

say "An unknown client tries port 25"
if lab_tcp_connect "$cli" 192.0.2.77 192.0.2.25 25 2; then
	echo "192.0.2.77: connected: unknown clients pass"
else
	echo "192.0.2.77: could not connect (unexpected!)"
fi

say "The kernel reported the unknown client (ring buffer event, once per interval)"
ip netns exec "$srv" "$EVENTS" "$MXWALL_PIN_PATH" 1

say "Counters, and the blocked verdict's hit count"
run mxwallctl stats
run mxwallctl list --blocked

say "Detach; the namespaces and pins are removed on exit"
run mxwallctl detach mx0
