/*
 * cmd_daemon.c - mxwallctl commands the running daemon answers: status,
 * show (why), test, flush, dnsbl, reload, export. Each handler checks
 * its arguments here (so a usage error needs no daemon), then asks the
 * daemon through ctl_daemon_call.
 *
 * With the daemon down, status and show answer from the pinned kernel
 * maps (lib/kern.h) and say that the daemon is not running; the others
 * need the daemon and fail with exit 1. Nothing here changes the maps.
 */
#include "ctl.h"
#include "addr.h"
#include "json.h"
#include "kern.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* no_daemon - the answer of a command that needs mxwalld. */
static int no_daemon(const char *cmd)
{
	fprintf(stderr, "mxwallctl: %s: needs mxwalld, which is not "
		"running\n", cmd);
	return CTL_ERROR;
}

#if MXWALL_LINUX
/* fmt_left - a boot-clock expiry as "never", "expired", "59m58s". */
static const char *fmt_left(uint64_t expires_ns, uint64_t now, char *buf,
			    size_t len)
{
	uint64_t s;

	if (!expires_ns)
		return "never";
	if (expires_ns <= now)
		return "expired";
	s = (expires_ns - now) / 1000000000ull;
	if (s >= 3600)
		snprintf(buf, len, "in %" PRIu64 "h%" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else
		snprintf(buf, len, "in %" PRIu64 "m%" PRIu64 "s", s / 60,
			 s % 60);
	return buf;
}

/*
 * struct map_census - what status counts in the maps.
 *   now                  boot clock, ns;
 *   blocked, allowed     live exact verdicts;
 *   expired              exact verdicts past their expiry;
 *   block_pfx, allow_pfx prefixes.
 */
struct map_census {
	uint64_t now;
	unsigned long blocked, allowed, expired;
	unsigned long block_pfx, allow_pfx;
};

static int census_verdict(const struct mx_addr *a,
			  const struct kern_verdict *v, void *arg)
{
	struct map_census *mc = arg;

	if (v->expires_ns && v->expires_ns <= mc->now)
		mc->expired++;
	else if (v->action == MX_ACT_BLOCK)
		mc->blocked++;
	else
		mc->allowed++;
	return 0;
}

static int census_prefix(const struct mx_addr *a,
			 const struct kern_verdict *v, void *arg)
{
	unsigned long *n = arg;

	(*n)++;
	return 0;
}

/* status_from_maps - status with the daemon down: exit 1 all the same. */
static int status_from_maps(struct ctl_ctx *ctx)
{
	struct map_census mc = { .now = kern_now_ns() };
	struct kern *k;
	struct json j;
	char err[512];

	if (kern_open_pinned(ctx->pin_path, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxwallctl: status: no kernel maps either: "
			"%s\n", err);
		return CTL_ERROR;
	}
	kern_verdict_foreach(k, census_verdict, &mc);
	kern_prefix_foreach(k, KERN_LIST_BLOCK, census_prefix, &mc.block_pfx);
	kern_prefix_foreach(k, KERN_LIST_ALLOW, census_prefix, &mc.allow_pfx);
	if (ctx->json) {
		json_init(&j);
		json_object_begin(&j, NULL);
		json_bool(&j, "daemon_running", false);
		json_string(&j, "pin_path", ctx->pin_path);
		json_string(&j, "mode",
			    kern_observe(k) ? "observe" : "enforce");
		json_uint(&j, "ipv6_prefix", kern_ipv6_prefix(k));
		json_uint(&j, "blocked", mc.blocked);
		json_uint(&j, "allowed", mc.allowed);
		json_uint(&j, "expired", mc.expired);
		json_uint(&j, "block_prefixes", mc.block_pfx);
		json_uint(&j, "allow_prefixes", mc.allow_pfx);
		json_object_end(&j);
		ctl_print_json(&j);
	} else {
		printf("mxwalld        not running (kernel maps alone)\n");
		printf("kernel maps    %s: mode %s, IPv6 verdicts per /%u\n",
		       ctx->pin_path, kern_observe(k) ? "observe" : "enforce",
		       kern_ipv6_prefix(k));
		printf("verdicts       %lu blocked, %lu allowed, %lu expired\n",
		       mc.blocked, mc.allowed, mc.expired);
		printf("prefixes       %lu block, %lu allow\n", mc.block_pfx,
		       mc.allow_pfx);
	}
	kern_close(k);
	return CTL_ERROR;
}

/*
 * struct cover - the longest prefix of one trie covering an address.
 *   addr   the address asked about;
 *   best   the longest covering prefix so far (plen 0 and found false:
 *          none);
 *   v      its entry.
 */
struct cover {
	struct mx_addr addr;
	struct mx_addr best;
	struct kern_verdict v;
	bool found;
};

static int cover_one(const struct mx_addr *p, const struct kern_verdict *v,
		     void *arg)
{
	struct cover *cv = arg;

	if (p->family == cv->addr.family && addr_in_prefix(&cv->addr, p) &&
	    (!cv->found || p->plen > cv->best.plen)) {
		cv->best = *p;
		cv->v = *v;
		cv->found = true;
	}
	return 0;
}

/* show_entry - one kernel entry that applies to the address. */
static void show_entry(struct json *j, const char *what,
		       const struct mx_addr *a, const struct kern_verdict *v,
		       uint64_t now)
{
	char s[ADDR_STRLEN], left[32];

	addr_format(a, s, sizeof(s));
	if (j) {
		json_object_begin(j, what);
		json_string(j, "address", s);
		json_string(j, "action",
			    v->action == MX_ACT_BLOCK ? "block" : "allow");
		json_string(j, "reason", kern_reason_name(v->reason));
		if (v->expires_ns)
			json_int(j, "expires_in",
				 v->expires_ns > now ?
					 (int64_t)((v->expires_ns - now) /
						   1000000000ull) : 0);
		else
			json_null(j, "expires_in");
		json_uint(j, "kernel_hits", v->hits);
		json_object_end(j);
		return;
	}
	printf("  %-13s %s: %s (%s), expires %s, kernel hits %" PRIu64 "\n",
	       what, s, v->action == MX_ACT_BLOCK ? "block" : "allow",
	       kern_reason_name(v->reason),
	       fmt_left(v->expires_ns, now, left, sizeof(left)), v->hits);
}

/*
 * show_from_maps - show with the daemon down: the exact verdict and the
 * prefixes covering the address, in the order the kernel consults them.
 * Exit 2 when nothing applies.
 */
static int show_from_maps(struct ctl_ctx *ctx, const char *arg)
{
	struct cover allow = { 0 }, block = { 0 };
	struct kern_verdict v;
	uint64_t now = kern_now_ns();
	struct json j, *jp = NULL;
	struct mx_addr a;
	struct kern *k;
	char err[512];
	bool exact;

	if (addr_parse(arg, &a) < 0) {
		fprintf(stderr, "mxwallctl: show: \"%s\" is not an "
			"address\n", arg);
		return CTL_ERROR;
	}
	if (kern_open_pinned(ctx->pin_path, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxwallctl: show: no kernel maps either: %s\n",
			err);
		return CTL_ERROR;
	}
	allow.addr = block.addr = a;
	kern_prefix_foreach(k, KERN_LIST_ALLOW, cover_one, &allow);
	kern_prefix_foreach(k, KERN_LIST_BLOCK, cover_one, &block);
	exact = kern_verdict_get(k, &a, &v) == 0;
	kern_close(k);
	if (ctx->json) {
		jp = &j;
		json_init(jp);
		json_object_begin(jp, NULL);
		json_string(jp, "address", arg);
		json_bool(jp, "daemon_running", false);
	} else {
		printf("%s: from the kernel maps alone (mxwalld is not "
		       "running)\n", arg);
	}
	if (allow.found)
		show_entry(jp, "allow_prefix", &allow.best, &allow.v, now);
	if (exact)
		show_entry(jp, "verdict", &a, &v, now);
	if (block.found)
		show_entry(jp, "block_prefix", &block.best, &block.v, now);
	if (jp) {
		json_object_end(jp);
		ctl_print_json(jp);
	} else if (!allow.found && !exact && !block.found) {
		printf("  no verdict and no prefix: the kernel passes it as "
		       "unknown\n");
	}
	return allow.found || exact || block.found ? CTL_OK : CTL_NOMATCH;
}
#else
static int status_from_maps(struct ctl_ctx *ctx)
{
	return no_daemon("status");
}

static int show_from_maps(struct ctl_ctx *ctx, const char *arg)
{
	return no_daemon("show");
}
#endif

int cmd_status(struct ctl_ctx *ctx, int argc, char **argv)
{
	int r;

	if (!ctl_args_ok(argc, argv, 0, 0, NULL, NULL))
		return ctl_usage(ctl_find(argv[0]));
	r = ctl_daemon_call(ctx, argc, argv);
	return r == CTL_NODAEMON ? status_from_maps(ctx) : r;
}

int cmd_show(struct ctl_ctx *ctx, int argc, char **argv)
{
	int r;

	if (!ctl_args_ok(argc, argv, 1, 1, NULL, NULL))
		return ctl_usage(ctl_find(argv[0]));
	r = ctl_daemon_call(ctx, argc, argv);
	return r == CTL_NODAEMON ? show_from_maps(ctx, argv[1]) : r;
}

/* daemon_only - check the arguments' shape, then ask the daemon. */
static int daemon_only(struct ctl_ctx *ctx, int argc, char **argv, int min,
		       int max, const char *const *flags,
		       const char *const *opts)
{
	int r;

	if (!ctl_args_ok(argc, argv, min, max, flags, opts))
		return ctl_usage(ctl_find(argv[0]));
	r = ctl_daemon_call(ctx, argc, argv);
	return r == CTL_NODAEMON ? no_daemon(argv[0]) : r;
}

int cmd_test(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const opts[] = { "--name", NULL };

	return daemon_only(ctx, argc, argv, 1, 1, NULL, opts);
}

int cmd_flush(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const flags[] = { "--all", NULL };

	return daemon_only(ctx, argc, argv, 0, 0, flags, NULL);
}

int cmd_dnsbl(struct ctl_ctx *ctx, int argc, char **argv)
{
	return daemon_only(ctx, argc, argv, 0, 0, NULL, NULL);
}

int cmd_reload(struct ctl_ctx *ctx, int argc, char **argv)
{
	return daemon_only(ctx, argc, argv, 0, 0, NULL, NULL);
}

int cmd_export(struct ctl_ctx *ctx, int argc, char **argv)
{
	static const char *const opts[] = { "--format", NULL };

	if (argc != 3 || strcmp(argv[1], "--format") != 0 ||
	    (strcmp(argv[2], "rbldnsd") != 0 && strcmp(argv[2], "pf") != 0 &&
	     strcmp(argv[2], "csv") != 0))
		return ctl_usage(ctl_find(argv[0]));
	return daemon_only(ctx, argc, argv, 0, 0, NULL, opts);
}
