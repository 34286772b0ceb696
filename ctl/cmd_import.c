/*
 * cmd_import.c - `mxwallctl import-postfix MAIN.CF`.
 *
 * XXX Not written yet: says so and fails.
 */
#include "ctl.h"

#include <stdio.h>

int cmd_import_postfix(struct ctl_ctx *ctx, int argc, char **argv)
{
	fprintf(stderr, "mxwallctl: import-postfix: not available yet\n");
	return CTL_ERROR;
}
