/*
 * resolver.h - asynchronous DNS queries for the evaluator: c-ares (1.18)
 * driven by the daemon's event loop.
 *
 * c-ares reports its sockets through the socket-state callback; they are
 * registered with the loop, readiness goes to ares_process_fd(), and a
 * prepare hook hands the loop ares_timeout() and processes expired
 * queries. Sockets get a large receive buffer (a burst of thousands of
 * answers must not overflow it).
 *
 * At most max_inflight queries are sent at once (c-ares asks the first
 * server and moves on only when it fails, so this is the bound per
 * server); the others wait in a queue and go out as answers come back.
 * The queue has two parts, each first in, first out: the queries asked
 * with RES_Q_FIRST (and the ones resolver_promote moved), then all
 * others. A client waiting on Postfix right now is not stuck behind a
 * flood of background evaluations, and a second urgent query never
 * overtakes the first.
 *
 * Contracts:
 *   - never blocks, starts no threads;
 *   - a query's callback is called exactly once, from the event loop,
 *     never from inside resolver_query(), unless the query was cancelled
 *     (then never);
 *   - SERVFAIL and REFUSED come back as answers (RES_SERVFAIL/REFUSED),
 *     not retried on other servers: a list's error is the list's answer.
 */
#ifndef MXWALL_RESOLVER_H
#define MXWALL_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct resolver;
struct res_query;

/* Query types (the DNS numbers). */
#define RES_T_A 1
#define RES_T_PTR 12
#define RES_T_TXT 16
#define RES_T_AAAA 28

enum res_status {
	RES_OK = 0,   /* records of the type in the answer */
	RES_NXDOMAIN, /* name does not exist */
	RES_NODATA,   /* name exists, no record of the type */
	RES_SERVFAIL,
	RES_REFUSED,
	RES_TIMEOUT,
	RES_ERROR, /* anything else: malformed, FORMERR, no memory */
};

#define RES_RR_MAX 8
#define RES_TEXT_MAX 512

/*
 * struct res_rrset - the part of an answer the evaluator uses.
 *   status  enum res_status;
 *   ttl     seconds: the lowest TTL of the records kept; for NXDOMAIN and
 *           NODATA the negative TTL from the SOA in the authority
 *           section (min of its TTL and MINIMUM); 0 when unknown;
 *   n       records kept (A/AAAA in addr[], PTR: 1, TXT: 1);
 *   addr    A (first 4 bytes) or AAAA addresses, network order;
 *   text    PTR: the first name, no trailing dot; TXT: the first record's
 *           strings concatenated; raw bytes from the network, cut to fit.
 */
struct res_rrset {
	int status;
	uint32_t ttl;
	int n;
	uint8_t addr[RES_RR_MAX][16];
	char text[RES_TEXT_MAX];
};

typedef void (*res_cb)(void *arg, const struct res_rrset *rr);

/*
 * struct resolver_opts - how to resolve.
 *   servers       "127.0.0.1:5353,[::1]:53" or NULL/"" for the system's;
 *   timeout_ms    per try; tries: attempts per query;
 *   max_inflight  queries in flight (all go to one server at a time);
 *   rcvbuf        socket receive buffer in bytes (0: system default).
 */
struct resolver_opts {
	const char *servers;
	int timeout_ms;
	int tries;
	int max_inflight;
	int rcvbuf;
};

/*
 * struct resolver_stats - since creation.
 *   sent, answered, timeouts, errors   queries by fate;
 *   queued    waiting now; inflight: sent and unanswered now;
 *   max_queued   the longest the queue has been;
 *   promoted  queries resolver_promote moved to the head part.
 */
struct resolver_stats {
	uint64_t sent, answered, timeouts, errors;
	uint64_t queued, inflight, max_queued;
	uint64_t promoted;
};

struct resolver *resolver_create(struct evloop *loop,
				 const struct resolver_opts *o, char *err,
				 size_t errlen);

/* Flags for resolver_query. */
#define RES_Q_FIRST 0x1u /* wait in the head part of the queue */

/*
 * resolver_query - ask for (name, type); cb(arg, rrset) later. Returns a
 * handle for resolver_cancel, or NULL (name too long, no memory).
 * RES_Q_FIRST queries wait behind earlier RES_Q_FIRST queries only, not
 * behind the rest of the queue. Two kinds of work pass it: follow-up
 * queries of work already under way (the forward lookup after a PTR, a
 * TXT after a listing), so a long queue delays each evaluation once,
 * not at every step; and every query of an evaluation someone is
 * waiting for (a policy request).
 */
struct res_query *resolver_query(struct resolver *r, const char *name,
				 int type, unsigned flags, res_cb cb,
				 void *arg);

/*
 * resolver_promote - q, if still waiting in the queue's second part,
 * moves to the end of its head part, as if asked with RES_Q_FIRST. Does
 * nothing to a query already sent or in the head part. q must still be
 * a handle: not answered (its callback not called) and not cancelled.
 * O(1).
 */
void resolver_promote(struct res_query *q);

/* resolver_cancel - the callback of q will not be called. */
void resolver_cancel(struct res_query *q);

void resolver_get_stats(const struct resolver *r, struct resolver_stats *st);

/* resolver_idle - nothing sent, queued or waiting to be reported. */
bool resolver_idle(const struct resolver *r);

/* resolver_free - drop every query without callbacks, close sockets. */
void resolver_free(struct resolver *r);

/* resolver_status_name - "ok", "nxdomain", "servfail", ... */
const char *resolver_status_name(int status);

/*
 * resolver_parse - the rrset of type in a DNS answer (abuf, alen) whose
 * rcode gave status; used by resolver.c and by the unit tests.
 */
void resolver_parse(const unsigned char *abuf, int alen, int type,
		    int status, struct res_rrset *rr);

#endif
