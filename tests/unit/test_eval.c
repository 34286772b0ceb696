/*
 * test_eval.c - the evaluator's contract (daemon/eval.c) without DNS
 * servers: static decisions, cidr and regexp rules with their evidence,
 * delivery from the event loop (never inside eval_request), joining,
 * cancelling, dry runs, and freeing with work in flight. The resolver
 * points at a closed port on loopback, so every query fails at once.
 * Urgent evaluations (EVAL_URGENT) get an evaluator of their own on a
 * DNS server inside the suite (fake_dns.h), which shows the order their
 * queries leave the resolver's queue in. Real DNS is
 * tests/t-eval-dns.sh's business.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "eval.h"
#include "evloop.h"
#include "fake_dns.h"
#include "log.h"

static const char conf_text[] =
	"dns_servers = 127.0.0.1:9\n"
	"dns_query_timeout = 1s\n"
	"dns_query_tries = 1\n"
	"dnsbl_timeout = 2s\n"
	"mynetworks = 10.9.0.0/16\n"
	"client_access = cidr:{ {192.0.2.0/24 REJECT bad range}, "
	"{198.51.100.0/24 OK} }\n"
	"client_checks = regexp:{ {/\\.dynamic\\./ REJECT dynamic} }\n";

struct fixture {
	struct mx_config *cfg;
	struct evloop *loop;
	struct eval *ev;
};

/* struct got - what a done callback saw. */
struct got {
	int calls;
	struct verdict v;
};

static void done(const struct verdict *v, void *arg)
{
	struct got *g = arg;

	g->calls++;
	memcpy(&g->v, v, sizeof(g->v));
}

static void quiet(enum log_sev sev, const char *line)
{
}

static int setup(void **state)
{
	static struct fixture f;
	char err[256];

	log_set_sink(quiet);
	f.cfg = config_load_text("test.conf", conf_text, strlen(conf_text),
				 CONFIG_OPEN_TABLES);
	assert_non_null(f.cfg);
	f.loop = evloop_create();
	f.ev = eval_create(f.loop, f.cfg, err, sizeof(err));
	if (!f.ev)
		fail_msg("eval_create: %s", err);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	eval_free(f->ev);
	evloop_free(f->loop);
	config_free(f->cfg);
	return 0;
}

/* run - turn the loop until every got has a call (at most 5 s). */
static void run(struct fixture *f, struct got *g, int n)
{
	struct timespec t0, t1;
	int i, left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0, left = 0; i < n; i++)
			left += g[i].calls == 0;
		if (!left)
			return;
		evloop_run_once(f->loop, 10);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (t1.tv_sec - t0.tv_sec < 5);
	for (i = 0; i < n; i++)
		print_message("got[%d].calls=%d\n", i, g[i].calls);
	fail_msg("no verdict after 5 s");
}

static void ask(struct fixture *f, const char *addr, const char *name,
		unsigned flags, struct got *g)
{
	struct mx_addr a;

	memset(g, 0, sizeof(*g));
	assert_int_equal(addr_parse(addr, &a), 0);
	assert_non_null(eval_request(f->ev, &a, name, flags, done, g));
	assert_int_equal(g->calls, 0); /* never from inside eval_request */
}

static void test_static(void **state)
{
	static const struct {
		const char *addr, *name;
		int action, reason;
		const char *table, *result;
	} cases[] = {
		{ "127.0.0.5", NULL, VERDICT_ALLOW, MX_REASON_STATIC,
		  "loopback", "OK" },
		{ "10.9.1.2", NULL, VERDICT_ALLOW, MX_REASON_STATIC,
		  "mynetworks", "OK" },
		{ "192.0.2.66", NULL, VERDICT_BLOCK, MX_REASON_PREFIX, "cidr:",
		  "REJECT bad range" },
		{ "198.51.100.7", NULL, VERDICT_ALLOW, MX_REASON_PREFIX,
		  "cidr:", "OK" },
		{ "203.0.113.9", "c-9.dynamic.example.net", VERDICT_BLOCK,
		  MX_REASON_RULE, "regexp:", "REJECT dynamic" },
	};
	struct fixture *f = *state;
	static struct got g;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(f, cases[i].addr, cases[i].name, EVAL_DRY_RUN, &g);
		run(f, &g, 1);
		assert_int_equal(g.calls, 1);
		if (g.v.action != cases[i].action ||
		    g.v.reason != cases[i].reason)
			fail_msg("%s: %s/%s", cases[i].addr,
				 verdict_action_name(g.v.action),
				 verdict_reason_name(g.v.reason));
		assert_memory_equal(g.v.rule.table, cases[i].table,
				    strlen(cases[i].table));
		assert_string_equal(g.v.rule.result, cases[i].result);
		assert_true(g.v.dry_run);
		assert_true(g.v.expires_ns > g.v.decided_ns);
	}
	assert_string_equal(g.v.rule.key, "c-9.dynamic.example.net");
	assert_int_equal(g.v.rule.line, 1);
	assert_int_equal(g.v.ttl, (uint32_t)f->cfg->block_ttl);
}

