/*
 * import.c - Postfix main.cf -> mxwall.conf (see import.h).
 *
 * The main.cf is read with the same logical-line reader as mxwall.conf
 * (continuations, comments); $name references are not expanded (a
 * restriction list that uses one is reported in a comment). The output
 * is plain text built in a few lists (one per mxwall parameter) and
 * printed at the end, so the order of the input does not matter and a
 * table or list named twice appears once.
 */
#include "import.h"
#include "dnsbl_dead.h"
#include "table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The restriction lists of smtpd that are read, in Postfix's order. */
static const char *const import_lists[] = {
	"smtpd_client_restrictions", "smtpd_helo_restrictions",
	"smtpd_sender_restrictions", "smtpd_relay_restrictions",
	"smtpd_recipient_restrictions", "smtpd_data_restrictions",
	"smtpd_end_of_data_restrictions", "smtpd_etrn_restrictions",
};

/*
 * Restrictions that stay in Postfix, with the reason printed for them.
 * A name not here and not carried over gets the generic reason.
 */
static const struct {
	const char *name, *reason;
} import_stays[] = {
	{ "permit_sasl_authenticated", "mxwall's policy service already "
	  "answers DUNNO for SASL-authenticated clients; keep it first in "
	  "Postfix" },
	{ "reject_unauth_destination", "relay control needs Postfix's "
	  "mydestination and relay_domains: stays in Postfix" },
	{ "defer_unauth_destination", "relay control: stays in Postfix" },
	{ "permit_auth_destination", "relay control: stays in Postfix" },
	{ "reject_unknown_sender_domain", "a DNS check of the sender's "
	  "domain at MAIL FROM: stays in Postfix" },
	{ "reject_unknown_recipient_domain", "a DNS check of the "
	  "recipient's domain: stays in Postfix" },
	{ "reject_non_fqdn_sender", "an address syntax check: stays in "
	  "Postfix" },
	{ "reject_non_fqdn_recipient", "an address syntax check: stays in "
	  "Postfix" },
	{ "reject_invalid_hostname", "old name of "
	  "reject_invalid_helo_hostname, a HELO syntax check: stays in "
	  "Postfix" },
	{ "reject_invalid_helo_hostname", "a HELO syntax check: stays in "
	  "Postfix" },
	{ "reject_non_fqdn_hostname", "old name of "
	  "reject_non_fqdn_helo_hostname, a HELO syntax check: stays in "
	  "Postfix" },
	{ "reject_non_fqdn_helo_hostname", "a HELO syntax check: stays in "
	  "Postfix" },
	{ "reject_unknown_hostname", "old name of "
	  "reject_unknown_helo_hostname, a DNS check of the HELO name: stays "
	  "in Postfix" },
	{ "reject_unknown_helo_hostname", "a DNS check of the HELO name: "
	  "stays in Postfix" },
	{ "reject_unlisted_recipient", "needs Postfix's address tables: "
	  "stays in Postfix" },
	{ "reject_unlisted_sender", "needs Postfix's address tables: stays "
	  "in Postfix" },
	{ "reject_unverified_sender", "address verification is Postfix's: "
	  "stays in Postfix" },
	{ "reject_unverified_recipient", "address verification is "
	  "Postfix's: stays in Postfix" },
	{ "reject_unauth_pipelining", "an SMTP protocol check: stays in "
	  "Postfix" },
	{ "reject_multi_recipient_bounce", "an SMTP protocol check: stays "
	  "in Postfix" },
	{ "reject_sender_login_mismatch", "needs SASL login maps: stays in "
	  "Postfix" },
	{ "permit_tls_clientcerts", "TLS client certificates are Postfix's: "
	  "stays in Postfix" },
	{ "permit_tls_all_clientcerts", "TLS client certificates are "
	  "Postfix's: stays in Postfix" },
	{ "check_policy_service", "another policy service: keep it in "
	  "Postfix beside mxwall's" },
	{ "reject_rhsbl_helo", "mxwall asks name-based lists about the "
	  "client name only: stays in Postfix" },
	{ "reject_rhsbl_sender", "mxwall asks name-based lists about the "
	  "client name only: stays in Postfix" },
	{ "reject_rhsbl_recipient", "mxwall asks name-based lists about the "
	  "client name only: stays in Postfix" },
	{ "permit", "a final answer of the list: stays in Postfix" },
	{ "reject", "a final answer of the list: stays in Postfix" },
	{ "defer", "a final answer of the list: stays in Postfix" },
	{ "dunno", "does nothing" },
};

