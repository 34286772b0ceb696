/*
 * config.c - mxwall.conf, Postfix main.cf syntax (see config.h).
 *
 * Loading runs in three passes: read the file into logical lines and
 * "name = value" entries; expand $name references in every parameter's
 * value (the file's or the default); convert each value to its type and
 * check it. Every problem of every pass is reported before the result is
 * decided, so one run of `mxwalld -n` lists them all. A parameter set
 * twice keeps its last value, as in Postfix (with a warning).
 *
 * Never exits, never logs above warning level; allocates, so it is not
 * for the packet or DNS paths.
 */
#include "config.h"
#include "log.h"
#include "table.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Largest mxwall.conf read, in bytes. */
#define CONFIG_FILE_MAX (4u << 20)

/* Deepest chain of $name references followed. */
#define CONFIG_EXPAND_DEPTH 32

/*
 * Longest value after expansion, in bytes: "p0 = $p1 $p1", "p1 = $p2
 * $p2", ... doubles at each step, and 28 steps ran for minutes.
 */
#define CONFIG_EXPAND_MAX (1u << 20)

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

/* Where each parameter's field lives in struct mx_config. */
static const size_t config_offsets[CONF_NPARAMS] = {
#define PARAM(name, type, def, min, max, choices, section, help) \
	offsetof(struct mx_config, name),
#include "params.def"
};

static const char *const config_type_names[] = {
	[CONF_T_STR] = "text",	      [CONF_T_LIST] = "list",
	[CONF_T_INT] = "number",      [CONF_T_BOOL] = "yes or no",
	[CONF_T_TIME] = "duration",   [CONF_T_ENUM] = "one of",
	[CONF_T_TABLES] = "tables",   [CONF_T_PREFIXES] = "addresses",
	[CONF_T_SITES] = "list sites", [CONF_T_PORTS] = "ports",
};

/*
 * struct cf_entry - one "name = value" line of the file.
 *   name, value  copies, blanks trimmed;
 *   line         where it starts;
 *   used         a known parameter, or referenced as $name.
 */
struct cf_entry {
	char *name;
	char *value;
	int line;
	bool used;
};

/*
 * struct cf_msg - one diagnostic, held so all are logged in line order.
 *   line  its line (0 for no line: sorted first);
 *   warn  a warning (does not refuse the configuration);
 *   text  the whole line.
 */
struct cf_msg {
	int line;
	char *text;
};

/*
 * struct loader - state of one config_load.
 *   file     name used in diagnostics;
 *   msgs     diagnostics so far (logged sorted by line at the end);
 *   suffix   what happens next, appended to each error;
 *   errors   errors reported so far;
 *   e, ne    the file's entries;
 *   src      per parameter, the entry that sets it (-1: default);
 *   state    per parameter: 0 not expanded, 1 expanding, 2 done;
 *   cfg      the configuration being built.
 */
struct loader {
	const char *file;
	struct cf_msg *msgs;
	int nmsgs;
	const char *suffix;
	int flags;
	int errors;
	struct cf_entry *e;
	int ne;
	int src[CONF_NPARAMS];
	int state[CONF_NPARAMS];
	struct mx_config *cfg;
};

/* struct sbuf - a growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *ns;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		ns = realloc(b->s, cap);
		if (!ns) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static bool c_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* param_line - the line a parameter is set on, 0 for its default. */
static int param_line(const struct loader *ld, int id)
{
	return ld->src[id] >= 0 ? ld->e[ld->src[id]].line : 0;
}

/* cf_note - hold one diagnostic line for line. */
__attribute__((format(printf, 3, 4)))
static void cf_note(struct loader *ld, int line, const char *fmt, ...)
{
	struct cf_msg *nm;
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	nm = realloc(ld->msgs, (size_t)(ld->nmsgs + 1) * sizeof(*nm));
	if (!nm) {
		msg_warn("%s", text);
		return;
	}
	ld->msgs = nm;
	nm[ld->nmsgs].line = line;
	nm[ld->nmsgs].text = strdup(text);
	ld->nmsgs++;
}

/* cf_flush - log the held diagnostics in line order (stable). */
static void cf_flush(struct loader *ld)
{
	int i, j;

	for (i = 1; i < ld->nmsgs; i++) {
		struct cf_msg m = ld->msgs[i];

		for (j = i; j > 0 && ld->msgs[j - 1].line > m.line; j--)
			ld->msgs[j] = ld->msgs[j - 1];
		ld->msgs[j] = m;
	}
	for (i = 0; i < ld->nmsgs; i++) {
		if (ld->msgs[i].text)
			msg_warn("%s", ld->msgs[i].text);
		free(ld->msgs[i].text);
	}
	free(ld->msgs);
	ld->msgs = NULL;
	ld->nmsgs = 0;
}

/*
 * cerr - report an error about parameter id (or -1) at line (0: no
 * line, e.g. a default), in the form
 *   "FILE, line N: PARAM: WHAT: SUFFIX".
 */
