/*
 * mxwallctl.c - the mxwall control tool: global options, then one
 * command from the table in commands.c.
 *
 *   mxwallctl [-c FILE | -s SOCKET] [--json] COMMAND [ARGS...]
 *
 * Exit status: 0 ok, 1 error (or usage), 2 "not all matched"; see
 * mxwallctl(8), whose SYNOPSIS the test suite checks against the table.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

/* usage - the synopsis of every command, from the command table. */
static int usage(FILE *fp, int status)
{
	const struct ctl_command *c;

	fprintf(fp, "usage: mxwallctl [-c FILE | -s SOCKET] [--json] "
		    "COMMAND [ARGS...]\n\ncommands:\n");
	for (c = ctl_commands; c->name; c++)
		fprintf(fp, "  %s%s%s\n      %s\n", c->name,
			*c->args ? " " : "", c->args, c->summary);
	return status;
}

int main(int argc, char **argv)
{
	struct ctl_ctx ctx = {
		.conf_path = "/etc/mxwall/mxwall.conf",
		.pin_path = "/sys/fs/bpf/mxwall",
	};
	const struct ctl_command *cmd;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx.json = true;
		else if (strcmp(argv[i], "--help") == 0 ||
			 strcmp(argv[i], "-h") == 0)
			return usage(stdout, CTL_OK);
		else if (strcmp(argv[i], "--man-synopsis") == 0)
			return ctl_man_synopsis(stdout), CTL_OK;
		else if (strcmp(argv[i], "--version") == 0)
			return printf("mxwallctl %s\n", MXWALL_VERSION), 0;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			ctx.conf_path = argv[++i];
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			ctx.socket_path = argv[++i];
		else
			return usage(stderr, CTL_ERROR);
	}
	if (i == argc)
		return usage(stderr, CTL_ERROR);
	cmd = ctl_find(argv[i]);
	if (!cmd)
		return CTL_ERROR;
	/* Handlers and the daemon see the full name, not the prefix. */
	argv[i] = (char *)cmd->name;
	return cmd->run(&ctx, argc - i, argv + i);
}
