/*
 * daemon.c - the state of one running mxwalld and everything that joins
 * its parts: configuration, event loop, verdict cache, kernel backend,
 * verdict engine, observers, signals, timers (see daemon.h).
 *
 * Life of a verdict: an observer (ring buffer, pcap, policy request)
 * calls daemon_observe or daemon_client; an unknown address becomes one
 * pending evaluation (joined by later requests; a policy request's is
 * urgent, and makes urgent the one it joins); when the engine answers,
 * the verdict goes into the cache and into a batch for the kernel, which
 * the loop's prepare hook hands to the backend once per loop round, so a
 * burst of new clients costs one bulk update. The sweeper removes what
 * has expired (EXPIRE lines); the snapshot timer writes the cache out.
 *
 * Reload builds a complete configuration first and swaps only when it
 * is whole. When the rules that decide about clients changed (their
 * parameters or their tables' contents), every evaluated verdict is
 * marked stale and decided again in the background, a bounded number at
 * a time: a new OK rule lifts a cached block without waiting for expiry.
 *
 * Never blocks for long: the slow parts (DNS) live in the engine, and
 * the backends' calls are short. Never exits except through main.
 */
#include "daemon.h"
#include "backend.h"
#include "cache.h"
#include "config.h"
#include "eval.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PENDING_BUCKETS 4096u
#define SWEEP_MS 1000
#define SWEEP_MIN_CHUNK 16384
#define REDECIDE_MS 200
#define REDECIDE_MAX_FLIGHT 256
#define RETIRE_MS 120000
#define REFRESH_MAX_S 60
#define REASON_MAX 600

/*
 * struct waiter - a request waiting for a pending evaluation: either a
 * daemon_client caller (cb) or the policy server (pcb, gets the engine's
 * whole verdict); p is the evaluation it waits for; cancelled: dropped
 * by its requester while eval_done was handing out answers.
 */
struct waiter {
	daemon_done_cb cb;
	policy_verdict_cb pcb;
	void *arg;
	struct pending *p;
	bool cancelled;
	struct waiter *next;
};

/*
 * struct pending - one evaluation in flight.
 *   d        the daemon it belongs to;
 *   key      the verdict key (IPv6 masked to ipv6_prefix);
 *   req      the engine's handle;
 *   waiters  daemon_client callers to call back;
 *   redecide started by the reload re-decision (counts against its cap).
 */
struct pending {
	struct daemon *d;
	struct mx_addr key;
	struct eval_req *req;
	struct waiter *waiters;
	bool redecide;
	struct pending *next;
};

/* struct retired - a configuration kept until evaluations using it end. */
struct retired {
	struct mx_config *cfg;
	struct retired *next;
};

/*
 * struct daemon - see daemon.h.
 *   cfg, config_path   the effective configuration and its file;
 *   loop, sigfd        the event loop and its signal descriptor;
 *   cache, backend     verdicts and the kernel table;
 *   eval               the verdict engine;
 *   adds, nadds        verdicts waiting for the next bulk add;
 *   pend, npending     evaluations in flight, hashed by key;
 *   sweep_pos          where the sweeper continues;
 *   redecide_pos       where the reload re-decision continues (index
 *                      into the cache), nredecide in flight;
 *   rules_fp           fingerprint of the client rules (reload);
 *   observe_cfg        mode = observe in the configuration;
 *   observe_applied    what the backend was last told (observe or not);
 *   breaker            the engine's circuit breaker is on;
 *   policy             the policy server, told about reloads;
 *   snap_child         the process writing the periodic snapshot, or 0;
 *   pv                 a verdict rebuilt from the cache for the policy
 *                      server (the engine's record is 5 KiB: the cache
 *                      keeps only its summary);
 *   reason             buffer behind daemon_verdict.reason.
 */
struct daemon {
	struct mx_config *cfg;
	char *config_path;
	struct evloop *loop;
	int sigfd;
	struct cache *cache;
	struct backend *backend;
	struct eval *eval;
	struct backend_item *adds;
	size_t nadds, addcap;
	struct pending *pend[PENDING_BUCKETS];
	size_t npending;
	size_t sweep_pos;
	size_t redecide_pos;
	size_t nredecide;
	bool redeciding;
	uint64_t rules_fp;
	bool observe_cfg;
	bool observe_applied;
	bool breaker;
	struct retired *retired;
	struct policy_server *policy;
	pid_t snap_child;
	struct verdict pv;
	time_t started, last_reload, snapshot_written;
	bool last_reload_ok;
	uint64_t evaluations;
	char reason[REASON_MAX];
};

static uint32_t wall_now(void)
{
	return (uint32_t)time(NULL);
}

/* mono_ms - monotonic milliseconds, for timing start-up steps. */
static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* Keys, reasons and the kernel batch.                                 */

/* daemon_key - the verdict key of a client address. */
static struct mx_addr daemon_key(const struct daemon *d,
				 const struct mx_addr *a)
{
	struct mx_addr k = *a;

	if (k.family == AF_INET6 && k.plen > d->cfg->ipv6_prefix)
		addr_mask(&k, (unsigned)d->cfg->ipv6_prefix);
	return k;
}

/* origin_of - the cache origin of an engine reason code. */
static unsigned origin_of(unsigned reason)
{
	switch (reason) {
	case MX_REASON_DNSBL:
	case MX_REASON_RHSBL:
	case MX_REASON_ALLOWLIST:
		return ORIGIN_DNSBL;
	case MX_REASON_RULE:
	case MX_REASON_PREFIX:
	case MX_REASON_STATIC:
		return ORIGIN_RULE;
	case MX_REASON_MANUAL:
		return ORIGIN_MANUAL;
	default:
		return ORIGIN_DEFAULT;
	}
}

