/*
 * policy_fake.c - the policy service alone, with verdicts from a file.
 *
 * Usage: policy_fake -c mxwall.conf [-V verdicts]
 *
 * Runs the daemon's event loop and policy server (daemon/policy.c) with
 * the configuration's policy_listen, tables and bounds, and answers the
 * server's verdict questions from the verdicts file instead of DNS, so
 * integration suites and benchmarks can drive a real Postfix against the
 * real protocol code without the rest of the daemon. Lines of the file:
 *
 *   ADDR allow
 *   ADDR block dnsbl LIST [TXT...]
 *   ADDR block rule TABLE LINE RESULT...
 *   # comment
 *
 * An address not in the file gets no verdict (the request goes on to the
 * tables). Logs go to stderr. SIGTERM or SIGINT stop it; the unix:
 * socket files are removed on the way out. Never used by the daemon.
 */
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* struct fake_entry - one line of the verdicts file. */
struct fake_entry {
	struct mx_addr addr;
	struct verdict v;
};

static struct fake_entry *entries;
static int nentries;
static struct evloop *loop;

/* next_word - split off the next blank-separated word of *s. */
static char *next_word(char **s)
{
	return strsep(s, " \t");
}

/* load_verdicts - read path; exits with a message on a bad line. */
static void load_verdicts(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[2048], *s, *w, *a;
	struct fake_entry *e;
	int lineno = 0;

	if (!fp)
		msg_fatal("%s: cannot open: %m", path);
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		s = line + strspn(line, " \t");
		if (!*s || *s == '#')
			continue;
		entries = realloc(entries, (size_t)(nentries + 1) *
				  sizeof(*entries));
		if (!entries)
			msg_fatal("out of memory");
		e = &entries[nentries++];
		memset(e, 0, sizeof(*e));
		a = next_word(&s);
		w = s ? next_word(&s) : NULL;
		if (addr_parse(a, &e->addr) < 0 || !w)
			msg_fatal("%s, line %d: want ADDR allow|block ...",
				  path, lineno);
		e->v.client = e->v.addr = e->addr;
		if (strcmp(w, "allow") == 0) {
			e->v.action = VERDICT_ALLOW;
			e->v.reason = MX_REASON_MANUAL;
			continue;
		}
		e->v.action = VERDICT_BLOCK;
		w = s ? next_word(&s) : NULL;
		if (w && strcmp(w, "dnsbl") == 0 && s) {
			e->v.reason = MX_REASON_DNSBL;
			w = next_word(&s);
			snprintf(e->v.list, sizeof(e->v.list), "%s", w);
			snprintf(e->v.txt, sizeof(e->v.txt), "%s", s ? s : "");
		} else if (w && strcmp(w, "rule") == 0 && s) {
			e->v.reason = MX_REASON_RULE;
			w = next_word(&s);
			snprintf(e->v.rule.table, sizeof(e->v.rule.table),
				 "%s", w);
			w = s ? next_word(&s) : NULL;
			e->v.rule.line = w ? atoi(w) : 0;
			snprintf(e->v.rule.result, sizeof(e->v.rule.result),
				 "%s", s ? s : "REJECT");
		} else {
			msg_fatal("%s, line %d: want block dnsbl LIST [TXT] or "
				  "block rule TABLE LINE RESULT", path, lineno);
		}
	}
	fclose(fp);
}

/* fake_verdict - the policy hook: a verdict from the file, or none. */
static void *fake_verdict(void *ctx, const struct mx_addr *a,
			  const char *name, policy_verdict_cb cb, void *arg)
{
	int i;

	for (i = 0; i < nentries; i++)
		if (addr_equal(&entries[i].addr, a)) {
			cb(&entries[i].v, arg);
			break;
		}
	return NULL;
}

static void on_signal(int sig)
{
	evloop_stop(loop);
}

int main(int argc, char **argv)
{
	static const struct policy_hooks hooks = {
		.client_verdict = fake_verdict,
	};
	const char *conf = NULL, *verdicts = NULL;
	struct policy_server *ps;
	struct mx_config *cfg;
	char err[512];
	int ch;

	log_init("policy_fake", LOG_TO_STDERR);
	while ((ch = getopt(argc, argv, "c:V:v")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'V':
			verdicts = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			fprintf(stderr, "usage: policy_fake -c CONF "
				"[-V VERDICTS]\n");
			return 1;
		}
	}
	if (!conf)
		msg_fatal("-c CONF is required");
	cfg = config_load(conf, CONFIG_OPEN_TABLES | CONFIG_FOR_START);
	if (!cfg)
		msg_fatal("%s: configuration refused: not starting", conf);
	if (verdicts)
		load_verdicts(verdicts);
	loop = evloop_create();
	if (!loop)
		msg_fatal("event loop: %m: not starting");
	ps = policy_create(loop, cfg, &hooks, NULL, err, sizeof(err));
	if (!ps)
		msg_fatal("%s: not starting", err);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	msg_info("ready: %d verdicts", nentries);
	evloop_run(loop);
	policy_free(ps);
	evloop_free(loop);
	config_free(cfg);
	free(entries);
	return 0;
}
