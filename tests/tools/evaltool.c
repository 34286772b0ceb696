/*
 * evaltool - run the verdict engine on addresses and print each verdict
 * with its evidence; the driver of tests/t-eval-dns.sh and the eval
 * benchmark.
 *
 *   evaltool -c mxwall.conf [-w] [-s] [-L] [-j N] [-r N] [-n] [ADDR...]
 *
 * Addresses come from the command line or, without any, from stdin, one
 * command per line:
 *   ADDR [NAME]   evaluate ADDR (NAME: as mxwallctl test --name)
 *   sync          wait until every evaluation so far has its verdict
 *   sleep SECS    run the event loop SECS seconds (fractions allowed)
 *   lists         print every list's health
 *   stats         print the evaluator's counters
 *   reload FILE   eval_reconfigure with FILE (prints "reload ok|failed")
 *   # ...         a comment
 * Options: -w wait for the lists' first health probes before starting;
 * -s print the counters at the end; -L print list health at the end;
 * -j N at most N evaluations at once (default 1000); -r N send every
 * address N times at once (they must join one evaluation); -n dry run
 * (EVAL_DRY_RUN); -q print one line per verdict only.
 *
 * Output per verdict: verdict_print (daemon/verdict.h). Log lines
 * (BLOCK, QUARANTINE, BREAKER ...) go to stderr.
 */
#include "config.h"
#include "eval.h"
#include "evloop.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tool {
	struct evloop *loop;
	struct eval *ev;
	struct mx_config *cfg;
	int outstanding;
	int max_jobs;
	int repeat;
	unsigned flags;
	bool quiet;
	int done;
};

static void on_verdict(const struct verdict *v, void *arg)
{
	struct tool *t = arg;
	char a[ADDR_STRLEN];

	t->outstanding--;
	t->done++;
	if (t->quiet)
		printf("%s %s %s score=%d ttl=%u%s\n",
		       addr_format(&v->client, a, sizeof(a)),
		       verdict_action_name(v->action),
		       verdict_reason_name(v->reason), v->score, v->ttl,
		       v->observe ? " observe" : "");
	else
		verdict_print(stdout, v);
	fflush(stdout);
}

/* run_until - run the loop until outstanding <= n or ms passed (-1: no
 * time limit). */
static void run_until(struct tool *t, int n, long ms)
{
	struct timespec t0, t1;
	long el;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (ms < 0 && t->outstanding <= n)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= 0 && el >= ms)
			return;
		evloop_run_once(t->loop, ms >= 0 ? (int)(ms - el) : 1000);
	}
}

static void submit(struct tool *t, const char *text, const char *name)
{
	struct mx_addr a;
	int i;

	if (addr_parse(text, &a) < 0) {
		printf("%s: not an address\n", text);
		return;
	}
	run_until(t, t->max_jobs - t->repeat, -1);
	for (i = 0; i < t->repeat; i++) {
		if (!eval_request(t->ev, &a, name, t->flags, on_verdict, t)) {
			printf("%s: out of memory\n", text);
			return;
		}
		t->outstanding++;
	}
}

static void print_health(const struct dnsbl_health *h, void *arg)
{
	static const char *const states[] = { "unknown", "ok", "quarantined" };

	printf("list %s%s%s*%d %s %s queries=%llu listed=%llu errors=%llu "
	       "timeouts=%llu why=\"%s\"%s%s\n",
	       h->domain, h->filter[0] ? "=" : "", h->filter, h->weight,
	       verdict_kind_name((unsigned)h->kind), states[h->state],
	       (unsigned long long)h->queries, (unsigned long long)h->listed,
	       (unsigned long long)h->errors,
	       (unsigned long long)h->timeouts, h->why,
	       h->dead_note ? " dead=" : "", h->dead_note ? "yes" : "");
}

static void count_unknown(const struct dnsbl_health *h, void *arg)
{
	if (h->state == DNSBL_UNKNOWN && !h->checked)
		(*(int *)arg)++;
}

