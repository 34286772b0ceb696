// SPDX-License-Identifier: GPL-2.0
/*
 * plain.bpf.c - benchmark yardstick, not part of mxwall: the least an
 * XDP filter can do, one hash lookup of the source address at a fixed
 * offset (untagged IPv4 or IPv6 frames), on the same maps mxwall uses
 * (the benchmark points verdicts_v4/v6 at mxwall's pinned maps). No
 * pre-filter, no prefixes, no counters, no events.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "mxwall.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mx_verdict);
} verdicts_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct mx_v6key);
	__type(value, struct mx_verdict);
} verdicts_v6 SEC(".maps");

SEC("xdp.frags")
int plain_v4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 key;

	if (data + 14 + 20 > end)
		return XDP_PASS;
	__builtin_memcpy(&key, data + 14 + 12, 4);
	return bpf_map_lookup_elem(&verdicts_v4, &key) ? XDP_DROP : XDP_PASS;
}

SEC("xdp.frags")
int plain_v6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct mx_v6key key = {};

	if (data + 14 + 40 > end)
		return XDP_PASS;
	__builtin_memcpy(key.b, data + 14 + 8, 8); /* the /64 */
	return bpf_map_lookup_elem(&verdicts_v6, &key) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
