/*
 * resolver.c - c-ares 1.18 on the daemon's event loop (see resolver.h).
 *
 * One c-ares channel. Its sockets are registered with the loop through
 * ARES_OPT_SOCK_STATE_CB; a prepare hook processes expired queries and
 * returns ares_timeout(). In c-ares 1.18 ares_timeout() walks every
 * query in flight, so its answer is kept as an absolute deadline and
 * asked again only once that deadline has passed: new queries expire
 * after the ones already out, and an answer can only make the earliest
 * expiry later, so the cached deadline at worst wakes the loop early.
 * Queries beyond the in-flight bound wait in a queue of two parts, each
 * FIFO: RES_Q_FIRST queries (follow-ups of work under way and urgent
 * evaluations), then the rest. The head part ends at queue.first_tail,
 * so joining it and resolver_promote are O(1) however long the rest is.
 *
 * Why one FIFO head part, and not follow-ups pushed at the very head
 * (LIFO) as before: under a flood every answer brings a follow-up, and
 * pushed in front they would keep overtaking a policy client's queries
 * for as long as the flood lasts. In order of arrival, an urgent query
 * waits only for what is already in the head part, which is bounded:
 * background evaluations start (their first queries leave the second
 * part) only while the head part is empty. Follow-ups are not put
 * behind urgent queries either: they finish evaluations whose
 * dnsbl_timeout is already running, and there are few urgent queries.
 *
 * A query that c-ares fails at once (inside ares_query) is
 * reported from a zero-delay timer, so no callback ever runs inside
 * resolver_query().
 *
 * Answers are parsed here (resolver_parse), not with c-ares' ares_parse_*
 * helpers, because the evaluator needs TTLs of every type and the SOA
 * negative TTL of NXDOMAIN answers, which those helpers do not give.
 */
#include "resolver.h"
#include "evloop.h"
#include "log.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { Q_QUEUED, Q_SENT, Q_FAILED };

/*
 * struct res_query - one query.
 *   prev, next  links in the wait queue (Q_QUEUED) or failed list;
 *   state       Q_QUEUED, Q_SENT (owned by c-ares until its callback),
 *               Q_FAILED (c-ares refused it; reported by a timer);
 *   first       waits in the queue's head part (RES_Q_FIRST);
 *   in_send     inside ares_query(): a callback now is a synchronous
 *               failure;
 *   cb          NULL once cancelled.
 */
struct res_query {
	struct resolver *r;
	struct res_query *prev, *next;
	res_cb cb;
	void *arg;
	int type;
	int state;
	bool first;
	bool in_send;
	char name[256];
};

/*
 * struct res_list - a FIFO of queries; the wait queue also has a head
 * part ending at first_tail (NULL: empty). The failed list never has
 * one.
 */
struct res_list {
	struct res_query *head, *tail;
	struct res_query *first_tail;
	uint64_t n;
};

/*
 * struct resolver - the channel and its bookkeeping.
 *   limit     max queries in flight: max_inflight (c-ares sends to the
 *             first server and moves on only when it fails, so one
 *             server carries them all);
 *   queue     queries waiting for a slot;
 *   failed    queries c-ares refused, waiting for fail_timer;
 */
struct resolver {
	struct evloop *loop;
	ares_channel ch;
	int rcvbuf;
	uint64_t limit;
	struct res_list queue;
	struct res_list failed;
	struct ev_timer *fail_timer;
	struct resolver_stats st;
	uint64_t deadline_ms; /* cached ares_timeout(), 0: ask again */
	bool rcvbuf_logged;
};

static void list_push(struct res_list *l, struct res_query *q)
{
	q->next = NULL;
	q->prev = l->tail;
	if (l->tail)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	l->n++;
}

/* list_push_first - q at the end of the head part of l. */
static void list_push_first(struct res_list *l, struct res_query *q)
{
	struct res_query *after = l->first_tail;

	q->prev = after;
	q->next = after ? after->next : l->head;
	if (q->next)
		q->next->prev = q;
	else
		l->tail = q;
	if (after)
		after->next = q;
	else
		l->head = q;
	l->first_tail = q;
	q->first = true;
	l->n++;
}

static void list_remove(struct res_list *l, struct res_query *q)
{
	if (q == l->first_tail)
		l->first_tail = q->prev; /* the head part is a prefix */
	q->first = false;
	if (q->prev)
		q->prev->next = q->next;
	else
		l->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		l->tail = q->prev;
	q->prev = q->next = NULL;
	l->n--;
}

