/*
 * test_daemon.c - the daemon's state without a kernel (backend none):
 * what the control socket and the policy server get from daemon.h.
 *
 * A daemon is created from a real configuration file and a snapshot.
 * Checked: the snapshot is restored; verdicts by hand are stored, logged
 * (golden lines) and refused for mynetworks; prefixes cover addresses;
 * list filters, forget and flush; the policy hook answers from the cache
 * with the list, reply and rule text Postfix's wording needs; the
 * sweeper expires a verdict (EXPIRE line); the snapshot is written at
 * the end in its documented format. A policy request's evaluation is
 * urgent, and makes urgent one the kernel observer started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "eval.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

static char dir[] = "/tmp/test_daemon.XXXXXX";
static char conf_path[256], state_path[256];
static char logbuf[16384];

static void sink(enum log_sev sev, const char *line)
{
	if (strlen(logbuf) + strlen(line) + 2 < sizeof(logbuf)) {
		strcat(logbuf, line);
		strcat(logbuf, "\n");
	}
}

static struct mx_addr A(const char *s)
{
	struct mx_addr a;
	const char *why;

	assert_int_equal(addr_parse_prefix(s, &a, true, &why), 0);
	return a;
}

/* setup - a configuration and a snapshot with two verdicts. */
static int setup(void **state)
{
	long now = (long)time(NULL);
	FILE *fp;

	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/mxwall.conf", dir);
	snprintf(state_path, sizeof(state_path), "%s/verdicts", dir);
	fp = fopen(conf_path, "w");
	fprintf(fp, "backend = none\npolicy_listen =\nstate_file = %s\n"
		"control_socket = %s/control.sock\nmynetworks = 127.0.0.0/8, "
		"10.0.0.0/8\nblock_ttl = 1h\ndns_servers = 127.0.0.1:9\n",
		state_path, dir);
	fclose(fp);
	fp = fopen(state_path, "w");
	fprintf(fp, "# mxwall verdicts v1\n"
		"192.0.2.66 block dnsbl 1 %ld %ld reason=dnsbl list=bl.example "
		"reply=127.0.0.2 score=1\n"
		"192.0.2.70 block rule 0 %ld %ld reason=rule "
		"table=regexp:/etc/mxwall/client_check line=3 "
		"key=\"c-70.dynamic.example\" "
		"text=\"REJECT We can\\xe2\\x80\\x99t allow dynamic IP\"\n",
		now, now + 3600, now, now + 3600);
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct daemon *start(void)
{
	struct mx_config *cfg;
	struct daemon *d;
	char err[512];

	cfg = config_load(conf_path, CONFIG_OPEN_TABLES);
	assert_non_null(cfg);
	d = daemon_create(cfg, conf_path, err, sizeof(err));
	if (!d)
		fail_msg("daemon_create: %s", err);
	assert_int_equal(daemon_start(d, err, sizeof(err)), 0);
	return d;
}

struct got {
	struct verdict v;
	int calls;
};

static void got_verdict(const struct verdict *v, void *arg)
{
	struct got *g = arg;

	g->v = *v;
	g->calls++;
}

static int count_cb(const struct daemon_verdict *v, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_daemon_state(void **state)
{
	struct daemon_verdict v;
	struct daemon_status st;
	struct mx_addr a;
	struct got g;
	char err[256], out[1024];
	struct daemon *d;
	int n;

	log_set_sink(sink);
	d = start();

	/* The snapshot is back. */
	a = A("192.0.2.66");
	assert_int_equal(daemon_lookup(d, &a, &v), 0);
	assert_int_equal(v.action, DAEMON_BLOCK);
	assert_int_equal(v.origin, ORIGIN_DNSBL);
	assert_string_equal(v.reason, "reason=dnsbl list=bl.example "
				      "reply=127.0.0.2 score=1");

	/* The policy hook words a cached list block as Postfix does. */
	memset(&g, 0, sizeof(g));
	assert_null(daemon_policy_hooks.client_verdict(d, &a, NULL,
						      got_verdict, &g));
	assert_int_equal(g.calls, 1);
	assert_string_equal(g.v.list, "bl.example");
	assert_int_equal(g.v.reply[3], 2);
	assert_int_equal(policy_verdict_action(&g.v, "192.0.2.66", out,
					       sizeof(out)), 1);
	assert_non_null(strstr(out, "blocked using bl.example"));

	/* ... and a cached rule block with the table's own text. */
	a = A("192.0.2.70");
	memset(&g, 0, sizeof(g));
	daemon_policy_hooks.client_verdict(d, &a, NULL, got_verdict, &g);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.v.rule.line, 3);
	assert_string_equal(g.v.rule.result,
			    "REJECT We can\xe2\x80\x99t allow dynamic IP");

	/* Verdicts by hand: logged; mynetworks refused. */
	logbuf[0] = '\0';
	a = A("203.0.113.5");
	assert_int_equal(daemon_block(d, &a, 0, "spam \"run\"", err,
				      sizeof(err)), 0);
	assert_string_equal(logbuf, "BLOCK client=[203.0.113.5] reason=manual "
				    "text=\"spam \\x22run\\x22\" ttl=3600\n");
	a = A("10.1.2.3");
	assert_int_equal(daemon_block(d, &a, 0, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "10.1.2.3 is in mynetworks or loopback: "
				 "never blocked");
	a = A("198.51.100.0/24");
	assert_int_equal(daemon_allow(d, &a, DAEMON_TTL_FOREVER, NULL, err,
				      sizeof(err)), 0);
	a = A("198.51.100.7");
	assert_int_equal(daemon_lookup(d, &a, &v), 0);
	assert_int_equal(v.action, DAEMON_ALLOW);
	assert_int_equal(v.expires, 0);
	assert_int_equal(v.addr.plen, 24);

	/* Lists by action. */
	n = 0;
	daemon_foreach(d, DAEMON_LIST_BLOCKED, count_cb, &n);
	assert_int_equal(n, 3);
	n = 0;
	daemon_foreach(d, DAEMON_LIST_ALLOWED, count_cb, &n);
	assert_int_equal(n, 1);
	daemon_status(d, &st);
	assert_int_equal(st.blocked, 3);
	assert_int_equal(st.allowed, 1);
	assert_string_equal(st.backend, "none");
	assert_string_equal(st.mode, "enforce");

	/* Forget one; flush keeps what was given by hand. */
	a = A("192.0.2.70");
	assert_int_equal(daemon_forget(d, &a), 1);
	assert_int_equal(daemon_forget(d, &a), 0);
	assert_int_equal(daemon_flush(d, false), 1); /* 192.0.2.66 */
	daemon_status(d, &st);
	assert_int_equal(st.blocked, 1);
	assert_int_equal(st.allowed, 1);

	/* The sweeper expires a verdict and says so. */
	a = A("203.0.113.9");
	assert_int_equal(daemon_block(d, &a, 1, NULL, err, sizeof(err)), 0);
	logbuf[0] = '\0';
	for (n = 0; n < 40 && !strstr(logbuf, "EXPIRE"); n++)
		evloop_run_once(daemon_loop(d), 100);
	assert_non_null(strstr(logbuf, "EXPIRE client=[203.0.113.9] "
				       "action=block reason=manual"));
	assert_int_equal(daemon_lookup(d, &a, &v), -1);

	/* At the end the snapshot holds what is left. */
	daemon_free(d);
	log_set_sink(NULL);
	{
		FILE *fp = fopen(state_path, "r");
		char line[512];
		int lines = 0, seen5 = 0, seen198 = 0;

		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp)) {
			lines++;
			seen5 += strncmp(line, "203.0.113.5 block manual 0 ",
					 27) == 0;
			seen198 += strncmp(line,
					   "198.51.100.0/24 allow manual 0 ",
					   31) == 0;
		}
		fclose(fp);
		assert_int_equal(lines, 4); /* two comment lines */
		assert_int_equal(seen5, 1);
		assert_int_equal(seen198, 1);
	}
}

