// SPDX-License-Identifier: GPL-2.0
/*
 * mxwall.bpf.c - mxwall's kernel fast path: one source, two entry points,
 * mxwall_xdp (XDP, native or generic) and mxwall_tc (TC ingress, direct
 * action). Both run mx_filter on the frame's bytes.
 *
 * For TCP to a protected port it looks the source address up, in this
 * order: allow prefixes (pass), the exact-address verdict hash (block or
 * allow), block prefixes (drop). Only a blocked source's connection
 * attempts (SYN without ACK) are dropped: a connection it opened before
 * the block finishes in Postfix, which refuses it at RCPT with the
 * reason. An entry whose expiry has passed on the
 * boot clock is ignored, so nothing stays blocked past its expiry even
 * when no daemon runs. An address found nowhere is unknown: it passes,
 * and a SYN from it posts one event per address per interval to the ring
 * buffer. A bitmap pre-filter (mxwall.h, MX_PF_*) decides most unknown
 * addresses with one array read before any hash or trie lookup.
 *
 * It must never drop what it cannot parse: anything that is not TCP to a
 * protected port, a non-first fragment, a truncated or malformed header,
 * passes. Every packet lands in exactly one outcome counter.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "mxwall.h"

/* Read-only configuration, set by the loader before load. */
const volatile __u16 cfg_ports_be[8] = { 0x1900 }; /* 25, network order */
const volatile __u32 cfg_nports = 1;
/* IPv6 verdict key mask (the ipv6_prefix), as two network-order words. */
const volatile __u64 cfg_v6_mask[2] = { ~0ull, 0 };
/* IPv6 pre-filter mask: the /48 (or shorter verdict prefix). */
const volatile __u64 cfg_pf_v6_mask = 0;
/* Slots of the dedup table less one (a power of two less one). */
const volatile __u32 cfg_recent_mask = 1023;

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

struct lpm_v4_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct mx_lpm_v4);
	__type(value, struct mx_verdict);
};

struct lpm_v6_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct mx_lpm_v6);
	__type(value, struct mx_verdict);
};

struct lpm_v4_map allow_v4 SEC(".maps");
struct lpm_v4_map block_v4 SEC(".maps");
struct lpm_v6_map allow_v6 SEC(".maps");
struct lpm_v6_map block_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MX_PF_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} prefilter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mx_runtime);
} runtime SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mx_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mx_recent);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* What mx_filter decided. */
enum { MX_PASS, MX_DROP };

/* An 802.1Q/802.1ad tag as it sits between the MACs and the type. */
struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* The parts of an IPv6 extension header needed to skip it. */
struct ext_hdr {
	__u8 next;
	__u8 len;
};

/*
 * struct mx_pkt - what the parser found.
 *   src      source address; IPv4 in src[0..3];
 *   family   AF_INET (2) or AF_INET6 (10);
 *   syn      a connection attempt (SYN without ACK);
 *   tcp      the TCP header, bounds checked for its 20 bytes.
 */
struct mx_pkt {
	__u8 src[16];
	__u8 family;
	__u8 syn;
	struct tcphdr *tcp;
};

#define MX_MAX_EXT_HDRS 8

static __always_inline void bump(struct mx_counters *cnt, int i)
{
	cnt->c[i]++;
}

/*
 * live - whether entry v exists and has not expired at now (read once,
 * lazily). A live entry counts a hit for each SYN: a blocked host keeps
 * sending SYNs, and an allowed one's data packets then never write to
 * the shared entry.
 */
static __always_inline int live(struct mx_counters *cnt,
				const struct mx_pkt *p, struct mx_verdict *v,
				__u64 *now)
{
	if (!v)
		return 0;
	if (v->expires_ns) {
		if (!*now)
			*now = bpf_ktime_get_boot_ns();
		if (v->expires_ns <= *now) {
			bump(cnt, MX_CNT_EXPIRED);
			return 0;
		}
	}
	if (p->syn)
		__sync_fetch_and_add(&v->hits, 1);
	return 1;
}

/*
 * parse_l3 - from the Ethernet header to the TCP header. Returns the
 * counter index to bump and pass with, or -1 when p->tcp is set.
 */