/* reason_text - the key=value reason of an engine verdict. */
static void reason_text(const struct verdict *v, char *buf, size_t len)
{
	char q[LOG_QUOTE_BUFSZ], q2[LOG_QUOTE_BUFSZ];

	if (v->rule.table[0]) {
		/*
		 * XXX The table's own text is escaped like untrusted text, so
		 * `mxwallctl why` shows UTF-8 in it as \xNN ("We can\xe2\x80
		 * \x99t"); trusted text could keep printable UTF-8.
		 */
		log_quote(q, sizeof(q), v->rule.result, (size_t)-1);
		log_quote(q2, sizeof(q2), v->rule.key, (size_t)-1);
		snprintf(buf, len, "reason=%s table=%.120s line=%d "
			 "key=\"%.160s\" text=\"%.160s\"",
			 verdict_reason_name(v->reason), v->rule.table,
			 v->rule.line, q2, q);
	} else if (v->list[0]) {
		/* The TXT is kept so a cached block is refused in words. */
		log_quote(q, sizeof(q), v->txt, (size_t)-1);
		snprintf(buf, len, "reason=%s list=%s reply=%u.%u.%u.%u "
			 "score=%d%s%.240s%s", verdict_reason_name(v->reason),
			 v->list, v->reply[0], v->reply[1], v->reply[2],
			 v->reply[3], v->score, *q ? " txt=\"" : "", q,
			 *q ? "\"" : "");
	} else {
		snprintf(buf, len, "reason=%s",
			 verdict_reason_name(v->reason));
	}
}

/* kernel_queue - add e to the batch the prepare hook sends. */
static void kernel_queue(struct daemon *d, const struct cache_entry *e)
{
	if (d->nadds == d->addcap) {
		size_t cap = d->addcap ? d->addcap * 2 : 256;
		struct backend_item *n = realloc(d->adds, cap * sizeof(*n));

		if (!n) {
			msg_warn("kernel batch: out of memory: verdict for the "
				 "kernel dropped; it stays in the cache");
			return;
		}
		d->adds = n;
		d->addcap = cap;
	}
	d->adds[d->nadds].addr = e->addr;
	d->adds[d->nadds].action = e->action;
	d->adds[d->nadds].kreason = e->kreason;
	d->adds[d->nadds].expires = e->expires;
	d->nadds++;
}

/* kernel_flush - send the batch; called once per loop round. */
static void kernel_flush(struct daemon *d)
{
	struct backend_counts cnt;
	char buf[96];

	if (d->nadds == 0)
		return;
	if (backend_add(d->backend, d->adds, d->nadds, &cnt) < 0)
		msg_warn("backend %s: adding %zu verdicts: %s: they stay in "
			 "the cache and are retried at the next reload",
			 backend_name(d->backend), d->nadds,
			 backend_error(d->backend));
	else
		msg_debug(1, "backend %s: %s", backend_name(d->backend),
			  backend_counts_text(&cnt, buf, sizeof(buf)));
	d->nadds = 0;
}

static int daemon_prepare(void *arg)
{
	kernel_flush(arg);
	return -1;
}

/* kernel_remove - take one key out of the kernel now. */
static void kernel_remove(struct daemon *d, const struct mx_addr *a)
{
	struct backend_counts cnt;

	kernel_flush(d);
	if (backend_remove(d->backend, a, 1, &cnt) < 0)
		msg_warn("backend %s: removing a verdict: %s",
			 backend_name(d->backend), backend_error(d->backend));
}

/* fill_verdict - expand entry e into out (reason in d->reason). */
static void fill_verdict(struct daemon *d, const struct cache_entry *e,
			 struct daemon_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = e->addr;
	out->action = e->action;
	out->origin = e->origin;
	out->score = e->score;
	out->decided = e->decided;
	out->expires = e->expires;
	snprintf(d->reason, sizeof(d->reason), "%s", cache_reason(d->cache, e));
	out->reason = d->reason;
	out->stale = e->flags & CACHE_STALE;
	backend_hits(d->backend, &e->addr, &out->kernel_hits);
}

/* ------------------------------------------------------------------ */
/* Pending evaluations.                                                */

static unsigned pend_bucket(const struct mx_addr *k)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return (h ^ k->plen) % PENDING_BUCKETS;
}

static struct pending *pend_find(struct daemon *d, const struct mx_addr *k)
{
	struct pending *p;

	for (p = d->pend[pend_bucket(k)]; p; p = p->next)
		if (addr_equal(&p->key, k))
			return p;
	return NULL;
}

static void pend_unlink(struct daemon *d, struct pending *p)
{
	struct pending **pp;

	for (pp = &d->pend[pend_bucket(&p->key)]; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			d->npending--;
			return;
		}
}

/*
 * daemon_apply - store an engine verdict in the cache and queue it for
 * the kernel. Returns the entry, or NULL when nothing was stored.
 */
static struct cache_entry *daemon_apply(struct daemon *d,
					const struct verdict *v)
{
	struct cache_entry *e;
	struct mx_addr key = daemon_key(d, &v->addr);
	char reason[REASON_MAX];
	bool created;
	uint32_t now = wall_now();

	if (v->action != VERDICT_BLOCK && v->action != VERDICT_ALLOW) {
		/* Nothing decided: a stale verdict keeps its old action. */
		e = cache_find(d->cache, &key);
		if (e)
			e->flags &= (uint8_t)~CACHE_STALE;
		return NULL;
	}
	e = cache_find(d->cache, &key);
	if (e && e->origin == ORIGIN_MANUAL)
		return e; /* a verdict by hand wins over the engine */
	e = cache_put(d->cache, &key, &created);
	if (!e) {
		msg_warn("verdict cache: out of memory: verdict not stored");
		return NULL;
	}
	reason_text(v, reason, sizeof(reason));
	e->action = v->action == VERDICT_BLOCK ? DAEMON_BLOCK : DAEMON_ALLOW;
	e->origin = (uint8_t)origin_of(v->reason);
	e->kreason = v->reason;
	e->score = (int16_t)(v->score > INT16_MAX ? INT16_MAX :
			     v->score < INT16_MIN ? INT16_MIN : v->score);
	e->decided = now;
	e->expires = now + (v->ttl ? v->ttl : 60);
	e->flags = 0;
	cache_set_reason(d->cache, e, reason);
	kernel_queue(d, e);
	return e;
}