/* Restrictions that take one argument (it is consumed with them). */
static const char *const import_takes_arg[] = {
	"reject_rbl_client", "permit_dnswl_client", "reject_rhsbl_client",
	"reject_rhsbl_reverse_client", "permit_rhswl_client",
	"reject_rhsbl_helo", "reject_rhsbl_sender", "reject_rhsbl_recipient",
	"check_policy_service", "check_client_access",
	"check_reverse_client_hostname_access", "check_helo_access",
	"check_sender_access", "check_recipient_access",
	"check_client_a_access", "check_client_mx_access",
	"check_client_ns_access", "check_helo_a_access", "check_helo_mx_access",
	"check_helo_ns_access", "check_sender_a_access",
	"check_sender_mx_access", "check_sender_ns_access",
	"check_recipient_a_access", "check_recipient_mx_access",
	"check_recipient_ns_access", "check_etrn_access", "check_ccert_access",
	"check_sasl_access",
};

/*
 * struct slist - a list of unique strings.
 */
struct slist {
	int n;
	char **v;
};

static void sl_add(struct slist *l, const char *s)
{
	char **nv;
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return;
	nv = realloc(l->v, (size_t)(l->n + 1) * sizeof(char *));
	if (!nv)
		return;
	l->v = nv;
	l->v[l->n] = strdup(s);
	if (l->v[l->n])
		l->n++;
}

static void sl_free(struct slist *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/*
 * struct imp - what the import found.
 *   param       main.cf parameters (name, value, line) as read;
 *   out[]       per mxwall parameter, its words;
 *   notes       comment lines for the end of the output;
 *   rbl_weight  the weight a reject_rbl_client listing gets (the
 *               threshold, so one listing blocks);
 */
enum imp_param {
	I_MYNETWORKS,
	I_CLIENT_ACCESS,
	I_CLIENT_CHECKS,
	I_REVERSE_CHECKS,
	I_HELO_CHECKS,
	I_SENDER_CHECKS,
	I_RECIPIENT_CHECKS,
	I_DNSBL_SITES,
	I_RHSBL_SITES,
	I_NPARAMS
};

static const char *const imp_names[I_NPARAMS] = {
	"mynetworks",	 "client_access",    "client_checks",
	"reverse_client_checks", "helo_checks",	     "sender_checks",
	"recipient_checks", "dnsbl_sites",	     "rhsbl_sites",
};

struct imp {
	const char *path;
	struct lline *ll;
	int nll;
	struct slist out[I_NPARAMS];
	struct slist notes;
	int rbl_weight;
	bool allowlist;
	bool mynetworks_used;
};

/* value_of - the value of main.cf parameter name (last one), or NULL. */
static const char *value_of(struct imp *im, const char *name, int *line)
{
	size_t n = strlen(name);
	const char *v = NULL, *p;
	int i;

	for (i = 0; i < im->nll; i++) {
		p = im->ll[i].text;
		if (strncmp(p, name, n) != 0)
			continue;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		v = p;
		if (line)
			*line = im->ll[i].line;
	}
	return v;
}

__attribute__((format(printf, 2, 3)))
static void note(struct imp *im, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sl_add(&im->notes, buf);
}

/* table_kind - "regexp", "pcre", "cidr", ... of a type:name word. */
static bool table_is(const char *table, const char *type)
{
	size_t n = strlen(type);

	return strncmp(table, type, n) == 0 && table[n] == ':';
}

/* add_site - a DNS list into dnsbl_sites/rhsbl_sites, dead ones left out. */
static void add_site(struct imp *im, enum imp_param which, const char *list,
		     const char *arg, int weight, const char *from)
{
	char domain[256], word[512];
	const struct dnsbl_dead *dead;
	const char *filter = strchr(arg, '=');
	size_t dlen = filter ? (size_t)(filter - arg) : strlen(arg);

	if (dlen >= sizeof(domain))
		dlen = sizeof(domain) - 1;
	memcpy(domain, arg, dlen);
	domain[dlen] = 0;
	dead = dnsbl_dead_lookup(domain);
	if (dead && dead->kind != DNSBL_REPLACED) {
		note(im, "%s: %s %s: left out (%s: %s)", list, from, arg,
		     dnsbl_dead_kind_name(dead->kind), dead->note);
		return;
	}
	if (dead && dead->replacement) {
		note(im, "%s: %s %s: %s is used instead (%s)", list, from, arg,
		     dead->replacement, dead->note);
		snprintf(domain, sizeof(domain), "%s", dead->replacement);
	}
	if (weight == 1)
		snprintf(word, sizeof(word), "%s%s", domain,
			 filter ? filter : "");
	else
		snprintf(word, sizeof(word), "%s%s*%d", domain,
			 filter ? filter : "", weight);
	sl_add(&im->out[which], word);
}

/* add_table - a check_*_access table into the matching parameter. */
static void add_table(struct imp *im, const char *list, const char *name,
		      const char *table)
{
	bool pattern = table_is(table, "regexp") || table_is(table, "pcre");
	bool cidr = table_is(table, "cidr");

	if (!pattern && !cidr && !table_is(table, "static") &&
	    !table_is(table, "inline")) {
		note(im, "%s: %s %s: not carried over: mxwall reads regexp, "
		     "pcre, cidr, static and inline tables (turn it into one "
		     "of them)", list, name, table);
		return;
	}
	if (strcmp(name, "check_client_access") == 0)
		sl_add(&im->out[cidr ? I_CLIENT_ACCESS : I_CLIENT_CHECKS],
		       table);
	else if (strcmp(name, "check_reverse_client_hostname_access") == 0 &&
		 !cidr)
		sl_add(&im->out[I_REVERSE_CHECKS], table);
	else if (strcmp(name, "check_helo_access") == 0)
		sl_add(&im->out[I_HELO_CHECKS], table);
	else if (strcmp(name, "check_sender_access") == 0)
		sl_add(&im->out[I_SENDER_CHECKS], table);
	else if (strcmp(name, "check_recipient_access") == 0)
		sl_add(&im->out[I_RECIPIENT_CHECKS], table);
	else
		note(im, "%s: %s %s: not carried over: a check on DNS "
		     "records or certificates stays in Postfix", list, name,
		     table);
}

static bool takes_arg(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(import_takes_arg) / sizeof(*import_takes_arg);
	     i++)
		if (strcasecmp(import_takes_arg[i], w) == 0)
			return true;
	return false;
}