static void print_stats(struct tool *t)
{
	struct eval_stats st;

	eval_get_stats(t->ev, &st);
	printf("stats requests=%llu joined=%llu evaluations=%llu "
	       "queries=%llu timeouts=%llu blocked=%llu allowed=%llu "
	       "none=%llu breaker=%llu\n",
	       (unsigned long long)st.requests, (unsigned long long)st.joined,
	       (unsigned long long)st.evaluations,
	       (unsigned long long)st.queries, (unsigned long long)st.timeouts,
	       (unsigned long long)st.blocked, (unsigned long long)st.allowed,
	       (unsigned long long)st.none,
	       (unsigned long long)st.breaker_on);
	fflush(stdout);
}

/* reload - a new configuration for the evaluator. */
static void reload(struct tool *t, const char *path)
{
	struct mx_config *cfg;

	cfg = path ? config_load(path, CONFIG_OPEN_TABLES | CONFIG_FOR_RELOAD)
		   : NULL;
	if (!cfg || eval_reconfigure(t->ev, cfg) < 0) {
		config_free(cfg);
		printf("reload failed\n");
	} else {
		config_free(t->cfg);
		t->cfg = cfg;
		printf("reload ok\n");
	}
	fflush(stdout);
}

/* command - one line of stdin. */
static void command(struct tool *t, char *line)
{
	char *w = strtok(line, " \t\r\n"), *arg;

	if (!w || w[0] == '#')
		return;
	arg = strtok(NULL, " \t\r\n");
	if (strcmp(w, "sync") == 0) {
		run_until(t, 0, -1);
	} else if (strcmp(w, "sleep") == 0) {
		run_until(t, 0, arg ? (long)(atof(arg) * 1000) : 1000);
	} else if (strcmp(w, "lists") == 0) {
		eval_lists(t->ev, print_health, NULL);
		fflush(stdout);
	} else if (strcmp(w, "stats") == 0) {
		print_stats(t);
	} else if (strcmp(w, "reload") == 0) {
		reload(t, arg);
	} else {
		submit(t, w, arg);
	}
}

int main(int argc, char **argv)
{
	struct tool t = { .max_jobs = 1000, .repeat = 1 };
	const char *conf = NULL;
	bool wait = false, stats = false, lists = false;
	struct mx_config *cfg;
	char err[512], line[1024];
	int c, i, unknown;

	log_init("evaltool", LOG_TO_STDERR);
	while ((c = getopt(argc, argv, "c:wsLj:r:nq")) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'w': wait = true; break;
		case 's': stats = true; break;
		case 'L': lists = true; break;
		case 'j': t.max_jobs = atoi(optarg); break;
		case 'r': t.repeat = atoi(optarg); break;
		case 'n': t.flags |= EVAL_DRY_RUN; break;
		case 'q': t.quiet = true; break;
		default:
			fprintf(stderr, "usage: evaltool -c FILE [-wsLnq] "
					"[-j N] [-r N] [ADDR...]\n");
			return 1;
		}
	}
	if (t.repeat < 1 || t.max_jobs < t.repeat)
		t.max_jobs = t.repeat = 1;
	cfg = config_load(conf, CONFIG_OPEN_TABLES | CONFIG_FOR_CHECK);
	if (!cfg)
		return 1;
	t.cfg = cfg;
	t.loop = evloop_create();
	t.ev = t.loop ? eval_create(t.loop, cfg, err, sizeof(err)) : NULL;
	if (!t.ev) {
		fprintf(stderr, "evaltool: %s\n", t.loop ? err : "no loop");
		return 1;
	}
	for (i = 0; wait && i < 100; i++) {
		unknown = 0;
		eval_lists(t.ev, count_unknown, &unknown);
		if (!unknown)
			break;
		evloop_run_once(t.loop, 100);
	}
	if (optind < argc)
		for (i = optind; i < argc; i++)
			submit(&t, argv[i], NULL);
	else
		while (fgets(line, sizeof(line), stdin))
			command(&t, line);
	run_until(&t, 0, -1);
	if (lists)
		eval_lists(t.ev, print_health, NULL);
	if (stats)
		print_stats(&t);
	eval_free(t.ev);
	evloop_free(t.loop);
	config_free(t.cfg);
	return 0;
}
