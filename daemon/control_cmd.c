/*
 * control_cmd.c - the commands the control socket answers, one handler
 * each (see control_int.h for the handler contract, mxwallctl(8) for
 * what each prints).
 *
 * Handlers read the daemon through daemon.h and eval.h only; they never
 * block (show and test wait for a dry-run evaluation through the event
 * loop) and never change anything unless the command is marked as
 * changing. Every string that came from the network or from a client
 * (PTR names, TXT records, reasons given by hand) is quoted before it is
 * printed as text; the JSON writer escapes it by itself.
 */
#include "control_int.h"
#include "addr.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "eval.h"
#include "kern.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#if MXWALL_LINUX
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#endif

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* ---- small formatting helpers ---- */

/* fmt_secs - "1h2m3s"-style duration; "0s" for zero. */
static const char *fmt_secs(long s, char *buf, size_t len)
{
	static const struct { long secs; char unit; } units[] = {
		{ 604800, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
		{ 1, 's' },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	if (s <= 0)
		return snprintf(buf, len, "0s"), buf;
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && n < len; i++) {
		if (s >= units[i].secs) {
			n += (size_t)snprintf(buf + n, len - n, "%ld%c",
					      s / units[i].secs,
					      units[i].unit);
			s %= units[i].secs;
		}
	}
	return buf;
}

/* fmt_time - Unix seconds as "2026-12-03T14:01:02Z"; "never" for 0. */
static const char *fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || !gmtime_r(&t, &tm))
		return snprintf(buf, len, "never"), buf;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* fmt_expiry - "never", "expired" or "in 59m58s". */
static const char *fmt_expiry(time_t expires, time_t now, char *buf,
			      size_t len)
{
	char d[32];

	if (expires == 0)
		snprintf(buf, len, "never");
	else if (expires <= now)
		snprintf(buf, len, "expired");
	else
		snprintf(buf, len, "in %s",
			 fmt_secs((long)(expires - now), d, sizeof(d)));
	return buf;
}

/*
 * printable - a daemon reason line for a terminal. The daemon quoted
 * the untrusted parts already (daemon.h); this only keeps a damaged
 * line from writing control characters.
 */
static const char *printable(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; s && *s && n + 1 < len; s++)
		buf[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	buf[n] = '\0';
	return buf;
}

/* text - append to the text answer. */
#define text(c, ...) ctlproto_buf_printf(&(c)->out, __VA_ARGS__)

/* usage - a malformed command: the one usage line. */
static int usage(struct control_conn *c, const char *synopsis)
{
	control_fail(c, CTLPROTO_ERROR, "usage: %s %s", c->req.argv[0],
		     synopsis);
	return CONTROL_DONE;
}

/* parse_prefix - an ADDR[/LEN] argument, or an error answer. */
static int parse_prefix(struct control_conn *c, const char *s,
			struct mx_addr *a)
{
	char q[LOG_QUOTE_BUFSZ];
	const char *why = "";

	if (addr_parse_prefix(s, a, false, &why) == 0)
		return 0;
	control_fail(c, CTLPROTO_ERROR, "%s: \"%s\" is not an address or "
		     "prefix: %s", c->req.argv[0],
		     log_quote(q, sizeof(q), s, (size_t)-1), why);
	return -1;
}

/* ---- verdicts as the cache holds them ---- */

/* json_cached - one struct daemon_verdict as a JSON object. */
static void json_cached(struct json *j, const char *key,
			const struct daemon_verdict *v, time_t now)
{
	char a[ADDR_STRLEN];

	json_object_begin(j, key);
	json_string(j, "address", addr_format(&v->addr, a, sizeof(a)));
	json_string(j, "action", cache_action_name(v->action));
	json_string(j, "origin", cache_origin_name(v->origin));
	json_int(j, "score", v->score);
	json_int(j, "decided", (int64_t)v->decided);
	json_int(j, "expires", (int64_t)v->expires);
	if (v->expires)
		json_int(j, "expires_in",
			 v->expires > now ? (int64_t)(v->expires - now) : 0);
	else
		json_null(j, "expires_in");
	json_string(j, "reason", v->reason);
	json_bool(j, "stale", v->stale);
	json_uint(j, "kernel_hits", v->kernel_hits);
	json_object_end(j);
}

/* text_cached_line - one verdict as a line of 'list'. */
static void text_cached_line(struct control_conn *c,
			     const struct daemon_verdict *v, time_t now)
{
	char a[ADDR_STRLEN], e[48], q[LOG_QUOTE_BUFSZ];

	text(c, "%-24s %-6s %-7s %-14s %8" PRIu64 "  %s%s\n",
	     addr_format(&v->addr, a, sizeof(a)),
	     cache_action_name(v->action), cache_origin_name(v->origin),
	     fmt_expiry(v->expires, now, e, sizeof(e)), v->kernel_hits,
	     printable(v->reason, q, sizeof(q)),
	     v->stale ? " (stale: being decided again)" : "");
}

/*
 * struct collect - verdicts gathered by daemon_foreach, to be sorted.
 *   v, n, cap   the copies (reason pointers stay valid until this
 *               handler returns to the event loop);
 *   failed      out of memory.
 */
struct collect {
	struct daemon_verdict *v;
	size_t n, cap;
	bool failed;
};

static int collect_one(const struct daemon_verdict *v, void *arg)
{
	struct collect *col = arg;
	struct daemon_verdict *p;

	if (col->n == col->cap) {
		col->cap = col->cap ? col->cap * 2 : 64;
		p = realloc(col->v, col->cap * sizeof(*p));
		if (!p) {
			col->failed = true;
			return 1;
		}
		col->v = p;
	}
	col->v[col->n] = *v;
	/* The daemon reuses the buffer behind v->reason for each entry. */
	col->v[col->n].reason = strdup(v->reason ? v->reason : "");
	if (!col->v[col->n].reason) {
		col->failed = true;
		return 1;
	}
	col->n++;
	return 0;
}