/* unquote - undo log_quote's \\xNN escapes in place. */
static void unquote(char *s)
{
	char *o = s;
	unsigned x;

	while (*s) {
		if (s[0] == '\\' && s[1] == 'x' &&
		    sscanf(s + 2, "%2x", &x) == 1) {
			*o++ = (char)x;
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/*
 * verdict_from_entry - rebuild the summary of an engine verdict from a
 * cache entry: action, reason code, and from the reason text the list and
 * reply or the table, line and result, so the policy server words its
 * reject as for a fresh verdict.
 */
static void verdict_from_entry(struct daemon *d, const struct cache_entry *e,
			       const struct mx_addr *client,
			       struct verdict *v)
{
	char text[REASON_MAX], *p, *key, *val;
	unsigned r[4];

	memset(v, 0, offsetof(struct verdict, lists));
	v->addr = e->addr;
	v->client = *client;
	v->action = e->action == DAEMON_BLOCK ? VERDICT_BLOCK : VERDICT_ALLOW;
	v->reason = e->kreason;
	v->score = e->score;
	v->observe = d->observe_cfg || d->breaker;
	snprintf(v->name, sizeof(v->name), "unknown");
	snprintf(text, sizeof(text), "%s", cache_reason(d->cache, e));
	for (p = text; *p;) {
		key = p;
		p = strchr(p, '=');
		if (!p)
			break;
		*p++ = '\0';
		if (*p == '"') {
			val = ++p;
			p = strchr(p, '"');
			if (!p)
				break;
		} else {
			val = p;
			p += strcspn(p, " ");
		}
		if (*p)
			*p++ = '\0';
		p += strspn(p, " ");
		unquote(val);
		if (strcmp(key, "list") == 0)
			snprintf(v->list, sizeof(v->list), "%s", val);
		else if (strcmp(key, "reply") == 0 &&
			 sscanf(val, "%u.%u.%u.%u", &r[0], &r[1], &r[2],
				&r[3]) == 4)
			for (int i = 0; i < 4; i++)
				v->reply[i] = (uint8_t)r[i];
		else if (strcmp(key, "table") == 0)
			snprintf(v->rule.table, sizeof(v->rule.table), "%s",
				 val);
		else if (strcmp(key, "line") == 0)
			v->rule.line = atoi(val);
		else if (strcmp(key, "text") == 0)
			snprintf(v->rule.result, sizeof(v->rule.result), "%s",
				 val);
		else if (strcmp(key, "txt") == 0)
			snprintf(v->txt, sizeof(v->txt), "%s", val);
	}
	if (v->reason == MX_REASON_MANUAL && e->action == DAEMON_BLOCK) {
		snprintf(text, sizeof(text), "REJECT %.200s",
			 v->rule.result[0] ? v->rule.result :
					     "blocked by hand");
		snprintf(v->rule.result, sizeof(v->rule.result), "%.250s",
			 text);
	}
}

/*
 * policy_feed - answer a policy waiter: the engine's verdict, or what
 * the cache holds when a verdict by hand took precedence.
 */
static void policy_feed(struct daemon *d, const struct verdict *v,
			const struct cache_entry *e, struct waiter *w)
{
	if (e && e->origin == ORIGIN_MANUAL) {
		verdict_from_entry(d, e, &v->client, &d->pv);
		w->pcb(&d->pv, w->arg);
		return;
	}
	if (d->observe_cfg && v->action == VERDICT_BLOCK && !v->observe) {
		memcpy(&d->pv, v, sizeof(d->pv));
		d->pv.observe = true;
		w->pcb(&d->pv, w->arg);
		return;
	}
	w->pcb(v, w->arg);
}

/* eval_done - the engine's answer for one pending evaluation. */
static void eval_done(const struct verdict *v, void *arg)
{
	struct pending *p = arg;
	struct daemon *d = p->d;
	struct daemon_verdict dv;
	struct cache_entry *e;
	struct waiter *w, *ws, *next;

	pend_unlink(d, p);
	if (p->redecide)
		d->nredecide--;
	d->evaluations++;
	e = daemon_apply(d, v);
	ws = p->waiters;
	p->waiters = NULL; /* a cancel from a callback now only marks */
	for (w = ws; w; w = next) {
		next = w->next;
		e = cache_find(d->cache, &p->key);
		if (w->cancelled) {
			/* nothing: its requester went away */
		} else if (w->pcb) {
			policy_feed(d, v, e, w);
		} else if (e && (v->action == VERDICT_BLOCK ||
				 v->action == VERDICT_ALLOW)) {
			fill_verdict(d, e, &dv);
			w->cb(&dv, w->arg);
		} else {
			w->cb(NULL, w->arg);
		}
		free(w);
	}
	free(p);
}

/*
 * pend_start_flags - the pending evaluation for key, started if needed.
 * EVAL_URGENT (a policy request waits) also makes a pending one urgent:
 * the kernel observer may have queued it behind a flood.
 */
static struct pending *pend_start_flags(struct daemon *d,
					const struct mx_addr *a,
					const struct mx_addr *key,
					unsigned flags)
{
	struct pending *p = pend_find(d, key);
	unsigned b;

	if (p) {
		if (flags & EVAL_URGENT)
			eval_promote(p->req);
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->d = d;
	p->key = *key;
	b = pend_bucket(key);
	p->next = d->pend[b];
	d->pend[b] = p;
	d->npending++;
	p->req = eval_request(d->eval, a, NULL, flags, eval_done, p);
	if (!p->req) {
		pend_unlink(d, p);
		free(p);
		msg_warn("evaluation of a client: out of memory: not decided");
		return NULL;
	}
	return p;
}

/* pend_start - the pending evaluation for key, started if needed. */
static struct pending *pend_start(struct daemon *d, const struct mx_addr *a,
				  const struct mx_addr *key)
{
	return pend_start_flags(d, a, key, 0);
}

enum daemon_lookup daemon_client(struct daemon *d, const struct mx_addr *a,
				 const char *name, struct daemon_verdict *out,
				 daemon_done_cb cb, void *arg)
{
	struct mx_addr key = daemon_key(d, a);
	struct cache_entry *e = cache_cover(d->cache, &key);
	struct pending *p;
	struct waiter *w;

	if (e && (e->expires == 0 || e->expires > wall_now())) {
		fill_verdict(d, e, out);
		return DAEMON_KNOWN;
	}
	p = pend_start_flags(d, a, &key, EVAL_URGENT);
	if (!p || !(w = calloc(1, sizeof(*w))))
		return DAEMON_NONE;
	w->cb = cb;
	w->arg = arg;
	w->p = p;
	w->next = p->waiters;
	p->waiters = w;
	return DAEMON_PENDING;
}

/* hook_client_verdict - the policy server asks about a client. */
static void *hook_client_verdict(void *ctx, const struct mx_addr *client,
				 const char *name, policy_verdict_cb cb,
				 void *arg)
{
	struct daemon *d = ctx;
	struct mx_addr key = daemon_key(d, client);
	struct cache_entry *e = cache_cover(d->cache, &key);
	struct pending *p;
	struct waiter *w;

	if (e && (e->expires == 0 || e->expires > wall_now()) &&
	    !(e->flags & CACHE_STALE)) {
		verdict_from_entry(d, e, client, &d->pv);
		cb(&d->pv, arg);
		return NULL;
	}
	p = pend_start_flags(d, client, &key, EVAL_URGENT);
	if (!p || !(w = calloc(1, sizeof(*w))))
		return NULL;
	w->pcb = cb;
	w->arg = arg;
	w->p = p;
	w->next = p->waiters;
	p->waiters = w;
	return w;
}

/* hook_cancel - a policy request stopped waiting. */
static void hook_cancel(void *ctx, void *handle)
{
	struct waiter *w = handle, **ww;

	for (ww = &w->p->waiters; *ww; ww = &(*ww)->next)
		if (*ww == w) {
			*ww = w->next;
			free(w);
			return;
		}
	w->cancelled = true; /* being answered right now (eval_done) */
}

const struct policy_hooks daemon_policy_hooks = {
	.client_verdict = hook_client_verdict,
	.cancel = hook_cancel,
};

void daemon_set_policy(struct daemon *d, struct policy_server *ps)
{
	d->policy = ps;
}

void daemon_client_cancel(struct daemon *d, daemon_done_cb cb, void *arg)
{
	struct waiter **ww, *w;
	struct pending *p;
	unsigned b;

	for (b = 0; b < PENDING_BUCKETS; b++)
		for (p = d->pend[b]; p; p = p->next)
			for (ww = &p->waiters; *ww;) {
				w = *ww;
				if (w->cb == cb && w->arg == arg) {
					*ww = w->next;
					free(w);
				} else {
					ww = &w->next;
				}
			}
}

void daemon_observe(struct daemon *d, const struct mx_addr *a)
{
	struct mx_addr key = daemon_key(d, a);
	struct cache_entry *e = cache_cover(d->cache, &key);

	if (e && (e->expires == 0 || e->expires > wall_now()))
		return;
	pend_start(d, a, &key);
}

/* ------------------------------------------------------------------ */
/* Verdicts by hand, lookups, status.                                  */

/* manual_verdict - store a block or allow given by hand. */
static int manual_verdict(struct daemon *d, const struct mx_addr *p,
			  unsigned action, uint32_t ttl_s, const char *why,
			  char *err, size_t errlen)
{
	char q[LOG_QUOTE_BUFSZ], reason[REASON_MAX], abuf[ADDR_STRLEN];
	struct mx_addr key = *p;
	struct cache_entry *e;
	uint32_t now = wall_now();
	bool created;
	int i;

	if (p->plen == addr_bits(p))
		key = daemon_key(d, p);
	addr_format(&key, abuf, sizeof(abuf));
	if (action == DAEMON_BLOCK && key.plen == addr_bits(&key)) {
		bool mine = addr_is_loopback(&key);

		for (i = 0; i < d->cfg->mynetworks.n && !mine; i++)
			mine = key.family == d->cfg->mynetworks.v[i].family &&
			       addr_in_prefix(&key, &d->cfg->mynetworks.v[i]);
		if (mine) {
			snprintf(err, errlen, "%s is in mynetworks or "
				 "loopback: never blocked", abuf);
			return -1;
		}
	}
	if (ttl_s == 0)
		ttl_s = (uint32_t)(action == DAEMON_BLOCK ? d->cfg->block_ttl :
				   d->cfg->allow_ttl);
	e = cache_put(d->cache, &key, &created);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_quote(q, sizeof(q), why && *why ? why : "manual", (size_t)-1);
	snprintf(reason, sizeof(reason), "reason=manual text=\"%.400s\"",
		 q);
	e->action = (uint8_t)action;
	e->origin = ORIGIN_MANUAL;
	e->kreason = MX_REASON_MANUAL;
	e->score = 0;
	e->flags = 0;
	e->decided = now;
	e->expires = ttl_s == DAEMON_TTL_FOREVER ? 0 : now + ttl_s;
	cache_set_reason(d->cache, e, reason);
	kernel_queue(d, e);
	kernel_flush(d);
	if (ttl_s == DAEMON_TTL_FOREVER)
		log_event(action == DAEMON_BLOCK ? "BLOCK" : "ALLOW",
			  "client=[%s] %s ttl=forever", abuf, reason);
	else
		log_event(action == DAEMON_BLOCK ? "BLOCK" : "ALLOW",
			  "client=[%s] %s ttl=%u", abuf, reason, ttl_s);
	return 0;
}

int daemon_block(struct daemon *d, const struct mx_addr *p, uint32_t ttl_s,
		 const char *reason, char *err, size_t errlen)
{
	return manual_verdict(d, p, DAEMON_BLOCK, ttl_s, reason, err, errlen);
}

int daemon_allow(struct daemon *d, const struct mx_addr *p, uint32_t ttl_s,
		 const char *reason, char *err, size_t errlen)
{
	return manual_verdict(d, p, DAEMON_ALLOW, ttl_s, reason, err, errlen);
}

int daemon_forget(struct daemon *d, const struct mx_addr *p)
{
	struct mx_addr key = *p;
	struct cache_entry *e;
	char abuf[ADDR_STRLEN];

	if (p->plen == addr_bits(p))
		key = daemon_key(d, p);
	e = cache_find(d->cache, &key);
	if (!e)
		return 0;
	cache_remove(d->cache, e);
	kernel_remove(d, &key);
	log_event("FORGET", "client=[%s]",
		  addr_format(&key, abuf, sizeof(abuf)));
	return 1;
}

/* cache_items - every live cache entry as backend items (malloc'd). */
static struct backend_item *cache_items(struct daemon *d, size_t *n)
{
	struct backend_item *it;
	uint32_t now = wall_now();
	size_t i, k = 0;

	it = malloc((cache_count(d->cache) + 1) * sizeof(*it));
	if (!it)
		return NULL;
	for (i = 0; i < cache_count(d->cache); i++) {
		const struct cache_entry *e = cache_at(d->cache, i);

		if (e->expires && e->expires <= now)
			continue;
		it[k].addr = e->addr;
		it[k].action = e->action;
		it[k].kreason = e->kreason;
		it[k].expires = e->expires;
		k++;
	}
	*n = k;
	return it;
}

/* kernel_sync - make the kernel table hold exactly the cache; logged. */
static int kernel_sync(struct daemon *d, const char *why)
{
	struct backend_counts cnt;
	struct backend_item *it;
	char buf[96];
	size_t n;
	int r;

	kernel_flush(d);
	it = cache_items(d, &n);
	if (!it) {
		msg_warn("%s: out of memory: kernel table not updated", why);
		return -1;
	}
	r = backend_replace(d->backend, it, n, &cnt);
	free(it);
	if (r < 0) {
		msg_warn("%s: backend %s: %s: the kernel table may differ from "
			 "the cache until the next reload", why,
			 backend_name(d->backend), backend_error(d->backend));
		return -1;
	}
	msg_info("%s: backend %s: %s", why, backend_name(d->backend),
		 backend_counts_text(&cnt, buf, sizeof(buf)));
	return 0;
}

size_t daemon_flush(struct daemon *d, bool all)
{
	size_t i = 0, removed = 0;

	while (i < cache_count(d->cache)) {
		struct cache_entry *e = cache_at(d->cache, i);

		if (!all && e->origin == ORIGIN_MANUAL) {
			i++;
			continue;
		}
		cache_remove(d->cache, e);
		removed++;
	}
	log_event("FLUSH", "removed=%zu all=%s", removed, all ? "yes" : "no");
	kernel_sync(d, "flush");
	return removed;
}

int daemon_lookup(struct daemon *d, const struct mx_addr *a,
		  struct daemon_verdict *out)
{
	struct mx_addr key = a->plen == addr_bits(a) ? daemon_key(d, a) : *a;
	struct cache_entry *e = cache_cover(d->cache, &key);

	if (!e)
		return -1;
	fill_verdict(d, e, out);
	return 0;
}

void daemon_foreach(struct daemon *d, unsigned filter, daemon_verdict_cb cb,
		    void *arg)
{
	struct daemon_verdict v;
	size_t i;

	if (filter == 0)
		filter = DAEMON_LIST_BLOCKED | DAEMON_LIST_ALLOWED;
	for (i = 0; i < cache_count(d->cache); i++) {
		const struct cache_entry *e = cache_at(d->cache, i);

		unsigned bit = e->action == DAEMON_BLOCK ? DAEMON_LIST_BLOCKED :
							   DAEMON_LIST_ALLOWED;

		if (!(filter & bit))
			continue;
		fill_verdict(d, e, &v);
		if (cb(&v, arg))
			break;
	}
}

void daemon_status(struct daemon *d, struct daemon_status *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->version = MXWALL_VERSION;
	out->config_path = d->config_path;
	out->backend = backend_name(d->backend);
	out->mode = d->observe_cfg || d->breaker ? "observe" : "enforce";
	out->breaker = d->breaker;
	out->user = d->cfg->user;
	out->started = d->started;
	out->last_reload = d->last_reload;
	out->last_reload_ok = d->last_reload_ok;
	for (i = 0; i < cache_count(d->cache); i++) {
		if (cache_at(d->cache, i)->action == DAEMON_BLOCK)
			out->blocked++;
		else
			out->allowed++;
	}
	out->pending = d->npending;
	out->evaluations = d->evaluations;
	out->snapshot_written = d->snapshot_written;
}

struct evloop *daemon_loop(struct daemon *d)
{
	return d->loop;
}

const struct mx_config *daemon_config(struct daemon *d)
{
	return d->cfg;
}

struct eval *daemon_eval(struct daemon *d)
{
	return d->eval;
}

/* ------------------------------------------------------------------ */
/* Timers: sweeper, snapshot, re-decision.                             */

static void sweep_tick(void *arg);

/*
 * sweep_refresh - a block about to expire whose host still knocks (the
 * kernel counted packets since the verdict was stored) is decided again
 * now, so a persistent bad host gets no window; a quiet one lapses. The
 * window is a tenth of the verdict's life, at most a minute.
 */
static void sweep_refresh(struct daemon *d, struct cache_entry *e,
			  uint32_t now)
{
	uint32_t life = e->expires - e->decided, window;
	struct mx_addr key = e->addr;
	uint64_t hits = 0;

	window = life / 10 < REFRESH_MAX_S ? life / 10 : REFRESH_MAX_S;
	if (e->action != DAEMON_BLOCK || e->origin == ORIGIN_MANUAL ||
	    (e->flags & CACHE_REFRESH) || e->expires - now > window)
		return;
	if (backend_hits(d->backend, &e->addr, &hits) < 0 || hits == 0)
		return;
	/*
	 * XXX An IPv6 verdict covers a prefix, not the address that knocked,
	 * so it is not refreshed; keeping the last client address per entry
	 * would allow it.
	 */
	if (key.plen != addr_bits(&key))
		return;
	e->flags |= CACHE_REFRESH;
	pend_start_flags(d, &key, &key, EVAL_RECHECK);
}

/* sweep_tick - remove a chunk of expired verdicts (EXPIRE lines). */
static void sweep_tick(void *arg)
{
	struct daemon *d = arg;
	struct backend_counts cnt;
	struct mx_addr *gone = NULL;
	size_t n = cache_count(d->cache), chunk, seen = 0, ngone = 0, cap = 0;
	uint32_t now = wall_now();
	char abuf[ADDR_STRLEN];

	chunk = n / 10 > SWEEP_MIN_CHUNK ? n / 10 : SWEEP_MIN_CHUNK;
	if (d->sweep_pos >= n)
		d->sweep_pos = 0;
	while (seen < chunk && d->sweep_pos < cache_count(d->cache)) {
		struct cache_entry *e = cache_at(d->cache, d->sweep_pos);

		seen++;
		if (!e->expires || e->expires > now) {
			sweep_refresh(d, e, now);
			d->sweep_pos++;
			continue;
		}
		if (ngone == cap) {
			struct mx_addr *g;

			cap = cap ? cap * 2 : 64;
			g = realloc(gone, cap * sizeof(*g));
			if (!g)
				break;
			gone = g;
		}
		gone[ngone++] = e->addr;
		log_event("EXPIRE", "client=[%s] action=%s %s",
			  addr_format(&e->addr, abuf, sizeof(abuf)),
			  cache_action_name(e->action),
			  cache_reason(d->cache, e));
		cache_remove(d->cache, e); /* sweep_pos now holds another */
	}
	if (ngone && backend_expire(d->backend, gone, ngone, &cnt) < 0)
		msg_warn("backend %s: removing %zu expired verdicts: %s",
			 backend_name(d->backend), ngone,
			 backend_error(d->backend));
	free(gone);
	evloop_timer(d->loop, SWEEP_MS, sweep_tick, d);
}

static void snapshot_reap(struct daemon *d, bool block);

int daemon_snapshot_now(struct daemon *d)
{
	if (!*d->cfg->state_file)
		return 0;
	snapshot_reap(d, true); /* one writer of FILE.tmp at a time */
	kernel_flush(d);
	if (snapshot_write(d->cache, d->cfg->state_file, wall_now()) < 0)
		return -1;
	d->snapshot_written = time(NULL);
	msg_debug(1, "snapshot %s: %zu verdicts written", d->cfg->state_file,
		  cache_count(d->cache));
	return 0;
}

/* snapshot_reap - wait for a snapshot child; block or only poll. */
static void snapshot_reap(struct daemon *d, bool block)
{
	int status;
	pid_t r;

	if (d->snap_child <= 0)
		return;
	r = waitpid(d->snap_child, &status, block ? 0 : WNOHANG);
	if (r == 0)
		return;
	d->snap_child = 0;
}

/*
 * snapshot_tick - the periodic snapshot, written by a child process
 * from a copy-on-write image of the cache, so a million verdicts do not
 * stall the event loop; at stop and on SIGUSR1 it is written in place.
 */
static void snapshot_tick(void *arg)
{
	struct daemon *d = arg;
	pid_t pid;

	snapshot_reap(d, false);
	if (d->snap_child > 0) {
		msg_warn("snapshot %s: the previous write still runs: skipping "
			 "this one", d->cfg->state_file);
	} else if (*d->cfg->state_file) {
		kernel_flush(d);
		pid = fork();
		if (pid == 0)
			_exit(snapshot_write(d->cache, d->cfg->state_file,
					     wall_now()) == 0 ? 0 : 1);
		if (pid < 0) {
			daemon_snapshot_now(d);
		} else {
			d->snap_child = pid;
			d->snapshot_written = time(NULL);
		}
	}
	evloop_timer(d->loop, (uint64_t)d->cfg->snapshot_interval * 1000,
		     snapshot_tick, d);
}

/* redecide_tick - start evaluations for stale verdicts, a few at a time. */
static void redecide_tick(void *arg)
{
	struct daemon *d = arg;
	struct pending *p;

	while (d->nredecide < REDECIDE_MAX_FLIGHT &&
	       d->redecide_pos < cache_count(d->cache)) {
		struct cache_entry *e = cache_at(d->cache, d->redecide_pos++);
		struct mx_addr key = e->addr;

		if (!(e->flags & CACHE_STALE) || pend_find(d, &key))
			continue;
		if (key.plen != addr_bits(&key)) {
			/* IPv6 prefix: lifted, decided at its next contact. */
			cache_remove(d->cache, e);
			d->redecide_pos--;
			kernel_remove(d, &key);
			continue;
		}
		p = pend_start(d, &key, &key);
		if (p && !p->redecide) {
			p->redecide = true;
			d->nredecide++;
		}
	}
	if (d->redecide_pos < cache_count(d->cache) || d->nredecide > 0) {
		evloop_timer(d->loop, REDECIDE_MS, redecide_tick, d);
		return;
	}
	d->redeciding = false;
	msg_info("reload: cached verdicts decided again with the new rules");
}

/* redecide_all - mark evaluated verdicts stale and start deciding them. */
static void redecide_all(struct daemon *d)
{
	size_t i, n = 0;

	for (i = 0; i < cache_count(d->cache); i++) {
		struct cache_entry *e = cache_at(d->cache, i);

		if (e->origin == ORIGIN_MANUAL)
			continue;
		e->flags |= CACHE_STALE;
		n++;
	}
	d->redecide_pos = 0;
	msg_info("reload: client rules changed: deciding %zu cached verdicts "
		 "again", n);
	if (!d->redeciding && n) {
		d->redeciding = true;
		evloop_timer(d->loop, 0, redecide_tick, d);
	}
}

/* ------------------------------------------------------------------ */
/* Observe mode and the circuit breaker.                               */

/* daemon_apply_observe - tell the kernel whether to drop or only count. */
static void daemon_apply_observe(struct daemon *d)
{
	bool on = d->observe_cfg || d->breaker;

	if (on == d->observe_applied)
		return;
	d->observe_applied = on;
	if (backend_observe(d->backend, on) < 0)
		msg_warn("backend %s: switching observe mode %s: %s",
			 backend_name(d->backend), on ? "on" : "off",
			 backend_error(d->backend));
	/* pf empties its table while observing: fill it again after. */
	if (!on && d->backend->ops == &backend_pf_ops)
		kernel_sync(d, "observe mode off");
	msg_info("kernel: %s", on ? "observe mode: nothing is dropped, "
		 "would-drops are counted" : "enforce mode: blocked clients "
		 "are dropped");
}

/* breaker_cb - the engine logged BREAKER; the kernel follows it. */
static void breaker_cb(bool on, const char *why, void *arg)
{
	struct daemon *d = arg;

	if (on == d->breaker)
		return;
	d->breaker = on;
	daemon_apply_observe(d);
}

/* ------------------------------------------------------------------ */
/* Reload.                                                             */

static uint64_t fp_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

/* fp_tables - mix in the contents of each table file of a TABLES value. */
static uint64_t fp_tables(uint64_t h, const struct config_tables *t)
{
	char buf[8192];
	const char *path;
	ssize_t r;
	int i, fd;

	for (i = 0; i < t->spec.n; i++) {
		path = strchr(t->spec.v[i], ':');
		h = fp_mix(h, t->spec.v[i], strlen(t->spec.v[i]) + 1);
		if (!path || path[1] != '/')
			continue;
		fd = open(path + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			h = fp_mix(h, buf, (size_t)r);
		close(fd);
	}
	return h;
}

/*
 * rules_fingerprint - a hash of everything that decides about a client
 * before the policy service: rule parameters and their tables' text.
 */
static uint64_t rules_fingerprint(const struct mx_config *cfg)
{
	static const int params[] = {
		CONF_P_mynetworks, CONF_P_dnsbl_sites, CONF_P_rhsbl_sites,
		CONF_P_dnsbl_threshold, CONF_P_dnsbl_allowlist_threshold,
		CONF_P_block_ttl, CONF_P_allow_ttl,
	};
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const char *raw = cfg->raw[params[i]];

		if (!raw)
			raw = "";

		h = fp_mix(h, raw, strlen(raw) + 1);
	}
	h = fp_tables(h, &cfg->client_access);
	h = fp_tables(h, &cfg->client_checks);
	h = fp_tables(h, &cfg->reverse_client_checks);
	return h;
}

/* first_problem - the first warning config_load gives, for the reply. */
static char reload_problem[512];

static void reload_sink(enum log_sev sev, const char *line)
{
	const char *text = line;

	if (!reload_problem[0] && sev >= LOG_SEV_WARN) {
		if (strncmp(text, "warning: ", 9) == 0)
			text += 9;
		snprintf(reload_problem, sizeof(reload_problem), "%s", text);
	}
	log_set_sink(NULL);
	if (sev >= LOG_SEV_WARN)
		msg_warn("%s", strncmp(line, "warning: ", 9) == 0 ? line + 9 :
								     line);
	else
		msg_info("%s", line);
	log_set_sink(reload_sink);
}

/* retire_cfg - keep old until evaluations started with it have ended. */
static void retire_free(void *arg)
{
	struct daemon *d = arg;
	struct retired *r = d->retired;

	if (!r)
		return;
	/* Oldest last: free the tail. */
	if (!r->next) {
		d->retired = NULL;
	} else {
		struct retired *prev = r;

		while (prev->next->next)
			prev = prev->next;
		r = prev->next;
		prev->next = NULL;
	}
	config_free(r->cfg);
	free(r);
}

static void retire_cfg(struct daemon *d, struct mx_config *old)
{
	struct retired *r = malloc(sizeof(*r));

	if (!r)
		return; /* leak it rather than free it while in use */
	r->cfg = old;
	r->next = d->retired;
	d->retired = r;
	evloop_timer(d->loop, RETIRE_MS, retire_free, d);
}

int daemon_reload(struct daemon *d, char *msg, size_t msglen)
{
	struct mx_config *cfg, *old = d->cfg;
	char q[LOG_QUOTE_BUFSZ];
	uint64_t fp;
	bool observe;

	notify_send("RELOADING=1");
	d->last_reload = time(NULL);
	reload_problem[0] = '\0';
	log_set_sink(reload_sink);
	cfg = config_load(d->config_path, CONFIG_OPEN_TABLES |
					  CONFIG_FOR_RELOAD);
	log_set_sink(NULL);
	if (cfg && eval_reconfigure(d->eval, cfg) < 0) {
		snprintf(reload_problem, sizeof(reload_problem),
			 "the verdict engine refused the new configuration");
		config_free(cfg);
		cfg = NULL;
	}
	if (!cfg) {
		d->last_reload_ok = false;
		log_event("RELOAD", "failed file=%s problem=\"%s\" "
			  "action=keeping-old-configuration", d->config_path,
			  log_quote(q, sizeof(q), reload_problem[0] ?
				    reload_problem : "unreadable", (size_t)-1));
		snprintf(msg, msglen, "%s: keeping the old configuration",
			 reload_problem[0] ? reload_problem : d->config_path);
		notify_send("READY=1");
		return -1;
	}
	if (strcmp(cfg->backend, old->backend) != 0 ||
	    strcmp(cfg->pin_path, old->pin_path) != 0 ||
	    strcmp(cfg->user, old->user) != 0 ||
	    strcmp(cfg->raw[CONF_P_interfaces] ? cfg->raw[CONF_P_interfaces] :
		   "", old->raw[CONF_P_interfaces] ?
		   old->raw[CONF_P_interfaces] : "") != 0 ||
	    memcmp(&cfg->smtp_ports, &old->smtp_ports,
		   sizeof(cfg->smtp_ports)) != 0 ||
	    strcmp(cfg->attach_mode, old->attach_mode) != 0)
		msg_warn("%s: backend, interfaces, attach_mode, smtp_ports, "
			 "pin_path and user change only at a restart: still "
			 "using the old ones", d->config_path);
	d->cfg = cfg;
	retire_cfg(d, old);
	if (d->policy)
		policy_reconfigure(d->policy, cfg);
	observe = strcmp(cfg->mode, "observe") == 0;
	if (observe != d->observe_cfg) {
		d->observe_cfg = observe;
		daemon_apply_observe(d);
	}
	fp = rules_fingerprint(cfg);
	if (fp != d->rules_fp) {
		d->rules_fp = fp;
		redecide_all(d);
	}
	d->last_reload_ok = true;
	log_event("RELOAD", "ok file=%s mode=%s", d->config_path, cfg->mode);
	snprintf(msg, msglen, "ok");
	notify_send("READY=1");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Signals, observers, start and stop.                                 */

static void signal_ready(int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	char msg[600];

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			daemon_reload(d, msg, sizeof(msg));
			break;
		case SIGUSR1:
			if (daemon_snapshot_now(d) == 0)
				msg_info("snapshot %s: written on SIGUSR1",
					 d->cfg->state_file);
			break;
		case SIGTERM:
		case SIGINT:
			msg_info("stopping on signal %s",
				 si.ssi_signo == SIGTERM ? "TERM" : "INT");
			daemon_stop(d);
			break;
		}
	}
}

static void ring_event(const struct mx_addr *a, void *arg)
{
	daemon_observe(arg, a);
}

static void ring_ready(int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;

	if (backend_events(d->backend, ring_event, d) < 0)
		msg_warn("backend %s: reading new-client events: %s",
			 backend_name(d->backend), backend_error(d->backend));
}

/* restore_merge - take verdicts the kernel holds but the cache lacks. */
static int restore_merge(const struct backend_item *it, void *arg)
{
	struct daemon *d = arg;
	struct cache_entry *e;
	char reason[64];
	bool created;

	if (it->expires == 0 && it->kreason != MX_REASON_MANUAL)
		return 0; /* pf tables carry no expiry: the snapshot decides */
	if (it->expires && it->expires <= wall_now())
		return 0;
	if (cache_find(d->cache, &it->addr))
		return 0;
	e = cache_put(d->cache, &it->addr, &created);
	if (!e)
		return 1;
	e->action = it->action;
	e->kreason = it->kreason;
	e->origin = (uint8_t)origin_of(it->kreason);
	e->expires = it->expires;
	e->decided = wall_now();
	snprintf(reason, sizeof(reason), "reason=%s restored=kernel",
		 verdict_reason_name(it->kreason));
	cache_set_reason(d->cache, e, reason);
	return 0;
}

/*
 * daemon_restore - snapshot and kernel table into the cache, then the
 * cache into the kernel in one replace. Runs before readiness.
 */
static void daemon_restore(struct daemon *d)
{
	const char *path = d->cfg->state_file;
	double t0 = mono_ms(), t1;
	size_t before;
	long n = 0;

	if (*path) {
		n = snapshot_read(d->cache, path, wall_now());
		if (n < 0)
			msg_warn("snapshot %s: cannot read: %s: starting with "
				 "what the kernel holds", path,
				 strerror(errno));
	}
	for (size_t i = 0; i < cache_count(d->cache); i++) {
		struct cache_entry *e = cache_at(d->cache, i);

		if (e->kreason == 0)
			e->kreason = e->origin == ORIGIN_MANUAL ?
				MX_REASON_MANUAL : e->origin == ORIGIN_DNSBL ?
				MX_REASON_DNSBL : e->origin == ORIGIN_RULE ?
				MX_REASON_RULE : MX_REASON_SNAPSHOT;
	}
	before = cache_count(d->cache);
	t1 = mono_ms();
	backend_list(d->backend, restore_merge, d);
	msg_info("restored %ld verdicts from %s (%.2f s) and %zu from the "
		 "kernel table (%.2f s)", n > 0 ? n : 0,
		 *path ? path : "(no state_file)", (t1 - t0) / 1000.0,
		 cache_count(d->cache) - before, (mono_ms() - t1) / 1000.0);
	t1 = mono_ms();
	kernel_sync(d, "start-up restore");
	msg_debug(1, "start-up restore: kernel updated in %.2f s",
		  (mono_ms() - t1) / 1000.0);
}

struct daemon *daemon_create(struct mx_config *cfg, const char *config_path,
			     char *err, size_t errlen)
{
	struct daemon *d = calloc(1, sizeof(*d));
	char eerr[256];

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->sigfd = -1;
	d->cfg = cfg;
	d->config_path = strdup(config_path);
	d->loop = evloop_create();
	d->cache = cache_create();
	if (!d->config_path || !d->loop || !d->cache) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->started = time(NULL);
	d->last_reload_ok = true;
	d->observe_cfg = strcmp(cfg->mode, "observe") == 0;
	d->observe_applied = false; /* backends open in enforce mode */
	d->rules_fp = rules_fingerprint(cfg);

	d->backend = backend_open(cfg, err, errlen);
	if (!d->backend)
		goto fail;
	daemon_apply_observe(d);
	daemon_restore(d);

	d->eval = eval_create(d->loop, cfg, eerr, sizeof(eerr));
	if (!d->eval) {
		snprintf(err, errlen, "verdict engine: %s", eerr);
		goto fail;
	}
	eval_set_breaker_cb(d->eval, breaker_cb, d);
	return d;
fail:
	d->cfg = NULL; /* the caller still owns cfg on failure */
	daemon_free(d);
	return NULL;
}

int daemon_start(struct daemon *d, char *err, size_t errlen)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0 ||
	    evloop_add_fd(d->loop, d->sigfd, EV_READ, signal_ready, d) < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	fd = backend_event_fd(d->backend);
	if (fd >= 0 && evloop_add_fd(d->loop, fd, EV_READ, ring_ready, d) < 0) {
		snprintf(err, errlen, "watching the event ring: %s",
			 strerror(errno));
		return -1;
	}
	evloop_add_prepare(d->loop, daemon_prepare, d);
	evloop_timer(d->loop, SWEEP_MS, sweep_tick, d);
	evloop_timer(d->loop, (uint64_t)d->cfg->snapshot_interval * 1000,
		     snapshot_tick, d);
	return 0;
}

void daemon_stop(struct daemon *d)
{
	evloop_stop(d->loop);
}

struct backend *daemon_backend(struct daemon *d)
{
	return d->backend;
}

void daemon_free(struct daemon *d)
{
	struct retired *r;
	struct pending *p;
	struct waiter *w;
	unsigned b;

	if (!d)
		return;
	if (d->eval)
		eval_free(d->eval);
	for (b = 0; b < PENDING_BUCKETS; b++)
		while ((p = d->pend[b])) {
			d->pend[b] = p->next;
			while ((w = p->waiters)) {
				p->waiters = w->next;
				free(w);
			}
			free(p);
		}
	if (d->backend && d->cache && d->cfg) {
		kernel_flush(d);
		daemon_snapshot_now(d);
	}
	backend_close(d->backend);
	cache_free(d->cache);
	if (d->sigfd >= 0)
		close(d->sigfd);
	evloop_free(d->loop);
	while ((r = d->retired)) {
		d->retired = r->next;
		config_free(r->cfg);
		free(r);
	}
	config_free(d->cfg);
	free(d->adds);
	free(d->config_path);
	free(d);
}