/* restriction - one restriction (and its argument) of list. */
static void restriction(struct imp *im, const char *list, const char *w,
			const char *arg)
{
	size_t i;

	if (strcmp(w, "reject_rbl_client") == 0) {
		add_site(im, I_DNSBL_SITES, list, arg, im->rbl_weight, w);
	} else if (strcmp(w, "permit_dnswl_client") == 0) {
		add_site(im, I_DNSBL_SITES, list, arg, -100, w);
		im->allowlist = true;
	} else if (strcmp(w, "reject_rhsbl_client") == 0 ||
		   strcmp(w, "reject_rhsbl_reverse_client") == 0) {
		add_site(im, I_RHSBL_SITES, list, arg, im->rbl_weight, w);
		if (strcmp(w, "reject_rhsbl_reverse_client") == 0)
			note(im, "%s: %s %s: mxwall asks rhsbl_sites about the "
			     "verified client name, not the raw PTR name",
			     list, w, arg);
	} else if (strcmp(w, "permit_rhswl_client") == 0) {
		add_site(im, I_RHSBL_SITES, list, arg, -100, w);
		im->allowlist = true;
	} else if (strncmp(w, "check_", 6) == 0 && takes_arg(w) &&
		   strcmp(w, "check_policy_service") != 0) {
		add_table(im, list, w, arg);
	} else if (strcmp(w, "permit_mynetworks") == 0) {
		im->mynetworks_used = true;
	} else if (strcmp(w, "reject_unknown_client_hostname") == 0 ||
		   strcmp(w, "reject_unknown_client") == 0) {
		sl_add(&im->out[I_CLIENT_CHECKS],
		       "regexp:{ {/^unknown$$/ 450 4.7.25 Client host "
		       "rejected: cannot find your hostname} }");
		if (strcmp(w, "reject_unknown_client") == 0)
			note(im, "%s: reject_unknown_client (the old name of "
			     "reject_unknown_client_hostname): a client_checks "
			     "rule on the name \"unknown\"", list);
	} else if (strcmp(w, "reject_unknown_reverse_client_hostname") == 0) {
		sl_add(&im->out[I_REVERSE_CHECKS],
		       "regexp:{ {/^unknown$$/ 450 4.7.1 Client host "
		       "rejected: cannot find your reverse hostname} }");
	} else {
		for (i = 0; i < sizeof(import_stays) / sizeof(*import_stays);
		     i++) {
			if (strcasecmp(import_stays[i].name, w) == 0) {
				note(im, "%s: %s%s%s: not carried over: %s",
				     list, w, arg ? " " : "", arg ? arg : "",
				     import_stays[i].reason);
				return;
			}
		}
		note(im, "%s: %s%s%s: not carried over: not a client check "
		     "mxwall makes (a restriction class or another Postfix "
		     "feature): stays in Postfix", list, w, arg ? " " : "",
		     arg ? arg : "");
	}
}

