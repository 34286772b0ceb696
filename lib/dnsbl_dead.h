/*
 * dnsbl_dead.h - the built-in table of DNS lists known to be dead, to
 * list every address, or to have been replaced.
 *
 * Old Postfix configurations (like the one mxwall was first written for)
 * name lists that closed years ago; some of those zones now answer
 * "listed" for every query, which blocks the whole world. The config
 * importer, `mxwalld -n` and the evaluator call dnsbl_dead_lookup() for
 * every configured list and warn; the evaluator also quarantines the
 * DEAD and WILDCARD ones without asking them.
 *
 * Lives in lib/ so both mxwalld and mxwallctl (import-postfix) link it.
 * Pure data and string compares: never blocks, never allocates.
 */
#ifndef MXWALL_DNSBL_DEAD_H
#define MXWALL_DNSBL_DEAD_H

enum dnsbl_dead_kind {
	DNSBL_DEAD,     /* shut down: answers nothing useful */
	DNSBL_WILDCARD, /* shut down by listing every address */
	DNSBL_REPLACED, /* still answers, but superseded: use replacement */
};

/*
 * struct dnsbl_dead - one row of the table.
 *   zone         the zone; "*.example.org" matches every zone under
 *                example.org and example.org itself;
 *   kind         enum dnsbl_dead_kind;
 *   replacement  the zone to use instead, or NULL;
 *   note         one sentence for the warning: what happened, when.
 */
struct dnsbl_dead {
	const char *zone;
	enum dnsbl_dead_kind kind;
	const char *replacement;
	const char *note;
};

/*
 * dnsbl_dead_lookup - the row for domain (case-insensitive, a trailing
 * dot ignored), or NULL when the zone is not known to be bad.
 */
const struct dnsbl_dead *dnsbl_dead_lookup(const char *domain);

/* dnsbl_dead_kind_name - "dead", "wildcard", "replaced". */
const char *dnsbl_dead_kind_name(enum dnsbl_dead_kind kind);

/*
 * dnsbl_dead_warning - one diagnostic sentence for domain, e.g.
 * "dnsbl_sites: list.dsbl.org is dead: DSBL closed in 2008: it will be
 * quarantined", written into buf; returns buf, or NULL when the zone is
 * not in the table.
 */
char *dnsbl_dead_warning(const char *domain, char *buf, unsigned len);

struct mx_config;

/*
 * dnsbl_dead_check - one warning (msg_warn) per list of dnsbl_sites and
 * rhsbl_sites found in the table, naming where it was configured:
 * "mxwall.conf, line 7: dnsbl_sites: list.dsbl.org is dead: DSBL stopped
 * operating around 2009: it will be quarantined". For mxwalld -n and the
 * configuration importer; returns how many lists were flagged.
 */
int dnsbl_dead_check(const struct mx_config *cfg);

#endif