static __always_inline int parse_l3(void *data, void *end, struct mx_pkt *p)
{
	struct ethhdr *eth = data;
	void *cur = eth + 1;
	__u16 proto;
	int i;

	if (cur > end)
		return MX_CNT_MALFORMED;
	proto = eth->h_proto;
	for (i = 0; i < 2; i++) {
		struct vlan_tag *tag = cur;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > end)
			return MX_CNT_MALFORMED;
		proto = tag->proto;
		cur = tag + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;

		if ((void *)(ip + 1) > end)
			return MX_CNT_MALFORMED;
		if (ip->version != 4 || ip->ihl < 5)
			return MX_CNT_MALFORMED;
		if (ip->protocol != IPPROTO_TCP)
			return MX_CNT_PASS_NOT_SMTP;
		/* A later fragment carries no TCP header to judge. */
		if (ip->frag_off & bpf_htons(0x1fff))
			return MX_CNT_PASS_FRAGMENT;
		__builtin_memcpy(p->src, &ip->saddr, 4);
		p->family = 2;
		cur = (void *)ip + ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;
		__u8 next;

		if ((void *)(ip6 + 1) > end)
			return MX_CNT_MALFORMED;
		if (ip6->version != 6)
			return MX_CNT_MALFORMED;
		__builtin_memcpy(p->src, &ip6->saddr, 16);
		p->family = 10;
		next = ip6->nexthdr;
		cur = ip6 + 1;
		/* Bounded walk: the verifier needs a constant trip count. */
		for (i = 0; i < MX_MAX_EXT_HDRS; i++) {
			struct ext_hdr *x = cur;
			struct frag_hdr {
				__u8 next, res;
				__be16 off;
				__be32 id;
			} *f = cur;

			if (next == IPPROTO_TCP)
				break;
			if (next == IPPROTO_FRAGMENT) {
				if ((void *)(f + 1) > end)
					return MX_CNT_MALFORMED;
				if (f->off & bpf_htons(0xfff8))
					return MX_CNT_PASS_FRAGMENT;
				next = f->next;
				cur = f + 1;
				continue;
			}
			if (next != IPPROTO_HOPOPTS &&
			    next != IPPROTO_ROUTING &&
			    next != IPPROTO_DSTOPTS && next != IPPROTO_AH)
				return MX_CNT_PASS_NOT_SMTP;
			if ((void *)(x + 1) > end)
				return MX_CNT_MALFORMED;
			/* AH: 4-byte units less two; the others: 8 less one. */
			if (next == IPPROTO_AH)
				cur += ((__u32)x->len + 2) * 4;
			else
				cur += ((__u32)x->len + 1) * 8;
			next = x->next;
		}
		/* Still not TCP: more extension headers than we walk. */
		if (next != IPPROTO_TCP)
			return MX_CNT_MALFORMED;
	} else {
		return MX_CNT_PASS_NOT_SMTP;
	}

	p->tcp = cur;
	if ((void *)(p->tcp + 1) > end)
		return MX_CNT_MALFORMED;
	return -1;
}

/* protected - whether dport (network order) is one of the ports. */
static __always_inline int protected(__u16 dport)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (i >= cfg_nports)
			break;
		if (dport == cfg_ports_be[i])
			return 1;
	}
	return 0;
}

/*
 * pf_bits - the MX_PF_* bits of the address's /24 or hashed /48: which
 * lookups can find anything (key: the masked IPv6 key for IPv6).
 */
static __always_inline __u32 pf_bits(const struct mx_pkt *p,
				     const struct mx_v6key *k6)
{
	__u32 idx, word, bits;
	__u64 *w, hi;

	if (p->family == 2) {
		idx = ((__u32)p->src[0] << 16) | ((__u32)p->src[1] << 8) |
		      p->src[2];
	} else {
		__builtin_memcpy(&hi, k6->b, 8);
		hi = bpf_be64_to_cpu(hi & cfg_pf_v6_mask) >> 16;
		idx = (__u32)((hi * MX_PF_V6_MULT) >> (64 - MX_PF_BITS));
	}
	word = (idx >> 6) + (p->family == 2 ? MX_PF_V4_OFF : MX_PF_V6_OFF);
	w = bpf_map_lookup_elem(&prefilter, &word);
	if (!w)
		return MX_PF_VERDICT | MX_PF_PREFIX;
	bits = (__u32)(*w >> (idx & 63)) & MX_PF_VERDICT;
	idx >>= MX_PF_PSHIFT;
	word = (idx >> 6) + (p->family == 2 ? MX_PF_P4_OFF : MX_PF_P6_OFF);
	w = bpf_map_lookup_elem(&prefilter, &word);
	if (!w)
		return MX_PF_VERDICT | MX_PF_PREFIX;
	if ((*w >> (idx & 63)) & 1)
		bits |= MX_PF_PREFIX;
	return bits;
}

