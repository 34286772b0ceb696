/*
 * import.c - Postfix main.cf -> mxwall.conf (see import.h).
 *
 * The main.cf is read with the same logical-line reader as mxwall.conf
 * (continuations, comments). A value is read with its $name references
 * expanded as Postfix expands them (config_expand, the expander of
 * mxwall.conf), before a list is split into words: against the file's
 * own parameters, then the few Postfix defaults listed below
 * (config_directory is the directory main.cf is read from). Any other
 * name is left as written, and a word that keeps one is left out with a
 * note saying which name and how to see Postfix's value; a value that
 * cannot be expanded (a syntax error, a loop) is left out with a note.
 * The output is still main.cf text ("$$" stays "$$"), which mxwall.conf
 * reads the same way.
 *
 * The output is plain text built in a few lists (one per mxwall
 * parameter) and printed at the end, so the order of the input does not
 * matter and a table or list named twice appears once. Every note says
 * where (file, line), what, and what becomes of it.
 */
#include "import.h"
#include "config.h"
#include "dnsbl_dead.h"
#include "str.h"
#include "table.h"

#include <ctype.h>
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
 * Postfix's own values for names a main.cf may use without setting
 * them, where they matter to restriction lists and do not depend on the
 * host: the smtpd restriction lists are empty by default (since Postfix
 * 2.10 for smtpd_recipient_restrictions). config_directory is handled
 * apart: it is the directory main.cf is read from.
 * XXX Any other name main.cf does not set is left unexpanded and the
 * restriction that uses it left out, because the importer cannot tell a
 * Postfix parameter with a host- or build-dependent default
 * ($myhostname, $daemon_directory) from a name Postfix expands to
 * nothing; a table of Postfix's built-in parameter names would let the
 * second kind expand to nothing, as Postfix does.
 */
static const char *const import_empty_defaults[] = {
	"smtpd_client_restrictions", "smtpd_helo_restrictions",
	"smtpd_sender_restrictions", "smtpd_recipient_restrictions",
	"smtpd_data_restrictions", "smtpd_end_of_data_restrictions",
	"smtpd_etrn_restrictions", "postscreen_dnsbl_sites",
};

/* Deepest $name nesting followed (Postfix stops at 100 too). */
#define IMPORT_EXPAND_DEPTH 100

/* Longest expanded value, in bytes. */
#define IMPORT_EXPAND_MAX (256u << 10)

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
 * struct imp_entry - one "name = value" line of the main.cf.
 *   name, value  copies, blanks around them trimmed;
 *   line         the line it starts on;
 *   state        its expansion: 0 not yet, 1 under way, 2 done;
 *   expanded     the value with its references replaced (still main.cf
 *                text: "$$" stays, a reference the importer cannot
 *                resolve stays as written); NULL when it cannot be
 *                expanded.
 */
struct imp_entry {
	char *name, *value;
	int line;
	int state;
	char *expanded;
};

/*
 * struct imp - what the import found.
 *   path, dir   the main.cf read, and its directory (Postfix's
 *               config_directory when main.cf does not set it);
 *   file        path without its directory, for notes;
 *   e, ne       its "name = value" entries (the last one of a name wins);
 *   byname      the entries sorted by name, a later one of a name first;
 *   chain       the entries being expanded, outermost first (nchain);
 *   why         the first problem met expanding the current value;
 *   at_param, at_line  the parameter being read, for notes;
 *   out[]       per mxwall parameter, its words;
 *   notes       comment lines for the end of the output;
 *   rbl_weight  the weight a reject_rbl_client listing gets (the
 *               threshold, so one listing blocks);
 *   mynetworks_line  where permit_mynetworks is used first (0: not used).
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
	const char *path, *file;
	char dir[4096];
	struct imp_entry *e, **byname;
	int ne;
	int chain[IMPORT_EXPAND_DEPTH + 2];
	int nchain;
	char why[1024];
	const char *at_param;
	int at_line;
	struct slist out[I_NPARAMS];
	struct slist notes;
	int rbl_weight;
	bool allowlist;
	int mynetworks_line;
};

/*
 * note - one comment line for the end of the output, "FILE, line N: "
 * (or "FILE: " for line 0) and the text; FILE is the main.cf's name
 * without its directory (the output's first line gives the path).
 */
