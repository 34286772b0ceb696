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

enum { CTL_OK = 0, CTL_ERROR = 1, CTL_NOMATCH = 2 };

/*
 * struct ctl_ctx - options given before the command.
 *   conf_path    -c FILE (default /etc/mxwall/mxwall.conf);
 *   socket_path  -s SOCKET, or NULL for control_socket from the config;
 *   pin_path     where the kernel maps are pinned (from the config, or
 *                the default /sys/fs/bpf/mxwall);
 *   json         --json: one JSON document on stdout.
 */
struct ctl_ctx {
	const char *conf_path;
	const char *socket_path;
	const char *pin_path;
	bool json;
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

#endif
