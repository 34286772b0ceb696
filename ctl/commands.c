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
	{ "status", "", "daemon, kernel, verdict and list health at a glance",
	  cmd_status, 0 },
	{ "list", "[--blocked|--allowed]", "one line per verdict and prefix",
	  cmd_list, 0 },
	{ "show", "ADDR", "everything known about an address: why, until when",
	  cmd_show, 0 },
	{ "why", "ADDR", "the same as show", cmd_show, 0 },
	{ "test", "ADDR [--name HOST]",
	  "evaluate an address now, changing nothing", cmd_test, 0 },
	{ "block", "ADDR[/LEN]... [--ttl DURATION] [--reason TEXT]",
	  "block addresses or prefixes", cmd_block, CTL_CHANGES },
	{ "allow", "ADDR[/LEN]... [--ttl DURATION] [--reason TEXT]",
	  "allow addresses or prefixes", cmd_allow, CTL_CHANGES },
	{ "forget", "ADDR[/LEN]...", "remove verdicts or prefixes",
	  cmd_forget, CTL_CHANGES },
	{ "flush", "[--all]",
	  "remove evaluated verdicts (with --all, manual ones too)",
	  cmd_flush, CTL_CHANGES },
	{ "stats", "[--prometheus]",
	  "kernel counters, list and evaluation figures", cmd_stats, 0 },
	{ "dnsbl", "", "each list's health, last probe and quarantine",
	  cmd_dnsbl, 0 },
	{ "reload", "", "read the configuration again (or keep the old one)",
	  cmd_reload, CTL_CHANGES },
	{ "config", "[--man]",
	  "print the effective configuration (with where each value comes "
	  "from)", cmd_config, 0 },
	{ "export", "--format rbldnsd|pf|csv",
	  "the verdicts as an rbldnsd zone, a pf table file or CSV",
	  cmd_export, 0 },
	{ "import-postfix", "MAIN.CF",
	  "print an mxwall.conf made from a Postfix main.cf",
	  cmd_import_postfix, 0 },
	{ "query", "TYPE:FILE KEY... | TYPE:FILE -",
	  "look keys up in a table, as postmap -q", cmd_query, 0 },
	{ "replay", "FILE.pcap",
	  "run a capture through the loaded kernel program, changing nothing",
	  cmd_replay, 0 },
	{ "attach", "IFACE [--mode native|generic|tc|auto]",
	  "attach the kernel program to an interface", cmd_attach,
	  CTL_CHANGES },
	{ "detach", "IFACE", "detach the kernel program from an interface",
	  cmd_detach, CTL_CHANGES },
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

/* man_escape - text for troff: '-' as "\-", '\' as "\e". */
static void man_escape(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", fp);
		else if (*s == '\\')
			fputs("\\e", fp);
		else
			fputc(*s, fp);
	}
}

void ctl_man_synopsis(FILE *fp)
{
	const struct ctl_command *c;

	fputs(".SH SYNOPSIS\n.nf\n", fp);
	fputs("\\fBmxwallctl\\fR [\\fB\\-c\\fR \\fIFILE\\fR | "
	      "\\fB\\-s\\fR \\fISOCKET\\fR] [\\fB\\-\\-json\\fR] "
	      "\\fICOMMAND\\fR [\\fIARGS\\fR...]\n", fp);
	fputs("\\fBmxwallctl \\-\\-help\\fR | \\fB\\-\\-version\\fR\n.sp\n",
	      fp);
	for (c = ctl_commands; c->name; c++) {
		fputs("\\fBmxwallctl\\fR [\\fIoptions\\fR] \\fB", fp);
		man_escape(fp, c->name);
		fputs("\\fR", fp);
		if (*c->args) {
			fputc(' ', fp);
			man_escape(fp, c->args);
		}
		fputc('\n', fp);
	}
	fputs(".fi\n", fp);
}
