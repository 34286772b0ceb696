/*
 * backend_nft.c - verdicts in an nftables table, through libnftables
 * (Linux only).
 *
 * open creates (or takes over) one table, "inet NAME" (nft_table):
 *
 *   table inet NAME {
 *     set block4 { type ipv4_addr; flags interval, timeout; }
 *     set block6 { type ipv6_addr; flags interval, timeout; }
 *     set allow4 { ... }  set allow6 { ... }
 *     chain input {
 *       type filter hook input priority -10; policy accept;
 *       tcp dport { PORTS } ip saddr @allow4 accept
 *       tcp dport { PORTS } ip6 saddr @allow6 accept
 *       tcp dport { PORTS } ip saddr @block4 counter drop
 *       tcp dport { PORTS } ip6 saddr @block6 counter drop
 *     }
 *   }
 *
 * Elements carry their verdict's remaining lifetime as an nftables
 * timeout, so the kernel lets them lapse by itself (a dead daemon never
 * leaves a block behind). In observe mode the block rules count and do
 * not drop. Each batch is one nft transaction; if the kernel refuses it
 * (e.g. an interval overlapping one already there), the batch is applied
 * again one element at a time so one bad element costs only itself.
 *
 * A shadow of what was stored (addresses, actions, expiries) tells
 * updates from additions: nftables cannot change an element's timeout in
 * place, so an update is a delete and an add in one transaction.
 * Runs after the privilege drop with CAP_NET_ADMIN only.
 */
#if MXWALL_LINUX
#include "backend.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"

#include <nftables/libnftables.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define NFT_BATCH 4096

/*
 * struct nft_state - the backend's private state.
 *   ctx      libnftables context (output and errors buffered);
 *   table    the table's name;
 *   ports    "25, 587" for the rules;
 *   shadow   what this process stored (action, expires per key);
 *   cmd      the command being built, len used, cap allocated.
 */
struct nft_state {
	struct nft_ctx *ctx;
	char table[64];
	char ports[128];
	struct cache *shadow;
	char *cmd;
	size_t len, cap;
};

/* cmd_add - append printf text to the command buffer. */
__attribute__((format(printf, 2, 3)))
static int cmd_add(struct nft_state *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(st->cmd + st->len, st->cap - st->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < st->cap - st->len) {
			st->len += (size_t)n;
			return 0;
		}
		size_t cap = st->cap * 2 + (size_t)n + 1;
		char *c = realloc(st->cmd, cap);

		if (!c)
			return -1;
		st->cmd = c;
		st->cap = cap;
	}
}

/* nft_exec - run the command buffer as one transaction. */
static int nft_exec(struct backend *b)
{
	struct nft_state *st = b->priv;
	int r;

	if (st->len == 0)
		return 0;
	r = nft_run_cmd_from_buffer(st->ctx, st->cmd);
	st->len = 0;
	st->cmd[0] = '\0';
	if (r != 0) {
		const char *e = nft_ctx_get_error_buffer(st->ctx);
		char one[300];
		size_t i;

		snprintf(one, sizeof(one), "%s", e ? e : "nft failed");
		for (i = 0; one[i]; i++)
			if (one[i] == '\n')
				one[i] = ' ';
		return backend_seterr(b, "%s", one);
	}
	return 0;
}

static const char *nft_set(const struct mx_addr *a, unsigned action)
{
	if (a->family == AF_INET)
		return action == DAEMON_BLOCK ? "block4" : "allow4";
	return action == DAEMON_BLOCK ? "block6" : "allow6";
}

/* elem_text - "192.0.2.66 timeout 3600s" for an element. */
static void elem_text(const struct mx_addr *a, uint32_t expires, char *buf,
		      size_t len)
{
	char abuf[ADDR_STRLEN];
	uint32_t now = (uint32_t)time(NULL);

	addr_format(a, abuf, sizeof(abuf));
	if (expires)
		snprintf(buf, len, "%s timeout %us", abuf,
			 expires > now ? expires - now : 1);
	else
		snprintf(buf, len, "%s", abuf);
}

/* nft_rules - (re)write the chain for enforce or observe mode. */
static int nft_rules(struct backend *b, bool observe)
{
	struct nft_state *st = b->priv;
	const char *verdict = observe ? "counter" : "counter drop";

	cmd_add(st, "flush chain inet %s input\n", st->table);
	cmd_add(st, "add rule inet %s input tcp dport { %s } ip saddr @allow4 "
		"accept\n", st->table, st->ports);
	cmd_add(st, "add rule inet %s input tcp dport { %s } ip6 saddr @allow6 "
		"accept\n", st->table, st->ports);
	cmd_add(st, "add rule inet %s input tcp dport { %s } ip saddr @block4 "
		"%s\n", st->table, st->ports, verdict);
	cmd_add(st, "add rule inet %s input tcp dport { %s } ip6 saddr @block6 "
		"%s\n", st->table, st->ports, verdict);
	return nft_exec(b);
}

