// SPDX-License-Identifier: GPL-2.0
/* mxwall.bpf.c - placeholder until the kernel fast-path issue lands. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int mxwall_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
