/*
 * backend_xdp.c - verdicts in the eBPF maps of the XDP/TC program
 * (lib/kern.h), Linux only.
 *
 * open loads the program (reusing maps pinned under pin_path, so
 * verdicts survive a restart), pins, and attaches it to every configured
 * interface in attach_mode. Single addresses (and IPv6 verdict prefixes)
 * go into the verdict hashes, other prefixes into the allow or block
 * trie. The kernel compares expiries itself, so expire only frees map
 * room. New clients come from the program's ring buffer (event_fd,
 * events). The program stays attached and the maps stay pinned when the
 * daemon stops: filtering goes on while it restarts (mxwallctl detach
 * removes it).
 */
#if MXWALL_LINUX
#include "backend.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "kern.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* struct xdp_state - the loaded program and its maps. */
struct xdp_state {
	struct kern *k;
};

/* xdp_exact - whether a goes into the verdict hash (not a trie). */
static bool xdp_exact(struct kern *k, const struct mx_addr *a)
{
	if (a->family == AF_INET)
		return a->plen == 32;
	return a->plen >= kern_ipv6_prefix(k);
}

/* xdp_host - a verdict-hash key: the address with a full length. */
static struct mx_addr xdp_host(const struct mx_addr *a)
{
	struct mx_addr h = *a;

	h.plen = (uint8_t)addr_bits(a);
	return h;
}

static void xdp_kv(const struct backend_item *it, struct kern_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = it->action == DAEMON_BLOCK ? MX_ACT_BLOCK : MX_ACT_ALLOW;
	v->reason = it->kreason;
	v->expires_ns = backend_wall_to_boot_ns(it->expires);
}

static int xdp_open(struct backend *b, const struct mx_config *cfg)
{
	struct xdp_state *st = b->priv;
	struct kern_opts o;
	enum kern_mode want, got;
	char err[256];
	int i, r;

	memset(&o, 0, sizeof(o));
	o.pin_path = cfg->pin_path;
	for (i = 0; i < cfg->smtp_ports.n && i < KERN_MAX_PORTS; i++)
		o.ports[i] = cfg->smtp_ports.v[i];
	o.nports = i;
	o.ipv6_prefix = (unsigned)cfg->ipv6_prefix;
	o.observe = strcmp(cfg->mode, "observe") == 0;
	r = kern_load(&o, &st->k, err, sizeof(err));
	if (r < 0)
		return backend_seterr(b, "loading the kernel program: %s", err);
	if (kern_mode_parse(cfg->attach_mode, &want) < 0)
		want = KERN_MODE_AUTO;
	for (i = 0; i < cfg->interfaces.n; i++) {
		r = kern_attach(st->k, cfg->interfaces.v[i], want, &got, err,
				sizeof(err));
		if (r < 0)
			return backend_seterr(b, "attaching to %s: %s",
					      cfg->interfaces.v[i], err);
		msg_info("kernel program attached to %s in %s mode",
			 cfg->interfaces.v[i], kern_mode_name(got));
	}
	return 0;
}

static void xdp_close(struct backend *b)
{
	struct xdp_state *st = b->priv;

	kern_close(st->k);
	st->k = NULL;
}

/* xdp_put - one item; counts added or unchanged. */
static int xdp_put(struct backend *b, const struct backend_item *it,
		   struct backend_counts *cnt)
{
	struct xdp_state *st = b->priv;
	struct kern_verdict v, old;
	enum kern_list list = it->action == DAEMON_BLOCK ? KERN_LIST_BLOCK :
							   KERN_LIST_ALLOW;
	int r;

	xdp_kv(it, &v);
	if (kern_prefix_get(st->k, list, &it->addr, &old) == 0 &&
	    old.action == v.action && old.reason == v.reason &&
	    old.expires_ns / 1000000000ULL == v.expires_ns / 1000000000ULL) {
		cnt->unchanged++;
		return 0;
	}
	/* The same prefix may sit in the other trie: take it out. */
	kern_prefix_del(st->k, list == KERN_LIST_BLOCK ? KERN_LIST_ALLOW :
							  KERN_LIST_BLOCK,
			&it->addr);
	r = kern_prefix_put(st->k, list, &it->addr, &v);
	if (r < 0)
		return backend_seterr(b, "storing a prefix: %s", strerror(-r));
	cnt->added++;
	return 0;
}