const char *resolver_status_name(int status)
{
	static const char *const names[] = {
		[RES_OK] = "ok",	   [RES_NXDOMAIN] = "nxdomain",
		[RES_NODATA] = "nodata",   [RES_SERVFAIL] = "servfail",
		[RES_REFUSED] = "refused", [RES_TIMEOUT] = "timeout",
		[RES_ERROR] = "error",
	};

	if (status < 0 || status > RES_ERROR)
		return "?";
	return names[status];
}

/* skip_name - position after the (maybe compressed) name at p, or -1. */
static int skip_name(const unsigned char *abuf, int alen, int p)
{
	while (p < alen) {
		unsigned len = abuf[p];

		if (len == 0)
			return p + 1;
		if ((len & 0xc0) == 0xc0)
			return p + 2 <= alen ? p + 2 : -1;
		if (len & 0xc0)
			return -1;
		p += 1 + (int)len;
	}
	return -1;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* keep_ttl - lower rr->ttl to ttl (0 means "none yet"). */
static void keep_ttl(struct res_rrset *rr, uint32_t ttl)
{
	if (ttl > 0x7fffffffu)
		ttl = 0;
	if (rr->ttl == 0 || ttl < rr->ttl)
		rr->ttl = ttl ? ttl : 1;
}

/* take_rdata - one record of the wanted type into rr. */
static void take_rdata(struct res_rrset *rr, int type,
		       const unsigned char *abuf, int alen, int rd, int rdlen)
{
	char *name = NULL;
	long len;
	int p, o;

	switch (type) {
	case RES_T_A:
	case RES_T_AAAA:
		if (rdlen != (type == RES_T_A ? 4 : 16) || rr->n >= RES_RR_MAX)
			return;
		memcpy(rr->addr[rr->n++], abuf + rd, (size_t)rdlen);
		return;
	case RES_T_PTR:
		if (rr->n > 0 ||
		    ares_expand_name(abuf + rd, abuf, alen, &name, &len) !=
			    ARES_SUCCESS)
			return;
		snprintf(rr->text, sizeof(rr->text), "%s", name);
		ares_free_string(name);
		rr->n = 1;
		return;
	case RES_T_TXT:
		if (rr->n > 0)
			return;
		for (p = rd, o = 0; p < rd + rdlen;) {
			int l = abuf[p++];

			if (p + l > rd + rdlen)
				break;
			if (o + l >= (int)sizeof(rr->text))
				l = (int)sizeof(rr->text) - 1 - o;
			memcpy(rr->text + o, abuf + p, (size_t)l);
			o += l;
			p += abuf[p - 1];
		}
		rr->text[o] = 0;
		rr->n = 1;
		return;
	}
}

/* soa_ttl - the negative TTL of an SOA record (min of TTL, MINIMUM). */
static void soa_ttl(struct res_rrset *rr, const unsigned char *abuf,
		    int alen, int rd, int rdlen, uint32_t ttl)
{
	int p = skip_name(abuf, alen, rd);

	if (p >= 0)
		p = skip_name(abuf, alen, p);
	if (p < 0 || p + 20 > rd + rdlen)
		return;
	keep_ttl(rr, ttl < get32(abuf + p + 16) ? ttl : get32(abuf + p + 16));
}

/* resolver_parse - the records of type in an answer. */
void resolver_parse(const unsigned char *abuf, int alen, int type,
		    int status, struct res_rrset *rr)
{
	int qd, an, ns, i, p = 12;

	memset(rr, 0, sizeof(*rr));
	rr->status = status;
	if (!abuf || alen < 12)
		return;
	qd = (int)get16(abuf + 4);
	an = (int)get16(abuf + 6);
	ns = (int)get16(abuf + 8);
	for (i = 0; i < qd && p >= 0; i++) {
		p = skip_name(abuf, alen, p);
		if (p >= 0)
			p = p + 4 <= alen ? p + 4 : -1;
	}
	for (i = 0; i < an + ns && p >= 0; i++) {
		int t, rdlen, rd;
		uint32_t ttl;

		p = skip_name(abuf, alen, p);
		if (p < 0 || p + 10 > alen)
			break;
		t = (int)get16(abuf + p);
		ttl = get32(abuf + p + 4);
		rdlen = (int)get16(abuf + p + 8);
		rd = p + 10;
		if (rd + rdlen > alen)
			break;
		if (i < an && t == type) {
			take_rdata(rr, type, abuf, alen, rd, rdlen);
			keep_ttl(rr, ttl);
		} else if (i >= an && t == 6 && status != RES_OK) {
			soa_ttl(rr, abuf, alen, rd, rdlen, ttl);
		}
		p = rd + rdlen;
	}
	if (status == RES_OK && rr->n == 0)
		rr->status = RES_NODATA;
}

/* map_status - c-ares status to enum res_status. */
static int map_status(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return RES_OK;
	case ARES_ENODATA:
		return RES_NODATA;
	case ARES_ENOTFOUND:
		return RES_NXDOMAIN;
	case ARES_ESERVFAIL:
		return RES_SERVFAIL;
	case ARES_EREFUSED:
		return RES_REFUSED;
	case ARES_ETIMEOUT:
		return RES_TIMEOUT;
	default:
		return RES_ERROR;
	}
}

