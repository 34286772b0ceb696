/*
 * kern.h - the userspace side of mxwall's kernel fast path: load the
 * XDP/TC program (bpf/mxwall.bpf.c), pin and reuse its maps, attach it to
 * interfaces, and read and write verdicts, prefixes, counters and events.
 *
 * Used by mxwalld (the xdp backend) and by mxwallctl (attach, detach,
 * block, allow, forget, list, stats), which works on the pinned maps
 * directly so it keeps working while the daemon is down.
 *
 * Contracts:
 *   - every function returning int returns 0 on success and a negative
 *     errno value on failure; the ones taking err/errlen also write one
 *     diagnostic line there ("what: why: what happens next" is left to
 *     the caller, which knows what happens next);
 *   - addresses are struct mx_addr (lib/addr.h); an IPv6 verdict is keyed
 *     by its address masked to the ipv6_prefix the maps were created with
 *     (kern masks it; foreach returns it with plen = that prefix);
 *   - times are CLOCK_BOOTTIME nanoseconds (kern_now_ns), the clock the
 *     kernel program compares expiries with; expires_ns 0 never expires;
 *   - nothing here blocks except the bpf() syscalls themselves; the ring
 *     buffer is drained with kern_events_consume when its fd is readable;
 *   - never detaches or unpins anything unless asked (kern_detach): maps
 *     and attachments outlive the process, so verdicts keep being enforced
 *     while the daemon restarts.
 * Linux only: in the portable build (MXWALL_LINUX 0) kern_load and
 * kern_open_pinned return -ENOTSUP and nothing else may be called.
 */
#ifndef MXWALL_KERN_H
#define MXWALL_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "mxwall.h"

#define KERN_PIN_PATH "/sys/fs/bpf/mxwall"
#define KERN_MAX_PORTS 8

/*
 * struct kern_opts - load-time configuration (zero means the default).
 *   pin_path           bpffs directory for maps and links
 *                      (KERN_PIN_PATH);
 *   ports, nports      protected TCP ports, host order (25);
 *   ipv6_prefix        IPv6 verdict granularity in bits, 1..128 (64);
 *                      fixed once the maps exist: a later load with
 *                      another value fails and says how to start over;
 *   event_interval_ms  at most one event per address per interval
 *                      (60000);
 *   max_verdicts       entries of each verdict hash, IPv4 and IPv6
 *                      (1048576);
 *   max_prefixes       entries of each prefix trie (131072);
 *   max_recent         addresses remembered for event deduplication
 *                      (65536);
 *   ring_bytes         event ring buffer size, a power of two >= 4096
 *                      (1 MiB);
 *   observe            start in observe mode (count, drop nothing);
 *   no_prefilter       skip the pre-filter (for measuring it).
 */
struct kern_opts {
	const char *pin_path;
	uint16_t ports[KERN_MAX_PORTS];
	int nports;
	unsigned ipv6_prefix;
	unsigned event_interval_ms;
	uint32_t max_verdicts;
	uint32_t max_prefixes;
	uint32_t max_recent;
	uint32_t ring_bytes;
	bool observe;
	bool no_prefilter;
};

/* How the program is attached to an interface. */
enum kern_mode {
	KERN_MODE_AUTO = 0, /* try native, then generic, then tc */
	KERN_MODE_NATIVE,   /* XDP in the driver */
	KERN_MODE_GENERIC,  /* XDP in the stack (skb mode) */
	KERN_MODE_TC,	    /* TC ingress (cls_bpf, direct action) */
};

/*
 * struct kern_verdict - a verdict or prefix as userspace sees it.
 *   action      MX_ACT_BLOCK or MX_ACT_ALLOW;
 *   reason      MX_REASON_*;
 *   expires_ns  CLOCK_BOOTTIME ns, 0 never;
 *   hits        packets matched (the kernel's count; a put stores it as
 *               given, so pass 0 for a new verdict).
 */
struct kern_verdict {
	uint8_t action;
	uint8_t reason;
	uint64_t expires_ns;
	uint64_t hits;
};

/* Which prefix trie. Allow prefixes are consulted before everything. */
enum kern_list { KERN_LIST_ALLOW, KERN_LIST_BLOCK };

struct kern;

/*
 * kern_load - open the skeleton, set the read-only configuration, reuse
 * the maps pinned under pin_path if there are any (verdicts survive a
 * restart), load, and pin the maps. Does not attach.
 */
int kern_load(const struct kern_opts *opts, struct kern **kp, char *err,
	      size_t errlen);

