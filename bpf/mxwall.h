/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mxwall.h - the one header the kernel program (mxwall.bpf.c) and its
 * userspace loader (lib/kern.c) share: map keys and values, action and
 * reason codes, counter indices, the event record and the pre-filter's
 * geometry. Types and constants only; no logic lives here.
 *
 * Byte order: addresses are stored as they appear on the wire (network
 * order); every other integer is in host order. All structs are laid out
 * without implicit padding so both compilers agree on them.
 *
 * Maps (names as pinned under pin_path, default /sys/fs/bpf/mxwall):
 *   verdicts_v4   hash, __u32 address -> struct mx_verdict
 *   verdicts_v6   hash, struct mx_v6key (address masked to the
 *                 configured IPv6 prefix, /64 by default) -> mx_verdict
 *   allow_v4, allow_v6, block_v4, block_v6
 *                 LPM tries, struct mx_lpm_v4/v6 -> struct mx_verdict
 *   prefilter     array of __u64 words, memory-mappable: the verdict
 *                 and prefix bitmaps (see MX_PF_*)
 *   runtime       array of one struct mx_runtime (observe mode etc.)
 *   counters      per-CPU array of one struct mx_counters
 *   recent        array of struct mx_recent, indexed by a hash of the
 *                 address key (direct-mapped; see there)
 *   events        ring buffer of struct mx_event
 */
#ifndef MXWALL_BPF_H
#define MXWALL_BPF_H

#if defined(__bpf__) || defined(__linux__)
#include <linux/types.h>
#else
/* The portable build (no Linux headers) still shares the layouts. */
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

/* Verdict actions (struct mx_verdict.action). */
#define MX_ACT_BLOCK 1
#define MX_ACT_ALLOW 2

/*
 * Why a verdict or prefix exists (struct mx_verdict.reason). The kernel
 * only stores and counts them; their text lives in lib/kern.c
 * (kern_reason_name). Append new codes; never renumber, since pinned maps
 * outlive the programs that wrote them.
 */
enum mx_reason {
	MX_REASON_NONE = 0,
	MX_REASON_MANUAL = 1,	 /* mxwallctl block/allow */
	MX_REASON_DNSBL = 2,	 /* DNS blocklist score over threshold */
	MX_REASON_RHSBL = 3,	 /* name-based blocklist */
	MX_REASON_RULE = 4,	 /* client table rule (regexp/pcre) */
	MX_REASON_PREFIX = 5,	 /* cidr table or static prefix */
	MX_REASON_ALLOWLIST = 6, /* DNS allowlist (DNSWL) score */
	MX_REASON_STATIC = 7,	 /* mynetworks, loopback, own addresses */
	MX_REASON_SNAPSHOT = 8,	 /* restored, original reason unknown */
	MX_REASON__MAX
};

/*
 * struct mx_verdict - one exact-address verdict or one prefix (16 bytes,
 * so a verdict hash entry stays well under 100 bytes of kernel memory).
 *   expires_ns  CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) in ns after which
 *               the kernel ignores the entry; 0 never expires;
 *   hits        connection attempts (SYNs) that matched, bumped by the
 *               kernel; it wraps;
 *   action      MX_ACT_BLOCK or MX_ACT_ALLOW;
 *   reason      enum mx_reason.
 */
struct mx_verdict {
	__u64 expires_ns;
	__u32 hits;
	__u8 action;
	__u8 reason;
	__u16 pad;
};

/* struct mx_v6key - an IPv6 address (or IPv4 as ::ffff:a.b.c.d). */
struct mx_v6key {
	__u8 b[16];
};

/* LPM trie keys: prefix length in bits, then the address bytes. */
struct mx_lpm_v4 {
	__u32 plen;
	__u8 b[4];
};

struct mx_lpm_v6 {
	__u32 plen;
	__u8 b[16];
};

/*
 * The pre-filter: bitmaps consulted before any lookup. Each IPv4 /24 and
 * each hashed IPv6 /48 has a bit MX_PF_VERDICT, "some exact verdict may
 * lie here"; each IPv4 /22 (IPv6: each group of 4 such indices) has a
 * bit MX_PF_PREFIX, "some allow or block prefix may cover this". The
 * program looks up only what the bits allow: with both clear the address
 * is unknown at the cost of two array reads, and an address under
 * verdicts alone skips both prefix tries (the dearest lookups). The
 * prefix bitmap is coarser so it stays small (512 KiB per family); the
 * verdict one is 2 MiB per family. The loader sets bits on every put and never
 * clears them on delete (a stale bit only costs the full lookup).
 *   IPv4: index i = the address's top 24 bits (its /24);
 *   IPv6: index i = ((first 6 bytes as a big-endian 48-bit number)
 *         * MX_PF_V6_MULT mod 2^64) >> (64 - 24), a hash of the /48;
 *         with an IPv6 verdict prefix shorter than /48, the /48 is taken
 *         after masking to that prefix (struct mx_runtime.pf_v6_plen);
 *   the prefix bit of index i is bit i >> MX_PF_PSHIFT of its family's
 *   prefix map.
 * Words (64 bits, bit b of a map in word b / 64, bit b % 64):
 *   [MX_PF_V4_OFF, +2^18)  IPv4 verdict bits;
 *   [MX_PF_V6_OFF, +2^18)  IPv6 verdict bits;
 *   [MX_PF_P4_OFF, +2^16)  IPv4 prefix bits;
 *   [MX_PF_P6_OFF, +2^16)  IPv6 prefix bits.
 */