static int xdp_add(struct backend *b, const struct backend_item *it, size_t n,
		   struct backend_counts *cnt)
{
	struct xdp_state *st = b->priv;
	struct kern_verdict *v = malloc(n * sizeof(*v));
	struct mx_addr *a = malloc(n * sizeof(*a));
	size_t i, k = 0, done = 0;
	int r = 0;

	if (!v || !a) {
		r = backend_seterr(b, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!xdp_exact(st->k, &it[i].addr)) {
			if (xdp_put(b, &it[i], cnt) < 0)
				r = -1;
			continue;
		}
		a[k] = xdp_host(&it[i].addr);
		xdp_kv(&it[i], &v[k]);
		k++;
	}
	if (k) {
		int e = kern_verdict_put_batch(st->k, a, v, k, &done);

		cnt->added += done;
		if (e < 0)
			r = backend_seterr(b, "storing %zu verdicts: %s", k,
					   strerror(-e));
	}
out:
	free(v);
	free(a);
	return r;
}

/* xdp_del - one address or prefix, wherever it is. 1 when it was there. */
static int xdp_del(struct xdp_state *st, const struct mx_addr *a)
{
	struct mx_addr h;

	if (xdp_exact(st->k, a)) {
		h = xdp_host(a);
		return kern_verdict_del(st->k, &h) == 0;
	}
	return (kern_prefix_del(st->k, KERN_LIST_BLOCK, a) == 0) +
	       (kern_prefix_del(st->k, KERN_LIST_ALLOW, a) == 0);
}

static int xdp_remove(struct backend *b, const struct mx_addr *a, size_t n,
		      struct backend_counts *cnt)
{
	size_t i;

	for (i = 0; i < n; i++)
		cnt->deleted += (size_t)xdp_del(b->priv, &a[i]);
	return 0;
}

/* struct xdp_walk - state of a list walk (kernel entries -> items). */
struct xdp_walk {
	struct backend *b;
	backend_list_cb cb;
	void *arg;
	unsigned action_list; /* for prefix walks: which trie */
	bool prefix;
};

static int xdp_walk_one(const struct mx_addr *a, const struct kern_verdict *v,
			void *arg)
{
	struct xdp_walk *w = arg;
	struct backend_item it;

	memset(&it, 0, sizeof(it));
	it.addr = *a;
	it.action = v->action == MX_ACT_BLOCK ? DAEMON_BLOCK : DAEMON_ALLOW;
	it.kreason = v->reason;
	it.expires = backend_boot_ns_to_wall(v->expires_ns);
	if (v->expires_ns && v->expires_ns <= kern_now_ns())
		return 0; /* expired: the kernel ignores it already */
	return w->cb(&it, w->arg);
}

static int xdp_list(struct backend *b, backend_list_cb cb, void *arg)
{
	struct xdp_state *st = b->priv;
	struct xdp_walk w = { b, cb, arg, 0, false };
	int r;

	r = kern_verdict_foreach(st->k, xdp_walk_one, &w);
	if (r == 0)
		r = kern_prefix_foreach(st->k, KERN_LIST_BLOCK, xdp_walk_one,
					&w);
	if (r == 0)
		r = kern_prefix_foreach(st->k, KERN_LIST_ALLOW, xdp_walk_one,
					&w);
	return r < 0 ? backend_seterr(b, "listing: %s", strerror(-r)) : 0;
}

/*
 * struct xdp_replace - a replace in progress.
 *   k     the kernel handle;
 *   have  what the kernel holds, as cache entries (action, kreason,
 *         expires in wall seconds); CACHE_HELD marks the ones still
 *         wanted.
 */
struct xdp_replace {
	struct kern *k;
	struct cache *have;
};

static int xdp_collect(const struct mx_addr *a, const struct kern_verdict *v,
		       void *arg)
{
	struct xdp_replace *x = arg;
	struct mx_addr key = xdp_exact(x->k, a) ? xdp_host(a) : *a;
	struct cache_entry *e;
	bool created;

	e = cache_put(x->have, &key, &created);
	if (!e)
		return -ENOMEM;
	e->action = v->action == MX_ACT_BLOCK ? DAEMON_BLOCK : DAEMON_ALLOW;
	e->kreason = v->reason;
	e->expires = backend_boot_ns_to_wall(v->expires_ns);
	return 0;
}

/* same_expiry - equal to the second (the clocks' conversion rounds). */
static bool same_expiry(uint32_t x, uint32_t y)
{
	return x == y || (x && y && (x > y ? x - y : y - x) <= 1);
}

/*
 * xdp_replace - one walk of the kernel maps, then: items already there
 * unchanged are counted, the others stored in batches, and what the
 * kernel holds beyond the items deleted.
 */