static void send_query(struct resolver *r, struct res_query *q);

/* pump - send queued queries while there is room. */
static void pump(struct resolver *r)
{
	while (r->queue.head && r->st.inflight < r->limit) {
		struct res_query *q = r->queue.head;

		list_remove(&r->queue, q);
		send_query(r, q);
	}
}

/* on_answer - c-ares' callback for one query. */
static void on_answer(void *arg, int status, int timeouts,
		      unsigned char *abuf, int alen)
{
	struct res_query *q = arg;
	struct resolver *r = q->r;
	struct res_rrset rr;

	if (q->in_send) {
		/* Refused inside ares_query(): report it from a timer. */
		q->state = Q_FAILED;
		return;
	}
	r->st.inflight--;
	if (status == ARES_EDESTRUCTION) {
		free(q);
		return;
	}
	if (status == ARES_ETIMEOUT)
		r->st.timeouts++;
	else if (status == ARES_SUCCESS || status == ARES_ENODATA ||
		 status == ARES_ENOTFOUND)
		r->st.answered++;
	else
		r->st.errors++;
	if (q->cb) {
		resolver_parse(abuf, alen, q->type, map_status(status), &rr);
		q->cb(q->arg, &rr);
	}
	free(q);
	pump(r);
}

/* report_failed - deliver the queries c-ares refused at once. */
static void report_failed(void *arg)
{
	struct resolver *r = arg;
	struct res_rrset rr;

	r->fail_timer = NULL;
	while (r->failed.head) {
		struct res_query *q = r->failed.head;

		list_remove(&r->failed, q);
		r->st.errors++;
		if (q->cb) {
			memset(&rr, 0, sizeof(rr));
			rr.status = RES_ERROR;
			q->cb(q->arg, &rr);
		}
		free(q);
	}
}

/* send_query - hand q to c-ares. */
static void send_query(struct resolver *r, struct res_query *q)
{
	q->state = Q_SENT;
	q->in_send = true;
	if (r->st.inflight == 0)
		r->deadline_ms = 0;
	r->st.inflight++;
	ares_query(r->ch, q->name, C_IN, q->type, on_answer, q);
	q->in_send = false;
	if (q->state != Q_FAILED) {
		r->st.sent++;
		return;
	}
	r->st.inflight--;
	list_push(&r->failed, q);
	if (!r->fail_timer)
		r->fail_timer = evloop_timer(r->loop, 0, report_failed, r);
}

struct res_query *resolver_query(struct resolver *r, const char *name,
				 int type, unsigned flags, res_cb cb,
				 void *arg)
{
	struct res_query *q;

	if (strlen(name) > 253)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->type = type;
	strcpy(q->name, name);
	q->state = Q_QUEUED;
	if (flags & RES_Q_FIRST)
		list_push_first(&r->queue, q);
	else
		list_push(&r->queue, q);
	if (r->queue.n > r->st.max_queued)
		r->st.max_queued = r->queue.n;
	pump(r);
	return q;
}

void resolver_promote(struct res_query *q)
{
	struct resolver *r = q->r;

	if (q->state != Q_QUEUED || q->first)
		return;
	list_remove(&r->queue, q);
	list_push_first(&r->queue, q);
	r->st.promoted++;
}

void resolver_cancel(struct res_query *q)
{
	if (q->state == Q_QUEUED) {
		list_remove(&q->r->queue, q);
		free(q);
		return;
	}
	q->cb = NULL; /* freed when c-ares or the fail timer is done */
}

void resolver_get_stats(const struct resolver *r, struct resolver_stats *st)
{
	*st = r->st;
	st->queued = r->queue.n;
}

bool resolver_idle(const struct resolver *r)
{
	return r->st.inflight == 0 && r->queue.n == 0 && r->failed.n == 0;
}

/* on_ready - socket readiness to c-ares. */
static void on_ready(int fd, unsigned events, void *arg)
{
	struct resolver *r = arg;

	ares_process_fd(r->ch,
			events & (EV_READ | EV_ERROR) ? fd : ARES_SOCKET_BAD,
			events & EV_WRITE ? fd : ARES_SOCKET_BAD);
}