__attribute__((format(printf, 4, 5)))
static void cerr(struct loader *ld, int line, int id, const char *fmt, ...)
{
	char what[1024], where[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s, line %d: ", ld->file, line);
	else if (id >= 0)
		snprintf(where, sizeof(where), "%s: default of ", ld->file);
	else
		snprintf(where, sizeof(where), "%s: ", ld->file);
	cf_note(ld, line, "%s%s%s%s%s", where,
		id >= 0 ? config_params[id].name : "", id >= 0 ? ": " : "",
		what, ld->suffix);
	ld->errors++;
}

/* cf_find - the last file entry named name (len bytes), or -1. */
static int cf_find(const struct loader *ld, const char *name, size_t len)
{
	int i;

	for (i = ld->ne - 1; i >= 0; i--)
		if (strlen(ld->e[i].name) == len &&
		    strncmp(ld->e[i].name, name, len) == 0)
			return i;
	return -1;
}

/* param_index - a parameter's index by name (len bytes), or -1. */
static int param_index(const char *name, size_t len)
{
	int i;

	for (i = 0; i < CONF_NPARAMS; i++)
		if (strlen(config_params[i].name) == len &&
		    strncmp(config_params[i].name, name, len) == 0)
			return i;
	return -1;
}

const struct config_param *config_param_find(const char *name)
{
	int i = param_index(name, strlen(name));

	return i < 0 ? NULL : &config_params[i];
}

/* exp_blanks - p past blanks, not beyond end. */
static const char *exp_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* exp_close - the '}' matching the '{' at p, before end, or NULL. */
static const char *exp_close(const char *p, const char *end)
{
	int level = 0;

	for (; p < end; p++) {
		if (*p == '{')
			level++;
		else if (*p == '}' && --level == 0)
			return p;
	}
	return NULL;
}

/*
 * struct exp_ref - one parsed reference.
 *   name, nlen    the parameter name (not terminated);
 *   op            '?' or ':' for a conditional, else 0;
 *   text, tlen    the text a conditional gives when it holds;
 *   alt, alen     ${name?{text}:alt}: the text when it does not (NULL
 *                 when not written);
 *   next          the first byte after the reference.
 */
struct exp_ref {
	const char *name, *text, *alt, *next;
	size_t nlen, tlen, alen;
	char op;
};

/*
 * exp_error - format one problem and hand it to the caller's error
 * hook; always -1.
 */
__attribute__((format(printf, 2, 3)))
static int exp_error(const struct config_expander *x, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	x->error(x->arg, what);
	return -1;
}

/*
 * exp_cond_text - the "{text}" or plain text of a conditional, from p to
 * end (the reference's closing brace or parenthesis), into r. -1 after
 * reporting a problem; s is the whole string, for the message.
 */
static int exp_cond_text(const char *s, const char *p, const char *end,
			 struct exp_ref *r, const struct config_expander *x)
{
	const char *q = exp_blanks(p, end), *c;

	if (q == end || *q != '{') {
		r->text = p; /* plain text: taken as written, blanks too */
		r->tlen = (size_t)(end - p);
		return 0;
	}
	c = exp_close(q, end);
	if (!c)
		return exp_error(x, "\"%s\": the \"{\" after \"%c\" is never "
				 "closed", s, r->op);
	r->text = q + 1;
	r->tlen = (size_t)(c - q - 1);
	q = exp_blanks(c + 1, end);
	if (q == end)
		return 0;
	if (r->op != '?' || *q != ':')
		return exp_error(x, "\"%s\": unexpected \"%.*s\" after "
				 "\"{%.*s}\"", s, (int)(end - q), q,
				 (int)r->tlen, r->text);
	q = exp_blanks(q + 1, end);
	if (q < end && *q == '{') {
		c = exp_close(q, end);
		if (!c || exp_blanks(c + 1, end) != end)
			return exp_error(x, "\"%s\": \"{%.*s}\": the text "
					 "after \":\" must be one \"{...}\"",
					 s, (int)r->tlen, r->text);
		r->alt = q + 1;
		r->alen = (size_t)(c - q - 1);
	} else {
		r->alt = q;
		r->alen = (size_t)(end - q);
	}
	return 0;
}

/*
 * exp_parse - the reference at p (a '$' not followed by '$') of s into
 * r. -1 after reporting a syntax problem.
 * XXX Postfix 3's relational forms (${{text} == {text} ? {a} : {b}},
 * also <, <=, ... and their "level" variants) are reported as a bad
 * parameter name; reading them needs a small expression parser here.
 */
static int exp_parse(const char *s, const char *p, struct exp_ref *r,
		     const struct config_expander *x)
{
	const char *end, *q;
	char open, close;
	int level;

	memset(r, 0, sizeof(*r));
	if (p[1] != '{' && p[1] != '(') {
		r->name = p + 1;
		for (q = r->name; isalnum((unsigned char)*q) || *q == '_'; q++)
			;
		r->nlen = (size_t)(q - r->name);
		r->next = q;
		if (r->nlen == 0)
			return exp_error(x, "\"%s\": \"$\" without a "
					 "parameter name (write $$ for a "
					 "dollar sign)", s);
		return 0;
	}
	open = p[1];
	close = open == '{' ? '}' : ')';
	for (end = p + 2, level = 1; *end; end++) {
		if (*end == open)
			level++;
		else if (*end == close && --level == 0)
			break;
	}
	if (*end == 0)
		return exp_error(x, "\"%s\": missing \"%c\" after \"$%c\"", s,
				 close, open);
	r->next = end + 1;
	r->name = exp_blanks(p + 2, end);
	for (q = r->name; isalnum((unsigned char)*q) || *q == '_'; q++)
		;
	r->nlen = (size_t)(q - r->name);
	q = exp_blanks(q, end);
	if (r->nlen == 0 && (q == end || *q == '?' || *q == ':'))
		return exp_error(x, "\"%s\": \"$\" without a parameter name "
				 "(write $$ for a dollar sign)", s);
	if (q == end)
		return 0;
	if (*q != '?' && *q != ':')
		return exp_error(x, "\"%s\": \"%.*s\" is not a parameter name "
				 "(letters, digits and \"_\")", s,
				 (int)(end - r->name), r->name);
	r->op = *q;
	return exp_cond_text(s, q + 1, end, r, x);
}

static int exp_into(const char *s, int depth,
		    const struct config_expander *x, struct sbuf *out);

/*
 * exp_cond - a conditional reference whose name's value is val: the
 * text that applies, expanded one level deeper.
 */
static int exp_cond(const struct exp_ref *r, const char *val, int depth,
		    const struct config_expander *x, struct sbuf *out)
{
	bool set = val && *val;
	const char *t = NULL;
	size_t tlen = 0;
	char *text;
	int rc;

	if ((r->op == '?') == set) {
		t = r->text;
		tlen = r->tlen;
	} else if (r->op == '?' && r->alt) {
		t = r->alt;
		tlen = r->alen;
	}
	if (!t)
		return 0;
	text = strndup(t, tlen);
	if (!text)
		return -1;
	rc = exp_into(text, depth + 1, x, out);
	free(text);
	return rc;
}

/*
 * exp_into - append s to out with its references replaced (see
 * config_expand). -1 after a problem was reported.
 */
static int exp_into(const char *s, int depth,
		    const struct config_expander *x, struct sbuf *out)
{
	const char *p = s, *end, *val;
	struct exp_ref r;
	enum config_ref found;

	if (depth > x->max_depth)
		return exp_error(x, "$name references nest deeper than %d "
				 "(a loop?)", x->max_depth);
	while (*p) {
		if (*p != '$') {
			end = strchr(p, '$');
			if (!end)
				end = p + strlen(p);
			sb_add(out, p, (size_t)(end - p));
			p = end;
			continue;
		}
		if (p[1] == '$') {
			sb_add(out, "$$", x->keep_dollars ? 2 : 1);
			p += 2;
			continue;
		}
		if (exp_parse(s, p, &r, x) < 0)
			return -1;
		val = NULL;
		found = x->lookup(x->arg, r.name, r.nlen, r.op != 0, depth,
				  &val);
		if (found == CONFIG_REF_FAIL)
			return -1;
		if (found == CONFIG_REF_KEEP)
			sb_add(out, p, (size_t)(r.next - p));
		else if (r.op && exp_cond(&r, val, depth, x, out) < 0)
			return -1;
		else if (!r.op && found == CONFIG_REF_VALUE && val)
			sb_add(out, val, strlen(val));
		else if (!r.op && found == CONFIG_REF_TEXT && val &&
			 exp_into(val, depth + 1, x, out) < 0)
			return -1;
		p = r.next;
		if (x->max_len > 0 && out->len > x->max_len)
			return exp_error(x, "expands to more than %zu bytes",
					 x->max_len);
	}
	return 0;
}

/* config_expand - see config.h. */
char *config_expand(const char *s, int depth,
		    const struct config_expander *x)
{
	struct sbuf out = { 0 };

	sb_add(&out, "", 0);
	if (exp_into(s, depth, x, &out) < 0 || out.failed) {
		free(out.s);
		return NULL;
	}
	return out.s;
}

static int expand_param(struct loader *ld, int id, int depth);

/*
 * struct cf_where - what config_load is expanding, for messages: the
 * parameter id and the line its value is on (0: its default).
 */
struct cf_where {
	struct loader *ld;
	int line, id;
};

/* cf_exp_error - an expansion problem, as an error of the parameter. */
static void cf_exp_error(void *arg, const char *what)
{
	struct cf_where *w = arg;

	cerr(w->ld, w->line, w->id, "%s", what);
}

/*
 * cf_lookup - what $name means in mxwall.conf: a parameter of
 * params.def (its value expanded first), else one of the file's own
 * names (expanded where it is used), else an error.
 */
static enum config_ref cf_lookup(void *arg, const char *name, size_t len,
				 bool test, int depth, const char **value)
{
	struct cf_where *w = arg;
	int ref = param_index(name, len), ent;

	(void)test; /* mxwall.conf gives the same value either way */
	if (ref >= 0) {
		if (expand_param(w->ld, ref, depth + 1) < 0)
			return CONFIG_REF_FAIL;
		*value = w->ld->cfg->raw[ref];
		return CONFIG_REF_VALUE;
	}
	ent = cf_find(w->ld, name, len);
	if (ent >= 0) {
		w->ld->e[ent].used = true;
		*value = w->ld->e[ent].value;
		return CONFIG_REF_TEXT;
	}
	cerr(w->ld, w->line, w->id, "\"$%.*s\" names no parameter", (int)len,
	     name);
	return CONFIG_REF_FAIL;
}

/* expand_param - fill cfg->raw[id] with its expanded value (memoized). */
static int expand_param(struct loader *ld, int id, int depth)
{
	struct cf_where w = { .ld = ld, .id = id };
	const struct config_expander x = {
		.lookup = cf_lookup,
		.error = cf_exp_error,
		.arg = &w,
		.max_depth = CONFIG_EXPAND_DEPTH,
		.max_len = CONFIG_EXPAND_MAX,
	};
	const char *text;

	if (ld->state[id] == 2)
		return ld->cfg->raw[id] ? 0 : -1;
	w.line = param_line(ld, id);
	if (ld->state[id] == 1) {
		cerr(ld, w.line, id,
		     "refers to itself through $name references");
		return -1;
	}
	ld->state[id] = 1;
	text = ld->src[id] >= 0 ? ld->e[ld->src[id]].value :
				  config_params[id].def;
	ld->cfg->raw[id] = config_expand(text, depth, &x);
	ld->state[id] = 2;
	return ld->cfg->raw[id] ? 0 : -1;
}

/* fmt_duration - seconds as the shortest exact "Nw/d/h/m/s". */
static const char *fmt_duration(long s, char *buf, size_t len)
{
	static const struct {
		char unit;
		long secs;
	} u[] = { { 'w', 604800 }, { 'd', 86400 }, { 'h', 3600 },
		  { 'm', 60 } };
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (s != 0 && s % u[i].secs == 0) {
			snprintf(buf, len, "%ld%c", s / u[i].secs, u[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%lds", s);
	return buf;
}

/* config_duration - see config.h. */
int config_duration(const char *s, long *secs, const char **why)
{
	char *end;
	long n, mul = 1;

	errno = 0;
	if (!isdigit((unsigned char)*s)) {
		*why = "is not a duration (a number with unit s, m, h, d or w)";
		return -1;
	}
	n = strtol(s, &end, 10);
	if (*end) {
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: mul = 0; break;
		}
		if (mul == 0 || end[1] != 0) {
			*why = "is not a duration (a number with unit s, m, "
			       "h, d or w)";
			return -1;
		}
	}
	if (errno == ERANGE || n > LONG_MAX / mul) {
		*why = "is too large";
		return -1;
	}
	*secs = n * mul;
	return 0;
}

/* parse_long - a decimal integer with an optional sign. */
static int parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	if (*s == 0)
		return -1;
	*out = strtol(s, &end, 10);
	return *end || errno == ERANGE ? -1 : 0;
}

/* split_list - words of a list value into l (braces kept). */
static int split_list(const char *value, struct config_list *l,
		      bool *unbalanced)
{
	const char *p = value;
	char *w, **nv;

	while ((w = lline_word(&p, unbalanced)) != NULL) {
		nv = realloc(l->v, (size_t)(l->n + 1) * sizeof(char *));
		if (!nv) {
			free(w);
			return -1;
		}
		l->v = nv;
		l->v[l->n++] = w;
	}
	return 0;
}

static void list_free(struct config_list *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * site_filter_ok - a postscreen reply filter: four dot-separated fields,
 * each a number 0..255 or "[" items "]" with items "N" or "N..M"
 * separated by ';'.
 */
static bool site_filter_ok(const char *f)
{
	int field;
	long a, b;
	char *end;

	for (field = 0; field < 4; field++) {
		if (*f == '[') {
			f++;
			for (;;) {
				if (!isdigit((unsigned char)*f))
					return false;
				a = strtol(f, &end, 10);
				f = end;
				b = a;
				if (f[0] == '.' && f[1] == '.') {
					if (!isdigit((unsigned char)f[2]))
						return false;
					b = strtol(f + 2, &end, 10);
					f = end;
				}
				if (a > 255 || b > 255 || a > b)
					return false;
				if (*f == ';') {
					f++;
					continue;
				}
				if (*f++ != ']')
					return false;
				break;
			}
		} else {
			if (!isdigit((unsigned char)*f))
				return false;
			a = strtol(f, &end, 10);
			f = end;
			if (a > 255)
				return false;
		}
		if (field < 3 && *f++ != '.')
			return false;
	}
	return *f == 0;
}

/* domain_ok - letters, digits, '-', '_' and dots; no empty label. */
static bool domain_ok(const char *d)
{
	size_t label = 0;

	if (*d == 0 || strlen(d) > 253)
		return false;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*d) || *d == '-' ||
			   *d == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/*
 * site_split - one "domain[=filter][*weight]" entry into s (domain lower
 * case, trailing dots off). 0, or -1 with the reason in why.
 */
static int site_split(const char *word, struct config_site *s, char *why,
		      size_t whylen)
{
	char *w = strdup(word), *star, *eq, *end;
	long weight = 1;
	size_t i;

	if (!w) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	star = strrchr(w, '*');
	if (star) {
		*star++ = 0;
		errno = 0;
		weight = strtol(star, &end, 10);
		if (*star == 0 || *end || errno == ERANGE ||
		    weight < -1000000 || weight > 1000000) {
			snprintf(why, whylen, "weight \"%s\" is not a number",
				 star);
			goto fail;
		}
	}
	eq = strchr(w, '=');
	if (eq) {
		*eq++ = 0;
		if (!site_filter_ok(eq)) {
			snprintf(why, whylen, "\"%s\": reply filter \"%s\" is "
				 "not like 127.0.0.2 or 127.0.0.[2..11;14]",
				 word, eq);
			goto fail;
		}
	}
	for (i = strlen(w); i > 0 && w[i - 1] == '.'; i--)
		w[i - 1] = 0;
	for (i = 0; w[i]; i++)
		w[i] = (char)tolower((unsigned char)w[i]);
	if (!domain_ok(w)) {
		snprintf(why, whylen, "\"%s\": \"%s\" is not a domain name",
			 word, w);
		goto fail;
	}
	if (s) {
		s->domain = strdup(w);
		s->filter = eq ? strdup(eq) : NULL;
		s->weight = (int)weight;
	}
	free(w);
	return 0;
fail:
	free(w);
	return -1;
}

/* config_site_check - see config.h. */
int config_site_check(const char *word, char *why, size_t whylen)
{
	return site_split(word, NULL, why, whylen);
}

/* parse_site - one dnsbl_sites/rhsbl_sites word into s, or an error. */
static int parse_site(struct loader *ld, int line, int id, const char *word,
		      struct config_site *s)
{
	char why[600];

	if (site_split(word, s, why, sizeof(why)) == 0)
		return 0;
	cerr(ld, line, id, "%s", why);
	return -1;
}

/* strip_table_suffix - drop ": table not loaded" (ours replaces it). */
static void strip_table_suffix(char *err)
{
	static const char sfx[] = ": table not loaded";
	size_t n = strlen(err), k = sizeof(sfx) - 1;

	if (n >= k && strcmp(err + n - k, sfx) == 0)
		err[n - k] = 0;
}

/* convert_tables - check (and with CONFIG_OPEN_TABLES open) the tables. */
static int convert_tables(struct loader *ld, int line, int id,
			  struct config_tables *t)
{
	char err[TABLE_ERR_MAX];
	const char *colon;
	int i;

	for (i = 0; i < t->spec.n; i++) {
		colon = strchr(t->spec.v[i], ':');
		if (!colon || colon == t->spec.v[i]) {
			cerr(ld, line, id, "\"%s\" is not type:name (e.g. "
			     "regexp:/etc/mxwall/client_check)",
			     t->spec.v[i]);
			return -1;
		}
	}
	if (!(ld->flags & CONFIG_OPEN_TABLES))
		return 0;
	for (i = 0; i < t->spec.n; i++) {
		struct table *tab = table_open(t->spec.v[i], err, sizeof(err));
		struct table **nt;

		if (!tab) {
			strip_table_suffix(err);
			cerr(ld, line, id, "%s", err);
			return -1;
		}
		if (!t->tl)
			t->tl = calloc(1, sizeof(*t->tl));
		nt = t->tl ? realloc(t->tl->t, (size_t)(t->tl->n + 1) *
						     sizeof(*nt)) : NULL;
		if (!nt) {
			table_free(tab);
			return -1;
		}
		t->tl->t = nt;
		t->tl->t[t->tl->n++] = tab;
	}
	if (!t->tl)
		t->tl = calloc(1, sizeof(*t->tl));
	return t->tl ? 0 : -1;
}

/* enum_choice - the choice in choices equal to word, as a copy; NULL. */
static char *enum_choice(const char *choices, const char *word)
{
	size_t n = strlen(word);
	const char *p = choices;

	while (*p) {
		size_t k = strcspn(p, " ");

		if (k == n && strncasecmp(p, word, n) == 0)
			return strndup(p, k);
		p += k;
		while (*p == ' ')
			p++;
	}
	return NULL;
}

/* choices_list - "a b c" as "a, b, c" for messages. */
static void choices_list(const char *choices, char *buf, size_t len)
{
	size_t n = 0;

	for (; *choices && n + 3 < len; choices++) {
		if (*choices == ' ') {
			buf[n++] = ',';
			buf[n++] = ' ';
		} else {
			buf[n++] = *choices;
		}
	}
	buf[n] = 0;
}

/* bool_word - yes/no and friends; -1 when not one of them. */
static int bool_word(const char *w)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(w, yes[i]) == 0)
			return 1;
		if (strcasecmp(w, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* convert_words - LIST-shaped types: split, then check each word. */
static int convert_words(struct loader *ld, int line, int id,
			 const char *raw, void *field)
{
	const struct config_param *p = &config_params[id];
	struct config_list words = { 0 };
	bool unbalanced = false;
	const char *why;
	int i, rc = -1;
	long n;

	if (split_list(raw, &words, &unbalanced) < 0)
		goto out;
	if (unbalanced) {
		cerr(ld, line, id, "\"%s\": \"{\" without \"}\"", raw);
		goto out;
	}
	switch (p->type) {
	case CONF_T_LIST:
		*(struct config_list *)field = words;
		return 0;
	case CONF_T_TABLES: {
		struct config_tables *t = field;

		t->spec = words;
		return convert_tables(ld, line, id, t);
	}
	case CONF_T_PREFIXES: {
		struct config_prefixes *pf = field;

		pf->v = calloc((size_t)words.n + 1, sizeof(*pf->v));
		if (!pf->v)
			goto out;
		for (i = 0; i < words.n; i++) {
			char *w = words.v[i], *rb;

			if (*w == '[' && (rb = strchr(w, ']')) != NULL)
				memmove(rb, rb + 1, strlen(rb)), w++;
			if (addr_parse_prefix(w, &pf->v[pf->n], true,
					      &why) < 0) {
				cerr(ld, line, id, "\"%s\" is not an address "
				     "or address/length: %s", words.v[i], why);
				goto out;
			}
			pf->n++;
		}
		break;
	}
	case CONF_T_SITES: {
		struct config_sites *s = field;

		s->v = calloc((size_t)words.n + 1, sizeof(*s->v));
		if (!s->v)
			goto out;
		for (i = 0; i < words.n; i++) {
			if (parse_site(ld, line, id, words.v[i],
				       &s->v[s->n]) < 0)
				goto out;
			s->n++;
		}
		break;
	}
	case CONF_T_PORTS: {
		struct config_ports *pt = field;

		if (words.n > p->max || words.n > CONFIG_PORTS_MAX) {
			cerr(ld, line, id, "%d ports given, at most %ld",
			     words.n, p->max);
			goto out;
		}
		for (i = 0; i < words.n; i++) {
			if (parse_long(words.v[i], &n) < 0 || n < 1 ||
			    n > 65535) {
				cerr(ld, line, id, "\"%s\" is not a TCP port "
				     "(1..65535)", words.v[i]);
				goto out;
			}
			pt->v[pt->n++] = (uint16_t)n;
		}
		break;
	}
	default:
		break;
	}
	rc = 0;
out:
	list_free(&words);
	return rc;
}

/* convert - turn cfg->raw[id] into the typed field; -1 after an error. */
static int convert(struct loader *ld, int id)
{
	const struct config_param *p = &config_params[id];
	void *field = (char *)ld->cfg + config_offsets[id];
	const char *raw = ld->cfg->raw[id], *why;
	int line = param_line(ld, id), b;
	char lo[32], hi[32];
	long n;

	switch (p->type) {
	case CONF_T_STR:
		*(char **)field = strdup(raw);
		return *(char **)field ? 0 : -1;
	case CONF_T_INT:
		if (parse_long(raw, &n) < 0) {
			cerr(ld, line, id, "\"%s\" is not a number", raw);
			return -1;
		}
		if (n < p->min || n > p->max) {
			cerr(ld, line, id, "%ld is out of range (%ld..%ld)", n,
			     p->min, p->max);
			return -1;
		}
		*(long *)field = n;
		return 0;
	case CONF_T_TIME:
		if (config_duration(raw, &n, &why) < 0) {
			cerr(ld, line, id, "\"%s\" %s", raw, why);
			return -1;
		}
		if (n < p->min || n > p->max) {
			cerr(ld, line, id, "\"%s\" is out of range (%s..%s)",
			     raw, fmt_duration(p->min, lo, sizeof(lo)),
			     fmt_duration(p->max, hi, sizeof(hi)));
			return -1;
		}
		*(long *)field = n;
		return 0;
	case CONF_T_BOOL:
		b = bool_word(raw);
		if (b < 0) {
			cerr(ld, line, id, "\"%s\" is not yes or no", raw);
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case CONF_T_ENUM:
		*(char **)field = enum_choice(p->choices, raw);
		if (!*(char **)field) {
			char list[256];

			choices_list(p->choices, list, sizeof(list));
			cerr(ld, line, id, "\"%s\" is not one of %s", raw,
			     list);
			return -1;
		}
		return 0;
	default:
		return convert_words(ld, line, id, raw, field);
	}
}

/* read_entries - the file's logical lines as name = value entries. */
static int read_entries(struct loader *ld, const char *text, size_t len)
{
	char err[TABLE_ERR_MAX];
	struct lline *ll = NULL;
	int n = 0, i;
	char *eq, *name, *value, *end;

	if (lline_split(ld->file, text, len, &ll, &n, err, sizeof(err)) < 0) {
		cf_note(ld, 0, "%s%s", err, ld->suffix);
		ld->errors++;
		return -1;
	}
	ld->e = calloc((size_t)n + 1, sizeof(*ld->e));
	if (!ld->e)
		goto out;
	for (i = 0; i < n; i++) {
		name = ll[i].text;
		eq = strchr(name, '=');
		if (!eq) {
			cerr(ld, ll[i].line, -1, "\"%.60s\" is not "
			     "\"name = value\"", name);
			continue;
		}
		*eq = 0;
		value = eq + 1;
		for (end = eq; end > name && c_space((unsigned char)end[-1]);)
			*--end = 0;
		if (*name == 0 || strcspn(name, " \t") != strlen(name)) {
			cerr(ld, ll[i].line, -1, "\"%.60s\" is not a parameter "
			     "name", name);
			continue;
		}
		while (c_space((unsigned char)*value))
			value++;
		for (end = value + strlen(value);
		     end > value && c_space((unsigned char)end[-1]);)
			*--end = 0;
		ld->e[ld->ne].name = strdup(name);
		ld->e[ld->ne].value = strdup(value);
		ld->e[ld->ne].line = ll[i].line;
		ld->ne++;
	}
out:
	lline_free(ll, n);
	return 0;
}

/* assign_entries - which entry sets each parameter; warn about others. */
static void assign_entries(struct loader *ld)
{
	int i, id;

	for (i = 0; i < CONF_NPARAMS; i++)
		ld->src[i] = -1;
	for (i = 0; i < ld->ne; i++) {
		id = param_index(ld->e[i].name, strlen(ld->e[i].name));
		if (id < 0)
			continue;
		if (ld->src[id] >= 0)
			cf_note(ld, ld->e[i].line, "%s, line %d: %s is set "
				"again: the value from line %d is replaced",
				ld->file, ld->e[i].line, ld->e[i].name,
				ld->e[ld->src[id]].line);
		ld->src[id] = i;
		ld->e[i].used = true;
	}
}

/* check_relations - rules between parameters. */
static void check_relations(struct loader *ld)
{
	struct mx_config *c = ld->cfg;
	char a[32], b[32];

	if (c->dnsbl_min_ttl > c->dnsbl_max_ttl)
		cerr(ld, param_line(ld, CONF_P_dnsbl_min_ttl),
		     CONF_P_dnsbl_min_ttl,
		     "%s is longer than dnsbl_max_ttl (%s)",
		     fmt_duration(c->dnsbl_min_ttl, a, sizeof(a)),
		     fmt_duration(c->dnsbl_max_ttl, b, sizeof(b)));
}

/* config_suffix - what happens next, for the end of each error line. */
static const char *config_suffix(int flags)
{
	if (flags & CONFIG_FOR_START)
		return ": not starting";
	if (flags & CONFIG_FOR_RELOAD)
		return ": keeping the old configuration";
	if (flags & CONFIG_FOR_CHECK)
		return ": configuration refused";
	return "";
}

/* config_load_text - see config.h. */
struct mx_config *config_load_text(const char *name, const char *text,
				   size_t len, int flags)
{
	struct loader ld = { .file = name, .flags = flags };
	int i, ok;

	ld.suffix = config_suffix(flags);
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg)
		return NULL;
	ld.cfg->path = strdup(name);
	if (text)
		read_entries(&ld, text, len);
	assign_entries(&ld);
	for (i = 0; i < CONF_NPARAMS; i++) {
		ld.cfg->origin[i].file = ld.src[i] >= 0 ? ld.cfg->path : NULL;
		ld.cfg->origin[i].line = param_line(&ld, i);
		ok = expand_param(&ld, i, 0) == 0;
		if (ok)
			convert(&ld, i);
	}
	if (ld.errors == 0)
		check_relations(&ld);
	for (i = 0; i < ld.ne; i++) {
		if (!ld.e[i].used)
			cf_note(&ld, ld.e[i].line, "%s, line %d: unknown "
				"parameter \"%s\": ignored", name,
				ld.e[i].line, ld.e[i].name);
	}
	for (i = 0; i < ld.ne; i++) {
		free(ld.e[i].name);
		free(ld.e[i].value);
	}
	free(ld.e);
	cf_flush(&ld);
	if (ld.errors > 0) {
		config_free(ld.cfg);
		return NULL;
	}
	return ld.cfg;
}

/* config_load - see config.h. */
struct mx_config *config_load(const char *path, int flags)
{
	char err[TABLE_ERR_MAX];
	struct mx_config *cfg;
	size_t len;
	char *text;

	if (!path)
		return config_load_text("(defaults)", NULL, 0, flags);
	text = read_file(path, CONFIG_FILE_MAX, &len, err, sizeof(err));
	if (!text) {
		msg_warn("%s%s", err, config_suffix(flags));
		return NULL;
	}
	cfg = config_load_text(path, text, len, flags);
	free(text);
	return cfg;
}

/* field_free - release one parameter's typed field. */
static void field_free(int id, void *field)
{
	int i;

	switch (config_params[id].type) {
	case CONF_T_STR:
	case CONF_T_ENUM:
		free(*(char **)field);
		break;
	case CONF_T_LIST:
		list_free(field);
		break;
	case CONF_T_TABLES:
		list_free(&((struct config_tables *)field)->spec);
		table_list_free(((struct config_tables *)field)->tl);
		break;
	case CONF_T_PREFIXES:
		free(((struct config_prefixes *)field)->v);
		break;
	case CONF_T_SITES: {
		struct config_sites *s = field;

		for (i = 0; i < s->n; i++) {
			free(s->v[i].domain);
			free(s->v[i].filter);
		}
		free(s->v);
		break;
	}
	default:
		break;
	}
}

/* config_free - see config.h. */
void config_free(struct mx_config *cfg)
{
	int i;

	if (!cfg)
		return;
	for (i = 0; i < CONF_NPARAMS; i++) {
		field_free(i, (char *)cfg + config_offsets[i]);
		free(cfg->raw[i]);
	}
	free(cfg->path);
	free(cfg);
}

/* json_str - s as a JSON string literal. */
static void json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

/* config_dump - see config.h. */
void config_dump(FILE *fp, const struct mx_config *cfg, bool json)
{
	char origin[600];
	int i;

	if (json)
		fputs("{", fp);
	for (i = 0; i < CONF_NPARAMS; i++) {
		const char *raw = cfg->raw[i] ? cfg->raw[i] : "";

		if (cfg->origin[i].line > 0)
			snprintf(origin, sizeof(origin), "%s, line %d",
				 cfg->origin[i].file, cfg->origin[i].line);
		else
			snprintf(origin, sizeof(origin), "default");
		if (json) {
			fputs(i ? ",\n " : "\n ", fp);
			json_str(fp, config_params[i].name);
			fputs(": {\"value\": ", fp);
			json_str(fp, raw);
			fputs(", \"origin\": ", fp);
			json_str(fp, origin);
			fputs("}", fp);
		} else {
			fprintf(fp, "# %s\n%s =%s", origin,
				config_params[i].name, *raw ? " " : "");
			for (; *raw; raw++) { /* $ doubled: reads back */
				if (*raw == '$')
					fputc('$', fp);
				fputc(*raw, fp);
			}
			fputs("\n", fp);
		}
	}
	if (json)
		fputs("\n}\n", fp);
}

/* man_text - s for troff: backslashes doubled, lines never start '.'. */
static void man_text(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

/* man_bounds - the " (N..M)" part of a parameter's heading, or "". */
static void man_bounds(FILE *fp, const struct config_param *p)
{
	char lo[32], hi[32];

	if (p->type == CONF_T_INT)
		fprintf(fp, ", %ld..%ld", p->min, p->max);
	else if (p->type == CONF_T_TIME)
		fprintf(fp, ", %s..%s", fmt_duration(p->min, lo, sizeof(lo)),
			fmt_duration(p->max, hi, sizeof(hi)));
	else if (p->type == CONF_T_ENUM)
		fprintf(fp, ": %s", p->choices);
	else if (p->type == CONF_T_PORTS)
		fprintf(fp, ", at most %ld", p->max);
}

#include "config_man.h"

/* config_man - see config.h. */
void config_man(FILE *fp)
{
	int s, i;

	fputs(config_man_head, fp);
	for (s = 0; s < CONF_NSECTIONS; s++) {
		fprintf(fp, ".SH \"%s\"\n", config_section_titles[s]);
		for (i = 0; i < CONF_NPARAMS; i++) {
			const struct config_param *p = &config_params[i];

			if ((int)p->section != s)
				continue;
			fprintf(fp, ".TP\n.B %s\n(%s", p->name,
				config_type_names[p->type]);
			man_bounds(fp, p);
			fputs("; default: ", fp);
			if (*p->def)
				man_text(fp, p->def);
			else
				fputs("empty", fp);
			fputs(")\n.br\n", fp);
			man_text(fp, p->help);
			fputs("\n", fp);
		}
	}
	fputs(config_man_tail, fp);
}