/* collect_free - the copies and their reasons. */
static void collect_free(struct collect *col)
{
	size_t i;

	for (i = 0; i < col->n; i++)
		free((char *)col->v[i].reason);
	free(col->v);
	memset(col, 0, sizeof(*col));
}

/* verdict_cmp - IPv4 before IPv6, then by address, then by length. */
static int verdict_cmp(const void *pa, const void *pb)
{
	const struct daemon_verdict *a = pa, *b = pb;
	int r;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	r = memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
	if (r)
		return r;
	return (int)a->addr.plen - (int)b->addr.plen;
}

/* collect_sorted - every verdict passing filter, sorted; -1 on OOM. */
static int collect_sorted(struct control_conn *c, unsigned filter,
			  struct collect *col)
{
	memset(col, 0, sizeof(*col));
	daemon_foreach(control_daemon(c), filter, collect_one, col);
	if (col->failed) {
		collect_free(col);
		control_fail(c, CTLPROTO_ERROR, "%s: out of memory",
			     c->req.argv[0]);
		return -1;
	}
	if (col->n)
		qsort(col->v, col->n, sizeof(*col->v), verdict_cmp);
	return 0;
}

/* ---- evaluations (show, test) ---- */

/* reply_text - a list reply as dotted quad. */
static const char *reply_text(const uint8_t r[4], char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	return buf;
}

