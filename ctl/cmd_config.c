/*
 * cmd_config.c - `mxwallctl config [--man]`: load the configuration
 * (-c FILE, tables not opened) and print every parameter with its value
 * and where it was set (file:line or default), or with --json one
 * object; --man prints mxwall.conf(5) as generated from params.def.
 * Reads files only; never talks to the daemon.
 */
#include "config.h"
#include "ctl.h"

#include <stdio.h>
#include <string.h>

int cmd_config(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct mx_config *cfg;

	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		config_man(stdout);
		return CTL_OK;
	}
	if (argc != 1)
		return ctl_usage(ctl_find("config"));
	cfg = config_load(ctx->conf_path, CONFIG_FOR_CHECK);
	if (!cfg) {
		fprintf(stderr, "mxwallctl: %s: configuration has errors "
			"(listed above)\n", ctx->conf_path);
		return CTL_ERROR;
	}
	config_dump(stdout, cfg, ctx->json);
	config_free(cfg);
	return CTL_OK;
}
