/*
 * commands.c - mxwallctl's command table (see ctl.h), and the lookup
 * that accepts unique prefixes.
 *
 * The table is the single source for --help, dispatch and the SYNOPSIS
 * of mxwallctl(8). Keep rows in the order they appear in the man page.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

const struct ctl_command ctl_commands[] = {
	{ "block", "ADDR[/LEN] [--ttl DURATION] [--reason TEXT]",
	  "block an address or prefix", cmd_block, CTL_CHANGES },
	{ "allow", "ADDR[/LEN] [--ttl DURATION] [--reason TEXT]",
	  "allow an address or prefix", cmd_allow, CTL_CHANGES },
	{ "forget", "ADDR[/LEN]", "remove a verdict or prefix", cmd_forget,
	  CTL_CHANGES },
	{ "list", "[--blocked|--allowed]", "list verdicts and prefixes",
	  cmd_list, 0 },
	{ "stats", "[--prometheus]", "kernel counters by outcome", cmd_stats,
	  0 },
	{ "attach", "IFACE [--mode native|generic|tc|auto]",
	  "attach the kernel program to an interface", cmd_attach,
	  CTL_CHANGES },
	{ "detach", "IFACE", "detach the kernel program from an interface",
	  cmd_detach, CTL_CHANGES },
	{ "config", "[--man]",
	  "print the effective configuration (with where each value comes "
	  "from)", cmd_config, 0 },
	{ "query", "TYPE:FILE KEY... | TYPE:FILE -",
	  "look keys up in a table, as postmap -q", cmd_query, 0 },
	{ "import-postfix", "MAIN.CF",
	  "print an mxwall.conf made from a Postfix main.cf",
	  cmd_import_postfix, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

int ctl_usage(const struct ctl_command *cmd)
{
	fprintf(stderr, "usage: mxwallctl %s%s%s\n", cmd->name,
		*cmd->args ? " " : "", cmd->args);
	return CTL_ERROR;
}

const struct ctl_command *ctl_find(const char *name)
{
	const struct ctl_command *c, *hit = NULL;
	size_t len = strlen(name);
	int n = 0;

	for (c = ctl_commands; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (len > 0 && strncmp(c->name, name, len) == 0) {
			hit = c;
			n++;
		}
	}
	if (n == 1)
		return hit;
	if (n == 0)
		fprintf(stderr, "mxwallctl: unknown command \"%s\"; "
			"try 'mxwallctl --help'\n", name);
	else
		fprintf(stderr, "mxwallctl: \"%s\" is ambiguous "
			"(%d commands start with it)\n", name, n);
	return NULL;
}