/*
 * kern_open_pinned - the pinned maps only, no program: for mxwallctl
 * when the daemon is down. kern_attach is not possible on the result.
 */
int kern_open_pinned(const char *pin_path, struct kern **kp, char *err,
		     size_t errlen);

/* kern_close - release this process's handles; pins stay. NULL is ok. */
void kern_close(struct kern *k);

/*
 * kern_attach - attach the loaded program to ifname in mode want (AUTO
 * tries native, generic, then tc) and report in *got what worked. The
 * attachment is pinned (XDP link) or named (tc filter) so that
 * kern_detach works from another process. If the interface already has
 * this pin path's program attached, it is replaced atomically.
 */
int kern_attach(struct kern *k, const char *ifname, enum kern_mode want,
		enum kern_mode *got, char *err, size_t errlen);

/*
 * kern_detach - remove mxwall's program from ifname, whichever mode it
 * was attached in, also when another process attached it. Needs only the
 * pin path (k may come from kern_open_pinned). -ENOENT: was not attached.
 */
int kern_detach(struct kern *k, const char *ifname, char *err,
		size_t errlen);

/* kern_mode_name - "auto", "native", "generic", "tc". */
const char *kern_mode_name(enum kern_mode m);

/* kern_mode_parse - the reverse; -1 if unknown. */
int kern_mode_parse(const char *s, enum kern_mode *m);

/*
 * Exact-address verdicts. The address must be a single address (plen 32
 * or 128); IPv6 is masked to the maps' ipv6_prefix. get returns -ENOENT
 * when there is none (expired entries are returned; compare expires_ns
 * with kern_now_ns). put_batch stores n verdicts with as few syscalls as
 * possible and sets *done to how many were stored, also on error.
 */
int kern_verdict_put(struct kern *k, const struct mx_addr *a,
		     const struct kern_verdict *v);
int kern_verdict_put_batch(struct kern *k, const struct mx_addr *a,
			   const struct kern_verdict *v, size_t n,
			   size_t *done);
int kern_verdict_get(struct kern *k, const struct mx_addr *a,
		     struct kern_verdict *v);
int kern_verdict_del(struct kern *k, const struct mx_addr *a);

/*
 * kern_verdict_foreach - call cb for every stored verdict (IPv4 first).
 * A non-zero return from cb stops the walk and is returned.
 */
typedef int (*kern_entry_cb)(const struct mx_addr *a,
			     const struct kern_verdict *v, void *arg);
int kern_verdict_foreach(struct kern *k, kern_entry_cb cb, void *arg);

/* Prefixes (any length) in the allow or block trie; same conventions. */
int kern_prefix_put(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, const struct kern_verdict *v);
int kern_prefix_get(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, struct kern_verdict *v);
int kern_prefix_del(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix);
int kern_prefix_foreach(struct kern *k, enum kern_list list,
			kern_entry_cb cb, void *arg);

/* kern_ipv6_prefix - the IPv6 verdict prefix length of these maps. */
unsigned kern_ipv6_prefix(const struct kern *k);

/* kern_set_observe - switch observe mode at run time (all programs). */
int kern_set_observe(struct kern *k, bool observe);
bool kern_observe(struct kern *k);

/* kern_counters - every counter, summed over the CPUs. */
int kern_counters(struct kern *k, uint64_t out[MX_CNT__MAX]);

/* kern_counter_name - "pass_unknown" etc.; NULL past MX_CNT__MAX. */
const char *kern_counter_name(int i);

/* kern_reason_name - "manual", "dnsbl" ...; kern_reason_parse reverses. */
const char *kern_reason_name(int reason);
int kern_reason_parse(const char *s);

/*
 * Events: kern_events_fd is readable (epoll) when unknown-client events
 * wait; kern_events_consume calls cb for each and returns how many, or a
 * negative errno. Only after kern_load (or kern_open_pinned, which opens
 * the pinned ring too).
 */
int kern_events_fd(struct kern *k);
int kern_events_consume(struct kern *k,
			void (*cb)(const struct mx_event *ev, void *arg),
			void *arg);

/*
 * kern_prog_fd - the loaded XDP program (KERN_MODE_TC: the TC one), for
 * BPF_PROG_TEST_RUN in tests and benchmarks; -EBADF without a program.
 */
int kern_prog_fd(struct kern *k, enum kern_mode m);

/* kern_now_ns - CLOCK_BOOTTIME in ns, the kernel's expiry clock. */
uint64_t kern_now_ns(void);

#endif