/* json_verdict - a struct verdict, evidence included, as JSON. */
static void json_verdict(struct json *j, const char *key,
			 const struct verdict *v)
{
	char a[ADDR_STRLEN], r[20];
	int i, k;

	json_object_begin(j, key);
	json_string(j, "client", addr_format(&v->client, a, sizeof(a)));
	json_string(j, "key", addr_format(&v->addr, a, sizeof(a)));
	json_string(j, "action", verdict_action_name(v->action));
	json_string(j, "reason", verdict_reason_name(v->reason));
	json_int(j, "score", v->score);
	json_uint(j, "ttl", v->ttl);
	json_bool(j, "observe", v->observe);
	json_bool(j, "tempfail", v->tempfail);
	json_string(j, "ptr", v->ptr);
	json_string(j, "name", v->name);
	json_string(j, "fcrdns", verdict_fcrdns_name(v->fcrdns));
	if (v->rule.table[0]) {
		json_object_begin(j, "rule");
		json_string(j, "table", v->rule.table);
		json_int(j, "line", v->rule.line);
		json_string(j, "key", v->rule.key);
		json_string(j, "text", v->rule.text);
		json_string(j, "result", v->rule.result);
		json_object_end(j);
	} else {
		json_null(j, "rule");
	}
	json_string(j, "list", v->list[0] ? v->list : NULL);
	if (v->list[0])
		json_string(j, "reply", reply_text(v->reply, r, sizeof(r)));
	json_string(j, "txt", v->txt);
	json_array_begin(j, "lists");
	for (i = 0; i < v->nlists && i < VERDICT_LISTS_MAX; i++) {
		const struct verdict_list *l = &v->lists[i];

		json_object_begin(j, NULL);
		json_string(j, "list", l->list);
		json_string(j, "kind", verdict_kind_name(l->kind));
		json_string(j, "filter", l->filter);
		json_int(j, "weight", l->weight);
		json_string(j, "outcome", verdict_outcome_name(l->outcome));
		json_array_begin(j, "replies");
		for (k = 0; k < l->nreplies && k < VERDICT_REPLIES_MAX; k++)
			json_string(j, NULL,
				    reply_text(l->replies[k], r, sizeof(r)));
		json_array_end(j);
		json_uint(j, "ttl", l->ttl);
		json_string(j, "txt", l->txt);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* text_verdict - verdict_print's lines, indented under a heading. */
static void text_verdict(struct control_conn *c, const struct verdict *v)
{
	char *mem = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&mem, &len);

	if (!fp) {
		c->out.failed = true;
		return;
	}
	verdict_print(fp, v);
	fclose(fp);
	for (line = strtok_r(mem, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		text(c, "  %s\n", line);
	free(mem);
}

/* eval_start - a dry-run evaluation of a for c; -1 when impossible. */
static int eval_start(struct control_conn *c, const struct mx_addr *a,
		      const char *name, eval_done_cb done)
{
	struct eval *ev = daemon_eval(control_daemon(c));

	if (!ev)
		return -1;
	c->pending = eval_request(ev, a, name, EVAL_DRY_RUN, done, c);
	return c->pending ? 0 : -1;
}

/* show_done - the dry-run evaluation for show has ended. */
static void show_done(const struct verdict *v, void *arg)
{
	struct control_conn *c = arg;

	c->pending = NULL;
	if (c->req.json) {
		json_verdict(&c->j, "evaluation", v);
		json_object_end(&c->j);
	} else {
		text(c, "evaluation now (changes nothing):\n");
		text_verdict(c, v);
	}
	c->status = c->found ? CTLPROTO_OK : CTLPROTO_NOMATCH;
	control_finish(c);
}

/*
 * cmd_show - show ADDR: the cached verdict (or the prefix covering the
 * address) with expiry and kernel hits, then what an evaluation now
 * finds, with every list's reply and the deciding rule's file:line.
 * nomatch when no verdict is cached.
 */
static int cmd_show(struct control_conn *c)
{
	struct daemon_verdict v;
	struct mx_addr a;
	char s[ADDR_STRLEN], e[48], t[32], q[LOG_QUOTE_BUFSZ];
	time_t now = time(NULL);

	if (c->req.argc != 2)
		return usage(c, "ADDR[/LEN]");
	if (parse_prefix(c, c->req.argv[1], &a) < 0)
		return CONTROL_DONE;
	c->found = daemon_lookup(control_daemon(c), &a, &v) == 0;
	addr_format(&a, s, sizeof(s));
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "address", s);
		if (c->found)
			json_cached(&c->j, "verdict", &v, now);
		else
			json_null(&c->j, "verdict");
	} else if (c->found) {
		text(c, "%s: %s (%s)", s, cache_action_name(v.action),
		     cache_origin_name(v.origin));
		if (v.addr.plen != addr_bits(&v.addr))
			text(c, " by %s", addr_format(&v.addr, e, sizeof(e)));
		text(c, ", expires %s", fmt_expiry(v.expires, now, e,
						   sizeof(e)));
		if (v.expires)
			text(c, " (%s)", fmt_time(v.expires, t, sizeof(t)));
		text(c, "\n  reason:      %s\n",
		     printable(v.reason, q, sizeof(q)));
		text(c, "  score:       %d\n", v.score);
		text(c, "  decided:     %s\n", fmt_time(v.decided, t,
							 sizeof(t)));
		text(c, "  kernel hits: %" PRIu64 "\n", v.kernel_hits);
		if (v.stale)
			text(c, "  stale:       rules changed; being decided "
				"again\n");
	} else {
		text(c, "%s: no verdict\n", s);
	}
	/* Only a single address can be evaluated. */
	if (a.plen == addr_bits(&a) && eval_start(c, &a, NULL, show_done) == 0)
		return CONTROL_PENDING;
	if (c->req.json)
		json_object_end(&c->j);
	c->status = c->found ? CTLPROTO_OK : CTLPROTO_NOMATCH;
	return CONTROL_DONE;
}

/* test_done - the evaluation for test has ended. */
static void test_done(const struct verdict *v, void *arg)
{
	struct control_conn *c = arg;

	c->pending = NULL;
	if (c->req.json) {
		json_verdict(&c->j, NULL, v);
	} else {
		text(c, "%s: would %s (evaluation only, nothing changed)\n",
		     c->req.argv[1],
		     v->action == VERDICT_BLOCK   ? "block"
		     : v->action == VERDICT_ALLOW ? "allow"
						  : "pass (no verdict)");
		text_verdict(c, v);
	}
	c->status = v->action == VERDICT_BLOCK ? CTLPROTO_OK
					       : CTLPROTO_NOMATCH;
	control_finish(c);
}

/*
 * cmd_test - test ADDR [--name HOST]: a full evaluation that changes
 * nothing. ok when it would block, nomatch otherwise (as pfctl -T test).
 */
static int cmd_test(struct control_conn *c)
{
	const char *name = NULL;
	struct mx_addr a;

	if (c->req.argc == 4 && strcmp(c->req.argv[2], "--name") == 0)
		name = c->req.argv[3];
	else if (c->req.argc != 2)
		return usage(c, "ADDR [--name HOST]");
	if (addr_parse(c->req.argv[1], &a) < 0)
		return parse_prefix(c, c->req.argv[1], &a), CONTROL_DONE;
	if (eval_start(c, &a, name, test_done) < 0) {
		control_fail(c, CTLPROTO_ERROR, "test: no evaluator in this "
			     "daemon (or out of memory)");
		return CONTROL_DONE;
	}
	return CONTROL_PENDING;
}

/* ---- changing verdicts ---- */

/*
 * struct change_args - block/allow/forget arguments.
 *   addrs, n    the ADDR[/LEN] words;
 *   ttl         seconds; 0 (block_ttl/allow_ttl) when --ttl is not
 *               given, DAEMON_TTL_FOREVER for --ttl never;
 *   reason      --reason TEXT or NULL.
 */
struct change_args {
	char **addrs;
	int n;
	uint32_t ttl;
	const char *reason;
};

/* change_parse - words after the command; -1 with an error answer. */
static int change_parse(struct control_conn *c, bool options,
			struct change_args *ca)
{
	static const char syn[] = "ADDR[/LEN]... [--ttl DURATION] "
				  "[--reason TEXT]";
	const char *why;
	long secs;
	int i;

	memset(ca, 0, sizeof(*ca));
	ca->ttl = 0;
	ca->addrs = calloc((size_t)c->req.argc, sizeof(char *));
	if (!ca->addrs)
		return control_fail(c, CTLPROTO_ERROR, "out of memory"), -1;
	for (i = 1; i < c->req.argc; i++) {
		char *w = c->req.argv[i];

		if (options && strcmp(w, "--ttl") == 0 &&
		    i + 1 < c->req.argc &&
		    strcmp(c->req.argv[i + 1], "never") == 0) {
			ca->ttl = DAEMON_TTL_FOREVER;
			i++;
		} else if (options && strcmp(w, "--ttl") == 0 &&
			   i + 1 < c->req.argc) {
			secs = 0;
			why = "must be positive";
			if (config_duration(c->req.argv[++i], &secs, &why) < 0
			    || secs <= 0 || secs >= DAEMON_TTL_FOREVER) {
				control_fail(c, CTLPROTO_ERROR, "%s: --ttl "
					     "\"%s\": %s", c->req.argv[0],
					     c->req.argv[i], why);
				return -1;
			}
			ca->ttl = (uint32_t)secs;
		} else if (options && strcmp(w, "--reason") == 0 &&
			   i + 1 < c->req.argc) {
			ca->reason = c->req.argv[++i];
		} else if (w[0] == '-') {
			usage(c, options ? syn : "ADDR[/LEN]...");
			return -1;
		} else {
			ca->addrs[ca->n++] = w;
		}
	}
	if (ca->n == 0) {
		usage(c, options ? syn : "ADDR[/LEN]...");
		return -1;
	}
	return 0;
}

/* change_answer - "2/3 addresses blocked." and its status. */
static void change_answer(struct control_conn *c, int done, int n,
			  const char *verb)
{
	if (done == n)
		c->status = CTLPROTO_OK;
	else if (done == 0 && strcmp(verb, "deleted") != 0)
		c->status = CTLPROTO_ERROR;
	else
		c->status = CTLPROTO_NOMATCH;
	/* An error answer is text, also after --json (see ctlproto.h). */
	if (c->req.json && c->status != CTLPROTO_ERROR) {
		json_int(&c->j, "requested", n);
		json_int(&c->j, verb, done);
		json_object_end(&c->j);
	} else {
		text(c, "%d/%d addresses %s.\n", done, n, verb);
	}
}

/* cmd_set - block or allow: daemon_block/daemon_allow per address. */
static int cmd_set(struct control_conn *c, bool block)
{
	struct change_args ca;
	struct mx_addr a;
	char err[256], q[LOG_QUOTE_BUFSZ];
	const char *why;
	int i, done = 0, r;

	if (change_parse(c, true, &ca) < 0)
		goto out;
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_array_begin(&c->j, "failed");
	}
	for (i = 0; i < ca.n; i++) {
		if (addr_parse_prefix(ca.addrs[i], &a, false, &why) < 0) {
			snprintf(err, sizeof(err), "not an address or "
				 "prefix: %s", why);
		} else {
			err[0] = '\0';
			r = block ? daemon_block(control_daemon(c), &a, ca.ttl,
						 ca.reason, err, sizeof(err))
				  : daemon_allow(control_daemon(c), &a, ca.ttl,
						 ca.reason, err, sizeof(err));
			if (r == 0) {
				done++;
				continue;
			}
		}
		/* Text too: it is the answer if nothing was added. */
		text(c, "%s: %s\n", log_quote(q, sizeof(q), ca.addrs[i],
					       (size_t)-1), err);
		if (c->req.json) {
			json_object_begin(&c->j, NULL);
			json_string(&c->j, "address", ca.addrs[i]);
			json_string(&c->j, "error", err);
			json_object_end(&c->j);
		}
	}
	if (c->req.json)
		json_array_end(&c->j);
	change_answer(c, done, ca.n, block ? "blocked" : "allowed");
out:
	free(ca.addrs);
	return CONTROL_DONE;
}

