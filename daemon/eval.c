/*
 * eval.c - the verdict engine (see eval.h).
 *
 * XXX This is a stub so the rest of the daemon can build against eval.h:
 * every request gets VERDICT_NONE from the event loop; the real evaluator
 * replaces it.
 */
#include "eval.h"
#include "evloop.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct eval_req {
	struct eval *ev;
	struct ev_timer *timer;
	struct verdict v;
	eval_done_cb done;
	void *arg;
};

struct eval {
	struct evloop *loop;
	const struct mx_config *cfg;
	struct eval_stats st;
};

struct eval *eval_create(struct evloop *loop, const struct mx_config *cfg,
			 char *err, size_t errlen)
{
	struct eval *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ev->loop = loop;
	ev->cfg = cfg;
	return ev;
}

int eval_reconfigure(struct eval *ev, const struct mx_config *cfg)
{
	ev->cfg = cfg;
	return 0;
}

static void stub_fire(void *arg)
{
	struct eval_req *req = arg;

	req->done(&req->v, req->arg);
	free(req);
}

struct eval_req *eval_request(struct eval *ev, const struct mx_addr *addr,
			      const char *name_override, unsigned flags,
			      eval_done_cb done, void *arg)
{
	struct eval_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->ev = ev;
	req->done = done;
	req->arg = arg;
	req->v.addr = *addr;
	req->v.client = *addr;
	req->v.ttl = 60;
	req->v.decided_ns = verdict_boot_ns();
	req->v.expires_ns = req->v.decided_ns + 60000000000ull;
	strcpy(req->v.name, "unknown");
	req->timer = evloop_timer(ev->loop, 0, stub_fire, req);
	if (!req->timer) {
		free(req);
		return NULL;
	}
	ev->st.requests++;
	return req;
}

void eval_cancel(struct eval_req *req)
{
	evloop_timer_cancel(req->ev->loop, req->timer);
	free(req);
}

void eval_free(struct eval *ev)
{
	free(ev);
}

int eval_lists(struct eval *ev,
	       void (*cb)(const struct dnsbl_health *h, void *arg), void *arg)
{
	return 0;
}

void eval_get_stats(const struct eval *ev, struct eval_stats *st)
{
	*st = ev->st;
}

void eval_set_breaker_cb(struct eval *ev,
			 void (*cb)(bool on, const char *why, void *arg),
			 void *arg)
{
}
