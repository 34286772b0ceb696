/*
 * daemon.h - the state of one running mxwalld, and the functions the
 * other daemon modules (control socket, policy server, observers) call.
 *
 * One struct daemon holds the effective configuration, the event loop,
 * the verdict cache, the kernel backend and the observers of new client
 * addresses. Everything runs in the one event loop; none of these
 * functions blocks, and none may be called from another thread.
 *
 * Verdicts seen from outside are struct daemon_verdict: an expanded copy
 * of one cache entry. Strings in it stay valid until control returns to
 * the event loop; copy them to keep them.
 *
 * Contracts:
 *   - every change of a verdict (block, allow, forget, flush, expiry,
 *     evaluation) reaches the cache and the kernel backend together, and
 *     logs one event line (BLOCK, ALLOW, EXPIRE, FORGET);
 *   - an address covered by mynetworks, loopback or an allow rule is
 *     never blocked by daemon_block() on a single address (it returns an
 *     error saying why); prefixes given by hand are taken as given;
 *   - daemon_reload() either swaps in a complete new configuration or
 *     keeps the old one; it never leaves a half-applied state;
 *   - these functions never exit the process: problems are returned,
 *     with a message in the caller's buffer where one is asked for.
 */
#ifndef MXWALL_DAEMON_H
#define MXWALL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"

struct daemon;
struct evloop;
struct mx_config;
struct eval;

/* What a verdict does (numbered as MX_ACT_* and VERDICT_* are). */
enum daemon_action {
	DAEMON_BLOCK = 1, /* drop in the kernel (or count, in observe mode) */
	DAEMON_ALLOW = 2, /* pass, and stop asking until expiry */
};

/* Where a verdict came from; kept in the cache and the snapshot. */
enum daemon_origin {
	ORIGIN_DNSBL = 1,  /* DNSBL/RHSBL/DNSWL score */
	ORIGIN_RULE = 2,   /* client table, cidr table, mynetworks */
	ORIGIN_MANUAL = 3, /* mxwallctl block/allow */
	ORIGIN_DEFAULT = 4 /* nothing matched: allowed */
};

/*
 * struct daemon_verdict - one verdict as the control socket shows it.
 *   addr         the address, or a prefix for verdicts given by hand
 *                (IPv6 clients are kept per ipv6_prefix, e.g. /64);
 *   action       DAEMON_ALLOW or DAEMON_BLOCK;
 *   origin       see enum daemon_origin;
 *   score        DNSBL score (0 when the verdict came from a rule);
 *   decided      wall clock, seconds, when it was decided;
 *   expires      wall clock, seconds; 0 = never (manual, without --ttl);
 *   reason       one line of key=value pairs, e.g.
 *                "reason=dnsbl list=bl.example reply=127.0.0.2" or
 *                "reason=rule table=/etc/mxwall/client_check line=3
 *                 text=\"dynamic\"", never NULL;
 *   stale        a reload changed the rules: being decided again;
 *   kernel_hits  packets the kernel matched against this verdict since it
 *                was stored, or 0 when the backend cannot tell.
 */
struct daemon_verdict {
	struct mx_addr addr;
	enum daemon_action action;
	enum daemon_origin origin;
	int score;
	time_t decided;
	time_t expires;
	const char *reason;
	bool stale;
	uint64_t kernel_hits;
};

/*
 * struct daemon_status - what 'mxwallctl status' shows.
 *   started, last_reload   wall clock, seconds (last_reload 0: never);
 *   last_reload_ok         outcome of the last reload attempt;
 *   blocked, allowed       cached verdicts by action;
 *   pending                evaluations in flight;
 *   evaluations            evaluations finished since start;
 *   snapshot_written       wall clock of the last snapshot (0: none yet).
 * Strings point into the daemon and follow the rule above.
 */
struct daemon_status {
	const char *version;
	const char *config_path;
	const char *backend; /* "xdp", "nft", "pf", "none" */
	const char *mode;    /* "enforce" or "observe" */
	bool breaker;        /* circuit breaker forced observe mode */
	const char *user;    /* the user the daemon runs as */
	time_t started;
	time_t last_reload;
	bool last_reload_ok;
	size_t blocked;
	size_t allowed;
	size_t pending;
	uint64_t evaluations;
	time_t snapshot_written;
};

/* Filter bits for daemon_foreach(); 0 means both. */
#define DAEMON_LIST_BLOCKED 0x1u
#define DAEMON_LIST_ALLOWED 0x2u

/* Return non-zero to stop the walk. */
typedef int (*daemon_verdict_cb)(const struct daemon_verdict *v, void *arg);

/*
 * Called once when a pending evaluation finishes (see daemon_client); v is
 * NULL when nothing was decided (e.g. a temporary DNS failure): DUNNO.
 */
typedef void (*daemon_done_cb)(const struct daemon_verdict *v, void *arg);

/* daemon_client() results. */
enum daemon_lookup {
	DAEMON_KNOWN = 0,   /* *out filled in now; cb will not be called */
	DAEMON_PENDING = 1, /* evaluation running; cb called when done */
	DAEMON_NONE = 2,    /* nothing to decide (error); treat as DUNNO */
};

/* Accessors. */
struct evloop *daemon_loop(struct daemon *d);
const struct mx_config *daemon_config(struct daemon *d);
struct eval *daemon_eval(struct daemon *d); /* for 'test' and 'dnsbl' */
void daemon_status(struct daemon *d, struct daemon_status *out);