static int nft_open(struct backend *b, const struct mx_config *cfg)
{
	static const char *const sets[] = { "block4", "allow4", "block6",
					    "allow6" };
	struct nft_state *st = b->priv;
	size_t o = 0;
	int i;

	snprintf(st->table, sizeof(st->table), "%s", cfg->nft_table);
	for (i = 0; i < cfg->smtp_ports.n; i++)
		o += (size_t)snprintf(st->ports + o, sizeof(st->ports) - o,
				      "%s%u", i ? ", " : "",
				      cfg->smtp_ports.v[i]);
	st->cap = 1 << 16;
	st->cmd = malloc(st->cap);
	st->shadow = cache_create();
	st->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!st->cmd || !st->shadow || !st->ctx)
		return backend_seterr(b, "out of memory");
	st->cmd[0] = '\0';
	nft_ctx_buffer_output(st->ctx);
	nft_ctx_buffer_error(st->ctx);

	cmd_add(st, "add table inet %s\n", st->table);
	for (i = 0; i < 4; i++)
		cmd_add(st, "add set inet %s %s { type %s; flags interval, "
			"timeout; }\n", st->table, sets[i],
			i < 2 ? "ipv4_addr" : "ipv6_addr");
	cmd_add(st, "add chain inet %s input { type filter hook input "
		"priority -10; policy accept; }\n", st->table);
	if (nft_exec(b) < 0)
		return -1;
	return nft_rules(b, strcmp(cfg->mode, "observe") == 0);
}

static void nft_close(struct backend *b)
{
	struct nft_state *st = b->priv;

	if (st->ctx)
		nft_ctx_free(st->ctx);
	cache_free(st->shadow);
	free(st->cmd);
}

/* shadow_live - the shadow entry for a, if it has not lapsed. */
static struct cache_entry *shadow_live(struct nft_state *st,
				       const struct mx_addr *a)
{
	struct cache_entry *e = cache_find(st->shadow, a);

	if (e && e->expires && e->expires <= (uint32_t)time(NULL)) {
		cache_remove(st->shadow, e);
		return NULL;
	}
	return e;
}

/* nft_elem_op - queue one "add/delete element" line. */
static void nft_elem_op(struct nft_state *st, const char *op,
			const struct mx_addr *a, unsigned action,
			uint32_t expires)
{
	char el[ADDR_STRLEN + 32];

	elem_text(a, strcmp(op, "add") == 0 ? expires : 0, el, sizeof(el));
	cmd_add(st, "%s element inet %s %s { %s }\n", op, st->table,
		nft_set(a, action), el);
}

/* nft_add_range - items [from, to) as one transaction; shadow updated. */
static int nft_add_range(struct backend *b, const struct backend_item *it,
			 size_t from, size_t to, struct backend_counts *cnt,
			 bool count)
{
	struct nft_state *st = b->priv;
	struct cache_entry *e;
	size_t i, added = 0, unchanged = 0;
	bool created;

	for (i = from; i < to; i++) {
		e = shadow_live(st, &it[i].addr);
		if (e && e->action == it[i].action &&
		    e->expires == it[i].expires) {
			unchanged++;
			continue;
		}
		if (e)
			nft_elem_op(st, "delete", &it[i].addr, e->action, 0);
		nft_elem_op(st, "add", &it[i].addr, it[i].action,
			    it[i].expires);
		added++;
	}
	if (nft_exec(b) < 0)
		return -1;
	for (i = from; i < to; i++) {
		e = cache_put(st->shadow, &it[i].addr, &created);
		if (e) {
			e->action = it[i].action;
			e->expires = it[i].expires;
		}
	}
	if (count) {
		cnt->added += added;
		cnt->unchanged += unchanged;
	}
	return 0;
}

static int nft_add(struct backend *b, const struct backend_item *it, size_t n,
		   struct backend_counts *cnt)
{
	size_t i, j, end;
	int r = 0;

	for (i = 0; i < n; i = end) {
		end = i + NFT_BATCH < n ? i + NFT_BATCH : n;
		if (nft_add_range(b, it, i, end, cnt, true) == 0)
			continue;
		/* One element spoiled the batch: go one by one. */
		for (j = i; j < end; j++)
			if (nft_add_range(b, it, j, j + 1, cnt, true) < 0)
				r = -1;
	}
	return r;
}

static int nft_remove(struct backend *b, const struct mx_addr *a, size_t n,
		      struct backend_counts *cnt)
{
	struct nft_state *st = b->priv;
	struct cache_entry *e;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		e = shadow_live(st, &a[i]);
		if (!e)
			continue;
		nft_elem_op(st, "delete", &a[i], e->action, 0);
		cache_remove(st->shadow, e);
		if (nft_exec(b) < 0)
			r = -1;
		else
			cnt->deleted++;
	}
	return r;
}

static int nft_replace(struct backend *b, const struct backend_item *it,
		       size_t n, struct backend_counts *cnt)
{
	static const char *const sets[] = { "block4", "allow4", "block6",
					    "allow6" };
	struct nft_state *st = b->priv;
	size_t before = cache_count(st->shadow);
	int i;

	for (i = 0; i < 4; i++)
		cmd_add(st, "flush set inet %s %s\n", st->table, sets[i]);
	if (nft_exec(b) < 0)
		return -1;
	cache_clear(st->shadow);
	cnt->deleted = before;
	return nft_add(b, it, n, cnt);
}

static int nft_observe(struct backend *b, bool observe)
{
	return nft_rules(b, observe);
}

const struct backend_ops backend_nft_ops = {
	.name = "nft",
	.size = sizeof(struct nft_state),
	.open = nft_open,
	.close = nft_close,
	.add = nft_add,
	.remove = nft_remove,
	.replace = nft_replace,
	/*
	 * XXX No list: after a restart the daemon does not read back the
	 * elements nftables still holds; the snapshot restores them. Parsing
	 * "list set" output (JSON) would let restore_merge take them too.
	 */
	.list = NULL,
	.observe = nft_observe,
};
#endif
