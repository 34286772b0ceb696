/*
 * eval.c - the verdict engine (see eval.h for the contract).
 *
 * One "job" per address being evaluated; requests for an address already
 * in flight join its job (a hash of jobs by address). A job runs the
 * static checks at once, then sends the PTR query and every address
 * list's query together; the forward confirmation follows the PTR
 * answer, the client tables follow the names, the RHSBL queries follow
 * the verified name, and a TXT query follows each listing. When nothing
 * is outstanding (or the deadline passes) the answers are scored
 * (dnsbl.c), the circuit breaker counts the verdict (breaker.c), and
 * every waiting request gets it.
 *
 * A job someone waits for now (EVAL_URGENT: a policy request started or
 * joined it) sends every query to the head part of the resolver queue;
 * a background job only its follow-ups, so a long queue delays it once.
 *
 * Lists are "zones" (one per domain and kind of query) with a health
 * state kept across reconfigurations; a zone is probed with its RFC 5782
 * test points at start and periodically. Jobs that finish while a zone's
 * first probe is still out wait for it, so a list that lists the world
 * cannot block anyone in the first second after a start.
 *
 * Never blocks: DNS goes through resolver.c on the event loop.
 */
#include "eval.h"
#include "access.h"
#include "breaker.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "resolver.h"
#include "str.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define EVAL_HASH_SIZE 16384 /* buckets of the in-flight table */
#define ZONE_ADDR 0          /* queried with the client address */
#define ZONE_NAME 1          /* queried with the verified client name */

/* Probe test points: positive, negative, and the IPv6 pair. */
enum { P_POS, P_NEG, P_POS6, P_NEG6, P_N };

struct zone;

/* struct pslot - one probe query of a zone (callback argument). */
struct pslot {
	struct zone *z;
	int which;
	struct res_query *h;
	struct dnsbl_answer ans;
};

/*
 * struct zone - one list zone, shared by the entries that name it.
 *   refs       list sets using it;
 *   kind       ZONE_ADDR or ZONE_NAME;
 *   state      enum dnsbl_state; v6_ok: may be asked about IPv6 clients;
 *   dead       the built-in table's row, or NULL;
 *   why        the last probe's finding;
 *   probing    probe queries out; first: the first probe is still out;
 *   timer      the next probe;
 *   checked, since   wall-clock times (last probe, state change);
 *   queries..rtt_ms_sum   client query counters (rtt in ms).
 */
struct zone {
	struct eval *ev;
	int refs;
	char *domain;
	int kind;
	int state;
	bool v6_ok;
	const struct dnsbl_dead *dead;
	char why[160];
	int probing;
	bool first;
	struct pslot p[P_N];
	struct ev_timer *timer;
	time_t checked, since;
	uint64_t queries, listed, errors, timeouts, answered;
	uint64_t rtt_ms_sum;
};

/*
 * struct listset - the lists of one configuration: entries in
 * configuration order (dnsbl_sites, then rhsbl_sites), and their zones.
 * Jobs hold a reference, so a reconfiguration never pulls lists from
 * under an evaluation in flight. Owns copies of every string.
 */
struct listset {
	int refs;
	int nentries;
	struct dnsbl_entry *entries;
	int nzones;
	struct zone **zones;
};

/* What a job's query slot asks. */
enum { Q_PTR, Q_FWD, Q_LIST, Q_TXT };

/* struct qslot - one query of a job (callback argument). */
struct qslot {
	struct job *job;
	int what;
	int zone;
	uint64_t sent_ms;
	struct res_query *h;
};

struct eval_req {
	struct eval_req *next;
	struct job *job;
	eval_done_cb done; /* NULL: cancelled during delivery */
	void *arg;
};

/*
 * struct job - one evaluation.
 *   ls            the lists it asks (a reference);
 *   client        the address, plen 32/128; addrtext: as text;
 *   reqs          requests waiting for the verdict;
 *   joinable      in the hash: later requests may join;
 *   names_done    PTR and forward confirmation are over;
 *   decided       a static or rule verdict is in action/reason/ttl/rule
 *                 (no scoring);
 *   parked        waiting for a first probe (in ev->parked);
 *   delivering    requests are being called back: cancel only marks;
 *   in_request    inside eval_request: a verdict waits for now_timer;
 *   pending       queries out;
 *   start_ns      CLOCK_BOOTTIME ns at the request;
 *   deadline      dnsbl_timeout; now_timer: delivery from the loop;
 *   ptr, name, fcrdns   the raw PTR name, the verified name ("unknown")
 *                 and enum verdict_fcrdns;
 *   ans, txt      per zone of ls: its answer and TXT text;
 *   aq, tq        per zone: the A and TXT query slots.
 */
struct job {
	struct eval *ev;
	struct job *hnext;      /* hash chain */
	struct job *jprev, *jnext; /* ev->jobs */
	struct job *prev, *next;   /* ev->parked */
	struct listset *ls;
	struct mx_addr client;
	char addrtext[ADDR_STRLEN];
	unsigned flags;
	struct eval_req *reqs;
	bool joinable, names_done, decided, parked;
	bool delivering, in_request;
	int pending;
	uint64_t start_ns;
	struct ev_timer *deadline, *now_timer;
	char ptr[VERDICT_NAME_MAX];
	char name[VERDICT_NAME_MAX];
	int fcrdns;
	struct verdict_rule rule;
	int action, reason;
	uint32_t ttl;
	struct qslot ptr_q, fwd_q;
	struct dnsbl_answer *ans;
	char (*txt)[VERDICT_TXT_MAX];
	struct qslot *aq, *tq;
};

/* A resolver replaced at a reconfiguration, freed once it is idle. */
struct retired {
	struct resolver *r;
	struct retired *next;
};

/*
 * struct eval - the engine: its configuration (not owned), resolvers,
 * current lists, jobs in flight (hashed by address for joins), jobs
 * parked for first probes, the circuit breaker, the host's own addresses
 * (never blocked) and the counters.
 */
struct eval {
	struct evloop *loop;
	const struct mx_config *cfg;
	struct resolver *res;  /* PTR and forward lookups */
	struct resolver *lres; /* lists: res, or dnsbl_servers' own */
	char res_key[1100];    /* the settings res and lres were made with */
	struct retired *retired; /* replaced resolvers still answering */
	struct ev_timer *retire_timer;
	struct listset *ls;
	struct job *hash[EVAL_HASH_SIZE];
	struct job *jobs;   /* every job, for eval_free */
	struct job *parked; /* waiting for first probes (via next/prev) */
	int first_probes;   /* zones whose first probe is out */
	struct breaker br;
	struct ev_timer *br_timer;
	void (*br_cb)(bool on, const char *why, void *arg);
	void *br_arg;
	struct mx_addr *own;
	int nown;
	struct eval_stats st;
};

