/*
 * cmd_kern.c - mxwallctl commands that work on the pinned kernel maps
 * directly (lib/kern.h), so the kernel path can be run and shown without
 * the daemon and these commands keep working while it is down:
 *
 *   attach IFACE [--mode native|generic|tc|auto]
 *   detach IFACE
 *   block ADDR[/LEN]... [--ttl DURATION] [--reason REASON]
 *   allow ADDR[/LEN]... [--ttl DURATION] [--reason REASON]
 *   forget ADDR[/LEN]...
 *   list [--blocked|--allowed]
 *   stats [--prometheus]
 *
 * A single address (an IPv6 one at the maps' ipv6_prefix or longer) is
 * an exact verdict; a shorter prefix goes to the allow or block prefix
 * trie. The kernel keeps a reason code, not text: --reason takes a code
 * name (manual, dnsbl, rule, ...); anything else is stored as manual.
 * Counts are reported as pfctl does ("2/3 addresses blocked"); exit 2
 * when not every address given was changed.
 *
 * The maps live under the context's pin path; MXWALL_PIN_PATH in the
 * environment overrides it (tests and the demo use a private bpffs).
 * Never detaches or unpins anything but what the command names.
 */
#include "ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "json.h"
#include "kern.h"

#define DEFAULT_TTL (3600L) /* seconds: block/allow without --ttl */

/* pin_path - where the maps are: the environment, else the context. */
static const char *pin_path(const struct ctl_ctx *ctx)
{
	const char *env = getenv("MXWALL_PIN_PATH");

	return env && *env ? env : ctx->pin_path;
}

/* open_maps - the pinned maps, or NULL after saying why. */
static struct kern *open_maps(const struct ctl_ctx *ctx, const char *cmd)
{
	struct kern *k;
	char err[512];

	if (kern_open_pinned(pin_path(ctx), &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxwallctl: %s: %s\n", cmd, err);
		return NULL;
	}
	return k;
}

/* fmt_left - "3h12m", "45s", "never", "expired" for an expiry. */
static const char *fmt_left(uint64_t expires_ns, uint64_t now, char *buf,
			    size_t len)
{
	uint64_t s;

	if (!expires_ns)
		return "never";
	if (expires_ns <= now)
		return "expired";
	s = (expires_ns - now + 999999999ull) / 1000000000ull;
	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d%" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h%" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

/* parse_ttl - a positive duration in seconds (config_duration); 0 or -1. */
static int parse_ttl(const char *s, long *secs)
{
	const char *why;

	if (config_duration(s, secs, &why) < 0 || *secs <= 0)
		return -1;
	return 0;
}

/* is_exact - whether a goes to the verdict hash rather than a trie. */
static bool is_exact(const struct kern *k, const struct mx_addr *a)
{
	if (a->family == AF_INET)
		return a->plen == 32;
	return a->plen >= kern_ipv6_prefix(k);
}

/*
 * set_verdicts - block or allow: the shared body. Returns CTL_OK when
 * every address was stored, CTL_NOMATCH when some were not.
 */
static int set_verdicts(struct ctl_ctx *ctx, int argc, char **argv,
			uint8_t action)
{
	const struct ctl_command *cmd = ctl_find(argv[0]);
	struct kern_verdict v = { .action = action,
				  .reason = MX_REASON_MANUAL };
	long ttl = DEFAULT_TTL;
	const char *why, *verb = action == MX_ACT_BLOCK ? "blocked" :
							  "allowed";
	struct mx_addr a;
	struct kern *k;
	int i, n = 0, ok = 0, r, reason;
	char **addrs = calloc((size_t)argc, sizeof(char *));

	if (!addrs)
		return CTL_ERROR;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc) {
			if (strcmp(argv[++i], "never") == 0) {
				ttl = 0;
			} else if (parse_ttl(argv[i], &ttl) < 0) {
				fprintf(stderr, "mxwallctl: %s: --ttl \"%s\": "
					"not a duration (30s, 15m, 2h, 1d, 1w, "
					"never)\n", argv[0], argv[i]);
				goto usage;
			}
		} else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc) {
			reason = kern_reason_parse(argv[++i]);
			v.reason = reason > 0 ? (uint8_t)reason :
						MX_REASON_MANUAL;
		} else if (argv[i][0] == '-') {
			goto usage;
		} else {
			addrs[n++] = argv[i];
		}
	}
	if (n == 0)
		goto usage;
	k = open_maps(ctx, argv[0]);
	if (!k) {
		free(addrs);
		return CTL_ERROR;
	}
	v.expires_ns = ttl ? kern_now_ns() + (uint64_t)ttl * 1000000000ull :
			     0;
	for (i = 0; i < n; i++) {
		if (addr_parse_prefix(addrs[i], &a, false, &why) < 0) {
			fprintf(stderr, "mxwallctl: %s: \"%s\": %s: skipped\n",
				argv[0], addrs[i], why);
			continue;
		}
		if (is_exact(k, &a))
			r = kern_verdict_put(k, &a, &v);
		else
			r = kern_prefix_put(k, action == MX_ACT_BLOCK ?
						       KERN_LIST_BLOCK :
						       KERN_LIST_ALLOW,
					    &a, &v);
		if (r < 0)
			fprintf(stderr, "mxwallctl: %s: %s: %s: skipped\n",
				argv[0], addrs[i], strerror(-r));
		else
			ok++;
	}
	kern_close(k);
	free(addrs);
	fprintf(stderr, "%d/%d addresses %s.\n", ok, n, verb);
	if (ctx->json) /* the daemon's answer has the same keys */
		printf("{\"requested\":%d,\"%s\":%d}\n", n, verb, ok);
	return ok == n ? CTL_OK : CTL_NOMATCH;
