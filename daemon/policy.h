/*
 * policy.h - the Postfix policy service (check_policy_service).
 *
 * Speaks the protocol of Postfix's SMTPD_POLICY_README: a request is
 * "name=value" lines, each ended by a newline, the request ended by an
 * empty line; the value is everything after the first "=", unknown names
 * are ignored. The answer is one "action=..." line and an empty line, and
 * the connection stays open for the next request (Postfix reuses it).
 *
 * Listeners come from policy_listen: "unix:PATH" (mode and owner from
 * policy_socket_mode/_owner, for Postfix's private/ directory) and
 * "inet:HOST:PORT", several at once. Every connection is served by the
 * daemon's one event loop (daemon/evloop.h), so many are served at once
 * and none waits for another.
 *
 * A request that breaks a bound (policy_max_line, policy_max_attributes,
 * policy_max_request, policy_request_timeout) or the protocol (a NUL
 * byte, a line without "=", no "request=smtpd_access_policy", end of
 * file in the middle of a request) gets no answer: one warning names
 * what and from where, and that connection alone is closed; Postfix then
 * applies its default_action (DUNNO, see docs/postfix-integration.md).
 *
 * The decision, per request (policy_decide):
 *   1. sasl_username set: DUNNO;
 *   2. the client's verdict, through the hooks: blocked - a reject that
 *      names the reason (Postfix's reject_rbl_client wording for a list,
 *      the table's action as written for a rule); still being evaluated
 *      - wait up to policy_verdict_wait, then go on; unknown - the hook
 *      starts its evaluation and the request waits the same way;
 *   3. helo_checks, sender_checks (the full address, "<>" for the null
 *      sender), recipient_checks: the first action that is not DUNNO,
 *      verbatim;
 *   4. DUNNO.
 * Every answer other than DUNNO is logged on one POLICY line.
 *
 * Never blocks (except resolving an inet: host name in policy_create),
 * never exits, never answers a request it could not read completely.
 */
#ifndef MXWALL_POLICY_H
#define MXWALL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "verdict.h"

struct evloop;
struct mx_config;
struct policy_server;

typedef void (*policy_verdict_cb)(const struct verdict *v, void *arg);

/*
 * struct policy_hooks - how the policy server learns a client's verdict;
 * the daemon fills it in, the tests and tools supply their own.
 *
 * client_verdict(ctx, client, name, cb, arg) - the verdict for client
 *   (name: the client_name Postfix sent, "unknown" or NULL). Three ways
 *   to answer:
 *     - known now: call cb(v, arg) before returning, return NULL;
 *     - being evaluated (or evaluation started now): return a non-NULL
 *       handle and call cb(v, arg) once, later, from the event loop;
 *     - nothing to decide (no memory, not an address we judge): return
 *       NULL without calling cb; the request goes on as if not blocked.
 *   v is only read during cb; the policy server keeps no pointer to it.
 *   v may be NULL: nothing was decided (the request goes on as above).
 * cancel(ctx, handle) - cb must not be called for handle any more (the
 *   wait ran out, or the connection went away). Never called after cb.
 */
struct policy_hooks {
	void *(*client_verdict)(void *ctx, const struct mx_addr *client,
				const char *name, policy_verdict_cb cb,
				void *arg);
	void (*cancel)(void *ctx, void *handle);
};

/*
 * struct policy_stats - counters since policy_create.
 *   connections  accepted (or adopted) connections;
 *   open         connections open now;
 *   refused      connections closed at once: policy_max_connections;
 *   requests     complete, well-formed requests;
 *   bad          requests refused unanswered (bounds, protocol, EOF
 *                in the middle);
 *   timeouts     connections closed by policy_idle_timeout or
 *                policy_request_timeout;
 *   waited       requests that waited for a verdict;
 *   wait_expired of those, answered without it (policy_verdict_wait);
 *   dunno, rejects, others   answers by kind (rejects: REJECT, 4NN/5NN,
 *                DEFER*, from a verdict or a table).
 */
struct policy_stats {
	uint64_t connections;
	uint64_t open;
	uint64_t refused;
	uint64_t requests;
	uint64_t bad;
	uint64_t timeouts;
	uint64_t waited;
	uint64_t wait_expired;
	uint64_t dunno;
	uint64_t rejects;
	uint64_t others;
};

/* Longest action text answered; longer texts are cut. */
#define POLICY_ACTION_MAX 1024

/*
 * policy_create - a policy server on loop, with cfg (which must outlive
 * it, or until policy_reconfigure) and hooks (copied; ctx is passed to
 * them). Opens every policy_listen listener now (before the privilege
 * drop). NULL with err filled ("policy_listen \"unix:/x\": cannot bind:
 * Permission denied") when any of them fails; none is left open then.
 */
struct policy_server *policy_create(struct evloop *loop,
				    const struct mx_config *cfg,
				    const struct policy_hooks *hooks,
				    void *ctx, char *err, size_t errlen);

/*
 * policy_reconfigure - use cfg's tables, limits and wait bound from the
 * next request on. Listeners are kept as they are.
 */
void policy_reconfigure(struct policy_server *ps,
			const struct mx_config *cfg);

/*
 * policy_adopt - serve an already connected socket fd (made
 * non-blocking here); peer names it in log lines. Used for accepted
 * connections and by the tests. 0, or -1 (fd closed) when
 * policy_max_connections is reached or memory runs out.
 */
int policy_adopt(struct policy_server *ps, int fd, const char *peer);

/* policy_get_stats - copy the counters. */
void policy_get_stats(const struct policy_server *ps, struct policy_stats *st);

/*
 * policy_free - close listeners and connections (pending verdicts are
 * cancelled) and remove the unix: socket files it created.
 */
void policy_free(struct policy_server *ps);

/*
 * struct policy_request - the attributes the decision reads, pointing
 * into the request buffer ("" when absent).
 */
struct policy_request {
	const char *request;
	const char *protocol_state;
	const char *protocol_name;
	const char *instance;
	const char *client_address;
	const char *client_name;
	const char *reverse_client_name;
	const char *helo_name;
	const char *sender;
	const char *recipient;
	const char *sasl_username;
	int nattrs; /* attribute lines read, known or not */
};

/*
 * policy_parse - split a complete request (len bytes, the empty line
 * included; changed in place) into req. The caller has checked line
 * lengths and NUL bytes. 0, or -1 with why set to a static reason.
 */
int policy_parse(char *buf, size_t len, struct policy_request *req,
		 const char **why);

/*
 * policy_verdict_action - the reject text for a blocked verdict, as
 * Postfix would word it, written to out (at most outlen bytes, NUL
 * included; control characters from DNS text become '?'). Returns 1
 * when the verdict blocks (and out is set), 0 otherwise.
 */
int policy_verdict_action(const struct verdict *v, const char *client,
			  char *out, size_t outlen);

/*
 * policy_check_tables - step 3 of the decision: the first final action
 * of helo_checks, sender_checks, recipient_checks (else the first side
 * effect such as WARN or HOLD), copied verbatim to out; *where is set to
 * the table and line (static storage until the next call). 1 when
 * found, 0 for DUNNO.
 */
int policy_check_tables(const struct mx_config *cfg,
			const struct policy_request *req, char *out,
			size_t outlen, const char **where);

#endif
