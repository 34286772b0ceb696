/*
 * test_resolver.c - the order in which the resolver's wait queue sends
 * queries (daemon/resolver.c): first in, first out; RES_Q_FIRST queries
 * ahead of the rest and first in, first out among themselves;
 * resolver_promote moving a waiting query behind them; cancelling keeps
 * the queue's two parts whole.
 *
 * The resolver sends one query at a time (max_inflight 1) to a DNS
 * server inside the suite (fake_dns.h), which notes the order the
 * queries arrive in: the order a real server would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evloop.h"
#include "fake_dns.h"
#include "log.h"
#include "resolver.h"

/*
 * A case is a script of steps, each "op:letter" - q: query letter.test,
 * f: the same with RES_Q_FIRST, p: resolver_promote it, c: cancel it -
 * and the order the server must see the queries in (their first
 * labels). The first query goes out at once; the others wait.
 */
static const struct {
	const char *what, *script, *order;
	uint64_t promoted;
} cases[] = {
	{ "no flags: first in, first out", "q:a q:b q:c q:d", "a b c d", 0 },
	{ "RES_Q_FIRST ahead, in order among them", "q:a q:b q:c f:x f:y",
	  "a x y b c", 0 },
	{ "promote goes behind earlier RES_Q_FIRST ones",
	  "q:a q:b q:c q:d f:x p:c f:y", "a x c y b d", 1 },
	{ "promote of the queue's last", "q:a q:b q:c p:c", "a c b", 1 },
	{ "promote of a sent or already first query: nothing",
	  "q:a q:b f:x p:a p:x", "a x b", 0 },
	{ "promote twice: moved once", "q:a q:b q:c p:c p:c", "a c b", 1 },
	{ "cancel the last RES_Q_FIRST one", "q:a q:b f:x f:y c:y f:z",
	  "a x z b", 0 },
	{ "cancel the only RES_Q_FIRST one", "q:a q:b f:x c:x f:y", "a y b",
	  0 },
	{ "cancel a promoted one", "q:a q:b q:c p:c c:c f:x", "a x b", 1 },
	{ "promote with nothing behind", "q:a f:x q:b p:b q:c", "a x b c",
	  1 },
};

/* struct slot - one letter's query and what its callback saw. */
struct slot {
	struct res_query *h;
	int calls;
	int status;
};

static void answered(void *arg, const struct res_rrset *rr)
{
	struct slot *s = arg;

	s->calls++;
	s->status = rr->status;
}

static void quiet(enum log_sev sev, const char *line)
{
}

/* run_script - the steps of one case on r; returns queries sent. */
static int run_script(struct resolver *r, const char *script,
		      struct slot *slots)
{
	char buf[256], name[16], *tok, *save = NULL;
	int sent = 0;

	snprintf(buf, sizeof(buf), "%s", script);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		struct slot *s = &slots[tok[2] - 'a'];

		snprintf(name, sizeof(name), "%c.test", tok[2]);
		switch (tok[0]) {
		case 'q':
		case 'f':
			s->h = resolver_query(r, name, RES_T_A,
					      tok[0] == 'f' ? RES_Q_FIRST : 0,
					      answered, s);
			assert_non_null(s->h);
			sent++;
			break;
		case 'p':
			resolver_promote(s->h);
			break;
		case 'c':
			resolver_cancel(s->h);
			s->h = NULL;
			sent--;
			break;
		default:
			fail_msg("bad step %s", tok);
		}
	}
	return sent;
}

static void test_queue_order(void **state)
{
	struct resolver_opts o = { .timeout_ms = 2000, .tries = 1,
				   .max_inflight = 1 };
	struct timespec t0, t1;
	struct resolver_stats st;
	struct fake_dns f;
	struct evloop *loop;
	struct resolver *r;
	struct slot slots[26];
	char err[256], seen[128];
	size_t i;
	int sent, k;

	log_set_sink(quiet);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(fake_dns_open(&f), 0);
		o.servers = f.servers;
		loop = evloop_create();
		assert_non_null(loop);
		r = resolver_create(loop, &o, err, sizeof(err));
		if (!r)
			fail_msg("resolver_create: %s", err);
		memset(slots, 0, sizeof(slots));
		sent = run_script(r, cases[i].script, slots);
		resolver_get_stats(r, &st);
		assert_int_equal(st.promoted, cases[i].promoted);
		assert_int_equal(st.queued, (uint64_t)sent - 1);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			evloop_run_once(loop, 10);
			fake_dns_serve(&f);
			clock_gettime(CLOCK_MONOTONIC, &t1);
		} while (!resolver_idle(r) && t1.tv_sec - t0.tv_sec < 5);

		fake_dns_order(&f, seen, sizeof(seen));
		if (strcmp(seen, cases[i].order) != 0)
			fail_msg("%s: %s: the server saw \"%s\", not \"%s\"",
				 cases[i].what, cases[i].script, seen,
				 cases[i].order);
		for (k = 0; k < 26; k++) {
			/* Answered once each; cancelled ones never. */
			bool asked = strchr(cases[i].order, 'a' + k) != NULL;

			assert_int_equal(slots[k].calls, asked ? 1 : 0);
			if (asked)
				assert_int_equal(slots[k].status,
						 RES_NXDOMAIN);
		}
		resolver_free(r);
		evloop_free(loop);
		fake_dns_close(&f);
	}
}

/* test_free_queued - freed with work in both parts of the queue. */
static void test_free_queued(void **state)
{
	struct resolver_opts o = { .timeout_ms = 2000, .tries = 1,
				   .max_inflight = 1 };
	struct fake_dns f;
	struct evloop *loop;
	struct resolver *r;
	struct slot slots[26];
	char err[256];

	assert_int_equal(fake_dns_open(&f), 0);
	o.servers = f.servers;
	loop = evloop_create();
	r = resolver_create(loop, &o, err, sizeof(err));
	assert_non_null(r);
	memset(slots, 0, sizeof(slots));
	run_script(r, "q:a q:b q:c f:x p:c", slots);
	resolver_free(r); /* no callback, no leak (ASan run) */
	evloop_run_once(loop, 10);
	assert_int_equal(slots[0].calls + slots[1].calls + slots[2].calls +
				 slots['x' - 'a'].calls,
			 0);
	evloop_free(loop);
	fake_dns_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_free_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
