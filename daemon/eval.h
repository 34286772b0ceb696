/*
 * eval.h - the verdict engine: decide block, allow or nothing for a
 * client address, asynchronously, on the daemon's event loop.
 *
 * For one address, in order: static allow (mynetworks, loopback, the
 * host's own addresses, OK prefixes of client_access) -> static block
 * prefixes (client_access REJECT/5xx) -> PTR lookup -> forward
 * confirmation -> client_checks on the verified name (or "unknown") and
 * on the address text, reverse_client_checks on the raw PTR name ->
 * DNSBL/DNSWL queries (all lists at once) and RHSBL queries on the
 * verified name -> score -> verdict with expiry and evidence
 * (daemon/verdict.h).
 *
 * Contracts:
 *   - never blocks and starts no threads: DNS is c-ares driven by the
 *     event loop (daemon/resolver.c);
 *   - a temporary DNS failure never produces a block;
 *   - concurrent requests for one address join the evaluation already
 *     in flight and get the same verdict;
 *   - done() is never called from inside eval_request(): even a verdict
 *     known at once is delivered from the event loop, so the caller
 *     always has its eval_req handle first; after done() the handle is
 *     gone (do not cancel it);
 *   - every evaluation ends within dnsbl_timeout plus the PTR time bound:
 *     late answers are dropped and the lists that did not answer count
 *     as timed out.
 * Each decided verdict is logged once (verdict_log) unless EVAL_DRY_RUN.
 */
#ifndef MXWALL_EVAL_H
#define MXWALL_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "dnsbl.h"
#include "verdict.h"

struct evloop;
struct mx_config;
struct eval;
struct eval_req;

/* Flags for eval_request. */
#define EVAL_DRY_RUN 0x1u /* mxwallctl test: no log, no breaker count */
/* A block decided again before it expires: not counted by the breaker. */
#define EVAL_RECHECK 0x2u
/*
 * Someone is waiting for this verdict now (a policy request: Postfix
 * holds the client's RCPT): every query of the evaluation goes to the
 * head part of the resolver queue (RES_Q_FIRST), ahead of background
 * evaluations started by the kernel observer.
 */
#define EVAL_URGENT 0x4u

typedef void (*eval_done_cb)(const struct verdict *v, void *arg);

/*
 * struct eval_stats - counters since eval_create, for mxwallctl stats and
 * the tests (which count queries to prove requests were joined).
 *   requests     eval_request calls;
 *   joined       of those, joined to an evaluation in flight;
 *   evaluations  evaluations started;
 *   urgent       evaluations that ran EVAL_URGENT, from their start or
 *                from an urgent request joining them;
 *   promoted     of those, made urgent while under way (their waiting
 *                queries moved to the head of the resolver queue);
 *   in_flight    evaluations running now;
 *   queries      DNS queries sent (PTR, A/AAAA, list A and TXT);
 *   timeouts     queries that got no answer;
 *   blocked, allowed, none   verdicts by action;
 *   breaker_on   1 while the circuit breaker holds verdicts in observe.
 */
struct eval_stats {
	uint64_t requests;
	uint64_t joined;
	uint64_t evaluations;
	uint64_t urgent;
	uint64_t promoted;
	uint64_t in_flight;
	uint64_t queries;
	uint64_t timeouts;
	uint64_t blocked;
	uint64_t allowed;
	uint64_t none;
	uint64_t breaker_on;
};

/*
 * eval_create - an evaluator using cfg (which must outlive it, or until
 * the next eval_reconfigure). Sets up c-ares on loop and starts the list
 * health probes. NULL on failure, with the reason in err.
 */
struct eval *eval_create(struct evloop *loop, const struct mx_config *cfg,
			 char *err, size_t errlen);

/*
 * eval_reconfigure - use cfg from now on: its tables and thresholds at
 * once, its lists for evaluations started from now on (the ones in
 * flight finish with the old lists). Lists whose zone is in both keep
 * their health state. Changed resolver settings (dns_servers,
 * dnsbl_servers, timeouts, bounds) get new resolvers; queries in flight
 * finish on the old ones. The old cfg may be freed when this returns 0.
 * 0, or -1 (old configuration kept) with the problem logged.
 */
int eval_reconfigure(struct eval *ev, const struct mx_config *cfg);

/*
 * eval_request - evaluate addr and call done(v, arg) once with the
 * verdict. name_override (mxwallctl test --name) skips the PTR lookup
 * and takes that name as verified (fcrdns "verified", RHSBL asked with
 * it); such requests and EVAL_DRY_RUN ones never join others and are
 * never joined. An EVAL_URGENT request that joins an evaluation makes
 * it urgent (eval_promote). Returns a handle for eval_cancel, or NULL
 * when out of memory.
 */
struct eval_req *eval_request(struct eval *ev, const struct mx_addr *addr,
			      const char *name_override, unsigned flags,
			      eval_done_cb done, void *arg);

/*
 * eval_promote - the evaluation req waits for becomes EVAL_URGENT: its
 * queries still waiting in the resolver queue move to the head part,
 * and its later ones go there too. Cost: its own queries, not the
 * queue's length. Nothing when it is urgent already.
 */
void eval_promote(struct eval_req *req);

/*
 * eval_cancel - done() will not be called for req. The evaluation goes
 * on (its verdict is still logged and counted, and new requests for the
 * address may join it).
 */
void eval_cancel(struct eval_req *req);

/* eval_free - cancel everything (no done() calls) and free ev. */
void eval_free(struct eval *ev);

/*
 * eval_lists - call cb once per configured list with its health, for
 * mxwallctl dnsbl. Returns the number of lists.
 */
int eval_lists(struct eval *ev,
	       void (*cb)(const struct dnsbl_health *h, void *arg),
	       void *arg);

/* eval_get_stats - copy the counters. */
void eval_get_stats(const struct eval *ev, struct eval_stats *st);

/*
 * eval_set_breaker_cb - cb(on, why, arg) whenever the circuit breaker
 * trips (on) or recovers, e.g. to switch the kernel program to observe.
 */
void eval_set_breaker_cb(struct eval *ev,
			 void (*cb)(bool on, const char *why, void *arg),
			 void *arg);

#endif
