/*
 * config.c - mxwall.conf parser (see config.h).
 *
 * XXX This is a compiling stub while the parser is being written:
 * config_load() refuses every file.
 */
#include "config.h"
#include "log.h"
#include "table.h"

#include <stdlib.h>
#include <string.h>

const struct config_param config_params[CONF_NPARAMS] = {
#define PARAM(name, type, def, min, max, choices, section, help) \
	{ #name, CONF_T_##type, def, min, max, choices, CONF_SEC_##section, \
	  help },
#include "params.def"
};

const char *const config_section_titles[CONF_NSECTIONS] = {
#define SECTION(id, title) title,
#include "params.def"
};

struct mx_config *config_load(const char *path, int flags)
{
	msg_warn("%s: configuration parser not built yet", path ? path : "-");
	return NULL;
}

struct mx_config *config_load_text(const char *name, const char *text,
				   size_t len, int flags)
{
	return config_load(name, flags);
}

void config_free(struct mx_config *cfg)
{
	free(cfg);
}

const struct config_param *config_param_find(const char *name)
{
	int i;

	for (i = 0; i < CONF_NPARAMS; i++)
		if (strcmp(config_params[i].name, name) == 0)
			return &config_params[i];
	return NULL;
}

void config_dump(FILE *fp, const struct mx_config *cfg, bool json)
{
}

void config_man(FILE *fp)
{
}

int config_duration(const char *s, long *secs, const char **why)
{
	*why = "not implemented";
	return -1;
}