static void job_score_and_finish(struct job *j);
static void job_finish(struct job *j);
static void zone_probe(void *arg);
static void on_now(void *arg);

/* ---- small helpers ---- */

static unsigned addr_hash(const struct mx_addr *a)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return (h ^ a->family) % EVAL_HASH_SIZE;
}

static bool same_addr(const struct mx_addr *a, const struct mx_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* load_own_addresses - the host's addresses (never blocked). */
static void load_own_addresses(struct eval *ev)
{
	struct ifaddrs *ifa = NULL, *p;
	int n = 0;

	free(ev->own);
	ev->own = NULL;
	ev->nown = 0;
	if (getifaddrs(&ifa) < 0)
		return;
	for (p = ifa; p; p = p->ifa_next)
		n++;
	ev->own = calloc((size_t)n + 1, sizeof(*ev->own));
	for (p = ifa; p && ev->own; p = p->ifa_next) {
		struct mx_addr *a = &ev->own[ev->nown];

		if (!p->ifa_addr)
			continue;
		memset(a, 0, sizeof(*a));
		if (p->ifa_addr->sa_family == AF_INET) {
			a->family = AF_INET;
			a->plen = 32;
			memcpy(a->b, &((struct sockaddr_in *)p->ifa_addr)
					      ->sin_addr, 4);
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			a->family = AF_INET6;
			a->plen = 128;
			memcpy(a->b, &((struct sockaddr_in6 *)p->ifa_addr)
					      ->sin6_addr, 16);
		} else {
			continue;
		}
		ev->nown++;
	}
	freeifaddrs(ifa);
}

/* ---- zones and list sets ---- */

/* zone_find - a zone of the current list set with domain and kind. */
static struct zone *zone_find(struct eval *ev, const char *domain, int kind)
{
	int i;

	if (!ev->ls)
		return NULL;
	for (i = 0; i < ev->ls->nzones; i++) {
		struct zone *z = ev->ls->zones[i];

		if (z->kind == kind && strcmp(z->domain, domain) == 0)
			return z;
	}
	return NULL;
}

/* zone_new - a zone, quarantined at once if the built-in table says so. */
static struct zone *zone_new(struct eval *ev, const char *domain, int kind)
{
	struct zone *z = calloc(1, sizeof(*z));
	char warn[400];

	if (!z || !(z->domain = strdup(domain))) {
		free(z);
		return NULL;
	}
	z->ev = ev;
	z->kind = kind;
	z->since = time(NULL);
	z->v6_ok = true;
	z->dead = dnsbl_dead_lookup(domain);
	if (z->dead && z->dead->kind != DNSBL_REPLACED) {
		z->state = DNSBL_QUARANTINED;
		snprintf(z->why, sizeof(z->why), "%s (built-in table)",
			 z->dead->note);
		log_event("QUARANTINE", "list=%s why=\"%s\"", domain, z->why);
	} else if (z->dead) {
		msg_warn("dnsbl_sites: %s", dnsbl_dead_warning(domain, warn,
							sizeof(warn)));
	}
	return z;
}

static void zone_unref(struct zone *z)
{
	int i;

	if (--z->refs > 0)
		return;
	for (i = 0; i < P_N; i++)
		if (z->p[i].h)
			resolver_cancel(z->p[i].h);
	if (z->first)
		z->ev->first_probes--;
	if (z->timer)
		evloop_timer_cancel(z->ev->loop, z->timer);
	free(z->domain);
	free(z);
}

static void listset_unref(struct listset *ls)
{
	int i;

	if (!ls || --ls->refs > 0)
		return;
	for (i = 0; i < ls->nentries; i++) {
		free((char *)ls->entries[i].domain);
		free((char *)ls->entries[i].filter_text);
	}
	for (i = 0; i < ls->nzones; i++)
		zone_unref(ls->zones[i]);
	free(ls->entries);
	free(ls->zones);
	free(ls);
}

/* listset_add - one entry; finds or makes its zone. 0 or -1. */
static int listset_add(struct eval *ev, struct listset *ls,
		       const struct config_site *s, int zkind, char *err,
		       size_t errlen)
{
	struct dnsbl_entry *e = &ls->entries[ls->nentries];
	struct zone *z = NULL;
	int i;

	if (dnsbl_filter_parse(s->filter, &e->filter, err, errlen) < 0)
		return -1;
	e->domain = strdup(s->domain);
	e->filter_text = strdup(s->filter ? s->filter : "");
	if (!e->domain || !e->filter_text)
		return -1;
	ls->nentries++;
	e->weight = s->weight;
	e->kind = zkind == ZONE_NAME ? LIST_KIND_RHSBL
		  : s->weight < 0    ? LIST_KIND_DNSWL
				     : LIST_KIND_DNSBL;
	for (i = 0; i < ls->nzones; i++)
		if (ls->zones[i]->kind == zkind &&
		    strcmp(ls->zones[i]->domain, s->domain) == 0)
			break;
	if (i == ls->nzones) {
		z = zone_find(ev, s->domain, zkind);
		if (!z)
			z = zone_new(ev, s->domain, zkind);
		if (!z)
			return -1;
		z->refs++;
		ls->zones[ls->nzones++] = z;
	}
	e->zone = i;
	return 0;
}

/* listset_build - the lists of cfg; NULL with err on a bad filter. */
static struct listset *listset_build(struct eval *ev,
				     const struct mx_config *cfg, char *err,
				     size_t errlen)
{
	int n = cfg->dnsbl_sites.n + cfg->rhsbl_sites.n, i, rc = 0;
	struct listset *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->refs = 1;
	ls->entries = calloc((size_t)n + 1, sizeof(*ls->entries));
	ls->zones = calloc((size_t)n + 1, sizeof(*ls->zones));
	if (!ls->entries || !ls->zones) {
		listset_unref(ls);
		return NULL;
	}
	for (i = 0; i < cfg->dnsbl_sites.n && rc == 0; i++)
		rc = listset_add(ev, ls, &cfg->dnsbl_sites.v[i], ZONE_ADDR,
				 err, errlen);
	for (i = 0; i < cfg->rhsbl_sites.n && rc == 0; i++)
		rc = listset_add(ev, ls, &cfg->rhsbl_sites.v[i], ZONE_NAME,
				 err, errlen);
	if (rc < 0) {
		listset_unref(ls);
		return NULL;
	}
	return ls;
}

/* ---- health probes ---- */

/* probe_name - the query name of test point which for z. */
static void probe_name(const struct zone *z, int which, char *buf,
		       size_t len)
{
	/* ::FFFF:7F00:x reversed, less its last nibble x. */
	static const char v6_prefix[] = "0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0."
					"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0";
	int last = which == P_POS || which == P_POS6 ? 2 : 1;

	if (z->kind == ZONE_NAME)
		snprintf(buf, len, "%s.%s", last == 2 ? "test" : "invalid",
			 z->domain);
	else if (which == P_POS || which == P_NEG)
		snprintf(buf, len, "%d.0.0.127.%s", last, z->domain);
	else
		snprintf(buf, len, "%d.%s.%s", last, v6_prefix, z->domain);
}

/* zone_judged - the probe is complete: new state, log, next probe. */
static void zone_judged(struct zone *z)
{
	struct eval *ev = z->ev;
	char why[160], why6[160];
	int st, old = z->state, c[P_N], i;
	long interval = ev->cfg->dnsbl_probe_interval;

	for (i = 0; i < P_N; i++)
		c[i] = dnsbl_probe_classify(&z->p[i].ans);
	if (z->kind == ZONE_NAME)
		st = dnsbl_judge(c[P_POS], c[P_NEG], "TEST", "INVALID", why,
				 sizeof(why));
	else
		st = dnsbl_judge(c[P_POS], c[P_NEG], "127.0.0.2", "127.0.0.1",
				 why, sizeof(why));
	if (z->kind == ZONE_ADDR)
		z->v6_ok = dnsbl_judge(c[P_POS6], c[P_NEG6], "::FFFF:7F00:2",
				       "::FFFF:7F00:1", why6,
				       sizeof(why6)) == DNSBL_OK;
	z->checked = time(NULL);
	str_copy(z->why, sizeof(z->why), why);
	z->state = st;
	if (st != old) {
		z->since = z->checked;
		if (st == DNSBL_QUARANTINED)
			log_event("QUARANTINE", "list=%s why=\"%s\"", z->domain,
				  why);
		else if (old == DNSBL_QUARANTINED)
			log_event("UNQUARANTINE", "list=%s why=\"%s\"",
				  z->domain, why);
		else
			msg_info("dnsbl list %s: healthy: %s%s", z->domain, why,
				 z->kind == ZONE_ADDR && !z->v6_ok
					 ? "; not used for IPv6 clients"
					 : "");
	}
	if (st == DNSBL_QUARANTINED)
		interval = interval / 10 > 10 ? interval / 10 : 10;
	z->timer = evloop_timer(ev->loop, (uint64_t)interval * 1000,
				zone_probe, z);
}

/* resume_parked - finish the jobs that waited for first probes. */
static void resume_parked(struct eval *ev)
{
	while (ev->first_probes == 0 && ev->parked) {
		struct job *j = ev->parked;

		ev->parked = j->next;
		j->next = j->prev = NULL;
		j->parked = false;
		job_score_and_finish(j);
	}
}

/* on_probe_answer - one test point answered. */
static void on_probe_answer(void *arg, const struct res_rrset *rr)
{
	struct pslot *ps = arg;
	struct zone *z = ps->z;
	struct eval *ev = z->ev;
	int i;

	ps->h = NULL;
	memset(&ps->ans, 0, sizeof(ps->ans));
	switch (rr->status) {
	case RES_OK:
		ps->ans.state = DNSBL_ANS_RECORDS;
		for (i = 0; i < rr->n && i < DNSBL_REPLIES_MAX; i++)
			memcpy(ps->ans.replies[ps->ans.nreplies++],
			       rr->addr[i], 4);
		break;
	case RES_NXDOMAIN:
	case RES_NODATA:
		ps->ans.state = DNSBL_ANS_NONE;
		break;
	case RES_TIMEOUT:
		ps->ans.state = DNSBL_ANS_TIMEOUT;
		break;
	default:
		ps->ans.state = DNSBL_ANS_ERROR;
	}
	if (--z->probing > 0)
		return;
	zone_judged(z);
	if (z->first) {
		z->first = false;
		ev->first_probes--;
		resume_parked(ev);
	}
}

/* zone_probe - ask z its test points (timer callback and at start). */
static void zone_probe(void *arg)
{
	struct zone *z = arg;
	char name[300];
	int i, n = z->kind == ZONE_ADDR ? P_N : 2;

	z->timer = NULL;
	if (z->probing)
		return;
	for (i = 0; i < P_N; i++) {
		memset(&z->p[i], 0, sizeof(z->p[i]));
		z->p[i].z = z;
		z->p[i].which = i;
		z->p[i].ans.state = DNSBL_ANS_TIMEOUT;
	}
	for (i = 0; i < n; i++) {
		probe_name(z, i, name, sizeof(name));
		z->p[i].h = resolver_query(z->ev->lres, name, RES_T_A,
					   RES_Q_FIRST, on_probe_answer,
					   &z->p[i]);
		if (z->p[i].h)
			z->probing++;
	}
	if (z->probing == 0)
		z->timer = evloop_timer(z->ev->loop, 10000, zone_probe, z);
}

/* start_probes - probe the zones of ls that are not probed yet. */
static void start_probes(struct eval *ev, struct listset *ls)
{
	int i;

	for (i = 0; i < ls->nzones; i++) {
		struct zone *z = ls->zones[i];

		if (z->state == DNSBL_QUARANTINED && z->dead)
			continue;
		if (z->checked || z->probing || z->timer)
			continue;
		z->first = true;
		ev->first_probes++;
		zone_probe(z);
		if (!z->probing) {
			z->first = false;
			ev->first_probes--;
		}
	}
}

/* reprobe - probe ls's zones again now (their servers changed). */
static void reprobe(struct listset *ls)
{
	int i;

	for (i = 0; i < ls->nzones; i++) {
		struct zone *z = ls->zones[i];
		bool dead = z->dead && z->dead->kind != DNSBL_REPLACED;

		if (z->probing || !z->checked || dead)
			continue;
		if (z->timer)
			evloop_timer_cancel(z->ev->loop, z->timer);
		z->timer = NULL;
		zone_probe(z);
	}
}

/* ---- jobs ---- */

/* job_unlink - out of the hash (no more joins). */
static void job_unlink(struct job *j)
{
	struct job **pp;

	if (!j->joinable)
		return;
	for (pp = &j->ev->hash[addr_hash(&j->client)]; *pp;
	     pp = &(*pp)->hnext)
		if (*pp == j) {
			*pp = j->hnext;
			break;
		}
	j->joinable = false;
}

/* job_cancel_queries - drop every outstanding query of j. */
static void job_cancel_queries(struct job *j)
{
	int i, n = j->ls->nzones;

	if (j->ptr_q.h)
		resolver_cancel(j->ptr_q.h);
	if (j->fwd_q.h)
		resolver_cancel(j->fwd_q.h);
	j->ptr_q.h = j->fwd_q.h = NULL;
	for (i = 0; i < n; i++) {
		if (j->aq[i].h)
			resolver_cancel(j->aq[i].h);
		if (j->tq[i].h)
			resolver_cancel(j->tq[i].h);
		j->aq[i].h = j->tq[i].h = NULL;
	}
	j->pending = 0;
}

/* unpark - take j out of the parked list. */
static void unpark(struct job *j)
{
	if (!j->parked)
		return;
	if (j->prev)
		j->prev->next = j->next;
	else
		j->ev->parked = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;
	j->parked = false;
}

/* job_free - everything of j, requests included (no callbacks). */
static void job_free(struct job *j)
{
	struct eval *ev = j->ev;
	struct eval_req *r;

	job_unlink(j);
	job_cancel_queries(j);
	unpark(j);
	if (j->deadline)
		evloop_timer_cancel(ev->loop, j->deadline);
	if (j->now_timer)
		evloop_timer_cancel(ev->loop, j->now_timer);
	if (j->jprev)
		j->jprev->jnext = j->jnext;
	else
		ev->jobs = j->jnext;
	if (j->jnext)
		j->jnext->jprev = j->jprev;
	while ((r = j->reqs)) {
		j->reqs = r->next;
		free(r);
	}
	listset_unref(j->ls);
	ev->st.in_flight--;
	free(j->ans);
	free(j->txt);
	free(j->aq);
	free(j->tq);
	free(j);
}

/* query - send one query for j in slot s. */
static void query(struct job *j, struct qslot *s, int what, int zone,
		  const char *name, int type, res_cb cb)
{
	struct resolver *r = what == Q_LIST || what == Q_TXT ? j->ev->lres
							      : j->ev->res;
	/* Follow-ups (forward, TXT, name lists) and urgent jobs jump the
	 * queue. */
	unsigned flags = what == Q_FWD || what == Q_TXT ||
					 (what == Q_LIST && j->names_done) ||
					 (j->flags & EVAL_URGENT)
				 ? RES_Q_FIRST
				 : 0;

	s->job = j;
	s->what = what;
	s->zone = zone;
	s->sent_ms = evloop_now_ms(j->ev->loop);
	s->h = resolver_query(r, name, type, flags, cb, s);
	j->ev->st.queries++;
	if (s->h)
		j->pending++;
}

/* rule_decide - an access(5) action as a verdict; false: go on. */
static bool rule_decide(struct job *j, const struct access_result *res,
			const char *key, int reason)
{
	const struct mx_config *cfg = j->ev->cfg;
	const struct access_action *a = &res->action;

	switch (a->kind) {
	case ACCESS_OK:
	case ACCESS_NUMERIC:
		j->action = VERDICT_ALLOW;
		j->ttl = (uint32_t)cfg->allow_ttl;
		break;
	case ACCESS_REJECT:
	case ACCESS_DISCARD:
		j->action = VERDICT_BLOCK;
		j->ttl = (uint32_t)cfg->block_ttl;
		break;
	case ACCESS_CODE:
		if (a->code < 500)
			return false;
		j->action = VERDICT_BLOCK;
		j->ttl = (uint32_t)cfg->block_ttl;
		break;
	default:
		return false;
	}
	j->reason = reason;
	j->decided = true;
	str_copy(j->rule.table, sizeof(j->rule.table), res->table);
	j->rule.line = res->line;
	str_copy(j->rule.key, sizeof(j->rule.key), key);
	str_copy(j->rule.text, sizeof(j->rule.text), res->rule);
	str_copy(j->rule.result, sizeof(j->rule.result), a->orig);
	return true;
}

/* check_tables - tables x keys; true when a rule decided. */
static bool check_tables(struct job *j, const struct config_tables *t,
			 const char *first_key, int reason)
{
	const char *keys[2] = { first_key, j->addrtext };
	struct access_result res;

	if (!t->tl || t->tl->n == 0)
		return false;
	if (access_check(t->tl, keys, 2, &res) != 1)
		return false;
	return rule_decide(j, &res, keys[res.key], reason);
}

/* static_decide - mynetworks, loopback, own addresses, client_access. */
static bool static_decide(struct job *j)
{
	const struct mx_config *cfg = j->ev->cfg;
	struct eval *ev = j->ev;
	char pbuf[ADDR_STRLEN];
	const char *what = NULL;
	int i;

	if (addr_is_loopback(&j->client))
		what = "loopback";
	for (i = 0; !what && i < cfg->mynetworks.n; i++)
		if (cfg->mynetworks.v[i].family == j->client.family &&
		    addr_in_prefix(&j->client, &cfg->mynetworks.v[i]))
			what = addr_format(&cfg->mynetworks.v[i], pbuf,
					   sizeof(pbuf));
	for (i = 0; !what && i < ev->nown; i++)
		if (same_addr(&ev->own[i], &j->client))
			what = "own address";
	if (what) {
		j->action = VERDICT_ALLOW;
		j->reason = MX_REASON_STATIC;
		j->ttl = (uint32_t)cfg->allow_ttl;
		j->decided = true;
		str_copy(j->rule.table, sizeof(j->rule.table),
			 strcmp(what, "loopback") == 0 ||
					 strcmp(what, "own address") == 0
				 ? what
				 : "mynetworks");
		str_copy(j->rule.key, sizeof(j->rule.key), j->addrtext);
		str_copy(j->rule.text, sizeof(j->rule.text), what);
		str_copy(j->rule.result, sizeof(j->rule.result), "OK");
		return true;
	}
	return check_tables(j, &cfg->client_access, NULL, MX_REASON_PREFIX);
}

/* check_done - score when nothing is outstanding. */
static void check_done(struct job *j)
{
	if (j->pending == 0 && j->names_done)
		job_score_and_finish(j);
}

static void on_list_answer(void *arg, const struct res_rrset *rr);

/* start_rhsbl - name lists, once the verified name is known. */
static void start_rhsbl(struct job *j)
{
	struct listset *ls = j->ls;
	char qname[600];
	int i;

	for (i = 0; i < ls->nzones; i++) {
		struct zone *z = ls->zones[i];

		if (z->kind != ZONE_NAME)
			continue;
		if (z->state == DNSBL_QUARANTINED) {
			j->ans[i].state = DNSBL_ANS_QUARANTINED;
			continue;
		}
		if (j->fcrdns != FCRDNS_OK) {
			j->ans[i].state = DNSBL_ANS_SKIPPED;
			continue;
		}
		snprintf(qname, sizeof(qname), "%s.%s", j->name, z->domain);
		z->queries++;
		query(j, &j->aq[i], Q_LIST, i, qname, RES_T_A, on_list_answer);
		if (!j->aq[i].h)
			j->ans[i].state = DNSBL_ANS_ERROR;
	}
}

/* names_done - PTR/FCrDNS over: client tables, then name lists. */
static void names_done(struct job *j)
{
	const struct mx_config *cfg = j->ev->cfg;
	const char *name = j->fcrdns == FCRDNS_TEMPFAIL ? NULL : j->name;
	const char *ptr = j->fcrdns == FCRDNS_TEMPFAIL && !j->ptr[0]
				  ? NULL
				  : j->ptr[0] ? j->ptr : "unknown";

	j->names_done = true;
	if (check_tables(j, &cfg->client_checks, name, MX_REASON_RULE) ||
	    check_tables(j, &cfg->reverse_client_checks, ptr,
			 MX_REASON_RULE)) {
		job_cancel_queries(j);
		job_finish(j);
		return;
	}
	start_rhsbl(j);
	check_done(j);
}

/* on_fwd_answer - forward confirmation of the PTR name. */
static void on_fwd_answer(void *arg, const struct res_rrset *rr)
{
	struct qslot *s = arg;
	struct job *j = s->job;
	int i, len = j->client.family == AF_INET ? 4 : 16;

	s->h = NULL;
	j->pending--;
	if (rr->status == RES_OK) {
		j->fcrdns = FCRDNS_MISMATCH;
		for (i = 0; i < rr->n; i++)
			if (memcmp(rr->addr[i], j->client.b, (size_t)len) == 0)
				j->fcrdns = FCRDNS_OK;
	} else if (rr->status == RES_NXDOMAIN || rr->status == RES_NODATA) {
		j->fcrdns = FCRDNS_MISMATCH;
	} else {
		j->fcrdns = FCRDNS_TEMPFAIL;
	}
	if (j->fcrdns == FCRDNS_OK)
		str_copy(j->name, sizeof(j->name), j->ptr);
	names_done(j);
}

/* on_ptr_answer - the raw PTR name; then the forward lookup. */
static void on_ptr_answer(void *arg, const struct res_rrset *rr)
{
	struct qslot *s = arg;
	struct job *j = s->job;

	s->h = NULL;
	j->pending--;
	if (rr->status == RES_OK && rr->text[0]) {
		str_copy(j->ptr, sizeof(j->ptr), rr->text);
		query(j, &j->fwd_q, Q_FWD, -1, j->ptr,
		      j->client.family == AF_INET ? RES_T_A : RES_T_AAAA,
		      on_fwd_answer);
		if (j->fwd_q.h)
			return;
		j->fcrdns = FCRDNS_TEMPFAIL;
	} else if (rr->status == RES_NXDOMAIN || rr->status == RES_NODATA) {
		j->fcrdns = FCRDNS_NO_PTR;
	} else {
		j->fcrdns = FCRDNS_TEMPFAIL;
	}
	names_done(j);
}

/* on_txt_answer - the human reason of a listing. */
static void on_txt_answer(void *arg, const struct res_rrset *rr)
{
	struct qslot *s = arg;
	struct job *j = s->job;

	s->h = NULL;
	j->pending--;
	if (rr->status == RES_OK) {
		str_copy(j->txt[s->zone], VERDICT_TXT_MAX, rr->text);
		j->ans[s->zone].txt = j->txt[s->zone];
	}
	check_done(j);
}

/* on_list_answer - one list's A records for the client. */
static void on_list_answer(void *arg, const struct res_rrset *rr)
{
	struct qslot *s = arg;
	struct job *j = s->job;
	struct dnsbl_answer *a = &j->ans[s->zone];
	struct zone *z = j->ls->zones[s->zone];
	char qname[600];
	int i;

	s->h = NULL;
	j->pending--;
	a->ttl = rr->ttl;
	switch (rr->status) {
	case RES_OK:
		a->state = DNSBL_ANS_RECORDS;
		for (i = 0; i < rr->n && i < DNSBL_REPLIES_MAX; i++)
			memcpy(a->replies[a->nreplies++], rr->addr[i], 4);
		break;
	case RES_NXDOMAIN:
	case RES_NODATA:
		a->state = DNSBL_ANS_NONE;
		break;
	case RES_TIMEOUT:
		a->state = DNSBL_ANS_TIMEOUT;
		z->timeouts++;
		j->ev->st.timeouts++;
		break;
	default:
		a->state = DNSBL_ANS_ERROR;
		z->errors++;
	}
	if (a->state == DNSBL_ANS_RECORDS || a->state == DNSBL_ANS_NONE) {
		z->answered++;
		z->rtt_ms_sum += evloop_now_ms(j->ev->loop) - s->sent_ms;
	}
	if (dnsbl_zone_listed(j->ls->entries, j->ls->nentries, s->zone, a)) {
		z->listed++;
		if (z->kind == ZONE_NAME)
			snprintf(qname, sizeof(qname), "%s.%s", j->name,
				 z->domain);
		else
			addr_reverse(&j->client, z->domain, qname,
				     sizeof(qname));
		query(j, &j->tq[s->zone], Q_TXT, s->zone, qname, RES_T_TXT,
		      on_txt_answer);
	}
	check_done(j);
}

/* start_lists - every address list's query, at once. */
static void start_lists(struct job *j)
{
	struct listset *ls = j->ls;
	char qname[600];
	int i;

	for (i = 0; i < ls->nzones; i++) {
		struct zone *z = ls->zones[i];

		if (z->kind != ZONE_ADDR)
			continue;
		if (z->state == DNSBL_QUARANTINED) {
			j->ans[i].state = DNSBL_ANS_QUARANTINED;
			continue;
		}
		if (j->client.family == AF_INET6 && !z->v6_ok) {
			j->ans[i].state = DNSBL_ANS_SKIPPED;
			continue;
		}
		if (addr_reverse(&j->client, z->domain, qname,
				 sizeof(qname)) < 0) {
			j->ans[i].state = DNSBL_ANS_ERROR;
			continue;
		}
		z->queries++;
		query(j, &j->aq[i], Q_LIST, i, qname, RES_T_A, on_list_answer);
		if (!j->aq[i].h)
			j->ans[i].state = DNSBL_ANS_ERROR;
	}
}

/* on_deadline - dnsbl_timeout passed: decide with what has come. */
static void on_deadline(void *arg)
{
	struct job *j = arg;
	const struct mx_config *cfg = j->ev->cfg;
	int i;

	j->deadline = NULL;
	for (i = 0; i < j->ls->nzones; i++)
		if (j->aq[i].h) {
			j->ans[i].state = DNSBL_ANS_TIMEOUT;
			j->ls->zones[i]->timeouts++;
			j->ev->st.timeouts++;
		}
	job_cancel_queries(j);
	unpark(j);
	if (!j->names_done) {
		/* The names never came: the address alone meets the tables. */
		j->fcrdns = FCRDNS_TEMPFAIL;
		j->names_done = true;
		if (!check_tables(j, &cfg->client_checks, NULL,
				  MX_REASON_RULE))
			check_tables(j, &cfg->reverse_client_checks,
				     j->ptr[0] ? j->ptr : NULL,
				     MX_REASON_RULE);
	}
	job_finish(j);
}

/* needs_first_probe - a zone j used is still on its first probe. */
static bool needs_first_probe(const struct job *j)
{
	int i;

	for (i = 0; i < j->ls->nzones; i++)
		if (j->ls->zones[i]->first &&
		    (j->ans[i].state == DNSBL_ANS_RECORDS))
			return true;
	return false;
}

/* job_score_and_finish - all answers in: score unless decided. */
static void job_score_and_finish(struct job *j)
{
	struct eval *ev = j->ev;

	if (!j->decided && needs_first_probe(j)) {
		j->parked = true;
		j->prev = NULL;
		j->next = ev->parked;
		if (ev->parked)
			ev->parked->prev = j;
		ev->parked = j;
		return;
	}
	job_finish(j);
}

/* fill_verdict - the verdict of j. */
static void fill_verdict(struct job *j, struct verdict *v)
{
	const struct mx_config *cfg = j->ev->cfg;
	uint32_t ttl = 0;
	int i;

	memset(v, 0, sizeof(*v));
	v->client = j->client;
	v->addr = j->client;
	if (v->addr.family == AF_INET6)
		addr_mask(&v->addr, (unsigned)cfg->ipv6_prefix);
	v->dry_run = (j->flags & EVAL_DRY_RUN) != 0;
	v->fcrdns = (uint8_t)j->fcrdns;
	str_copy(v->ptr, sizeof(v->ptr), j->ptr);
	str_copy(v->name, sizeof(v->name), j->name);
	v->rule = j->rule;
	v->tempfail = j->fcrdns == FCRDNS_TEMPFAIL;
	if (j->decided) {
		v->action = (uint8_t)j->action;
		v->reason = (uint8_t)j->reason;
		v->ttl = j->ttl;
	} else {
		for (i = 0; i < j->ls->nzones; i++) {
			struct dnsbl_answer *a = &j->ans[i];

			if (j->ls->zones[i]->state == DNSBL_QUARANTINED)
				a->state = DNSBL_ANS_QUARANTINED;
			if (a->state == DNSBL_ANS_PENDING)
				a->state = DNSBL_ANS_TIMEOUT;
			if (a->state == DNSBL_ANS_TIMEOUT ||
			    a->state == DNSBL_ANS_ERROR)
				v->tempfail = true;
			if ((a->state == DNSBL_ANS_RECORDS ||
			     a->state == DNSBL_ANS_NONE) &&
			    a->ttl && (ttl == 0 || a->ttl < ttl))
				ttl = a->ttl;
		}
		dnsbl_score(j->ls->entries, j->ls->nentries, j->ans,
			    (int)cfg->dnsbl_threshold,
			    (int)cfg->dnsbl_allowlist_threshold, v);
		v->ttl = dnsbl_clamp_ttl(v->tempfail && !v->action ? 1 : ttl,
					 cfg->dnsbl_min_ttl,
					 cfg->dnsbl_max_ttl);
	}
	v->decided_ns = verdict_boot_ns();
	v->expires_ns = v->decided_ns + (uint64_t)v->ttl * 1000000000ull;
	v->elapsed_us = (uint32_t)((v->decided_ns - j->start_ns) / 1000);
}

/* breaker_note - report a breaker change. */
static void breaker_note(struct eval *ev, int change)
{
	if (change == BREAKER_SAME)
		return;
	ev->st.breaker_on = ev->br.tripped;
	log_event("BREAKER", "state=%s why=\"%s\"",
		  ev->br.tripped ? "on" : "off", ev->br.why);
	if (ev->br_cb)
		ev->br_cb(ev->br.tripped, ev->br.why, ev->br_arg);
}

/* job_finish - verdict, breaker, log, requests; frees j. */
static void job_finish(struct job *j)
{
	struct eval *ev = j->ev;
	struct eval_req *r;
	struct verdict v;

	if (j->in_request) {
		if (!j->now_timer)
			j->now_timer = evloop_timer(ev->loop, 0, on_now, j);
		return;
	}
	fill_verdict(j, &v);
	/* Re-checks would count one knocking host again and again. */
	if (!v.dry_run && !(j->flags & EVAL_RECHECK) &&
	    v.reason != MX_REASON_STATIC && v.reason != MX_REASON_PREFIX) {
		breaker_note(ev, breaker_count(&ev->br,
					       v.action == VERDICT_BLOCK,
					       evloop_now_ms(ev->loop)));
		v.observe = ev->br.tripped;
	}
	if (v.action == VERDICT_BLOCK)
		ev->st.blocked++;
	else if (v.action == VERDICT_ALLOW)
		ev->st.allowed++;
	else
		ev->st.none++;
	if (!v.dry_run)
		verdict_log(&v);
	job_unlink(j);
	job_cancel_queries(j);
	j->delivering = true;
	while ((r = j->reqs)) {
		j->reqs = r->next;
		if (r->done)
			r->done(&v, r->arg);
		free(r);
	}
	job_free(j);
}

/* on_now - deliver a verdict decided inside eval_request. */
static void on_now(void *arg)
{
	struct job *j = arg;

	j->now_timer = NULL;
	job_finish(j);
}

/* job_new - a job with room for ls's zones. */
static struct job *job_new(struct eval *ev, const struct mx_addr *addr,
			   unsigned flags)
{
	int nz = ev->ls->nzones;
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->ans = calloc((size_t)nz + 1, sizeof(*j->ans));
	j->txt = calloc((size_t)nz + 1, sizeof(*j->txt));
	j->aq = calloc((size_t)nz + 1, sizeof(*j->aq));
	j->tq = calloc((size_t)nz + 1, sizeof(*j->tq));
	if (!j->ans || !j->txt || !j->aq || !j->tq) {
		free(j->ans);
		free(j->txt);
		free(j->aq);
		free(j->tq);
		free(j);
		return NULL;
	}
	j->ev = ev;
	j->ls = ev->ls;
	ev->ls->refs++;
	j->client = *addr;
	j->client.plen = (uint8_t)addr_bits(addr);
	addr_format(&j->client, j->addrtext, sizeof(j->addrtext));
	j->flags = flags;
	if (flags & EVAL_URGENT)
		ev->st.urgent++;
	j->start_ns = verdict_boot_ns();
	str_copy(j->name, sizeof(j->name), "unknown");
	ev->st.in_flight++;
	ev->st.evaluations++;
	return j;
}

/* job_start - static checks, then the first queries. */
static void job_start(struct job *j, const char *name_override)
{
	struct eval *ev = j->ev;
	char qname[128];

	if (static_decide(j)) {
		job_finish(j);
		return;
	}
	j->deadline = evloop_timer(ev->loop,
				   (uint64_t)ev->cfg->dnsbl_timeout * 1000,
				   on_deadline, j);
	start_lists(j);
	if (name_override) {
		/* mxwallctl test --name: the name is taken as verified. */
		str_copy(j->ptr, sizeof(j->ptr), name_override);
		str_copy(j->name, sizeof(j->name), name_override);
		j->fcrdns = FCRDNS_OK;
		names_done(j);
		return;
	}
	addr_reverse(&j->client,
		     j->client.family == AF_INET ? "in-addr.arpa" : "ip6.arpa",
		     qname, sizeof(qname));
	query(j, &j->ptr_q, Q_PTR, -1, qname, RES_T_PTR, on_ptr_answer);
	if (!j->ptr_q.h) {
		j->fcrdns = FCRDNS_TEMPFAIL;
		names_done(j);
	}
}

struct eval_req *eval_request(struct eval *ev, const struct mx_addr *addr,
			      const char *name_override, unsigned flags,
			      eval_done_cb done, void *arg)
{
	struct eval_req *r = calloc(1, sizeof(*r));
	bool joinable = !name_override && !(flags & EVAL_DRY_RUN);
	unsigned h = addr_hash(addr);
	struct job *j = NULL;

	if (!r)
		return NULL;
	r->done = done;
	r->arg = arg;
	ev->st.requests++;
	if (joinable)
		for (j = ev->hash[h]; j; j = j->hnext)
			if (same_addr(&j->client, addr))
				break;
	if (j) {
		ev->st.joined++;
		r->job = j;
		r->next = j->reqs;
		j->reqs = r;
		if (flags & EVAL_URGENT)
			eval_promote(r);
		return r;
	}
	j = job_new(ev, addr, flags);
	if (!j) {
		free(r);
		return NULL;
	}
	r->job = j;
	j->reqs = r;
	j->jnext = ev->jobs;
	if (ev->jobs)
		ev->jobs->jprev = j;
	ev->jobs = j;
	if (joinable) {
		j->joinable = true;
		j->hnext = ev->hash[h];
		ev->hash[h] = j;
	}
	/* A verdict reached in here is delivered from now_timer. */
	j->in_request = true;
	job_start(j, name_override);
	j->in_request = false;
	return r;
}

void eval_promote(struct eval_req *req)
{
	struct job *j = req->job;
	int i;

	if (j->flags & EVAL_URGENT)
		return;
	j->flags |= EVAL_URGENT;
	j->ev->st.urgent++;
	j->ev->st.promoted++;
	if (j->ptr_q.h)
		resolver_promote(j->ptr_q.h);
	if (j->fwd_q.h)
		resolver_promote(j->fwd_q.h);
	for (i = 0; i < j->ls->nzones; i++) {
		if (j->aq[i].h)
			resolver_promote(j->aq[i].h);
		if (j->tq[i].h)
			resolver_promote(j->tq[i].h);
	}
}

void eval_cancel(struct eval_req *req)
{
	struct job *j = req->job;
	struct eval_req **pp;

	if (j->delivering) {
		req->done = NULL;
		return;
	}
	for (pp = &j->reqs; *pp; pp = &(*pp)->next)
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	free(req);
	/* The job goes on without requesters: its verdict is still logged
	 * and counted, and a new request may join it. */
}

/* resolver_options - the resolver settings of cfg. */
static void resolver_options(const struct mx_config *cfg,
			     const struct config_list *list,
			     struct resolver_opts *o, char *servers,
			     size_t len)
{
	size_t off = 0;
	int i;

	servers[0] = 0;
	for (i = 0; i < list->n && off < len; i++)
		off += (size_t)snprintf(servers + off, len - off, "%s%s",
					i ? "," : "", list->v[i]);
	memset(o, 0, sizeof(*o));
	o->servers = servers;
	o->timeout_ms = (int)cfg->dns_query_timeout * 1000;
	o->tries = (int)cfg->dns_query_tries;
	o->max_inflight = (int)cfg->dns_max_inflight;
	o->rcvbuf = (int)cfg->dns_receive_buffer;
}

/* resolver_key - one string for every resolver setting of cfg. */
static void resolver_key(const struct mx_config *cfg, char *key, size_t len)
{
	size_t off;
	int i;

	off = (size_t)snprintf(key, len, "%ld/%ld/%ld/%ld;",
			       cfg->dns_query_timeout, cfg->dns_query_tries,
			       cfg->dns_max_inflight, cfg->dns_receive_buffer);
	for (i = 0; i < cfg->dns_servers.n && off < len; i++)
		off += (size_t)snprintf(key + off, len - off, "%s,",
					cfg->dns_servers.v[i]);
	for (i = 0; i < cfg->dnsbl_servers.n && off < len; i++)
		off += (size_t)snprintf(key + off, len - off, ";%s",
					cfg->dnsbl_servers.v[i]);
}

/*
 * make_resolvers - the resolvers of cfg: *res for names, *lres for lists
 * (the same one unless dnsbl_servers is set). 0, or -1 with err.
 */
static int make_resolvers(struct evloop *loop, const struct mx_config *cfg,
			  struct resolver **res, struct resolver **lres,
			  char *err, size_t errlen)
{
	struct resolver_opts ro;
	char servers[1024];

	resolver_options(cfg, &cfg->dns_servers, &ro, servers,
			 sizeof(servers));
	*res = resolver_create(loop, &ro, err, errlen);
	*lres = *res;
	if (!*res)
		return -1;
	if (cfg->dnsbl_servers.n == 0)
		return 0;
	resolver_options(cfg, &cfg->dnsbl_servers, &ro, servers,
			 sizeof(servers));
	*lres = resolver_create(loop, &ro, err, errlen);
	if (*lres)
		return 0;
	resolver_free(*res);
	*res = NULL;
	return -1;
}

/* on_retire_tick - free the replaced resolvers that went idle. */
static void on_retire_tick(void *arg)
{
	struct eval *ev = arg;
	struct retired **pp = &ev->retired, *t;

	ev->retire_timer = NULL;
	while ((t = *pp)) {
		if (!resolver_idle(t->r)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		resolver_free(t->r);
		free(t);
	}
	if (ev->retired)
		ev->retire_timer = evloop_timer(ev->loop, 1000,
						on_retire_tick, ev);
}

/* retire - r answers its queries in flight, then goes. */
static void retire(struct eval *ev, struct resolver *r)
{
	struct retired *t = calloc(1, sizeof(*t));

	if (!t) {
		/* Better a small leak than freeing under live queries. */
		msg_warn("reload: out of memory: a replaced DNS resolver "
			 "is kept");
		return;
	}
	t->r = r;
	t->next = ev->retired;
	ev->retired = t;
	if (!ev->retire_timer)
		ev->retire_timer = evloop_timer(ev->loop, 1000,
						on_retire_tick, ev);
}

/* breaker_options - the circuit breaker settings of cfg. */
static void breaker_options(const struct mx_config *cfg,
			    struct breaker_cfg *b)
{
	b->enabled = cfg->circuit_breaker;
	b->window_s = (unsigned)cfg->circuit_breaker_window;
	b->min_clients = (unsigned)cfg->circuit_breaker_min_clients;
	b->share_pct = (unsigned)cfg->circuit_breaker_share;
	b->factor = (unsigned)cfg->circuit_breaker_factor;
}

/* on_breaker_tick - close breaker windows even without traffic. */
static void on_breaker_tick(void *arg)
{
	struct eval *ev = arg;

	breaker_note(ev, breaker_tick(&ev->br, evloop_now_ms(ev->loop)));
	ev->br_timer = evloop_timer(ev->loop,
				    (uint64_t)ev->br.cfg.window_s * 1000,
				    on_breaker_tick, ev);
}

struct eval *eval_create(struct evloop *loop, const struct mx_config *cfg,
			 char *err, size_t errlen)
{
	struct eval *ev = calloc(1, sizeof(*ev));
	struct breaker_cfg bc;

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ev->loop = loop;
	ev->cfg = cfg;
	if (make_resolvers(loop, cfg, &ev->res, &ev->lres, err, errlen) < 0) {
		free(ev);
		return NULL;
	}
	resolver_key(cfg, ev->res_key, sizeof(ev->res_key));
	ev->ls = listset_build(ev, cfg, err, errlen);
	if (!ev->ls)
		goto fail;
	load_own_addresses(ev);
	breaker_options(cfg, &bc);
	breaker_init(&ev->br, &bc, evloop_now_ms(loop));
	ev->br_timer = evloop_timer(loop, (uint64_t)bc.window_s * 1000,
				    on_breaker_tick, ev);
	start_probes(ev, ev->ls);
	return ev;
fail:
	if (ev->lres != ev->res)
		resolver_free(ev->lres);
	resolver_free(ev->res);
	free(ev);
	return NULL;
}

int eval_reconfigure(struct eval *ev, const struct mx_config *cfg)
{
	const struct mx_config *old = ev->cfg;
	struct resolver *res = NULL, *lres = NULL;
	struct listset *ls;
	struct breaker_cfg bc;
	char err[256], key[sizeof(ev->res_key)];

	resolver_key(cfg, key, sizeof(key));
	if (strcmp(key, ev->res_key) != 0 &&
	    make_resolvers(ev->loop, cfg, &res, &lres, err, sizeof(err)) < 0) {
		msg_warn("%s: DNS resolver: %s: keeping the old configuration",
			 cfg->path, err);
		return -1;
	}
	ev->cfg = cfg;
	ls = listset_build(ev, cfg, err, sizeof(err));
	if (!ls) {
		ev->cfg = old;
		if (lres && lres != res)
			resolver_free(lres);
		resolver_free(res);
		msg_warn("%s: dnsbl_sites: %s: keeping the old configuration",
			 cfg->path, err);
		return -1;
	}
	if (res) {
		/* Queries in flight finish on the old resolvers. */
		if (ev->lres != ev->res)
			retire(ev, ev->lres);
		retire(ev, ev->res);
		ev->res = res;
		ev->lres = lres;
		strcpy(ev->res_key, key);
		reprobe(ls);
	}
	listset_unref(ev->ls);
	ev->ls = ls;
	load_own_addresses(ev);
	breaker_options(cfg, &bc);
	breaker_configure(&ev->br, &bc);
	start_probes(ev, ls);
	return 0;
}

void eval_free(struct eval *ev)
{
	if (!ev)
		return;
	while (ev->jobs)
		job_free(ev->jobs);
	if (ev->br_timer)
		evloop_timer_cancel(ev->loop, ev->br_timer);
	if (ev->retire_timer)
		evloop_timer_cancel(ev->loop, ev->retire_timer);
	listset_unref(ev->ls);
	while (ev->retired) {
		struct retired *t = ev->retired;

		ev->retired = t->next;
		resolver_free(t->r);
		free(t);
	}
	if (ev->lres != ev->res)
		resolver_free(ev->lres);
	resolver_free(ev->res);
	free(ev->own);
	free(ev);
}

int eval_lists(struct eval *ev,
	       void (*cb)(const struct dnsbl_health *h, void *arg), void *arg)
{
	struct listset *ls = ev->ls;
	int i;

	for (i = 0; i < ls->nentries; i++) {
		const struct dnsbl_entry *e = &ls->entries[i];
		const struct zone *z = ls->zones[e->zone];
		struct dnsbl_health h = {
			.domain = e->domain,
			.filter = e->filter_text,
			.weight = e->weight,
			.kind = e->kind,
			.state = z->state,
			.why = z->why,
			.dead_note = z->dead ? z->dead->note : NULL,
			.checked = z->checked,
			.since = z->since,
			.queries = z->queries,
			.listed = z->listed,
			.errors = z->errors,
			.timeouts = z->timeouts,
			.rtt_ms = z->answered ? (double)z->rtt_ms_sum /
							(double)z->answered
					      : 0,
		};

		cb(&h, arg);
	}
	return ls->nentries;
}

void eval_get_stats(const struct eval *ev, struct eval_stats *st)
{
	*st = ev->st;
}

void eval_set_breaker_cb(struct eval *ev,
			 void (*cb)(bool on, const char *why, void *arg),
			 void *arg)
{
	ev->br_cb = cb;
	ev->br_arg = arg;
}