/* test_policy_urgent - what a policy request waits for runs urgent. */
static void test_policy_urgent(void **state)
{
	struct eval_stats st[4];
	struct daemon *d;
	struct mx_addr a, b, c;
	struct got g[2];
	void *w[2];
	int i;

	log_set_sink(sink);
	d = start();
	a = A("203.0.113.20");
	b = A("203.0.113.21");
	c = A("203.0.113.22");
	memset(g, 0, sizeof(g));
	eval_get_stats(daemon_eval(d), &st[0]);
	daemon_observe(d, &a); /* the kernel saw a: background */
	eval_get_stats(daemon_eval(d), &st[1]);
	w[0] = daemon_policy_hooks.client_verdict(d, &a, NULL, got_verdict,
						  &g[0]);
	w[1] = daemon_policy_hooks.client_verdict(d, &b, NULL, got_verdict,
						  &g[1]);
	eval_get_stats(daemon_eval(d), &st[2]);
	daemon_observe(d, &c);
	eval_get_stats(daemon_eval(d), &st[3]);

	assert_int_equal(st[1].urgent - st[0].urgent, 0);
	assert_int_equal(st[2].urgent - st[1].urgent, 2); /* a joined, b */
	assert_int_equal(st[2].promoted - st[1].promoted, 1); /* a */
	assert_int_equal(st[3].urgent - st[2].urgent, 0);
	for (i = 0; i < 2; i++) {
		assert_non_null(w[i]);
		daemon_policy_hooks.cancel(d, w[i]);
	}
	daemon_free(d);
	log_set_sink(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_state),
		cmocka_unit_test(test_policy_urgent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