usage:
	free(addrs);
	return cmd ? ctl_usage(cmd) : CTL_ERROR;
}

/*
 * via_daemon - while mxwalld runs, it makes the change (so its cache
 * stays in step with the maps) and answers; CTL_NODAEMON otherwise.
 */
static int via_daemon(struct ctl_ctx *ctx, int argc, char **argv)
{
	return ctl_daemon_call(ctx, argc, argv);
}

int cmd_block(struct ctl_ctx *ctx, int argc, char **argv)
{
	int r = via_daemon(ctx, argc, argv);

	if (r != CTL_NODAEMON)
		return r;
	return set_verdicts(ctx, argc, argv, MX_ACT_BLOCK);
}

int cmd_allow(struct ctl_ctx *ctx, int argc, char **argv)
{
	int r = via_daemon(ctx, argc, argv);

	if (r != CTL_NODAEMON)
		return r;
	return set_verdicts(ctx, argc, argv, MX_ACT_ALLOW);
}

int cmd_forget(struct ctl_ctx *ctx, int argc, char **argv)
{
	const char *why;
	struct mx_addr a;
	struct kern *k;
	int i, ok = 0, gone;

	if (argc < 2)
		return ctl_usage(ctl_find("forget"));
	if ((ok = via_daemon(ctx, argc, argv)) != CTL_NODAEMON)
		return ok;
	ok = 0;
	k = open_maps(ctx, argv[0]);
	if (!k)
		return CTL_ERROR;
	for (i = 1; i < argc; i++) {
		if (addr_parse_prefix(argv[i], &a, false, &why) < 0) {
			fprintf(stderr, "mxwallctl: forget: \"%s\": %s: "
				"skipped\n", argv[i], why);
			continue;
		}
		if (is_exact(k, &a)) {
			gone = kern_verdict_del(k, &a) == 0;
		} else {
			gone = kern_prefix_del(k, KERN_LIST_BLOCK, &a) == 0;
			gone |= kern_prefix_del(k, KERN_LIST_ALLOW, &a) == 0;
		}
		if (gone)
			ok++;
		else
			fprintf(stderr, "mxwallctl: forget: %s: no such "
				"verdict or prefix\n", argv[i]);
	}
	kern_close(k);
	fprintf(stderr, "%d/%d addresses deleted.\n", ok, argc - 1);
	if (ctx->json) /* the daemon's answer has the same keys */
		printf("{\"requested\":%d,\"deleted\":%d}\n", argc - 1, ok);
	return ok == argc - 1 ? CTL_OK : CTL_NOMATCH;
}

/*
 * struct list_state - what cmd_list's walk needs.
 *   want    MX_ACT_BLOCK, MX_ACT_ALLOW, or 0 for both;
 *   now     boot clock at the start of the listing;
 *   json    the document when --json, else NULL (text on stdout);
 *   n       entries shown.
 */
struct list_state {
	uint8_t want;
	uint64_t now;
	struct json *json;
	int n;
};

/* list_one - one line (or JSON object) of the listing. */
static int list_one(const struct mx_addr *a, const struct kern_verdict *v,
		    void *arg)
{
	struct list_state *st = arg;
	char addr[ADDR_STRLEN], left[32];
	const char *action = v->action == MX_ACT_BLOCK ? "block" : "allow";

	if (st->want && v->action != st->want)
		return 0;
	addr_format(a, addr, sizeof(addr));
	st->n++;
	if (st->json) {
		json_object_begin(st->json, NULL);
		json_string(st->json, "address", addr);
		json_string(st->json, "action", action);
		json_string(st->json, "reason", kern_reason_name(v->reason));
		if (v->expires_ns)
			json_int(st->json, "expires_in",
				 v->expires_ns > st->now ?
					 (int64_t)((v->expires_ns - st->now) /
						   1000000000ull) :
					 0);
		else
			json_null(st->json, "expires_in");
		json_uint(st->json, "hits", v->hits);
		json_object_end(st->json);
		return 0;
	}
	printf("%-28s %-6s %-10s %-10s %" PRIu64 "\n", addr, action,
	       kern_reason_name(v->reason),
	       fmt_left(v->expires_ns, st->now, left, sizeof(left)), v->hits);
	return 0;
}