static int cmd_block(struct control_conn *c)
{
	return cmd_set(c, true);
}

static int cmd_allow(struct control_conn *c)
{
	return cmd_set(c, false);
}

/* cmd_forget - forget ADDR[/LEN]...: nomatch if some had no verdict. */
static int cmd_forget(struct control_conn *c)
{
	struct change_args ca;
	struct mx_addr a;
	int i, done = 0;

	if (change_parse(c, false, &ca) < 0)
		goto out;
	for (i = 0; i < ca.n; i++)
		if (parse_prefix(c, ca.addrs[i], &a) < 0)
			goto out;
	if (c->req.json)
		json_object_begin(&c->j, NULL);
	for (i = 0; i < ca.n; i++) {
		parse_prefix(c, ca.addrs[i], &a);
		done += daemon_forget(control_daemon(c), &a);
	}
	change_answer(c, done, ca.n, "deleted");
out:
	free(ca.addrs);
	return CONTROL_DONE;
}

/* cmd_flush - flush [--all]: evaluated verdicts, or every verdict. */
static int cmd_flush(struct control_conn *c)
{
	bool all = c->req.argc == 2 && strcmp(c->req.argv[1], "--all") == 0;
	size_t n;

	if (c->req.argc > 2 || (c->req.argc == 2 && !all))
		return usage(c, "[--all]");
	n = daemon_flush(control_daemon(c), all);
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_uint(&c->j, "flushed", n);
		json_bool(&c->j, "all", all);
		json_object_end(&c->j);
	} else {
		text(c, "%zu verdicts flushed%s.\n", n,
		     all ? "" : " (manual verdicts kept; --all flushes them)");
	}
	return CONTROL_DONE;
}

/* cmd_reload - reload: the new configuration, or the old one kept. */
static int cmd_reload(struct control_conn *c)
{
	char msg[1024];

	if (c->req.argc != 1)
		return usage(c, "");
	if (daemon_reload(control_daemon(c), msg, sizeof(msg)) < 0) {
		control_fail(c, CTLPROTO_ERROR, "reload: %s", msg);
		return CONTROL_DONE;
	}
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_bool(&c->j, "reloaded", true);
		json_string(&c->j, "message", msg);
		json_object_end(&c->j);
	} else {
		text(c, "reload: %s\n", msg);
	}
	return CONTROL_DONE;
}

/* ---- reading commands ---- */

/* cmd_list - list [--blocked|--allowed]: one line per verdict. */
static int cmd_list(struct control_conn *c)
{
	struct collect col;
	unsigned filter = 0;
	time_t now = time(NULL);
	size_t i;

	if (c->req.argc == 2 && strcmp(c->req.argv[1], "--blocked") == 0)
		filter = DAEMON_LIST_BLOCKED;
	else if (c->req.argc == 2 && strcmp(c->req.argv[1], "--allowed") == 0)
		filter = DAEMON_LIST_ALLOWED;
	else if (c->req.argc != 1)
		return usage(c, "[--blocked|--allowed]");
	if (collect_sorted(c, filter, &col) < 0)
		return CONTROL_DONE;
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "source", "daemon");
		json_array_begin(&c->j, "verdicts");
	} else if (col.n) {
		text(c, "%-24s %-6s %-7s %-14s %8s  %s\n", "ADDRESS", "ACTION",
		     "ORIGIN", "EXPIRES", "HITS", "REASON");
	}
	for (i = 0; i < col.n; i++) {
		if (c->req.json)
			json_cached(&c->j, NULL, &col.v[i], now);
		else
			text_cached_line(c, &col.v[i], now);
	}
	if (c->req.json) {
		json_array_end(&c->j);
		json_object_end(&c->j);
	}
	collect_free(&col);
	return CONTROL_DONE;
}

