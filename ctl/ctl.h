/*
 * ctl.h - mxwallctl's command table and the context every handler gets.
 *
 * Each command is one row of ctl_commands[] (ctl/commands.c): its name,
 * its argument synopsis, a one-line summary and its handler. --help, the
 * prefix matching and the man page's SYNOPSIS read that table. A handler
 * is a few lines: parse its arguments, call a library or control-socket
 * function, print. It returns the process exit status:
 *   CTL_OK (0)        done;
 *   CTL_ERROR (1)     error (printed to stderr, "mxwallctl: what: why");
 *   CTL_NOMATCH (2)   ran, but not all given items matched (as pfctl -T
 *                     test; also 'query' with no matching rule... see its
 *                     man page entry).
 * A usage error prints the command's synopsis and returns CTL_ERROR.
 */
#ifndef MXWALL_CTL_H
#define MXWALL_CTL_H

#include <stdbool.h>
#include <stdio.h>

enum { CTL_OK = 0, CTL_ERROR = 1, CTL_NOMATCH = 2 };

/* ctl_daemon_call's answer when no daemon listens (not an exit code). */
#define CTL_NODAEMON (-1)

/*
 * struct ctl_ctx - options given before the command.
 *   conf_path    -c FILE (default /etc/mxwall/mxwall.conf);
 *   socket_path  -s SOCKET, or NULL for control_socket from the config;
 *   pin_path     where the kernel maps are pinned (from the config, or
 *                the default /sys/fs/bpf/mxwall);
 *   json         --json: one JSON document on stdout;
 *   resolved     ctl_resolve has run (socket_path and pin_path set).
 */
struct ctl_ctx {
	const char *conf_path;
	const char *socket_path;
	const char *pin_path;
	bool json;
	bool resolved;
};

/* CTL_CHANGES: the command changes state (needs the admin group). */
#define CTL_CHANGES 0x1u

struct ctl_command {
	const char *name;
	const char *args;    /* synopsis after the name, "" for none */
	const char *summary; /* one line for --help and the man page */
	int (*run)(struct ctl_ctx *ctx, int argc, char **argv);
	unsigned flags;
};

extern const struct ctl_command ctl_commands[];

/* ctl_usage - print "usage: mxwallctl NAME ARGS" for cmd; CTL_ERROR. */
int ctl_usage(const struct ctl_command *cmd);

/* ctl_find - exact name, alias or unique prefix; NULL (and says why). */
const struct ctl_command *ctl_find(const char *name);

/*
 * ctl_man_synopsis - the SYNOPSIS section of mxwallctl(8) in troff, from
 * the table (".SH SYNOPSIS" to just before the next section). The test
 * suite checks docs/mxwallctl.8 holds exactly this text.
 */
void ctl_man_synopsis(FILE *fp);

/*
 * ctl/daemon_call.c: talking to mxwalld over the control socket.
 *
 * ctl_resolve - fill in socket_path and pin_path once, from -s, the
 * environment (MXWALL_PIN_PATH) and the configuration's control_socket
 * and pin_path when the file is readable, else the defaults.
 *
 * ctl_daemon_call - send argv[0..argc) (argv[0] the full command name)
 * with ctx->json, print the answer (body on stdout; an error on stderr
 * as "mxwallctl: ...", and with --json also {"error": ...} on stdout)
 * and return the exit status: CTL_OK, CTL_NOMATCH or CTL_ERROR. When no
 * daemon listens it prints one note on stderr ("mxwalld is not running:
 * ...") and returns CTL_NODAEMON, so the caller can answer from the
 * pinned kernel maps instead.
 */
void ctl_resolve(struct ctl_ctx *ctx);
int ctl_daemon_call(struct ctl_ctx *ctx, int argc, char **argv);

/*
 * ctl_args_ok - argv[1..argc) against a simple shape: between min and
 * max positional words, flags without a value (flags, NULL-ended) and
 * options taking one (opts, NULL-ended). false means: print usage.
 */
bool ctl_args_ok(int argc, char **argv, int min, int max,
		 const char *const *flags, const char *const *opts);

/*
 * ctl_print_json - finish j, print the document on stdout as it is
 * (nothing when it could not be built), free j.
 */
struct json;
void ctl_print_json(struct json *j);

/* Handlers, one per command, grouped by the file that holds them. */
/* ctl/cmd_kern.c: commands that work on the pinned kernel maps. */
int cmd_attach(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_detach(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_block(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_allow(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_forget(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_list(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_stats(struct ctl_ctx *ctx, int argc, char **argv);
/* ctl/cmd_query.c: look keys up in a table, as postmap -q. */
int cmd_query(struct ctl_ctx *ctx, int argc, char **argv);
/* ctl/cmd_import.c: Postfix main.cf -> mxwall.conf. */
int cmd_import_postfix(struct ctl_ctx *ctx, int argc, char **argv);
/* ctl/cmd_config.c: the effective configuration. */
int cmd_config(struct ctl_ctx *ctx, int argc, char **argv);
/* ctl/cmd_daemon.c: commands answered by the running daemon. */
int cmd_status(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_show(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_test(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_flush(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_dnsbl(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_reload(struct ctl_ctx *ctx, int argc, char **argv);
int cmd_export(struct ctl_ctx *ctx, int argc, char **argv);
/* ctl/cmd_replay.c: a capture through the loaded kernel program. */
int cmd_replay(struct ctl_ctx *ctx, int argc, char **argv);

#endif