static int xdp_replace(struct backend *b, const struct backend_item *it,
		       size_t n, struct backend_counts *cnt)
{
	struct xdp_state *st = b->priv;
	struct xdp_replace x = { st->k, NULL };
	struct backend_item *todo = NULL;
	struct cache_entry *e;
	size_t i, ntodo = 0;
	int r = -1;

	x.have = cache_create();
	todo = malloc((n + 1) * sizeof(*todo));
	if (!x.have || !todo) {
		backend_seterr(b, "out of memory");
		goto out;
	}
	if (kern_verdict_foreach(st->k, xdp_collect, &x) < 0 ||
	    kern_prefix_foreach(st->k, KERN_LIST_BLOCK, xdp_collect, &x) < 0 ||
	    kern_prefix_foreach(st->k, KERN_LIST_ALLOW, xdp_collect, &x) < 0) {
		backend_seterr(b, "reading the kernel maps: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct mx_addr key = xdp_exact(st->k, &it[i].addr) ?
			xdp_host(&it[i].addr) : it[i].addr;

		e = cache_count(x.have) ? cache_find(x.have, &key) : NULL;
		if (e) {
			e->flags |= CACHE_HELD;
			if (e->action == it[i].action &&
			    e->kreason == it[i].kreason &&
			    same_expiry(e->expires, it[i].expires)) {
				cnt->unchanged++;
				continue;
			}
		}
		todo[ntodo++] = it[i];
	}
	for (i = 0; i < cache_count(x.have); i++) {
		e = cache_at(x.have, i);
		if (!(e->flags & CACHE_HELD))
			cnt->deleted += (size_t)xdp_del(st, &e->addr);
	}
	r = xdp_add(b, todo, ntodo, cnt);
out:
	cache_free(x.have);
	free(todo);
	return r;
}

static int xdp_observe(struct backend *b, bool observe)
{
	struct xdp_state *st = b->priv;
	int r = kern_set_observe(st->k, observe);

	return r < 0 ? backend_seterr(b, "%s", strerror(-r)) : 0;
}

static int xdp_hits(struct backend *b, const struct mx_addr *a,
		    uint64_t *hits)
{
	struct xdp_state *st = b->priv;
	struct kern_verdict v;
	struct mx_addr h;
	int r;

	if (xdp_exact(st->k, a)) {
		h = xdp_host(a);
		r = kern_verdict_get(st->k, &h, &v);
	} else {
		r = kern_prefix_get(st->k, KERN_LIST_BLOCK, a, &v);
		if (r < 0)
			r = kern_prefix_get(st->k, KERN_LIST_ALLOW, a, &v);
	}
	if (r == 0)
		*hits = v.hits;
	return 0;
}

static int xdp_event_fd(struct backend *b)
{
	struct xdp_state *st = b->priv;

	return kern_events_fd(st->k);
}

/* struct xdp_ev - a consumer callback and its argument. */
struct xdp_ev {
	void (*cb)(const struct mx_addr *a, void *arg);
	void *arg;
};

static void xdp_event(const struct mx_event *ev, void *arg)
{
	struct xdp_ev *x = arg;
	struct mx_addr a;

	memset(&a, 0, sizeof(a));
	if (ev->family == AF_INET) {
		a.family = AF_INET;
		a.plen = 32;
		memcpy(a.b, ev->addr, 4);
	} else if (ev->family == AF_INET6) {
		a.family = AF_INET6;
		a.plen = 128;
		memcpy(a.b, ev->addr, 16);
	} else {
		return;
	}
	x->cb(&a, x->arg);
}

static int xdp_events(struct backend *b,
		      void (*cb)(const struct mx_addr *a, void *arg),
		      void *arg)
{
	struct xdp_state *st = b->priv;
	struct xdp_ev x = { cb, arg };
	int r = kern_events_consume(st->k, xdp_event, &x);

	return r < 0 ? backend_seterr(b, "%s", strerror(-r)) : 0;
}

const struct backend_ops backend_xdp_ops = {
	.name = "xdp",
	.size = sizeof(struct xdp_state),
	.open = xdp_open,
	.close = xdp_close,
	.add = xdp_add,
	.remove = xdp_remove,
	.replace = xdp_replace,
	.expire = xdp_remove,
	.list = xdp_list,
	.observe = xdp_observe,
	.hits = xdp_hits,
	.event_fd = xdp_event_fd,
	.events = xdp_events,
};
#endif