/* struct list_sum - list health summed up for status. */
struct list_sum {
	int ok, quarantined, unknown;
};

static void sum_list(const struct dnsbl_health *h, void *arg)
{
	struct list_sum *s = arg;

	if (h->state == DNSBL_OK)
		s->ok++;
	else if (h->state == DNSBL_QUARANTINED)
		s->quarantined++;
	else
		s->unknown++;
}

/*
 * iface_attached - how mxwall's XDP program sits on an interface now,
 * as the kernel reports it (netlink; no privilege needed). A TC
 * attachment is not looked for: "no XDP" covers "tc" and "none".
 */
static const char *iface_attached(const char *ifname)
{
#if MXWALL_LINUX
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	unsigned ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return "no such interface";
	if (bpf_xdp_query((int)ifindex, 0, &q) < 0)
		return "unknown";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "several modes";
	default:
		return "no XDP (tc, or not attached)";
	}
#else
	return "unknown";
#endif
}

/* cmd_status - status: version, mode, backend, uptime, counts. */
static int cmd_status(struct control_conn *c)
{
	const struct mx_config *cfg = daemon_config(control_daemon(c));
	struct eval *ev = daemon_eval(control_daemon(c));
	struct list_sum ls = { 0, 0, 0 };
	struct daemon_status st;
	char t[32], u[32], r[32];
	time_t now = time(NULL);
	int i;

	if (c->req.argc != 1)
		return usage(c, "");
	daemon_status(control_daemon(c), &st);
	if (ev)
		eval_lists(ev, sum_list, &ls);
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_bool(&c->j, "daemon_running", true);
		json_string(&c->j, "version", st.version);
		json_string(&c->j, "config", st.config_path);
		json_string(&c->j, "mode", st.mode);
		json_bool(&c->j, "breaker", st.breaker);
		json_string(&c->j, "backend", st.backend);
		json_string(&c->j, "attach_mode", cfg->attach_mode);
		json_array_begin(&c->j, "interfaces");
		for (i = 0; i < cfg->interfaces.n; i++) {
			json_object_begin(&c->j, NULL);
			json_string(&c->j, "name", cfg->interfaces.v[i]);
			json_string(&c->j, "attached",
				    iface_attached(cfg->interfaces.v[i]));
			json_object_end(&c->j);
		}
		json_array_end(&c->j);
		json_string(&c->j, "user", st.user);
		json_int(&c->j, "started", (int64_t)st.started);
		json_int(&c->j, "uptime", (int64_t)(now - st.started));
		json_int(&c->j, "last_reload", (int64_t)st.last_reload);
		json_bool(&c->j, "last_reload_ok", st.last_reload_ok);
		json_uint(&c->j, "blocked", st.blocked);
		json_uint(&c->j, "allowed", st.allowed);
		json_uint(&c->j, "pending", st.pending);
		json_uint(&c->j, "evaluations", st.evaluations);
		json_object_begin(&c->j, "lists");
		json_int(&c->j, "ok", ls.ok);
		json_int(&c->j, "quarantined", ls.quarantined);
		json_int(&c->j, "unknown", ls.unknown);
		json_object_end(&c->j);
		json_int(&c->j, "snapshot_written",
			 (int64_t)st.snapshot_written);
		json_object_end(&c->j);
		return CONTROL_DONE;
	}
	text(c, "mxwalld %s, running since %s (up %s)\n", st.version,
	     fmt_time(st.started, t, sizeof(t)),
	     fmt_secs((long)(now - st.started), u, sizeof(u)));
	text(c, "configuration  %s (last reload: %s%s)\n", st.config_path,
	     fmt_time(st.last_reload, r, sizeof(r)),
	     st.last_reload && !st.last_reload_ok ? ", failed" : "");
	text(c, "mode           %s%s\n", st.mode,
	     st.breaker ? " (circuit breaker tripped: observing)" : "");
	text(c, "backend        %s, attach mode %s, interfaces:", st.backend,
	     cfg->attach_mode);
	for (i = 0; i < cfg->interfaces.n; i++)
		text(c, "%s %s (%s)", i ? "," : "", cfg->interfaces.v[i],
		     iface_attached(cfg->interfaces.v[i]));
	text(c, "%s\n", cfg->interfaces.n ? "" : " none");
	text(c, "verdicts       %zu blocked, %zu allowed, %zu pending; "
		"%" PRIu64 " evaluations\n", st.blocked, st.allowed,
	     st.pending, st.evaluations);
	text(c, "lists          %d ok, %d quarantined, %d not probed yet\n",
	     ls.ok, ls.quarantined, ls.unknown);
	text(c, "snapshot       %s\n",
	     fmt_time(st.snapshot_written, t, sizeof(t)));
	return CONTROL_DONE;
}

/* dnsbl_state_name - the health word mxwallctl prints. */
static const char *dnsbl_state_name(int state)
{
	return state == DNSBL_OK	  ? "ok"
	       : state == DNSBL_QUARANTINED ? "quarantined"
					    : "unknown";
}

/* json_list_counts - a list's query counters and mean answer time. */
static void json_list_counts(struct json *j, const struct dnsbl_health *h)
{
	json_uint(j, "queries", h->queries);
	json_uint(j, "listed", h->listed);
	json_uint(j, "errors", h->errors);
	json_uint(j, "timeouts", h->timeouts);
	json_double(j, "rtt_ms", h->rtt_ms);
}

