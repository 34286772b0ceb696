/*
 * cmd_kern.c - mxwallctl commands that work on the pinned kernel maps
 * directly, so they keep working while the daemon is down.
 *
 * Placeholder handlers until the kernel fast-path issue fills them in.
 */
#include "ctl.h"

#include <stdio.h>

/* not_yet - the shared answer of a handler not written yet. */
static int not_yet(const char *name)
{
	fprintf(stderr, "mxwallctl: %s: not implemented yet\n", name);
	return CTL_ERROR;
}

int cmd_attach(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_detach(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_block(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_allow(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_forget(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_list(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}

int cmd_stats(struct ctl_ctx *ctx, int argc, char **argv)
{
	return not_yet(argv[0]);
}
