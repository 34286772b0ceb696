/*
 * daemon_call.c - mxwallctl's side of the control socket (protocol in
 * lib/ctlproto.h): where the socket and the pinned maps are, one call to
 * the daemon with its answer printed, and the shared argument check.
 *
 * Never retries and never waits longer than CTL_CALL_TIMEOUT_MS: a
 * daemon that does not answer is reported, not waited for.
 */
#include "ctl.h"
#include "config.h"
#include "ctlproto.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest wait for an answer; show and test wait for DNS (dnsbl_timeout). */
#define CTL_CALL_TIMEOUT_MS 60000

#define CTL_DEFAULT_SOCKET "/run/mxwall/control.sock"

void ctl_resolve(struct ctl_ctx *ctx)
{
	static char sock[256], pins[256];
	const char *env = getenv("MXWALL_PIN_PATH");
	struct mx_config *cfg;

	if (ctx->resolved)
		return;
	ctx->resolved = true;
	if ((!ctx->socket_path || !(env && *env)) &&
	    access(ctx->conf_path, R_OK) == 0) {
		cfg = config_load(ctx->conf_path, 0);
		if (cfg) {
			snprintf(sock, sizeof(sock), "%s", cfg->control_socket);
			snprintf(pins, sizeof(pins), "%s", cfg->pin_path);
			if (!ctx->socket_path && *sock)
				ctx->socket_path = sock;
			if (*pins)
				ctx->pin_path = pins;
			config_free(cfg);
		}
	}
	if (env && *env)
		ctx->pin_path = env;
	if (!ctx->socket_path)
		ctx->socket_path = CTL_DEFAULT_SOCKET;
}

/* print_error - an error answer: stderr, and JSON on stdout if asked. */
static void print_error(const struct ctl_ctx *ctx, const char *cmd,
			const char *msg, size_t len)
{
	struct json j;

	while (len > 0 && msg[len - 1] == '\n')
		len--;
	/* The daemon's usage line names the command: say it our way. */
	if (len > 7 && strncmp(msg, "usage: ", 7) == 0 && ctl_find(cmd)) {
		ctl_usage(ctl_find(cmd));
	} else {
		fprintf(stderr, "mxwallctl: %.*s\n", (int)len, msg);
	}
	if (!ctx->json)
		return;
	json_init(&j);
	json_object_begin(&j, NULL);
	json_stringn(&j, "error", msg, len);
	json_object_end(&j);
	ctl_print_json(&j);
}

int ctl_daemon_call(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct ctlproto_answer ans;
	const char *why;
	int saved;

	ctl_resolve(ctx);
	if (ctlproto_call(ctx->socket_path, argc, argv, ctx->json,
			  CTL_CALL_TIMEOUT_MS, &ans, &why) < 0) {
		saved = errno;
		if (saved == ENOENT || saved == ECONNREFUSED) {
			fprintf(stderr, "mxwallctl: mxwalld is not running "
				"(nothing listens on %s): answering from the "
				"kernel maps alone\n", ctx->socket_path);
			return CTL_NODAEMON;
		}
		if (saved == EACCES || saved == EPERM)
			fprintf(stderr, "mxwallctl: %s: permission denied: "
				"the control socket is for root and the "
				"control_group (default mxwall)\n",
				ctx->socket_path);
		else
			fprintf(stderr, "mxwallctl: %s: %s: %s\n",
				ctx->socket_path, why, strerror(saved));
		return CTL_ERROR;
	}
	switch (ans.status) {
	case CTLPROTO_OK:
	case CTLPROTO_NOMATCH:
		fwrite(ans.body, 1, ans.len, stdout);
		break;
	default:
		print_error(ctx, argv[0], ans.body, ans.len);
		break;
	}
	free(ans.body);
	return ans.status == CTLPROTO_OK	? CTL_OK
	       : ans.status == CTLPROTO_NOMATCH ? CTL_NOMATCH
						: CTL_ERROR;
}

/* in_list - whether w is one of the NULL-ended words. */
static bool in_list(const char *w, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

bool ctl_args_ok(int argc, char **argv, int min, int max,
		 const char *const *flags, const char *const *opts)
{
	int i, npos = 0;

	for (i = 1; i < argc; i++) {
		if (in_list(argv[i], flags))
			continue;
		if (in_list(argv[i], opts)) {
			if (++i == argc || !argv[i][0])
				return false;
			continue;
		}
		if (argv[i][0] == '-' || !argv[i][0])
			return false;
		npos++;
	}
	return npos >= min && npos <= max;
}

void ctl_print_json(struct json *j)
{
	const char *doc = json_done(j);

	if (doc)
		fputs(doc, stdout);
	json_free(j);
}