/* one_list - one list's health, as text or JSON. */
static void one_list(const struct dnsbl_health *h, void *arg)
{
	struct control_conn *c = arg;
	char t[32], q[LOG_QUOTE_BUFSZ];

	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "list", h->domain);
		json_string(&c->j, "kind", verdict_kind_name(h->kind));
		json_string(&c->j, "filter", h->filter);
		json_int(&c->j, "weight", h->weight);
		json_string(&c->j, "state", dnsbl_state_name(h->state));
		json_string(&c->j, "why", h->why);
		json_string(&c->j, "note", h->dead_note);
		json_int(&c->j, "checked", (int64_t)h->checked);
		json_int(&c->j, "since", (int64_t)h->since);
		json_list_counts(&c->j, h);
		json_object_end(&c->j);
		return;
	}
	text(c, "%-30s %-5s %-11s weight %d%s%s\n", h->domain,
	     verdict_kind_name(h->kind), dnsbl_state_name(h->state),
	     h->weight, h->filter && *h->filter ? ", filter " : "",
	     h->filter ? h->filter : "");
	text(c, "  last probe %s", fmt_time(h->checked, t, sizeof(t)));
	if (h->why && *h->why)
		text(c, ": %s", log_quote(q, sizeof(q), h->why, (size_t)-1));
	text(c, "\n  %" PRIu64 " queries, %" PRIu64 " listed, %" PRIu64
		" errors, %" PRIu64 " timeouts, %.1f ms mean\n",
	     h->queries, h->listed, h->errors, h->timeouts, h->rtt_ms);
	if (h->dead_note)
		text(c, "  note: %s\n", h->dead_note);
}

/* cmd_dnsbl - dnsbl: each list's health, last probe, quarantine. */
static int cmd_dnsbl(struct control_conn *c)
{
	struct eval *ev = daemon_eval(control_daemon(c));
	int n = 0;

	if (c->req.argc != 1)
		return usage(c, "");
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_array_begin(&c->j, "lists");
	}
	if (ev)
		n = eval_lists(ev, one_list, c);
	if (c->req.json) {
		json_array_end(&c->j);
		json_object_end(&c->j);
	} else if (n == 0) {
		text(c, "no lists configured (dnsbl_sites, rhsbl_sites)\n");
	}
	return CONTROL_DONE;
}

/* cmd_config - config: the effective settings and where they are set. */
static int cmd_config(struct control_conn *c)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *fp;

	if (c->req.argc != 1)
		return usage(c, "");
	fp = open_memstream(&mem, &len);
	if (!fp) {
		control_fail(c, CTLPROTO_ERROR, "config: out of memory");
		return CONTROL_DONE;
	}
	config_dump(fp, daemon_config(control_daemon(c)), c->req.json);
	fclose(fp);
	ctlproto_buf_add(&c->out, mem, len);
	free(mem);
	c->raw = true;
	return CONTROL_DONE;
}

/* ---- stats ---- */

/* prom_label - a label value for the exposition format, escaped. */
static const char *prom_label(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\', buf[n++] = *s;
		else if (*s == '\n')
			buf[n++] = '\\', buf[n++] = 'n';
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * struct stats_ctx - stats being written.
 *   c      the connection;
 *   prom   Prometheus text exposition format;
 *   pass   which metric family one_list_stat writes (prom: one family
 *          per pass, so each has one HELP/TYPE header).
 */
struct stats_ctx {
	struct control_conn *c;
	bool prom;
	int pass;
};

static const char *const list_metric[] = {
	"queries", "listed", "errors", "timeouts", "rtt_ms",
};

static void one_list_stat(const struct dnsbl_health *h, void *arg)
{
	struct stats_ctx *sc = arg;
	struct control_conn *c = sc->c;
	const uint64_t v[] = { h->queries, h->listed, h->errors, h->timeouts };
	char l[512];

	if (sc->prom) {
		prom_label(h->domain, l, sizeof(l));
		if (sc->pass < 4)
			text(c, "mxwall_dnsbl_%s_total{list=\"%s\"} %" PRIu64
				"\n", list_metric[sc->pass], l, v[sc->pass]);
		else
			text(c, "mxwall_dnsbl_rtt_ms{list=\"%s\"} %.3f\n", l,
			     h->rtt_ms);
	} else if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "list", h->domain);
		json_list_counts(&c->j, h);
		json_object_end(&c->j);
	} else {
		text(c, "  %-30s %8" PRIu64 " queries %8" PRIu64 " listed %6"
			PRIu64 " errors %6" PRIu64 " timeouts %8.1f ms\n",
		     h->domain, h->queries, h->listed, h->errors,
		     h->timeouts, h->rtt_ms);
	}
}

/* kernel_counters - the pinned counters; false when not available. */
static bool kernel_counters(struct control_conn *c,
			    uint64_t out[MX_CNT__MAX])
{
#if MXWALL_LINUX
	struct kern *k = control_kern(c);

	return k && kern_counters(k, out) == 0;
#else
	return false;
#endif
}

/* policy_counters - the policy server's counters; false without one. */
static bool policy_counters(struct control_conn *c, struct policy_stats *ps)
{
	struct policy_server *p = control_policy(c);

	memset(ps, 0, sizeof(*ps));
	if (!p)
		return false;
	policy_get_stats(p, ps);
	return true;
}

