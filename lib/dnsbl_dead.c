/*
 * dnsbl_dead.c - the built-in table of dead, wildcard and replaced DNS
 * lists (see dnsbl_dead.h).
 *
 * Add a row when a list closes; keep notes to one plain sentence. Only
 * zones whose fate is public knowledge belong here: a wrong row silently
 * disables a working list.
 */
#include "dnsbl_dead.h"
#include "config.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct dnsbl_dead dead_table[] = {
	{ "list.dsbl.org", DNSBL_DEAD, NULL,
	  "DSBL stopped operating around 2009" },
	{ "*.dsbl.org", DNSBL_DEAD, NULL,
	  "DSBL stopped operating around 2009" },
	{ "*.maps.vix.com", DNSBL_DEAD, NULL,
	  "the MAPS lists left maps.vix.com around 2000 and are now "
	  "a paid service under another name" },
	{ "*.sorbs.net", DNSBL_DEAD, NULL,
	  "SORBS was shut down by its owner in 2024" },
	{ "*.rfc-ignorant.org", DNSBL_DEAD, NULL,
	  "RFC-Ignorant closed in 2012" },
	{ "sbl-xbl.spamhaus.org", DNSBL_REPLACED, "zen.spamhaus.org",
	  "Spamhaus replaced its combined SBL+XBL zone by zen.spamhaus.org" },
	{ "*.ordb.org", DNSBL_DEAD, NULL, "ORDB closed in December 2006" },
	{ "*.ahbl.org", DNSBL_WILDCARD, NULL,
	  "AHBL closed and since 2015 answers \"listed\" for every address" },
	{ "*.njabl.org", DNSBL_DEAD, NULL, "NJABL closed in 2013" },
	{ "relays.osirusoft.com", DNSBL_WILDCARD, NULL,
	  "Osirusoft closed in 2003 by listing every address" },
};

/* zone_matches - domain equals zone, or lies under "*.zone". */
static int zone_matches(const char *pattern, const char *domain, size_t dlen)
{
	size_t plen;

	if (strncmp(pattern, "*.", 2) != 0)
		return strlen(pattern) == dlen &&
		       strncasecmp(pattern, domain, dlen) == 0;
	pattern += 2;
	plen = strlen(pattern);
	if (dlen == plen)
		return strncasecmp(pattern, domain, dlen) == 0;
	return dlen > plen && domain[dlen - plen - 1] == '.' &&
	       strncasecmp(pattern, domain + dlen - plen, plen) == 0;
}

const struct dnsbl_dead *dnsbl_dead_lookup(const char *domain)
{
	size_t dlen = strlen(domain), i;

	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	for (i = 0; i < sizeof(dead_table) / sizeof(dead_table[0]); i++)
		if (zone_matches(dead_table[i].zone, domain, dlen))
			return &dead_table[i];
	return NULL;
}

const char *dnsbl_dead_kind_name(enum dnsbl_dead_kind kind)
{
	switch (kind) {
	case DNSBL_DEAD:
		return "dead";
	case DNSBL_WILDCARD:
		return "wildcard";
	default:
		return "replaced";
	}
}

char *dnsbl_dead_warning(const char *domain, char *buf, unsigned len)
{
	const struct dnsbl_dead *d = dnsbl_dead_lookup(domain);

	if (!d)
		return NULL;
	if (d->kind == DNSBL_REPLACED)
		snprintf(buf, len, "%s is replaced: %s: use %s instead", domain,
			 d->note, d->replacement);
	else
		snprintf(buf, len, "%s is %s: %s: it will be quarantined",
			 domain, dnsbl_dead_kind_name(d->kind), d->note);
	return buf;
}

/* check_sites - warn for the flagged entries of one parameter. */
static int check_sites(const struct mx_config *cfg, int param,
		       const char *name, const struct config_sites *sites)
{
	const struct config_origin *o = &cfg->origin[param];
	char buf[400];
	int i, n = 0;

	for (i = 0; i < sites->n; i++) {
		if (!dnsbl_dead_warning(sites->v[i].domain, buf, sizeof(buf)))
			continue;
		n++;
		if (o->file)
			msg_warn("%s, line %d: %s: %s", o->file, o->line, name,
				 buf);
		else
			msg_warn("%s: %s", name, buf);
	}
	return n;
}

int dnsbl_dead_check(const struct mx_config *cfg)
{
	return check_sites(cfg, CONF_P_dnsbl_sites, "dnsbl_sites",
			   &cfg->dnsbl_sites) +
	       check_sites(cfg, CONF_P_rhsbl_sites, "rhsbl_sites",
			   &cfg->rhsbl_sites);
}