/* read_list - every restriction of one smtpd_*_restrictions value. */
static void read_list(struct imp *im, const char *list, const char *value)
{
	const char *p = value;
	bool bad = false;
	char *w, *arg;

	if (strchr(value, '$'))
		note(im, "%s: uses $name references, which the importer does "
		     "not expand: check the result by hand", list);
	while ((w = lline_word(&p, &bad)) != NULL) {
		arg = NULL;
		if (takes_arg(w)) {
			arg = lline_word(&p, &bad);
			if (!arg) {
				note(im, "%s: %s without its argument: "
				     "ignored", list, w);
				free(w);
				break;
			}
		}
		restriction(im, list, w, arg);
		free(w);
		free(arg);
	}
}

/* read_postscreen - postscreen's DNS list and access list settings. */
static void read_postscreen(struct imp *im, FILE *out)
{
	const char *v, *p;
	bool bad = false;
	char *w;

	v = value_of(im, "postscreen_dnsbl_sites", NULL);
	for (p = v; p && (w = lline_word(&p, &bad)) != NULL; free(w)) {
		char *star = strrchr(w, '*');
		int weight = star ? atoi(star + 1) : 1;

		if (star)
			*star = 0;
		add_site(im, I_DNSBL_SITES, "postscreen_dnsbl_sites", w,
			 weight, "site");
		if (weight < 0)
			im->allowlist = true;
	}
	v = value_of(im, "postscreen_access_list", NULL);
	for (p = v; p && (w = lline_word(&p, &bad)) != NULL; free(w)) {
		if (strcmp(w, "permit_mynetworks") == 0)
			im->mynetworks_used = true;
		else if (table_is(w, "cidr"))
			sl_add(&im->out[I_CLIENT_ACCESS], w);
		else
			note(im, "postscreen_access_list: %s: not carried "
			     "over: mxwall reads cidr tables there", w);
	}
	v = value_of(im, "postscreen_dnsbl_allowlist_threshold", NULL);
	if (!v)
		v = value_of(im, "postscreen_dnsbl_whitelist_threshold", NULL);
	if (v)
		fprintf(out, "dnsbl_allowlist_threshold = %s\n", v);
	else if (im->allowlist)
		fprintf(out, "dnsbl_allowlist_threshold = -1\n");
	if ((v = value_of(im, "postscreen_dnsbl_min_ttl", NULL)))
		fprintf(out, "dnsbl_min_ttl = %s\n", v);
	if ((v = value_of(im, "postscreen_dnsbl_max_ttl", NULL)) ||
	    (v = value_of(im, "postscreen_dnsbl_ttl", NULL)))
		fprintf(out, "dnsbl_max_ttl = %s\n", v);
	if ((v = value_of(im, "postscreen_dnsbl_timeout", NULL)))
		fprintf(out, "dnsbl_timeout = %s\n", v);
	if (value_of(im, "postscreen_allowlist_interfaces", NULL) ||
	    value_of(im, "postscreen_whitelist_interfaces", NULL))
		note(im, "postscreen_allowlist_interfaces (or its old name "
		     "postscreen_whitelist_interfaces): not carried over: "
		     "mxwall protects the interfaces in its interfaces "
		     "parameter");
	if (value_of(im, "postscreen_blacklist_action", NULL) ||
	    value_of(im, "postscreen_denylist_action", NULL))
		note(im, "postscreen_denylist_action (or its old name "
		     "postscreen_blacklist_action): mxwall blocks in the "
		     "kernel and refuses at RCPT; the action stays in "
		     "Postfix");
}