/*
 * daemon_lookup - the verdict for address a: an exact entry, or else the
 * narrowest prefix given by hand that covers it. 0 and *out filled, or -1
 * when nothing is cached.
 */
int daemon_lookup(struct daemon *d, const struct mx_addr *a,
		  struct daemon_verdict *out);

/* daemon_foreach - walk the cached verdicts; filter DAEMON_LIST_*. */
void daemon_foreach(struct daemon *d, unsigned filter, daemon_verdict_cb cb,
		    void *arg);

/*
 * daemon_block, daemon_allow - a verdict by hand for an address or
 * prefix. ttl_s 0 uses block_ttl/allow_ttl; DAEMON_TTL_FOREVER never
 * expires. reason may be NULL ("manual"); it is untrusted text and is
 * quoted. 0, or -1 with a message in err.
 */
#define DAEMON_TTL_FOREVER UINT32_MAX
int daemon_block(struct daemon *d, const struct mx_addr *p, uint32_t ttl_s,
		 const char *reason, char *err, size_t errlen);
int daemon_allow(struct daemon *d, const struct mx_addr *p, uint32_t ttl_s,
		 const char *reason, char *err, size_t errlen);

/*
 * daemon_forget - remove the verdict for exactly p (address or prefix)
 * from the cache and the kernel. Returns how many were removed (0 or 1).
 */
int daemon_forget(struct daemon *d, const struct mx_addr *p);

/*
 * daemon_flush - remove evaluated verdicts (DNSBL, rule, default); with
 * all, manual ones too. Returns how many were removed.
 */
size_t daemon_flush(struct daemon *d, bool all);

/*
 * daemon_reload - read the configuration file again and swap it in, or
 * keep the old one. The result is logged (RELOAD ok / RELOAD failed) and
 * summed up in msg ("ok" or "FILE, line N: what: keeping the old
 * configuration"). 0 on success, -1 when the old one was kept.
 */
int daemon_reload(struct daemon *d, char *msg, size_t msglen);

/*
 * daemon_client - what the policy server asks about a client: the
 * verdict for a (name: the client_name Postfix saw, or NULL). When it is
 * cached: DAEMON_KNOWN and *out. When not: an evaluation starts (or is
 * joined) and DAEMON_PENDING is returned; cb(v, arg) is called once,
 * from the event loop, when it finishes, unless daemon_client_cancel()
 * is called first with the same cb and arg.
 */
enum daemon_lookup daemon_client(struct daemon *d, const struct mx_addr *a,
				 const char *name, struct daemon_verdict *out,
				 daemon_done_cb cb, void *arg);
void daemon_client_cancel(struct daemon *d, daemon_done_cb cb, void *arg);

/*
 * daemon_observe - an observer (ring buffer, pcap, policy) saw address a
 * connect: evaluate it unless a verdict or an evaluation exists already.
 */
void daemon_observe(struct daemon *d, const struct mx_addr *a);

/* daemon_snapshot_now - write the snapshot file now; 0 or -1 (logged). */
int daemon_snapshot_now(struct daemon *d);

/* daemon_stop - leave the event loop; main writes the snapshot and exits. */
void daemon_stop(struct daemon *d);

/*
 * For main (mxwalld.c) and the daemon's own modules only.
 *
 * daemon_create - as root: open the backend (load, attach, pin), restore
 * the snapshot and the kernel table into the cache and the cache into
 * the kernel, create the verdict engine. Takes cfg over on success. NULL
 * with the reason in err.
 * daemon_start - signals (signalfd), ring buffer, sweeper and snapshot
 * timers on the loop. 0, or -1 with the reason in err.
 * daemon_free - write the snapshot and release everything (the kernel
 * table and its pins stay).
 */
struct backend;
struct daemon *daemon_create(struct mx_config *cfg, const char *config_path,
			     char *err, size_t errlen);
int daemon_start(struct daemon *d, char *err, size_t errlen);
void daemon_free(struct daemon *d);
struct backend *daemon_backend(struct daemon *d);

/*
 * The policy server's hooks (policy.h), with the daemon as ctx, and the
 * server itself, so a reload reaches it (policy_reconfigure).
 */
struct policy_hooks;
struct policy_server;
extern const struct policy_hooks daemon_policy_hooks;
void daemon_set_policy(struct daemon *d, struct policy_server *ps);

/* notify.c: sd_notify(3) without libsystemd; no-op without NOTIFY_SOCKET. */
void notify_send(const char *state);

/*
 * privs.c: privs_drop - switch to user (uid, gid, supplementary groups)
 * keeping only the capabilities the backend still needs (see privs.c);
 * 0, or -1 with the reason in err. Does nothing when not root.
 */
int privs_drop(const char *user, const char *backend, char *err,
	       size_t errlen);

/*
 * observe_pcap.c: a SYN capture on the protected ports that calls
 * daemon_observe for each new client, for the nft, pf and none backends.
 * pcap_observer_start opens it (as root) on every configured interface
 * ("any" when none is configured); -1 with the reason in err.
 */
struct pcap_observer;
struct pcap_observer *pcap_observer_start(struct daemon *d, char *err,
					  size_t errlen);
void pcap_observer_free(struct pcap_observer *po);

#endif
