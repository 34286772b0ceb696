#!/bin/sh
# xdp_veth.sh - the kernel path on a veth pair, figures printed only:
#   - drop rate in packets/s with 1M listed IPv4 sources, from all of them
#     (random) and from a few, for mxwall (native XDP) and, beside it, an
#     nftables set of the same addresses at the netdev ingress hook;
#   - xdp-filter (xdp-tools) beside mxwall at xdp-filter's map size.
# The sender is an XDP program transmitting with BPF_PROG_TEST_RUN live
# frames (the kernel has no pktgen), in a namespace of its own; the
# receiver is another. Everything is removed on exit.
. "$(dirname "$0")/../tests/lab/lib.sh"

B=$BUILD/bench/bench_bpf
N=${XDP_VETH_N:-1048576}
SECS=${XDP_VETH_SECS:-4}
[ "$(id -u)" = 0 ] || { echo "xdp_veth: skipped: needs root"; exit 0; }
[ -x "$B" ] && [ -x "$MXWALLCTL" ] ||
	{ echo "xdp_veth: skipped: build first"; exit 0; }
lab_bpffs_private || { echo "xdp_veth: skipped: no bpffs"; exit 0; }
PIN=$LAB_BPFFS/mx
gen=$(lab_ns gen) && rcv=$(lab_ns rcv) && lab_veth "$gen" g0 "$rcv" r0 ||
	{ echo "xdp_veth: skipped: no namespaces"; exit 0; }
ip -n "$rcv" link set r0 address 02:00:00:00:00:02
ip -n "$rcv" addr add 192.0.2.250/24 dev r0

echo "== veth drop rate, $N listed IPv4 sources, ${SECS}s per run"
echo "(sender and receiver share this machine's $(nproc) cores)"
if MXWALL_PIN_PATH=$PIN ip netns exec "$rcv" "$MXWALLCTL" \
    -s "$LABDIR/none.sock" attach r0 --mode native >/dev/null; then
	ip netns exec "$gen" "$B" veth-load "$PIN" "$N"
	for pool in "$N" 4; do
		printf 'mxwall, native XDP: '
		ip netns exec "$gen" "$B" veth-gen g0 "$pool" "$SECS" "$PIN"
	done
	MXWALL_PIN_PATH=$PIN ip netns exec "$rcv" "$MXWALLCTL" \
		-s "$LABDIR/none.sock" detach r0 >/dev/null
else
	echo "mxwall: native XDP on veth not available: skipped"
fi

# nftables: a set at the netdev ingress hook; the receiver needs an XDP
# program to accept XDP_TX frames, so an empty one passes them up.
"$B" veth-nft "$N" >"$LABDIR/elements.nft"
t0=$(date +%s.%N)
if ip netns exec "$rcv" nft -f - <<EOT && \
    ip netns exec "$rcv" nft -f "$LABDIR/elements.nft"
table netdev mxbench {
	set blocked { type ipv4_addr; size $((N + 16)); }
	chain in {
		type filter hook ingress device r0 priority 0;
		ip saddr @blocked counter drop
	}
}
EOT
then
	t1=$(date +%s.%N)
	awk -v s="$t0" -v e="$t1" -v n="$N" 'BEGIN {
		printf "nftables: %d set elements loaded in %.2f s\n", n, e - s }'
	ip netns exec "$rcv" "$B" veth-pass r0 "$LAB_BPFFS/pass" ||
		echo "nftables: cannot attach the pass-through XDP program"
	for pool in "$N" 4; do
		c0=$(ip netns exec "$rcv" nft list chain netdev mxbench in |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		s0=$(date +%s.%N)
		printf 'nftables set, ingress: '
		ip netns exec "$gen" "$B" veth-gen g0 "$pool" "$SECS"
		s1=$(date +%s.%N)
		c1=$(ip netns exec "$rcv" nft list chain netdev mxbench in |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		awk -v a="$c0" -v b="$c1" -v s="$s0" -v e="$s1" 'BEGIN {
			printf "  nftables dropped %.2f M packets/s\n",
			    (b - a) / (e - s) / 1e6 }'
	done
else
	echo "nftables: cannot load the set: skipped"
fi

# Unpinning the pass-through program's link detaches it.
rm -f "$LAB_BPFFS/pass"
ip netns exec "$rcv" nft delete table netdev mxbench 2>/dev/null

# xdp-filter needs libxdp's bpffs at /sys/fs/bpf: inside one 'ip netns
# exec' (its own /sys) mount one, load it, measure, unload.
if command -v xdp-filter >/dev/null; then
	ip netns exec "$rcv" sh -c "
		mount -t bpf bpf /sys/fs/bpf &&
		xdp-filter load r0 -f ipv4 -m skb >/dev/null 2>&1 &&
		'$B' xdp-filter; xdp-filter unload r0 >/dev/null 2>&1" ||
		echo "xdp-filter: could not be loaded: skipped"
else
	echo "xdp-filter: xdp-tools not installed: skipped"
fi
exit 0