/* on_sock_state - c-ares opens, watches or closes a socket. */
static void on_sock_state(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct resolver *r = data;
	unsigned ev = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	if (!ev) {
		evloop_del_fd(r->loop, fd);
		return;
	}
	if (evloop_mod_fd(r->loop, fd, ev) < 0 &&
	    evloop_add_fd(r->loop, fd, ev, on_ready, r) < 0)
		msg_warn("resolver: cannot watch DNS socket %d: %s: its "
			 "queries will time out", fd, strerror(errno));
}

/* on_sock_config - a large receive buffer, past rmem_max when allowed. */
static int on_sock_config(ares_socket_t fd, int type, void *data)
{
	struct resolver *r = data;
	int v = r->rcvbuf, got = 0;
	socklen_t len = sizeof(got);

	if (type != SOCK_DGRAM || v <= 0)
		return 0;
#ifdef SO_RCVBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
#endif
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (!r->rcvbuf_logged &&
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0) {
		r->rcvbuf_logged = true;
#ifdef __linux__
		got /= 2; /* Linux reports twice the size (bookkeeping) */
#endif
		if (got < v)
			msg_warn("resolver: DNS socket receive buffer is %d "
				 "bytes, not %d (net.core.rmem_max): bursts "
				 "of answers may be lost", got, v);
	}
	return 0;
}

/* on_prepare - expire queries, then let the loop wait ares_timeout(). */
static int on_prepare(void *arg)
{
	struct resolver *r = arg;
	struct timeval tv, *tvp;
	uint64_t now = evloop_now_ms(r->loop);
	long ms;

	if (r->st.inflight == 0)
		return -1;
	if (r->deadline_ms > now)
		return (int)(r->deadline_ms - now);
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (!tvp || r->st.inflight == 0) {
		r->deadline_ms = 0;
		return -1;
	}
	/*
	 * ares_timeout() truncates to whole milliseconds but expires
	 * queries to the microsecond: "0" may mean "in 0.7 ms", and asking
	 * again at once would spin. Wait at least 1 ms.
	 */
	ms = tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
	r->deadline_ms = now + (uint64_t)(ms > 0 ? ms : 1);
	return (int)(r->deadline_ms - now);
}

struct resolver *resolver_create(struct evloop *loop,
				 const struct resolver_opts *o, char *err,
				 size_t errlen)
{
	static bool lib_ready;
	struct ares_options ao;
	struct resolver *r;
	int rc, mask;

	if (!lib_ready && ares_library_init(ARES_LIB_INIT_ALL) != 0) {
		snprintf(err, errlen, "c-ares library initialisation failed");
		return NULL;
	}
	lib_ready = true;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = loop;
	r->rcvbuf = o->rcvbuf;
	memset(&ao, 0, sizeof(ao));
	ao.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH |
		   ARES_FLAG_NOALIASES;
	ao.timeout = o->timeout_ms > 0 ? o->timeout_ms : 2000;
	ao.tries = o->tries > 0 ? o->tries : 2;
	ao.sock_state_cb = on_sock_state;
	ao.sock_state_cb_data = r;
	ao.socket_receive_buffer_size = o->rcvbuf;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	       ARES_OPT_SOCK_STATE_CB;
	if (o->rcvbuf > 0)
		mask |= ARES_OPT_SOCK_RCVBUF;
	rc = ares_init_options(&r->ch, &ao, mask);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		return NULL;
	}
	ares_set_socket_configure_callback(r->ch, on_sock_config, r);
	if (o->servers && *o->servers) {
		rc = ares_set_servers_ports_csv(r->ch, o->servers);
		if (rc != ARES_SUCCESS) {
			snprintf(err, errlen, "dns_servers \"%s\": %s",
				 o->servers, ares_strerror(rc));
			goto fail;
		}
	}
	r->limit = (uint64_t)(o->max_inflight > 0 ? o->max_inflight : 200);
	if (evloop_add_prepare(loop, on_prepare, r) < 0) {
		snprintf(err, errlen, "event loop: no room for a prepare hook");
		goto fail;
	}
	return r;
fail:
	ares_destroy(r->ch);
	free(r);
	return NULL;
}

void resolver_free(struct resolver *r)
{
	struct res_query *q;

	if (!r)
		return;
	evloop_del_prepare(r->loop, on_prepare, r);
	while ((q = r->queue.head)) {
		list_remove(&r->queue, q);
		free(q);
	}
	while ((q = r->failed.head)) {
		list_remove(&r->failed, q);
		free(q);
	}
	if (r->fail_timer)
		evloop_timer_cancel(r->loop, r->fail_timer);
	ares_destroy(r->ch); /* ARES_EDESTRUCTION frees the sent ones */
	free(r);
}
