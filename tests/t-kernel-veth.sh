#!/bin/sh
# t-kernel-veth.sh - the kernel program on a real path: two network
# namespaces joined by a veth pair, a TCP listener on port 25 in the
# server namespace, the program attached on the server side with
# mxwallctl (native XDP, then generic XDP, then TC).
#
# For IPv4 and IPv6, in each mode: a blocked client cannot connect, an
# allowed and an unknown one can, the unknown one produces an event, the
# counters moved; after detach the blocked client connects again.
# Addresses live only inside the namespaces this suite creates; a private
# bpffs holds the pins. Everything is removed on exit, also when
# interrupted. Skips (77) without root, BTF or XDP on veth.
. "$(dirname "$0")/lab/lib.sh"
t_need_root
[ -x "$MXWALLCTL" ] || t_skip_all "$MXWALLCTL not built"
[ -r /sys/kernel/btf/vmlinux ] || t_skip_all "kernel without BTF"
EVENTS=$BUILD/tools/kern_events

lab_bpffs_private || t_skip_all "cannot mount a bpf filesystem"
export MXWALL_PIN_PATH=$LAB_BPFFS/mx
srv=$(lab_ns srv) && cli=$(lab_ns cli) || t_skip_all "cannot create namespaces"
lab_veth "$srv" veth0 "$cli" veth1 || t_skip_all "cannot create veth"

# The server has one address; each client role has its own (in IPv6 its
# own /64, since IPv6 verdicts cover a /64), routed on-link.
ip -n "$srv" addr add 10.99.0.1/24 dev veth0
ip -n "$srv" addr add fd00:99::1/64 dev veth0
for a in 2 3 4 5 6; do
	ip -n "$cli" addr add 10.99.0.$a/24 dev veth1 2>/dev/null ||
		ip -n "$cli" addr add 10.99.0.$a/32 dev veth1
	ip -n "$cli" addr add fd00:99:$a::$a/64 dev veth1
	ip -n "$srv" route add fd00:99:$a::/64 dev veth0
done
ip -n "$cli" route add fd00:99::/64 dev veth1

lab_tcp_listen "$srv" 25 || t_skip_all "listener did not start"

# connect SRC DST - a connection to DST:25 from SRC (client namespace).
connect() { lab_tcp_connect "$cli" "$1" "$2" 25 1.5; }

# The daemon is not part of this suite: keep mxwallctl off any socket.
ctl() {
	ip netns exec "$srv" "$MXWALLCTL" -s "$LABDIR/no-daemon.sock" "$@"
}

# Sanity: without the program every client connects.
t_check "v4 client connects before attach" connect 10.99.0.2 10.99.0.1
t_check "v6 client connects before attach" connect fd00:99:2::2 fd00:99::1

# Each mode gets its own unknown client (the kernel reports an address
# once per interval, and the pinned dedup table outlives a detach).
u=3
for mode in native generic tc; do
	u=$((u + 1))
	out=$(ctl attach veth0 --mode $mode 2>&1)
	if [ $? -ne 0 ]; then
		if [ $mode = native ]; then
			t_skip "native XDP on veth not available: $out"
		else
			t_fail "attach in $mode mode: $out"
		fi
		continue
	fi
	t_eq "$mode: attach reports its mode" "$out" \
		"attached to veth0 in $mode mode"
	ctl block 10.99.0.2 fd00:99:2::2 --ttl 10m >/dev/null 2>&1
	ctl allow 10.99.0.3 fd00:99:3::3 --ttl 10m >/dev/null 2>&1
	ip netns exec "$srv" "$EVENTS" "$MXWALL_PIN_PATH" >/dev/null # drain

	if connect 10.99.0.2 10.99.0.1; then
		t_fail "$mode: v4 blocked client connected"
	else
		t_pass "$mode: v4 blocked client cannot connect"
	fi
	if connect fd00:99:2::2 fd00:99::1; then
		t_fail "$mode: v6 blocked client connected"
	else
		t_pass "$mode: v6 blocked client cannot connect"
	fi
	t_check "$mode: v4 allowed client connects" \
		connect 10.99.0.3 10.99.0.1
	t_check "$mode: v6 allowed client connects" \
		connect fd00:99:3::3 fd00:99::1
	t_check "$mode: v4 unknown client connects" \
		connect 10.99.0.$u 10.99.0.1
	t_check "$mode: v6 unknown client connects" \
		connect fd00:99:$u::$u fd00:99::1

	ev=$(ip netns exec "$srv" "$EVENTS" "$MXWALL_PIN_PATH" 1)
	t_match "$mode: event for the v4 unknown client" "$ev" \
		"^UNKNOWN client=\\[10\\.99\\.0\\.$u\\] port=25 "
	t_match "$mode: event for the v6 unknown client" "$ev" \
		"UNKNOWN client=\\[fd00:99:$u::$u\\] port=25 "
	t_eq "$mode: no event for blocked or allowed clients" \
		"$(printf '%s\n' "$ev" | grep -cE '10\.99\.0\.[23]|fd00:99:[23]::')" 0

	stats=$(ctl stats)
	t_match "$mode: drop_verdict counted" "$stats" \
		'^drop_verdict +[1-9]'
	t_match "$mode: pass_allow_verdict counted" "$stats" \
		'pass_allow_verdict +[1-9]'

	# Attaching again (a restarted loader) swaps the program in place.
	out=$(ctl attach veth0 2>&1)
	t_eq "$mode: attach again keeps the mode" "$out" \
		"attached to veth0 in $mode mode"
	if connect 10.99.0.2 10.99.0.1; then
		t_fail "$mode: v4 blocked client connected after re-attach"
	else
		t_pass "$mode: v4 blocked client still refused after re-attach"
	fi

	out=$(ctl detach veth0 2>&1)
	t_eq "$mode: detach" "$out" "detached from veth0"
	t_check "$mode: v4 blocked client connects after detach" \
		connect 10.99.0.2 10.99.0.1
	t_check "$mode: v6 blocked client connects after detach" \
		connect fd00:99:2::2 fd00:99::1
done

out=$(ctl detach veth0 2>&1)
t_match "detach when not attached says so" "$out" "not attached"
t_done