/*
 * post_event - an unknown client's SYN: tell userspace once per address
 * (its masked key) per interval. The dedup slot is written only when the
 * event made it into the ring, so a lost event is retried next SYN. The
 * coarse clock is enough for an interval of seconds and costs a fraction
 * of the boot clock, which is read only for an event actually posted.
 */
static __always_inline void post_event(struct mx_counters *cnt,
				       const struct mx_runtime *rt,
				       const struct mx_pkt *p,
				       const struct mx_v6key *key,
				       __u32 ifindex, __u64 *now)
{
	struct mx_recent *slot;
	struct mx_event *ev;
	__u64 w0, w1, s0, s1, h, coarse = bpf_ktime_get_coarse_ns();
	__u32 idx;

	__builtin_memcpy(&w0, key->b, 8);
	__builtin_memcpy(&w1, key->b + 8, 8);
	h = (w0 * MX_PF_V6_MULT ^ w1) * MX_PF_V6_MULT;
	idx = (__u32)(h >> 32) & cfg_recent_mask;
	slot = bpf_map_lookup_elem(&recent, &idx);
	if (!slot)
		return;
	__builtin_memcpy(&s0, slot->key, 8);
	__builtin_memcpy(&s1, slot->key + 8, 8);
	if (coarse - slot->last_ns < rt->event_interval_ns && s0 == w0 &&
	    s1 == w1) {
		bump(cnt, MX_CNT_EVENT_DEDUP);
		return;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		bump(cnt, MX_CNT_EVENT_LOST);
		return;
	}
	if (!*now)
		*now = bpf_ktime_get_boot_ns();
	ev->time_ns = *now;
	ev->ifindex = ifindex;
	ev->dport = bpf_ntohs(p->tcp->dest);
	ev->sport = bpf_ntohs(p->tcp->source);
	ev->family = p->family;
	ev->flags = rt->flags & MX_RT_OBSERVE ? MX_EV_OBSERVE : 0;
	__builtin_memcpy(ev->addr, p->src, 16);
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	__builtin_memcpy(slot->key, key->b, 16);
	slot->last_ns = coarse;
	bpf_ringbuf_submit(ev, 0);
	bump(cnt, MX_CNT_EVENT_POSTED);
}

/*
 * lookup - allow prefixes, then the exact verdict, then block prefixes.
 * Returns the outcome counter; *block says whether it means a drop.
 */
static __always_inline int lookup(struct mx_counters *cnt,
				  const struct mx_pkt *p,
				  const struct mx_v6key *k6, __u32 bits,
				  __u64 *now, int *block)
{
	struct mx_verdict *v = NULL;

	*block = 0;
	if (p->family == 2) {
		struct mx_lpm_v4 lk = { .plen = 32 };
		__u32 a;

		__builtin_memcpy(lk.b, p->src, 4);
		__builtin_memcpy(&a, p->src, 4);
		if ((bits & MX_PF_PREFIX) &&
		    live(cnt, p, bpf_map_lookup_elem(&allow_v4, &lk), now))
			return MX_CNT_PASS_ALLOW_PREFIX;
		if (bits & MX_PF_VERDICT)
			v = bpf_map_lookup_elem(&verdicts_v4, &a);
		if (live(cnt, p, v, now))
			goto exact;
		if ((bits & MX_PF_PREFIX) &&
		    live(cnt, p, bpf_map_lookup_elem(&block_v4, &lk), now))
			goto prefix;
	} else {
		struct mx_lpm_v6 lk = { .plen = 128 };

		__builtin_memcpy(lk.b, p->src, 16);
		if ((bits & MX_PF_PREFIX) &&
		    live(cnt, p, bpf_map_lookup_elem(&allow_v6, &lk), now))
			return MX_CNT_PASS_ALLOW_PREFIX;
		if (bits & MX_PF_VERDICT)
			v = bpf_map_lookup_elem(&verdicts_v6, k6);
		if (live(cnt, p, v, now))
			goto exact;
		if ((bits & MX_PF_PREFIX) &&
		    live(cnt, p, bpf_map_lookup_elem(&block_v6, &lk), now))
			goto prefix;
	}
	return MX_CNT_PASS_UNKNOWN;
exact:
	if (v->action != MX_ACT_BLOCK)
		return MX_CNT_PASS_ALLOW_VERDICT;
	*block = 1;
	return MX_CNT_DROP_VERDICT;
prefix:
	*block = 1;
	return MX_CNT_DROP_PREFIX;
}