/* stats_prom - the text exposition format (node_exporter textfile). */
static void stats_prom(struct control_conn *c, bool have_k,
		       const uint64_t *k, const struct eval_stats *es,
		       const struct daemon_status *st, struct eval *ev)
{
	struct stats_ctx sc = { c, true, 0 };
	struct policy_stats pst;
	int i;

	if (have_k) {
		text(c, "# HELP mxwall_packets_total Packets the kernel "
			"program counted, by outcome.\n"
			"# TYPE mxwall_packets_total counter\n");
		for (i = 0; i < MX_CNT__MAX; i++)
			text(c, "mxwall_packets_total{outcome=\"%s\"} %" PRIu64
				"\n", kern_counter_name(i), k[i]);
	}
	text(c, "# HELP mxwall_verdicts Cached verdicts by action.\n"
		"# TYPE mxwall_verdicts gauge\n"
		"mxwall_verdicts{action=\"block\"} %zu\n"
		"mxwall_verdicts{action=\"allow\"} %zu\n",
	     st->blocked, st->allowed);
	text(c, "# HELP mxwall_evaluations_total Evaluations by result.\n"
		"# TYPE mxwall_evaluations_total counter\n"
		"mxwall_evaluations_total{result=\"block\"} %" PRIu64 "\n"
		"mxwall_evaluations_total{result=\"allow\"} %" PRIu64 "\n"
		"mxwall_evaluations_total{result=\"none\"} %" PRIu64 "\n",
	     es->blocked, es->allowed, es->none);
	if (policy_counters(c, &pst))
		text(c, "# HELP mxwall_policy_requests_total Policy requests "
			"by answer.\n"
			"# TYPE mxwall_policy_requests_total counter\n"
			"mxwall_policy_requests_total{answer=\"dunno\"} %"
			PRIu64 "\n"
			"mxwall_policy_requests_total{answer=\"reject\"} %"
			PRIu64 "\n"
			"mxwall_policy_requests_total{answer=\"other\"} %"
			PRIu64 "\n"
			"mxwall_policy_requests_total{answer=\"bad\"} %"
			PRIu64 "\n",
		     pst.dunno, pst.rejects, pst.others, pst.bad);
	text(c, "# HELP mxwall_dns_queries_total DNS queries sent.\n"
		"# TYPE mxwall_dns_queries_total counter\n"
		"mxwall_dns_queries_total %" PRIu64 "\n"
		"# HELP mxwall_dns_timeouts_total DNS queries unanswered.\n"
		"# TYPE mxwall_dns_timeouts_total counter\n"
		"mxwall_dns_timeouts_total %" PRIu64 "\n",
	     es->queries, es->timeouts);
	if (!ev)
		return;
	for (sc.pass = 0; sc.pass < 5; sc.pass++) {
		if (sc.pass < 4)
			text(c, "# HELP mxwall_dnsbl_%s_total Client "
				"queries to each list: %s.\n# TYPE "
				"mxwall_dnsbl_%s_total counter\n",
			     list_metric[sc.pass], list_metric[sc.pass],
			     list_metric[sc.pass]);
		else
			text(c, "# HELP mxwall_dnsbl_rtt_ms Mean answer time "
				"of each list, ms.\n"
				"# TYPE mxwall_dnsbl_rtt_ms gauge\n");
		eval_lists(ev, one_list_stat, &sc);
	}
}

/*
 * cmd_stats - stats [--prometheus]: kernel counters by outcome, lists,
 * evaluations, policy requests by answer and cache size.
 */
static int cmd_stats(struct control_conn *c)
{
	struct eval *ev = daemon_eval(control_daemon(c));
	struct stats_ctx sc = { c, false, 0 };
	struct eval_stats es;
	struct daemon_status st;
	uint64_t k[MX_CNT__MAX];
	struct policy_stats pst;
	bool prom, have_k, have_p;
	int i;

	prom = c->req.argc == 2 && strcmp(c->req.argv[1], "--prometheus") == 0;
	if (c->req.argc > 2 || (c->req.argc == 2 && !prom))
		return usage(c, "[--prometheus]");
	memset(&es, 0, sizeof(es));
	if (ev)
		eval_get_stats(ev, &es);
	daemon_status(control_daemon(c), &st);
	have_k = kernel_counters(c, k);
	have_p = policy_counters(c, &pst);
	if (prom) {
		stats_prom(c, have_k, k, &es, &st, ev);
		c->raw = true;
		return CONTROL_DONE;
	}
	if (c->req.json) {
		json_object_begin(&c->j, NULL);
		json_bool(&c->j, "daemon_running", true);
		if (have_k) {
			json_object_begin(&c->j, "kernel");
			for (i = 0; i < MX_CNT__MAX; i++)
				json_uint(&c->j, kern_counter_name(i), k[i]);
			json_object_end(&c->j);
		} else {
			json_null(&c->j, "kernel");
		}
		json_object_begin(&c->j, "verdicts");
		json_uint(&c->j, "blocked", st.blocked);
		json_uint(&c->j, "allowed", st.allowed);
		json_object_end(&c->j);
		json_object_begin(&c->j, "evaluations");
		json_uint(&c->j, "requests", es.requests);
		json_uint(&c->j, "joined", es.joined);
		json_uint(&c->j, "urgent", es.urgent);
		json_uint(&c->j, "promoted", es.promoted);
		json_uint(&c->j, "blocked", es.blocked);
		json_uint(&c->j, "allowed", es.allowed);
		json_uint(&c->j, "none", es.none);
		json_uint(&c->j, "dns_queries", es.queries);
		json_uint(&c->j, "dns_timeouts", es.timeouts);
		json_object_end(&c->j);
		json_array_begin(&c->j, "lists");
		if (ev)
			eval_lists(ev, one_list_stat, &sc);
		json_array_end(&c->j);
		if (have_p) {
			json_object_begin(&c->j, "policy");
			json_uint(&c->j, "requests", pst.requests);
			json_uint(&c->j, "dunno", pst.dunno);
			json_uint(&c->j, "reject", pst.rejects);
			json_uint(&c->j, "other", pst.others);
			json_uint(&c->j, "bad", pst.bad);
			json_uint(&c->j, "timeouts", pst.timeouts);
			json_uint(&c->j, "connections", pst.connections);
			json_object_end(&c->j);
		} else {
			json_null(&c->j, "policy");
		}
		json_object_end(&c->j);
		return CONTROL_DONE;
	}
	text(c, "kernel:%s\n", have_k ? "" : " counters not available");
	for (i = 0; have_k && i < MX_CNT__MAX; i++)
		text(c, "  %-20s %12" PRIu64 "\n", kern_counter_name(i), k[i]);
	text(c, "verdicts: %zu blocked, %zu allowed (cache size %zu)\n",
	     st.blocked, st.allowed, st.blocked + st.allowed);
	text(c, "evaluations: %" PRIu64 " requests (%" PRIu64 " joined), %"
		PRIu64 " blocked, %" PRIu64 " allowed, %" PRIu64 " none; %"
		PRIu64 " DNS queries, %" PRIu64 " timed out; %" PRIu64
		" urgent (%" PRIu64 " promoted)\n",
	     es.requests, es.joined, es.blocked, es.allowed, es.none,
	     es.queries, es.timeouts, es.urgent, es.promoted);
	if (have_p)
		text(c, "policy: %" PRIu64 " requests: %" PRIu64 " dunno, %"
			PRIu64 " reject, %" PRIu64 " other; %" PRIu64 " bad, %"
			PRIu64 " timed out\n", pst.requests, pst.dunno,
		     pst.rejects, pst.others, pst.bad, pst.timeouts);
	text(c, "lists:\n");
	if (ev)
		eval_lists(ev, one_list_stat, &sc);
	return CONTROL_DONE;
}