static void test_tempfail_never_blocks(void **state)
{
	struct fixture *f = *state;
	static struct got g;

	ask(f, "203.0.113.10", NULL, 0, &g);
	run(f, &g, 1);
	assert_int_equal(g.v.action, VERDICT_NONE);
	assert_true(g.v.tempfail);
	assert_int_equal(g.v.fcrdns, FCRDNS_TEMPFAIL);
	assert_string_equal(g.v.name, "unknown");
	assert_int_equal(g.v.ttl, (uint32_t)f->cfg->dnsbl_min_ttl);
}

static void test_join_and_cancel(void **state)
{
	struct fixture *f = *state;
	static struct got g[4];
	struct eval_stats before, after;
	struct eval_req *r;
	struct mx_addr a;

	eval_get_stats(f->ev, &before);
	ask(f, "203.0.113.11", NULL, 0, &g[0]);
	ask(f, "203.0.113.11", NULL, 0, &g[1]);
	ask(f, "203.0.113.11", NULL, EVAL_DRY_RUN, &g[2]);
	memset(&g[3], 0, sizeof(g[3]));
	addr_parse("203.0.113.11", &a);
	r = eval_request(f->ev, &a, NULL, 0, done, &g[3]);
	assert_non_null(r);
	eval_cancel(r);
	run(f, g, 3);
	evloop_run_once(f->loop, 10);
	eval_get_stats(f->ev, &after);
	assert_int_equal(after.requests - before.requests, 4);
	assert_int_equal(after.joined - before.joined, 2);
	assert_int_equal(after.evaluations - before.evaluations, 2);
	assert_int_equal(g[0].calls, 1);
	assert_int_equal(g[1].calls, 1);
	assert_int_equal(g[2].calls, 1);
	assert_int_equal(g[3].calls, 0);
	assert_false(g[0].v.dry_run);
	assert_true(g[2].v.dry_run);
	assert_int_equal(after.in_flight, 0);
}

static void test_ipv6_key(void **state)
{
	struct fixture *f = *state;
	static struct got g;
	char buf[ADDR_STRLEN];

	ask(f, "2001:db8:1:2:3:4:5:6", NULL, EVAL_DRY_RUN, &g);
	run(f, &g, 1);
	assert_string_equal(addr_format(&g.v.addr, buf, sizeof(buf)),
			    "2001:db8:1:2::/64");
	assert_string_equal(addr_format(&g.v.client, buf, sizeof(buf)),
			    "2001:db8:1:2:3:4:5:6");
}

static void test_free_in_flight(void **state)
{
	struct fixture *f = *state;
	static struct got g;
	char err[256];

	/* Work in flight when the evaluator goes: no call, no leak. */
	ask(f, "203.0.113.12", NULL, 0, &g);
	ask(f, "127.0.0.9", NULL, 0, &g);
	eval_free(f->ev);
	f->ev = eval_create(f->loop, f->cfg, err, sizeof(err));
	assert_non_null(f->ev);
	evloop_run_once(f->loop, 10);
	assert_int_equal(g.calls, 0);
}

/*
 * test_urgent - with ten queries in flight and the rest queued, the PTR
 * query of a background evaluation an urgent request joins, then that
 * of a new urgent evaluation, leave the queue before the background
 * ones queued earlier, in that order.
 */
static void test_urgent(void **state)
{
	struct fixture *f = *state;
	static struct got g[16];
	struct eval_stats before, after;
	struct mx_config *cfg;
	struct fake_dns dns;
	struct eval *ev;
	struct mx_addr a;
	char text[256], addr[32], err[256], seen[256];
	int i;

	assert_int_equal(fake_dns_open(&dns), 0);
	snprintf(text, sizeof(text),
		 "dns_servers = %s\ndns_max_inflight = 10\n"
		 "dnsbl_timeout = 5s\n", dns.servers);
	cfg = config_load_text("urgent.conf", text, strlen(text),
			       CONFIG_OPEN_TABLES);
	assert_non_null(cfg);
	ev = eval_create(f->loop, cfg, err, sizeof(err));
	if (!ev)
		fail_msg("eval_create: %s", err);
	eval_get_stats(ev, &before);

	memset(g, 0, sizeof(g));
	for (i = 1; i <= 13; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i);
		addr_parse(addr, &a);
		assert_non_null(eval_request(ev, &a, NULL, 0, done, &g[i]));
	}
	addr_parse("203.0.113.13", &a);
	assert_non_null(eval_request(ev, &a, NULL, EVAL_URGENT, done, &g[0]));
	addr_parse("203.0.113.14", &a);
	assert_non_null(eval_request(ev, &a, NULL, EVAL_URGENT, done,
				     &g[14]));
	for (i = 0; i < 500 && dns.n < 14; i++) {
		evloop_run_once(f->loop, 10);
		fake_dns_serve(&dns);
	}
	assert_string_equal(fake_dns_order(&dns, seen, sizeof(seen)),
			    "1 2 3 4 5 6 7 8 9 10 13 14 11 12");
	run(f, g, 15);
	for (i = 0; i <= 14; i++)
		assert_int_equal(g[i].v.fcrdns, FCRDNS_NO_PTR);

	eval_get_stats(ev, &after);
	assert_int_equal(after.urgent - before.urgent, 2);
	assert_int_equal(after.promoted - before.promoted, 1);
	assert_int_equal(after.joined - before.joined, 1);
	eval_free(ev);
	config_free(cfg);
	fake_dns_close(&dns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_tempfail_never_blocks),
		cmocka_unit_test(test_join_and_cancel),
		cmocka_unit_test(test_ipv6_key),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_urgent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