__attribute__((format(printf, 3, 4)))
static void note(struct imp *im, int line, const char *fmt, ...)
{
	char what[1024], buf[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(buf, sizeof(buf), "%s, line %d: %s", im->file, line,
			 what);
	else
		snprintf(buf, sizeof(buf), "%s: %s", im->file, what);
	sl_add(&im->notes, buf);
}

/* key_cmp - name (len bytes, not terminated) against s, as strcmp. */
static int key_cmp(const char *name, size_t len, const char *s)
{
	int c = strncmp(name, s, len);

	if (c != 0)
		return c;
	return s[len] == 0 ? 0 : -1;
}

/* entry_order - by name, and a later entry of a name first. */
static int entry_order(const void *a, const void *b)
{
	const struct imp_entry *x = *(struct imp_entry *const *)a;
	const struct imp_entry *y = *(struct imp_entry *const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * imp_find - the entry that sets name (len bytes) last, or -1; a binary
 * search of byname[], so a main.cf with many names and many references
 * is not read in quadratic time.
 */
static int imp_find(const struct imp *im, const char *name, size_t len)
{
	int lo = 0, hi = im->ne, mid;

	while (lo < hi) { /* the first of byname[] not below name */
		mid = lo + (hi - lo) / 2;
		if (key_cmp(name, len, im->byname[mid]->name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < im->ne && key_cmp(name, len, im->byname[lo]->name) == 0)
		return (int)(im->byname[lo] - im->e);
	return -1;
}

/*
 * imp_entries - the "name = value" entries of the logical lines; a line
 * without "=" is not one (Postfix refuses it; the importer skips it).
 */
static int imp_entries(struct imp *im, const struct lline *ll, int nll)
{
	const char *p, *eq, *end;
	size_t nlen;
	int i;

	im->e = calloc((size_t)nll + 1, sizeof(*im->e));
	if (!im->e)
		return -1;
	for (i = 0; i < nll; i++) {
		p = ll[i].text;
		while (*p == ' ' || *p == '\t')
			p++;
		eq = strchr(p, '=');
		if (!eq || eq == p)
			continue;
		for (nlen = (size_t)(eq - p);
		     nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t');
		     nlen--)
			;
		for (eq++; *eq == ' ' || *eq == '\t' || *eq == '\n' ||
			   *eq == '\r';
		     eq++)
			;
		end = eq + strlen(eq);
		while (end > eq && (end[-1] == ' ' || end[-1] == '\t' ||
				    end[-1] == '\n' || end[-1] == '\r'))
			end--;
		im->e[im->ne].name = strndup(p, nlen);
		im->e[im->ne].value = strndup(eq, (size_t)(end - eq));
		im->e[im->ne].line = ll[i].line;
		if (!im->e[im->ne].name || !im->e[im->ne].value) {
			free(im->e[im->ne].name);
			free(im->e[im->ne].value);
			return -1;
		}
		im->ne++;
	}
	im->byname = malloc(((size_t)im->ne + 1) * sizeof(*im->byname));
	if (!im->byname)
		return -1;
	for (i = 0; i < im->ne; i++)
		im->byname[i] = &im->e[i];
	qsort(im->byname, (size_t)im->ne, sizeof(*im->byname), entry_order);
	return 0;
}

/*
 * imp_default - Postfix's own value of a name main.cf does not set, when
 * the importer knows it (see import_empty_defaults), else NULL.
 */
static const char *imp_default(const struct imp *im, const char *name,
			       size_t len)
{
	size_t i;

	if (len == 16 && strncmp(name, "config_directory", len) == 0)
		return im->dir;
	for (i = 0; i < sizeof(import_empty_defaults) /
				sizeof(*import_empty_defaults);
	     i++)
		if (strlen(import_empty_defaults[i]) == len &&
		    strncmp(import_empty_defaults[i], name, len) == 0)
			return "";
	return NULL;
}

static int imp_expand_entry(struct imp *im, int ent, int depth);

/* imp_error - keep the first expansion problem, for the note. */
static void imp_error(void *arg, const char *what)
{
	struct imp *im = arg;

	if (!im->why[0])
		str_copy(im->why, sizeof(im->why), what);
}

/*
 * imp_lookup - what $name means in the main.cf: its own value, expanded
 * (a conditional tests the value as written, as Postfix does), else a
 * Postfix default the importer knows, else left as written.
 */
static enum config_ref imp_lookup(void *arg, const char *name, size_t len,
				  bool test, int depth, const char **value)
{
	struct imp *im = arg;
	int ent = imp_find(im, name, len);

	if (ent >= 0 && test) {
		*value = im->e[ent].value;
		return CONFIG_REF_VALUE;
	}
	if (ent >= 0) {
		if (imp_expand_entry(im, ent, depth + 1) < 0)
			return CONFIG_REF_FAIL;
		*value = im->e[ent].expanded;
		return CONFIG_REF_VALUE;
	}
	*value = imp_default(im, name, len);
	if (!*value)
		return CONFIG_REF_KEEP;
	if (**value)
		note(im, im->at_line, "%s: $%.*s: not set in main.cf: "
		     "Postfix's value, the directory main.cf is read from "
		     "(%s), is used", im->at_param, (int)len, name, *value);
	else
		note(im, im->at_line, "%s: $%.*s: not set in main.cf: "
		     "empty, as Postfix's default", im->at_param, (int)len,
		     name);
	return CONFIG_REF_VALUE;
}

/* imp_chain - "a (line 2) -> b (line 3) -> a" from entry from on. */
static void imp_chain(const struct imp *im, int from, char *buf,
		      size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = from; i < im->nchain && used < len; i++) {
		snprintf(buf + used, len - used, "%s (line %d) -> ",
			 im->e[im->chain[i]].name, im->e[im->chain[i]].line);
		used += strlen(buf + used);
	}
	if (used < len)
		snprintf(buf + used, len - used, "%s",
			 im->e[im->chain[from]].name);
}

/*
 * imp_expand_entry - expand entry ent's value once (memoized); a value
 * that refers back to itself, directly or through others, is a problem
 * named in im->why. 0, or -1 after a problem.
 */
static int imp_expand_entry(struct imp *im, int ent, int depth)
{
	const struct config_expander x = {
		.lookup = imp_lookup,
		.error = imp_error,
		.arg = im,
		.max_depth = IMPORT_EXPAND_DEPTH,
		.max_len = IMPORT_EXPAND_MAX,
		.keep_dollars = true,
	};
	struct imp_entry *e = &im->e[ent];
	char chain[512];
	int i;

	if (e->state == 2 && !e->expanded && !im->why[0])
		snprintf(im->why, sizeof(im->why), "$%s cannot be expanded",
			 e->name);
	if (e->state == 2)
		return e->expanded ? 0 : -1;
	if (e->state == 1) {
		for (i = 0; i < im->nchain && im->chain[i] != ent; i++)
			;
		imp_chain(im, i < im->nchain ? i : 0, chain, sizeof(chain));
		if (!im->why[0])
			snprintf(im->why, sizeof(im->why),
				 "$%s refers to itself: %s", e->name, chain);
		return -1;
	}
	if (im->nchain >= IMPORT_EXPAND_DEPTH + 1) {
		imp_error(im, "$name references nest too deep");
		return -1;
	}
	e->state = 1;
	im->chain[im->nchain++] = ent;
	e->expanded = config_expand(e->value, depth, &x);
	im->nchain--;
	e->state = 2;
	if (!e->expanded && !im->why[0])
		str_copy(im->why, sizeof(im->why), "out of memory");
	return e->expanded ? 0 : -1;
}

/*
 * value_of - the expanded value of main.cf parameter name, or NULL when
 * the file does not set it or it cannot be expanded (noted: not
 * imported). *line: where it is set.
 */
static const char *value_of(struct imp *im, const char *name, int *line)
{
	int ent = imp_find(im, name, strlen(name));

	if (ent < 0)
		return NULL;
	if (line)
		*line = im->e[ent].line;
	im->why[0] = 0;
	im->at_param = name;
	im->at_line = im->e[ent].line;
	if (imp_expand_entry(im, ent, 0) < 0) {
		note(im, im->e[ent].line, "%s: cannot be expanded: %s: not "
		     "imported (Postfix refuses it too)", name, im->why);
		return NULL;
	}
	return im->e[ent].expanded;
}

/*
 * set_at - the line main.cf sets name on, 0 when it does not (its value
 * is not looked at).
 */
static int set_at(const struct imp *im, const char *name)
{
	int ent = imp_find(im, name, strlen(name));

	return ent >= 0 ? im->e[ent].line : 0;
}

/*
 * unresolved - the first reference the importer left as written in an
 * expanded word ("$$" is a dollar sign, not one), or NULL.
 */
static const char *unresolved(const char *w)
{
	const char *p;

	for (p = strchr(w, '$'); p; p = strchr(p, '$')) {
		if (p[1] != '$')
			return p;
		p += 2;
	}
	return NULL;
}

/*
 * note_unresolved - the note for words left out because of the
 * reference at ref: "PATH, line N: PARAM: WORDS: left out: ...".
 */
static void note_unresolved(struct imp *im, int line, const char *param,
			    const char *words, const char *ref)
{
	const char *name = ref + 1;
	size_t n;

	while (*name == '{' || *name == '(' || *name == ' ' || *name == '\t')
		name++;
	for (n = 0; isalnum((unsigned char)name[n]) || name[n] == '_'; n++)
		;
	note(im, line, "%s: %s: left out: main.cf does not set $%.*s, and "
	     "the importer does not know Postfix's own value for it (none, "
	     "if it is not a Postfix parameter; `postconf -x -h %s` shows "
	     "it): add it by hand if it matters", param, words, (int)n, name,
	     param);
}

/*
 * scalar_of - value_of for a parameter that is one value: NULL, with a
 * note, when the value keeps a reference the importer cannot resolve.
 */
static const char *scalar_of(struct imp *im, const char *name)
{
	const char *v, *ref;
	int line = 0;

	v = value_of(im, name, &line);
	if (v && (ref = unresolved(v)) != NULL) {
		note_unresolved(im, line, name, v, ref);
		return NULL;
	}
	return v;
}

/*
 * scalar_or_old - scalar_of(*name), or, when main.cf does not set *name,
 * scalar_of(old), its name in older Postfix versions; *name is set to
 * the one the value came from.
 */
static const char *scalar_or_old(struct imp *im, const char **name,
				 const char *old)
{
	const char *v = scalar_of(im, *name);

	if (v || set_at(im, *name))
		return v;
	*name = old;
	return scalar_of(im, old);
}

/* table_kind - "regexp", "pcre", "cidr", ... of a type:name word. */
static bool table_is(const char *table, const char *type)
{
	size_t n = strlen(type);

	return strncmp(table, type, n) == 0 && table[n] == ':';
}

/*
 * copy_scalar - write "mxname = v" for the Postfix parameter from, if v
 * is a value mxname takes (a number or duration within its bounds);
 * else leave it out with a note, so the output still loads.
 */
static void copy_scalar(struct imp *im, FILE *out, const char *from,
			const char *v, const char *mxname)
{
	const struct config_param *cp = config_param_find(mxname);
	const char *why = "is not a number";
	char *end;
	long n = 0;
	bool ok;

	if (!cp)
		return;
	if (cp->type == CONF_T_TIME) {
		ok = config_duration(v, &n, &why) == 0;
	} else {
		n = strtol(v, &end, 10);
		ok = end != v && *end == 0;
	}
	if (ok && (n < cp->min || n > cp->max)) {
		ok = false;
		why = "is out of range";
	}
	if (ok) {
		fprintf(out, "%s = %s\n", mxname, v);
		return;
	}
	note(im, set_at(im, from), "%s: \"%s\" %s; %s takes %ld..%ld%s: "
	     "left out, mxwall's default applies", from, v, why, mxname,
	     cp->min, cp->max, cp->type == CONF_T_TIME ? " seconds" : "");
}

/* add_site - a DNS list into dnsbl_sites/rhsbl_sites, dead ones left out. */
static void add_site(struct imp *im, int line, enum imp_param which,
		     const char *list, const char *arg, int weight,
		     const char *from)
{
	char domain[256], word[512], why[600];
	const struct dnsbl_dead *dead;
	const char *filter = strchr(arg, '=');
	size_t dlen = filter ? (size_t)(filter - arg) : strlen(arg);

	if (dlen >= sizeof(domain))
		dlen = sizeof(domain) - 1;
	memcpy(domain, arg, dlen);
	domain[dlen] = 0;
	dead = dnsbl_dead_lookup(domain);
	if (dead && dead->kind != DNSBL_REPLACED) {
		note(im, line, "%s: %s %s: left out (%s: %s)", list, from, arg,
		     dnsbl_dead_kind_name(dead->kind), dead->note);
		return;
	}
	if (dead && dead->replacement) {
		note(im, line, "%s: %s %s: %s is used instead (%s)", list,
		     from, arg, dead->replacement, dead->note);
		snprintf(domain, sizeof(domain), "%s", dead->replacement);
	}
	if (weight == 1)
		snprintf(word, sizeof(word), "%s%s", domain,
			 filter ? filter : "");
	else
		snprintf(word, sizeof(word), "%s%s*%d", domain,
			 filter ? filter : "", weight);
	if (config_site_check(word, why, sizeof(why)) < 0) {
		note(im, line, "%s: %s %s: left out: %s", list, from, arg,
		     why);
		return;
	}
	sl_add(&im->out[which], word);
}

/* add_table - a check_*_access table into the matching parameter. */
static void add_table(struct imp *im, int line, const char *list,
		      const char *name, const char *table)
{
	bool pattern = table_is(table, "regexp") || table_is(table, "pcre");
	bool cidr = table_is(table, "cidr");

	if (!pattern && !cidr && !table_is(table, "static") &&
	    !table_is(table, "inline")) {
		note(im, line, "%s: %s %s: not carried over: mxwall reads "
		     "regexp, pcre, cidr, static and inline tables (turn it "
		     "into one of them)", list, name, table);
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
		note(im, line, "%s: %s %s: not carried over: a check on DNS "
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
static void restriction(struct imp *im, int line, const char *list,
			const char *w, const char *arg)
{
	size_t i;

	if (strcmp(w, "reject_rbl_client") == 0) {
		add_site(im, line, I_DNSBL_SITES, list, arg, im->rbl_weight,
			 w);
	} else if (strcmp(w, "permit_dnswl_client") == 0) {
		add_site(im, line, I_DNSBL_SITES, list, arg, -100, w);
		im->allowlist = true;
	} else if (strcmp(w, "reject_rhsbl_client") == 0 ||
		   strcmp(w, "reject_rhsbl_reverse_client") == 0) {
		add_site(im, line, I_RHSBL_SITES, list, arg, im->rbl_weight,
			 w);
		if (strcmp(w, "reject_rhsbl_reverse_client") == 0)
			note(im, line, "%s: %s %s: mxwall asks rhsbl_sites "
			     "about the verified client name, not the raw PTR "
			     "name", list, w, arg);
	} else if (strcmp(w, "permit_rhswl_client") == 0) {
		add_site(im, line, I_RHSBL_SITES, list, arg, -100, w);
		im->allowlist = true;
	} else if (strncmp(w, "check_", 6) == 0 && takes_arg(w) &&
		   strcmp(w, "check_policy_service") != 0) {
		add_table(im, line, list, w, arg);
	} else if (strcmp(w, "permit_mynetworks") == 0) {
		if (!im->mynetworks_line)
			im->mynetworks_line = line;
	} else if (strcmp(w, "reject_unknown_client_hostname") == 0 ||
		   strcmp(w, "reject_unknown_client") == 0) {
		sl_add(&im->out[I_CLIENT_CHECKS],
		       "regexp:{ {/^unknown$$/ 450 4.7.25 Client host "
		       "rejected: cannot find your hostname} }");
		if (strcmp(w, "reject_unknown_client") == 0)
			note(im, line, "%s: reject_unknown_client (the old "
			     "name of reject_unknown_client_hostname): a "
			     "client_checks rule on the name \"unknown\"",
			     list);
	} else if (strcmp(w, "reject_unknown_reverse_client_hostname") == 0) {
		sl_add(&im->out[I_REVERSE_CHECKS],
		       "regexp:{ {/^unknown$$/ 450 4.7.1 Client host "
		       "rejected: cannot find your reverse hostname} }");
	} else {
		for (i = 0; i < sizeof(import_stays) / sizeof(*import_stays);
		     i++) {
			if (strcasecmp(import_stays[i].name, w) == 0) {
				note(im, line, "%s: %s%s%s: not carried over: "
				     "%s", list, w, arg ? " " : "",
				     arg ? arg : "", import_stays[i].reason);
				return;
			}
		}
		if (strchr(w, '.') && !strchr(w, ':') && !set_at(im, w))
			note(im, line, "%s: %s: not carried over: not a "
			     "Postfix restriction (Postfix answers \"451 4.3.5 "
			     "Server configuration error\" when it gets there; "
			     "a DNS list needs reject_rbl_client before it, "
			     "one list each)", list, w);
		else
			note(im, line, "%s: %s%s%s: not carried over: not a "
			     "client check mxwall makes (a restriction class "
			     "or another Postfix feature): stays in Postfix",
			     list, w, arg ? " " : "", arg ? arg : "");
	}
}

/*
 * read_list - every restriction of one smtpd_*_restrictions parameter,
 * its $name references expanded; a restriction whose words keep one the
 * importer cannot resolve is left out with a note.
 */
static void read_list(struct imp *im, const char *list)
{
	const char *p, *ref;
	bool bad = false;
	char *w, *arg, words[1024];
	int line = 0;

	p = value_of(im, list, &line);
	while (p && (w = lline_word(&p, &bad)) != NULL) {
		arg = NULL;
		if (!unresolved(w) && takes_arg(w)) {
			arg = lline_word(&p, &bad);
			if (!arg) {
				note(im, line, "%s: %s without its argument: "
				     "ignored", list, w);
				free(w);
				break;
			}
		}
		ref = unresolved(w);
		if (!ref && arg)
			ref = unresolved(arg);
		if (ref) {
			snprintf(words, sizeof(words), "%s%s%s", w,
				 arg ? " " : "", arg ? arg : "");
			note_unresolved(im, line, list, words, ref);
		} else {
			restriction(im, line, list, w, arg);
		}
		free(w);
		free(arg);
	}
}

/* read_postscreen - postscreen's DNS list and access list settings. */
static void read_postscreen(struct imp *im, FILE *out)
{
	const char *v, *p, *ref, *from;
	bool bad = false;
	int line = 0;
	char *w;

	v = value_of(im, "postscreen_dnsbl_sites", &line);
	for (p = v; p && (w = lline_word(&p, &bad)) != NULL; free(w)) {
		char *star = strrchr(w, '*');
		int weight = 1;
		char *end;
		long n;

		if ((ref = unresolved(w)) != NULL) {
			note_unresolved(im, line, "postscreen_dnsbl_sites", w,
					ref);
			continue;
		}
		/* A bad weight stays in the word: add_site names it. */
		n = star ? strtol(star + 1, &end, 10) : 1;
		if (star && end != star + 1 && *end == 0 && n >= -1000000 &&
		    n <= 1000000) {
			weight = (int)n;
			*star = 0;
		}
		add_site(im, line, I_DNSBL_SITES, "postscreen_dnsbl_sites", w,
			 weight, "site");
		if (weight < 0)
			im->allowlist = true;
	}
	v = value_of(im, "postscreen_access_list", &line);
	for (p = v; p && (w = lline_word(&p, &bad)) != NULL; free(w)) {
		if ((ref = unresolved(w)) != NULL)
			note_unresolved(im, line, "postscreen_access_list", w,
					ref);
		else if (strcmp(w, "permit_mynetworks") == 0 &&
			 !im->mynetworks_line)
			im->mynetworks_line = line;
		else if (strcmp(w, "permit_mynetworks") == 0)
			;
		else if (table_is(w, "cidr"))
			sl_add(&im->out[I_CLIENT_ACCESS], w);
		else
			note(im, line, "postscreen_access_list: %s: not "
			     "carried over: mxwall reads cidr tables there", w);
	}
	from = "postscreen_dnsbl_allowlist_threshold";
	if ((v = scalar_or_old(im, &from,
			       "postscreen_dnsbl_whitelist_threshold")))
		copy_scalar(im, out, from, v, "dnsbl_allowlist_threshold");
	else if (im->allowlist)
		fprintf(out, "dnsbl_allowlist_threshold = -1\n");
	if ((v = scalar_of(im, "postscreen_dnsbl_min_ttl")))
		copy_scalar(im, out, "postscreen_dnsbl_min_ttl", v,
			    "dnsbl_min_ttl");
	from = "postscreen_dnsbl_max_ttl";
	if ((v = scalar_or_old(im, &from, "postscreen_dnsbl_ttl")))
		copy_scalar(im, out, from, v, "dnsbl_max_ttl");
	if ((v = scalar_of(im, "postscreen_dnsbl_timeout")))
		copy_scalar(im, out, "postscreen_dnsbl_timeout", v,
			    "dnsbl_timeout");
	if ((line = set_at(im, "postscreen_allowlist_interfaces")) ||
	    (line = set_at(im, "postscreen_whitelist_interfaces")))
		note(im, line, "postscreen_allowlist_interfaces (or its old "
		     "name postscreen_whitelist_interfaces): not carried over: "
		     "mxwall protects the interfaces in its interfaces "
		     "parameter");
	if ((line = set_at(im, "postscreen_blacklist_action")) ||
	    (line = set_at(im, "postscreen_denylist_action")))
		note(im, line, "postscreen_denylist_action (or its old name "
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
	const char *v, *p, *ref;
	bool bad = false;
	int line = 0;
	char *w;

	if (!im->mynetworks_line)
		return;
	v = value_of(im, "mynetworks", &line);
	if (!v && !set_at(im, "mynetworks")) {
		note(im, im->mynetworks_line, "permit_mynetworks: main.cf "
		     "does not set mynetworks; Postfix derived it from "
		     "mynetworks_style, mxwall uses its default (loopback "
		     "only): set mynetworks by hand");
		return;
	}
	for (p = v; p && (w = lline_word(&p, &bad)) != NULL; free(w)) {
		if ((ref = unresolved(w)) != NULL) {
			note_unresolved(im, line, "mynetworks", w, ref);
		} else if (strchr(w, ':') && !strchr(w, '[') &&
			   !strchr(w, '.') && w[0] != ':' &&
			   strchr(w, '/') != w) {
			/* type:table */
			note(im, line, "mynetworks: %s: not carried over: "
			     "mxwall takes addresses and prefixes only", w);
		} else if (w[0] == '/' ||
			   strspn(w, "0123456789abcdefABCDEF.:[]/") !=
				   strlen(w)) {
			note(im, line, "mynetworks: %s: not carried over: "
			     "mxwall takes addresses and prefixes only", w);
		} else {
			sl_add(&im->out[I_MYNETWORKS], w);
		}
	}
}

/* imp_dir - the directory part of path ("." when it has none). */
static void imp_dir(struct imp *im)
{
	const char *slash = strrchr(im->path, '/');
	size_t n;

	if (!slash) {
		str_copy(im->dir, sizeof(im->dir), ".");
		return;
	}
	n = slash == im->path ? 1 : (size_t)(slash - im->path);
	if (n >= sizeof(im->dir))
		n = sizeof(im->dir) - 1;
	memcpy(im->dir, im->path, n);
	im->dir[n] = 0;
}

/* import_postfix - see import.h. */
int import_postfix(const char *path, FILE *out, char *err, size_t errlen)
{
	struct imp im = { .path = path, .rbl_weight = 1 };
	struct lline *ll = NULL;
	const char *v;
	size_t len, i;
	char *text;
	int k, nll = 0, rc = -1;

	text = read_file(path, 4u << 20, &len, err, errlen);
	if (!text)
		return -1;
	if (lline_split(path, text, len, &ll, &nll, err, errlen) < 0)
		goto out;
	if (imp_entries(&im, ll, nll) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	imp_dir(&im);
	im.file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	v = scalar_of(&im, "postscreen_dnsbl_threshold");
	if (v && atoi(v) > 0)
		im.rbl_weight = atoi(v);

	fprintf(out, "# mxwall.conf - made by `mxwallctl import-postfix %s`.\n"
		"# The client checks of that main.cf, as mxwall makes them: "
		"in the kernel\n# and at RCPT through the policy service. "
		"Postfix keeps everything listed\n# at the end. See "
		"mxwall.conf(5).\n\n", path);
	for (i = 0; i < sizeof(import_lists) / sizeof(*import_lists); i++)
		read_list(&im, import_lists[i]);
	if ((k = set_at(&im, "smtpd_restriction_classes")) > 0)
		note(&im, k, "smtpd_restriction_classes: not carried over: "
		     "table results that name a class stay Postfix's "
		     "business");
	if (v)
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
	for (k = 0; k < im.ne; k++) {
		free(im.e[k].name);
		free(im.e[k].value);
		free(im.e[k].expanded);
	}
	free(im.e);
	free(im.byname);
	lline_free(ll, nll);
	free(text);
	return rc;
}