/* ---- export ---- */

/*
 * safe_txt - reason text fit for one line of a zone or table file:
 * printable ASCII; '$' (rbldnsd's address placeholder) and '#' become
 * '_'.
 */
static const char *safe_txt(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		buf[n++] = (*s >= 0x20 && *s < 0x7f && *s != '$' && *s != '#')
				   ? *s
				   : '_';
	buf[n] = '\0';
	return buf;
}

/* csv_field - one RFC 4180 field. */
static void csv_field(struct control_conn *c, const char *s, bool last)
{
	text(c, "\"");
	for (; *s; s++)
		text(c, *s == '"' ? "\"\"" : "%c", *s);
	text(c, last ? "\"\n" : "\",");
}

/*
 * cmd_export - export --format rbldnsd|pf|csv: the verdicts for other
 * hosts and tools. rbldnsd and pf get the blocks only, CSV everything.
 * The rbldnsd file is a "combined" dataset: an ip4set for IPv4, then an
 * ip6trie for IPv6 (verdicts are sorted IPv4 first), both answering
 * 127.0.0.2 with the reason as TXT.
 */
static int cmd_export(struct control_conn *c)
{
	struct collect col;
	const char *fmt;
	char a[ADDR_STRLEN], t[32], s[LOG_QUOTE_BUFSZ];
	size_t i;
	bool csv, pf, rbl, v6 = false;

	if (c->req.argc != 3 || strcmp(c->req.argv[1], "--format") != 0)
		return usage(c, "--format rbldnsd|pf|csv");
	fmt = c->req.argv[2];
	csv = strcmp(fmt, "csv") == 0;
	pf = strcmp(fmt, "pf") == 0;
	rbl = strcmp(fmt, "rbldnsd") == 0;
	if (!csv && !pf && !rbl)
		return usage(c, "--format rbldnsd|pf|csv");
	if (collect_sorted(c, csv ? 0 : DAEMON_LIST_BLOCKED, &col) < 0)
		return CONTROL_DONE;
	if (c->req.json) {
		/* The same verdicts as data; the file formats are text. */
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "format", fmt);
		json_array_begin(&c->j, "verdicts");
		for (i = 0; i < col.n; i++)
			json_cached(&c->j, NULL, &col.v[i], time(NULL));
		json_array_end(&c->j);
		json_object_end(&c->j);
		collect_free(&col);
		return CONTROL_DONE;
	}
	c->raw = true;
	if (rbl) {
		text(c, "# mxwall blocked clients, %s: an rbldnsd combined "
			"dataset (ZONE:combined:FILE)\n"
			"$DATASET ip4set mxwall4 @\n"
			":127.0.0.2:Blocked by mxwall: $\n",
		     fmt_time(time(NULL), t, sizeof(t)));
	} else if (pf) {
		text(c, "# mxwall blocked clients, %s (pf table file)\n",
		     fmt_time(time(NULL), t, sizeof(t)));
	} else {
		text(c, "address,action,origin,score,decided,expires,"
			"kernel_hits,reason\n");
	}
	for (i = 0; i < col.n; i++) {
		const struct daemon_verdict *v = &col.v[i];

		addr_format(&v->addr, a, sizeof(a));
		if (rbl && v->addr.family != AF_INET && !v6) {
			text(c, "$DATASET ip6trie mxwall6 @\n"
				":127.0.0.2:Blocked by mxwall\n");
			v6 = true;
		}
		if (rbl) {
			text(c, "%s :127.0.0.2:%s\n", a,
			     safe_txt(v->reason, s, sizeof(s)));
		} else if (pf) {
			text(c, "%s\t# %s\n", a,
			     safe_txt(v->reason, s, sizeof(s)));
		} else {
			text(c, "%s,%s,%s,%d,%lld,%lld,%" PRIu64 ",", a,
			     cache_action_name(v->action),
			     cache_origin_name(v->origin), v->score,
			     (long long)v->decided, (long long)v->expires,
			     v->kernel_hits);
			csv_field(c, v->reason, true);
		}
	}
	collect_free(&col);
	return CONTROL_DONE;
}

/* ---- the table ---- */

const struct control_cmd control_cmds[] = {
	{ "status", false, cmd_status },
	{ "list", false, cmd_list },
	{ "show", false, cmd_show },
	{ "why", false, cmd_show },
	{ "test", false, cmd_test },
	{ "stats", false, cmd_stats },
	{ "dnsbl", false, cmd_dnsbl },
	{ "config", false, cmd_config },
	{ "export", false, cmd_export },
	{ "block", true, cmd_block },
	{ "allow", true, cmd_allow },
	{ "forget", true, cmd_forget },
	{ "flush", true, cmd_flush },
	{ "reload", true, cmd_reload },
	{ NULL, false, NULL },
};