/* mx_filter - judge one frame; MX_PASS or MX_DROP. */
static __always_inline int mx_filter(void *data, void *end, __u32 ifindex)
{
	struct mx_pkt p = {};
	struct mx_v6key k6;
	struct mx_runtime *rt;
	struct mx_counters *cnt;
	__u32 zero = 0;
	__u64 now = 0, m;
	__u32 bits;
	int out, block;

	cnt = bpf_map_lookup_elem(&counters, &zero);
	rt = bpf_map_lookup_elem(&runtime, &zero);
	if (!cnt || !rt)
		return MX_PASS;

	out = parse_l3(data, end, &p);
	if (out >= 0)
		goto pass;
	if (!protected(p.tcp->dest)) {
		out = MX_CNT_PASS_NOT_SMTP;
		goto pass;
	}
	p.syn = p.tcp->syn && !p.tcp->ack;

	/* The key both the verdict hash and the dedup table use. */
	if (p.family == 2) {
		__builtin_memset(&k6, 0, sizeof(k6));
		k6.b[10] = 0xff;
		k6.b[11] = 0xff;
		__builtin_memcpy(&k6.b[12], p.src, 4);
	} else {
		__builtin_memcpy(&m, p.src, 8);
		m &= cfg_v6_mask[0];
		__builtin_memcpy(k6.b, &m, 8);
		__builtin_memcpy(&m, p.src + 8, 8);
		m &= cfg_v6_mask[1];
		__builtin_memcpy(k6.b + 8, &m, 8);
	}

	bits = MX_PF_VERDICT | MX_PF_PREFIX;
	if (!(rt->flags & MX_RT_NO_PREFILTER))
		bits = pf_bits(&p, &k6);
	if (!bits) {
		bump(cnt, MX_CNT_PREFILTER_MISS);
		out = MX_CNT_PASS_UNKNOWN;
	} else {
		out = lookup(cnt, &p, &k6, bits, &now, &block);
		if (block && !p.syn) {
			/* Opened before the block: Postfix says why. */
			out = MX_CNT_PASS_ESTABLISHED;
			goto pass;
		}
		if (block) {
			if (rt->flags & MX_RT_OBSERVE) {
				out = MX_CNT_WOULD_DROP;
				goto pass;
			}
			bump(cnt, out);
			return MX_DROP;
		}
	}
	if (out == MX_CNT_PASS_UNKNOWN && p.syn)
		post_event(cnt, rt, &p, &k6, ifindex, &now);
pass:
	bump(cnt, out);
	return MX_PASS;
}

SEC("xdp.frags")
int mxwall_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (mx_filter(data, end, ctx->ingress_ifindex) == MX_DROP)
		return XDP_DROP;
	return XDP_PASS;
}

/* Headers a judgement may need: Ethernet, 2 tags, IPv6 + ext, TCP. */
#define MX_TC_PULL 256

SEC("tc")
int mxwall_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	/* A GRO'd or paged skb may hold its headers outside the linear part. */
	if (end - data < MX_TC_PULL && skb->len > end - data) {
		bpf_skb_pull_data(skb, skb->len < MX_TC_PULL ? skb->len :
							       MX_TC_PULL);
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
	}
	if (mx_filter(data, end, skb->ifindex) == MX_DROP)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
