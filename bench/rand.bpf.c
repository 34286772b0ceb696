// SPDX-License-Identifier: GPL-2.0
/*
 * rand.bpf.c - benchmark harness, not part of mxwall: an XDP program that
 * writes a random source address into the frame and tail-calls the
 * program under test, so BPF_PROG_TEST_RUN with a large repeat count sees
 * a different client on every run (caches behave as in production).
 *
 * The frame must be untagged Ethernet + IPv4 (20-byte header) or IPv6
 * without extension headers. conf says the family and where addresses
 * come from: keys[rand % nkeys], or uniformly random when nkeys is 0.
 * Two entry points, for targets built with and without XDP frags (a tail
 * call needs both sides to agree); nop_* are the baseline targets, and
 * gen_tx turns it into a traffic generator (BPF_F_TEST_XDP_LIVE_FRAMES:
 * each run's frame leaves through the interface, as xdp-trafficgen does).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "mxwall.h"

/* struct rand_conf - family (2 or 10) and the number of keys to use. */
struct rand_conf {
	__u32 family;
	__u32 nkeys;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rand_conf);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mx_v6key);
} keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} next_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} next_plain SEC(".maps");

/* randomize - overwrite the frame's source address. */
static __always_inline void randomize(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct rand_conf *c;
	struct mx_v6key *k, r;
	__u32 zero = 0, idx, *w = (__u32 *)r.b;
	__u8 *src;

	c = bpf_map_lookup_elem(&conf, &zero);
	if (!c)
		return;
	src = data + (c->family == 2 ? 14 + 12 : 14 + 8);
	if ((void *)(src + 16) > end)
		return;
	if (c->nkeys) {
		idx = bpf_get_prandom_u32() % c->nkeys;
		k = bpf_map_lookup_elem(&keys, &idx);
		if (!k)
			return;
		r = *k;
	} else {
		w[0] = bpf_get_prandom_u32();
		w[1] = bpf_get_prandom_u32();
		w[2] = bpf_get_prandom_u32();
		w[3] = bpf_get_prandom_u32();
	}
	if (c->family == 2)
		__builtin_memcpy(src, r.b, 4);
	else
		__builtin_memcpy(src, r.b, 16);
}

SEC("xdp.frags")
int rand_frags(struct xdp_md *ctx)
{
	randomize(ctx);
	bpf_tail_call(ctx, &next_frags, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int rand_plain(struct xdp_md *ctx)
{
	randomize(ctx);
	bpf_tail_call(ctx, &next_plain, 0);
	return XDP_ABORTED;
}

/* gen_tx - the traffic generator: a random source, then out it goes. */
SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	randomize(ctx);
	return XDP_TX;
}

SEC("xdp.frags")
int nop_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int nop_plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