#define MX_PF_BITS 24
#define MX_PF_PSHIFT 2
#define MX_PF_VERDICT 0x1u
#define MX_PF_PREFIX 0x2u
#define MX_PF_V4_OFF 0u
#define MX_PF_V6_OFF (1u << (MX_PF_BITS - 6))
#define MX_PF_P4_OFF (2u << (MX_PF_BITS - 6))
#define MX_PF_P6_OFF (MX_PF_P4_OFF + (1u << (MX_PF_BITS - MX_PF_PSHIFT - 6)))
#define MX_PF_WORDS (MX_PF_P6_OFF + (1u << (MX_PF_BITS - MX_PF_PSHIFT - 6)))
#define MX_PF_V6_MULT 0x9e3779b97f4a7c15ULL

/*
 * struct mx_recent - one slot of the event deduplication table: the last
 * address key an event was posted for in this slot and when (coarse
 * monotonic ns). Slot = hash of the key (MX_PF_V6_MULT mixing) masked to
 * the table's power-of-two size. Direct-mapped rather than an LRU hash:
 * one array read on every unknown SYN instead of a hash walk; two
 * addresses sharing a slot within the interval may each post again,
 * as they would after an LRU eviction.
 */
struct mx_recent {
	__u8 key[16];
	__u64 last_ns;
};

/*
 * struct mx_runtime - settings that may change while the program runs
 * (the daemon's circuit breaker flips observe). One element, key 0.
 *   flags             MX_RT_*;
 *   v6_plen           IPv6 verdict prefix length the maps were built
 *                     with (written at first load; informational for
 *                     processes that open the pinned maps);
 *   pf_v6_plen        IPv6 pre-filter granularity, min(48, v6_plen);
 *   event_interval_ns at most one event per address per this interval;
 *   ports, nports     the protected ports the running program was built
 *                     with (host order; the program reads its own
 *                     copy, these tell a later load what to keep).
 */
#define MX_RT_OBSERVE 0x1u    /* count would-drops, drop nothing */
#define MX_RT_NO_PREFILTER 0x2u /* skip the pre-filter (benchmarks) */

struct mx_runtime {
	__u32 flags;
	__u8 v6_plen;
	__u8 pf_v6_plen;
	__u16 pad;
	__u64 event_interval_ns;
	__u16 ports[8];
	__u32 nports;
	__u32 pad2;
};

/*
 * Counter indices: every packet the program sees lands in exactly one of
 * the outcome counters (MX_CNT_PASS_* .. MX_CNT_MALFORMED, and
 * MX_CNT_PASS_ESTABLISHED, appended later); the event counters count
 * ring-buffer work on top. Names for each index are in
 * lib/kern.c (kern_counter_name); append, never renumber.
 */
enum mx_counter {
	MX_CNT_PASS_NOT_SMTP = 0,   /* not TCP to a protected port */
	MX_CNT_PASS_FRAGMENT,	    /* non-first fragment: no TCP header */
	MX_CNT_PASS_ALLOW_PREFIX,   /* source in an allow prefix */
	MX_CNT_PASS_ALLOW_VERDICT,  /* exact allow verdict */
	MX_CNT_PASS_UNKNOWN,	    /* no live verdict, no prefix */
	MX_CNT_DROP_VERDICT,	    /* dropped by an exact block verdict */
	MX_CNT_DROP_PREFIX,	    /* dropped by a block prefix */
	MX_CNT_WOULD_DROP,	    /* observe mode: would have dropped */
	MX_CNT_MALFORMED,	    /* truncated or malformed: passed */
	MX_CNT_EVENT_POSTED,	    /* unknown SYN posted to the ring */
	MX_CNT_EVENT_LOST,	    /* ring buffer full: event lost */
	MX_CNT_EVENT_DEDUP,	    /* unknown SYN within the interval */
	MX_CNT_EXPIRED,		    /* an expired entry was ignored */
	MX_CNT_PREFILTER_MISS,	    /* unknown decided by the pre-filter */
	MX_CNT_PASS_ESTABLISHED,    /* blocked source, not a new connection */
	MX_CNT__MAX
};

/* struct mx_counters - the per-CPU counter block (counters map, key 0). */
struct mx_counters {
	__u64 c[MX_CNT__MAX];
};

/*
 * struct mx_event - an unknown client's SYN (40 bytes).
 *   time_ns  CLOCK_BOOTTIME ns when the SYN was seen;
 *   ifindex  receiving interface;
 *   dport    destination (protected) port, host order;
 *   family   2 (AF_INET) or 10 (AF_INET6);
 *   flags    MX_EV_*;
 *   addr     the full source address, network order (IPv4 in addr[0..3],
 *            rest zero); deduplication used its masked verdict key.
 */
#define MX_EV_OBSERVE 0x1u /* posted while in observe mode */

struct mx_event {
	__u64 time_ns;
	__u32 ifindex;
	__u16 dport;
	__u8 family;
	__u8 flags;
	__u8 addr[16];
	__u16 sport;
	__u16 pad[3];
};

#endif
