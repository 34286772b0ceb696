/*
 * cmd_replay.c - mxwallctl replay FILE.pcap (being written).
 */
#include "ctl.h"

#include <stdio.h>

int cmd_replay(struct ctl_ctx *ctx, int argc, char **argv)
{
	fprintf(stderr, "mxwallctl: replay: not implemented yet\n");
	return CTL_ERROR;
}