int cmd_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct list_state st = { .now = kern_now_ns() };
	struct json j;
	struct kern *k;
	int r = CTL_OK;

	if (argc > 2)
		return ctl_usage(ctl_find("list"));
	if (argc == 2 && strcmp(argv[1], "--blocked") == 0)
		st.want = MX_ACT_BLOCK;
	else if (argc == 2 && strcmp(argv[1], "--allowed") == 0)
		st.want = MX_ACT_ALLOW;
	else if (argc == 2)
		return ctl_usage(ctl_find("list"));
	if ((r = via_daemon(ctx, argc, argv)) != CTL_NODAEMON)
		return r;
	r = CTL_OK;
	k = open_maps(ctx, argv[0]);
	if (!k)
		return CTL_ERROR;
	if (ctx->json) {
		json_init(&j);
		st.json = &j;
		json_array_begin(&j, NULL);
	} else {
		printf("%-28s %-6s %-10s %-10s %s\n", "ADDRESS", "ACTION",
		       "REASON", "EXPIRES", "HITS");
	}
	/* Allow prefixes first: the order the kernel consults them in. */
	if (kern_prefix_foreach(k, KERN_LIST_ALLOW, list_one, &st) < 0 ||
	    kern_verdict_foreach(k, list_one, &st) < 0 ||
	    kern_prefix_foreach(k, KERN_LIST_BLOCK, list_one, &st) < 0) {
		fprintf(stderr, "mxwallctl: list: cannot read the maps\n");
		r = CTL_ERROR;
	}
	if (ctx->json) {
		json_array_end(&j);
		ctl_print_json(&j);
	}
	kern_close(k);
	return r;
}

int cmd_stats(struct ctl_ctx *ctx, int argc, char **argv)
{
	uint64_t c[MX_CNT__MAX];
	bool prom = argc == 2 && strcmp(argv[1], "--prometheus") == 0;
	struct kern *k;
	struct json j;
	int i, r;

	if (argc > 2 || (argc == 2 && !prom))
		return ctl_usage(ctl_find("stats"));
	if ((r = via_daemon(ctx, argc, argv)) != CTL_NODAEMON)
		return r;
	k = open_maps(ctx, argv[0]);
	if (!k)
		return CTL_ERROR;
	r = kern_counters(k, c);
	if (r < 0) {
		fprintf(stderr, "mxwallctl: stats: cannot read the counters: "
			"%s\n", strerror(-r));
		kern_close(k);
		return CTL_ERROR;
	}
	if (prom) {
		printf("# HELP mxwall_kernel_packets_total Packets seen by the "
		       "kernel program, by outcome.\n"
		       "# TYPE mxwall_kernel_packets_total counter\n");
		for (i = 0; i < MX_CNT__MAX; i++)
			printf("mxwall_kernel_packets_total{outcome=\"%s\"} "
			       "%" PRIu64 "\n", kern_counter_name(i), c[i]);
		printf("# HELP mxwall_kernel_observe 1 in observe mode.\n"
		       "# TYPE mxwall_kernel_observe gauge\n"
		       "mxwall_kernel_observe %d\n", kern_observe(k));
	} else if (ctx->json) {
		json_init(&j);
		json_object_begin(&j, NULL);
		json_bool(&j, "observe", kern_observe(k));
		json_object_begin(&j, "counters");
		for (i = 0; i < MX_CNT__MAX; i++)
			json_uint(&j, kern_counter_name(i), c[i]);
		json_object_end(&j);
		json_object_end(&j);
		ctl_print_json(&j);
	} else {
		printf("%-20s %s\n", "mode",
		       kern_observe(k) ? "observe" : "enforce");
		for (i = 0; i < MX_CNT__MAX; i++)
			printf("%-20s %" PRIu64 "\n", kern_counter_name(i),
			       c[i]);
	}
	kern_close(k);
	return CTL_OK;
}

int cmd_attach(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct kern_opts o = { .pin_path = pin_path(ctx) };
	enum kern_mode want = KERN_MODE_AUTO, got;
	struct kern *k;
	char err[512];
	int r;

	if (argc == 4 && strcmp(argv[2], "--mode") == 0) {
		if (kern_mode_parse(argv[3], &want) < 0)
			return ctl_usage(ctl_find("attach"));
	} else if (argc != 2) {
		return ctl_usage(ctl_find("attach"));
	}
	r = kern_load(&o, &k, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "mxwallctl: attach: %s\n", err);
		return CTL_ERROR;
	}
	r = kern_attach(k, argv[1], want, &got, err, sizeof(err));
	kern_close(k);
	if (r < 0) {
		fprintf(stderr, "mxwallctl: %s\n", err);
		return CTL_ERROR;
	}
	printf("attached to %s in %s mode\n", argv[1], kern_mode_name(got));
	return CTL_OK;
}

int cmd_detach(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct kern *k;
	char err[512];
	int r;

	if (argc != 2)
		return ctl_usage(ctl_find("detach"));
	k = open_maps(ctx, argv[0]);
	if (!k)
		return CTL_ERROR;
	r = kern_detach(k, argv[1], err, sizeof(err));
	kern_close(k);
	if (r < 0) {
		fprintf(stderr, "mxwallctl: %s\n", err);
		return CTL_ERROR;
	}
	printf("detached from %s\n", argv[1]);
	return CTL_OK;
}
