/*
 * cmd_import.c - `mxwallctl import-postfix MAIN.CF`: print an
 * mxwall.conf made from a Postfix main.cf (lib/import.c says what is
 * carried over). Reads the file only; never talks to the daemon.
 */
#include "ctl.h"
#include "import.h"
#include "table.h"

#include <stdio.h>

int cmd_import_postfix(struct ctl_ctx *ctx, int argc, char **argv)
{
	char err[TABLE_ERR_MAX];

	if (argc != 2)
		return ctl_usage(ctl_find("import-postfix"));
	if (import_postfix(argv[1], stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxwallctl: %s: nothing imported\n", err);
		return CTL_ERROR;
	}
	return CTL_OK;
}