/* print_param - "name = word, word" with long lists folded. */
static void print_param(FILE *out, const char *name, struct slist *l)
{
	size_t col;
	int i;

	if (l->n == 0)
		return;
	fprintf(out, "%s =", name);
	col = strlen(name) + 2;
	for (i = 0; i < l->n; i++) {
		size_t len = strlen(l->v[i]) + 2;

		if (i > 0 && col + len > 76) {
			fprintf(out, ",\n   ");
			col = 3;
		} else if (i > 0) {
			fputs(",", out);
		}
		fprintf(out, " %s", l->v[i]);
		col += len;
	}
	fputs("\n", out);
}

/* mynetworks - Postfix's mynetworks words that are addresses. */
static void read_mynetworks(struct imp *im)
{
	const char *v = value_of(im, "mynetworks", NULL), *p = v;
	bool bad = false;
	char *w;

	if (!im->mynetworks_used)
		return;
	if (!v) {
		note(im, "permit_mynetworks: main.cf does not set mynetworks; "
		     "Postfix derived it from mynetworks_style, mxwall uses "
		     "its default (loopback only): set mynetworks by hand");
		return;
	}
	while ((w = lline_word(&p, &bad)) != NULL) {
		if (strchr(w, ':') && !strchr(w, '[') && !strchr(w, '.') &&
		    w[0] != ':' && strchr(w, '/') != w) {
			/* type:table */
			note(im, "mynetworks: %s: not carried over: mxwall "
			     "takes addresses and prefixes only", w);
		} else if (w[0] == '/' || w[0] == '$' ||
			   strspn(w, "0123456789abcdefABCDEF.:[]/") !=
				   strlen(w)) {
			note(im, "mynetworks: %s: not carried over: mxwall "
			     "takes addresses and prefixes only", w);
		} else {
			sl_add(&im->out[I_MYNETWORKS], w);
		}
		free(w);
	}
}

/* import_postfix - see import.h. */
int import_postfix(const char *path, FILE *out, char *err, size_t errlen)
{
	struct imp im = { .path = path, .rbl_weight = 1 };
	const char *v;
	size_t len, i;
	char *text;
	int k, rc = -1;

	text = read_file(path, 4u << 20, &len, err, errlen);
	if (!text)
		return -1;
	if (lline_split(path, text, len, &im.ll, &im.nll, err, errlen) < 0)
		goto out;
	v = value_of(&im, "postscreen_dnsbl_threshold", NULL);
	if (v && atoi(v) > 0)
		im.rbl_weight = atoi(v);

	fprintf(out, "# mxwall.conf - made by `mxwallctl import-postfix %s`.\n"
		"# The client checks of that main.cf, as mxwall makes them: "
		"in the kernel\n# and at RCPT through the policy service. "
		"Postfix keeps everything listed\n# at the end. See "
		"mxwall.conf(5).\n\n", path);
	for (i = 0; i < sizeof(import_lists) / sizeof(*import_lists); i++) {
		v = value_of(&im, import_lists[i], NULL);
		if (v)
			read_list(&im, import_lists[i], v);
	}
	if (value_of(&im, "smtpd_restriction_classes", NULL))
		note(&im, "smtpd_restriction_classes: not carried over: table "
		     "results that name a class stay Postfix's business");
	if (value_of(&im, "postscreen_dnsbl_threshold", NULL))
		fprintf(out, "dnsbl_threshold = %d\n", im.rbl_weight);
	read_postscreen(&im, out);
	read_mynetworks(&im);
	for (k = 0; k < I_NPARAMS; k++)
		print_param(out, imp_names[k], &im.out[k]);
	if (im.notes.n > 0) {
		fprintf(out, "\n# Not carried over, or changed (Postfix keeps "
			"what it does not hand to mxwall):\n");
		for (k = 0; k < im.notes.n; k++)
			fprintf(out, "#   %s\n", im.notes.v[k]);
	}
	rc = 0;
out:
	for (k = 0; k < I_NPARAMS; k++)
		sl_free(&im.out[k]);
	sl_free(&im.notes);
	lline_free(im.ll, im.nll);
	free(text);
	return rc;
}
