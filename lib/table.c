/*
 * table.c - Postfix regexp:, pcre:, cidr:, static: and inline: tables
 * (see table.h for the contract).
 *
 * The rule syntax follows Postfix's regexp_table(5), pcre_table(5) and
 * cidr_table(5) exactly, with one deliberate difference: where Postfix
 * warns and skips a bad rule (or ignores stray text after "if"), mxwall
 * refuses the whole table, so a typo never quietly changes what a table
 * means. Every refusal names the file, the line and what is wrong.
 * A second one: a regexp whose nested or stacked repetitions would make
 * glibc's regcomp build more than TABLE_REGEXP_COPIES_MAX copies of its
 * parts ("x++++++++++++++++++++" takes 700 MB and a second to compile,
 * "((x{255}){255}){255}" 3.4 GB), or that repeats parts able to match
 * nothing too often (TABLE_REGEXP_WORK_MAX; "(a?){255}{255}" does not
 * finish), is refused before regcomp sees it (regexp_cost); Postfix,
 * using the same regcomp, would try and stall or run out of memory.
 *
 * Lookups never block. pcre matching runs under a match limit and a depth
 * limit (TABLE_PCRE_MATCH_LIMIT, TABLE_PCRE_DEPTH_LIMIT): a hostile key
 * cannot stall the daemon; a limit hit is "no match", logged once per
 * rule.
 */
#include "table.h"
#include "log.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <pcre2.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Largest table file read, in bytes. */
#define TABLE_FILE_MAX (64u << 20)

/* pcre2 limits: backtracking steps and nesting per match. */
#define TABLE_PCRE_MATCH_LIMIT 1000000
#define TABLE_PCRE_DEPTH_LIMIT 250000

/*
 * Most copies of a regexp's parts regcomp may make (regexp_copies); at
 * about 700 bytes each, 65536 copies take some 45 MB and 0.1 s.
 */
#define TABLE_REGEXP_COPIES_MAX 65536

/*
 * Most copies times the longest run of parts that can match the empty
 * string (regexp_cost): "(a?){500}" is 250,000 (10 ms) and passes;
 * "()+++++++++" is 262,144 (0.4 s), "(a?){4000}" 16 million (0.2 s,
 * 128 MB) and "(a?){255}{255}" 4 billion (does not finish): refused.
 */
#define TABLE_REGEXP_WORK_MAX 250000

/*
 * Most repetitions around one part that can match the empty string:
 * regcomp's work grows with about the fourth power of that nest
 * ("^()****...$" with 20 stars takes 7 ms, 80 take 1.7 s).
 */
#define TABLE_REGEXP_NEST_MAX 20

/*
 * Most repetitions that copy a part able to match the empty string,
 * nested: past three the work explodes ("^()++++b" takes 15 ms,
 * "^()+++++b" does not finish).
 */
#define TABLE_REGEXP_CNEST_MAX 3

/* Largest $N a result may name (pcre2 allows 65535 groups). */
#define TABLE_MAX_SUB 99

enum rule_op { RULE_MATCH, RULE_IF, RULE_ENDIF };

/*
 * struct rule - one compiled line of a table.
 *   op        match, if or endif;
 *   line      first physical line (or position in an inline list);
 *   text      the logical line as read (for logs and `mxwallctl why`);
 *   match     true for /re/, false for !/re/ (inverted);
 *   re, re2   regexp: the pattern and the optional second /re/!/re2/
 *             pattern (match2 its sense); pcre: pc and md instead;
 *   net, mask, family   cidr: the network, its mask, AF_INET/AF_INET6;
 *   value     the result: literal ($$ already made $) when max_sub is
 *             0, else the text to expand at lookup;
 *   max_sub   the largest $N in value, 0 for none;
 *   endif     for RULE_IF, the index of its endif;
 *   logged    a pcre limit hit was logged for this rule.
 */
struct rule {
	enum rule_op op;
	int line;
	char *text;
	bool match;
	regex_t *re, *re2;
	bool match2;
	pcre2_code *pc;
	pcre2_match_data *md;
	unsigned char net[16], mask[16];
	int family;
	char *value;
	size_t max_sub;
	int endif;
	bool logged;
};

/*
 * struct table - an open table.
 *   name     "type:path" as given to table_open;
 *   file     the path, or the inline spec, as shown in results;
 *   rules    compiled rules in file order (nrules of them);
 *   keys, vals, nkeys   inline: exact keys (lower case) and values;
 *   buf, cap the result of the last $N expansion;
 *   mctx     pcre2 match context carrying the limits.
 */
struct table {
	enum table_type type;
	char *name;
	char *file;
	struct rule *rules;
	int nrules;
	char **keys, **vals;
	int nkeys;
	char *buf;
	size_t cap;
	pcre2_match_context *mctx;
};

static bool t_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool t_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static const char *skip_space(const char *p)
{
	while (*p && t_space((unsigned char)*p))
		p++;
	return p;
}

/* trim_end - cut trailing white space off s in place. */
static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && t_space((unsigned char)s[n - 1]))
		s[--n] = 0;
}

/*
 * struct parse - state while one table is read.
 *   t        the table being built;
 *   line     current line number, for messages;
 *   err      where the first error goes.
 */
struct parse {
	struct table *t;
	int line;
	char *err;
	size_t errlen;
};

/* perr - record "FILE, line N: what" (first error wins). */
__attribute__((format(printf, 2, 3)))
static int perr(struct parse *ps, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s, line %d: %s", ps->t->file,
		 ps->line, what);
	return -1;
}

/*
 * subst_ref - parse one '$' reference at s (s[0] == '$', s[1] != '$'),
 * Postfix mac_parse(3) style: ${text}, $(text) with nesting, or $name of
 * alphanumerics and '_'. Sets *name and *nlen to the text and returns the
 * pointer past the reference, or NULL when unterminated or empty.
 */
static const char *subst_ref(const char *s, const char **name, size_t *nlen)
{
	const char *p = s + 1, *e;
	char open = 0, close = 0;
	int level;

	if (*p == '{' || *p == '(') {
		open = *p;
		close = open == '{' ? '}' : ')';
		p++;
		for (e = p, level = 1; level > 0; e++) {
			if (*e == 0)
				return NULL;
			if (*e == open)
				level++;
			else if (*e == close)
				level--;
		}
		*name = p;
		*nlen = (size_t)(e - 1 - p);
		return *nlen ? e : NULL;
	}
	for (e = p; t_alnum((unsigned char)*e) || *e == '_'; e++)
		;
	*name = p;
	*nlen = (size_t)(e - p);
	return *nlen ? e : NULL;
}

/* subst_index - "12" -> 12; 0 when not all digits (or too large). */
static size_t subst_index(const char *name, size_t nlen)
{
	size_t i, n = 0;

	for (i = 0; i < nlen; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (size_t)(name[i] - '0');
		if (n > 100000)
			n = 100000;
	}
	return n;
}

/*
 * result_prescan - check the $ references in a rule's result and find
 * the largest $N. With no $N the stored value is the literal text with
 * $$ made $; else it is kept as written and expanded per lookup.
 */
static int result_prescan(struct parse *ps, const char *res, struct rule *r)
{
	const char *p = res, *name, *next;
	size_t nlen, n, len = 0;
	char *lit;

	lit = malloc(strlen(res) + 1);
	if (!lit)
		return perr(ps, "out of memory");
	r->max_sub = 0;
	while (*p) {
		if (*p != '$') {
			lit[len++] = *p++;
			continue;
		}
		if (p[1] == '$') {
			lit[len++] = '$';
			p += 2;
			continue;
		}
		next = subst_ref(p, &name, &nlen);
		if (!next) {
			free(lit);
			return perr(ps, "result \"%s\": \"$\" not followed by "
				    "a group number (write $$ for a dollar "
				    "sign)", res);
		}
		n = subst_index(name, nlen);
		if (n == 0) {
			free(lit);
			return perr(ps, "result \"%s\": \"$%.*s\" is not a "
				    "group number 1..%d", res, (int)nlen, name,
				    TABLE_MAX_SUB);
		}
		if (n > TABLE_MAX_SUB) {
			free(lit);
			return perr(ps, "result \"%s\": \"$%.*s\" is larger "
				    "than %d", res, (int)nlen, name,
				    TABLE_MAX_SUB);
		}
		if (n > r->max_sub)
			r->max_sub = n;
		p = next;
	}
	lit[len] = 0;
	if (r->max_sub == 0) {
		r->value = lit;
	} else {
		free(lit);
		r->value = strdup(res);
		if (!r->value)
			return perr(ps, "out of memory");
	}
	return 0;
}

/*
 * struct pat - one /pattern/flags before compiling.
 *   re     the pattern text (a copy, delimiters removed);
 *   match  false when preceded by an odd number of '!';
 *   flags  the flag letters as written.
 */
struct pat {
	char *re;
	bool match;
	char flags[32];
};

/*
 * get_pat - read [!...]DELIM pattern DELIM flags at *pp. The flags end at
 * white space, or (regexp only) at '!' that starts a second pattern.
 */
static int get_pat(struct parse *ps, const char **pp, struct pat *pat)
{
	const char *p = *pp, *start;
	char delim;
	size_t n = 0;

	pat->match = true;
	pat->re = NULL;
	for (;; p++) {
		if (*p == '!')
			pat->match = !pat->match;
		else if (!t_space((unsigned char)*p))
			break;
	}
	if (*p == 0)
		return perr(ps, "no pattern after \"!\"");
	delim = *p++;
	start = p;
	while (*p) {
		if (*p == '\\') {
			if (p[1] == 0)
				break;
			p++;
		} else if (*p == delim) {
			break;
		}
		p++;
	}
	if (*p == 0)
		return perr(ps, "missing closing \"%c\" after the pattern",
			    delim);
	pat->re = strndup(start, (size_t)(p - start));
	if (!pat->re)
		return perr(ps, "out of memory");
	p++;
	while (*p && !t_space((unsigned char)*p) &&
	       !(ps->t->type == TABLE_REGEXP && *p == '!')) {
		if (n + 1 >= sizeof(pat->flags))
			return perr(ps, "more than %zu flags after the pattern",
				    sizeof(pat->flags) - 1);
		pat->flags[n++] = *p++;
	}
	pat->flags[n] = 0;
	*pp = p;
	return 0;
}

/* copies_mul - a * b, saturated at SIZE_MAX. */
static size_t copies_mul(size_t a, size_t b)
{
	return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

/* copies_add - a + b, saturated at SIZE_MAX. */
static size_t copies_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/*
 * regexp_bound - read a bound "m}", "m,}", "m,n}" or ",n}" at p (just
 * after the opening brace; close is "}", or "\\}" in basic syntax).
 * Sets *min and returns the upper bound (0: none), with *end after the
 * bound; *end is NULL when p holds no bound (the brace is then an
 * ordinary character to us; regcomp decides whether it is an error).
 * Numbers are capped at 100000 (regcomp refuses more than 32767).
 */
static size_t regexp_bound(const char *p, const char *close,
			   const char **end, size_t *min)
{
	size_t m = 0, n = 0;
	bool have_m = false, have_n = false, comma = false;

	*end = NULL;
	for (; *p >= '0' && *p <= '9'; p++, have_m = true)
		m = m > 100000 ? m : m * 10 + (size_t)(*p - '0');
	if (*p == ',') {
		comma = true;
		for (p++; *p >= '0' && *p <= '9'; p++, have_n = true)
			n = n > 100000 ? n : n * 10 + (size_t)(*p - '0');
	}
	if ((!have_m && !have_n) || strncmp(p, close, strlen(close)) != 0)
		return 0;
	*end = p + strlen(close);
	*min = m;
	if (!comma)
		return m ? m : 1;
	if (!have_n)
		return 0;
	return n < m ? m : n;
}

/* regexp_bracket - the end of the bracket expression opening at p. */
static const char *regexp_bracket(const char *p)
{
	const char *q = p + 1;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++;
	for (; *q && *q != ']'; q++) {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
			const char *e = strchr(q + 2, q[1]);

			while (e && e[1] != ']')
				e = strchr(e + 1, q[1]);
			if (!e)
				return q + strlen(q);
			q = e + 1;
		}
	}
	return *q ? q + 1 : q;
}

/*
 * struct rx_part - what regcomp makes of one part of a regexp (an atom, a
 * group, either with its repetitions):
 *   copies    nodes, counting each copy a repetition makes;
 *   chain     the longest run of side-by-side parts in it that can match
 *             the empty string (regcomp's closures follow such runs);
 *   nest      the most repetitions wrapped around one part that can
 *             match the empty string ("(a*)*", "a**": 2);
 *   cnest     the same, counting only repetitions that copy it ("+",
 *             "{2}", "{1,}": "(a*)++" is 2);
 *   nullable  the part itself can match the empty string.
 */
struct rx_part {
	size_t copies, chain, nest, cnest;
	bool nullable;
};

/*
 * struct rx_group - one open group while regexp_cost reads a pattern:
 *   copies    the copies of its alternatives so far, added up;
 *   chain     the longest run found so far; run: the current one;
 *   nest, cnest   the deepest nests of its parts;
 *   last      the latest part, to which repetitions still apply;
 *   seq_null  every part of the current alternative can match nothing;
 *   alt_null  some finished alternative can.
 */
struct rx_group {
	size_t copies, chain, run, nest, cnest;
	struct rx_part last;
	bool have_last, seq_null, alt_null;
};

/* rx_flush - add g's latest part to its alternative. */
static void rx_flush(struct rx_group *g)
{
	struct rx_part *x = &g->last;

	if (!g->have_last)
		return;
	g->copies = copies_add(g->copies, x->copies);
	g->run = x->nullable ? copies_add(g->run, x->chain ? x->chain : 1)
			     : 0;
	g->chain = g->chain > g->run ? g->chain : g->run;
	g->chain = g->chain > x->chain ? g->chain : x->chain;
	g->nest = g->nest > x->nest ? g->nest : x->nest;
	g->cnest = g->cnest > x->cnest ? g->cnest : x->cnest;
	g->seq_null = g->seq_null && x->nullable;
	g->have_last = false;
}

/* rx_close - flush g and return it as one part. */
static struct rx_part rx_close(struct rx_group *g)
{
	struct rx_part part;

	rx_flush(g);
	part.nullable = g->alt_null || g->seq_null;
	part.copies = g->copies ? g->copies : 1;
	part.chain = g->chain;
	part.nest = g->nest;
	part.cnest = g->cnest;
	return part;
}

/*
 * rx_repeat - apply a repetition to g's latest part: at least min, at
 * most max copies (max 0: no upper bound). regcomp turns x{m,n} into m
 * copies of x and n - m optional ones, x{m,} into m copies and x*, and
 * x+ into x x*, so the part's copies multiply. The optional copies lie
 * side by side in one run; if x itself can match nothing, so do all its
 * copies, each with the runs inside it. A repetition that can match
 * nothing wraps x once more (nest): regcomp's closures recurse through
 * every such layer.
 */
static void rx_repeat(struct rx_group *g, size_t min, size_t max)
{
	struct rx_part *x = &g->last;
	size_t n = max ? max : min + 1, optional = max ? max - min : 1;
	size_t unit = x->chain ? x->chain : 1;

	if (!g->have_last)
		return;
	x->copies = copies_mul(x->copies, n);
	if (x->nullable || min == 0)
		x->nest++;
	if (x->nullable && n > 1)
		x->cnest++;
	if (x->nullable)
		x->chain = copies_mul(unit, n);
	else if (optional > x->chain)
		x->chain = optional;
	x->nullable = x->nullable || min == 0;
}

/*
 * regexp_cost - an estimate from above of what glibc's regcomp builds for
 * pattern re (extended or basic syntax): the copies of its parts, the
 * longest run of them that can match the empty string (regcomp's work on
 * closures grows with copies times that run), and how deep repetitions
 * nest around such parts. Each atom counts 1 and a group what it holds;
 * repetitions multiply (rx_repeat). Counts saturate at SIZE_MAX.
 * XXX Groups nested deeper than 63 are read as atoms, so for such a
 * pattern the estimate is rough and may be too small.
 */
static struct rx_part regexp_cost(const char *re, bool extended)
{
	struct rx_group g[64];
	struct rx_part part;
	int depth = 0;
	const char *p = re, *o, *end;
	size_t min, max;
	bool op;

	memset(&g[0], 0, sizeof(g[0]));
	g[0].seq_null = true;
	while (*p) {
		/* Which characters are operators depends on the syntax. */
		op = extended ? *p != '\\' : *p == '\\' && p[1];
		o = extended ? p : p + 1;

		if (!extended && *p == '*' && g[depth].have_last) {
			rx_repeat(&g[depth], 0, 0);
			p++;
			continue;
		}
		if (op && *o == '(' && depth + 1 < 64) {
			rx_flush(&g[depth]);
			depth++;
			memset(&g[depth], 0, sizeof(g[depth]));
			g[depth].seq_null = true;
			p = o + 1;
			continue;
		}
		if (op && *o == ')' && depth > 0) {
			part = rx_close(&g[depth]);
			depth--;
			rx_flush(&g[depth]);
			g[depth].last = part;
			g[depth].have_last = true;
			p = o + 1;
			continue;
		}
		if (op && *o == '|') {
			rx_flush(&g[depth]);
			g[depth].alt_null = g[depth].alt_null ||
					    g[depth].seq_null;
			g[depth].seq_null = true;
			g[depth].run = 0;
			p = o + 1;
			continue;
		}
		if (op && (*o == '*' || *o == '?' || *o == '+')) {
			rx_repeat(&g[depth], *o == '+', *o == '?');
			p = o + 1;
			continue;
		}
		if (op && *o == '{') {
			max = regexp_bound(o + 1, extended ? "}" : "\\}", &end,
					   &min);
			if (end) {
				rx_repeat(&g[depth], min, max);
				p = end;
				continue;
			}
		}
		/* An atom: a character, an escaped one or a bracket. */
		rx_flush(&g[depth]);
		/* "^" and "$" match the empty string (counted so in basic
		 * syntax too, where they may be ordinary characters). */
		g[depth].last = (struct rx_part){ 1, 0, 0, 0,
						  *p == '^' || *p == '$' };
		g[depth].have_last = true;
		if (*p == '[')
			p = regexp_bracket(p);
		else if (*p == '\\' && p[1])
			p += 2;
		else
			p++;
	}
	/* Groups left open: regcomp refuses the pattern anyway. */
	while (depth > 0) {
		part = rx_close(&g[depth]);
		depth--;
		rx_flush(&g[depth]);
		g[depth].last = part;
		g[depth].have_last = true;
	}
	return rx_close(&g[0]);
}

/* regexp_compile - compile pat with regexp_table(5) flags (i, m, x). */
static int regexp_compile(struct parse *ps, struct pat *pat, bool nosub,
			  regex_t **out)
{
	int cflags = REG_EXTENDED | REG_ICASE, rc;
	struct rx_part cost;
	char msg[256];
	const char *f;
	regex_t *re;

	for (f = pat->flags; *f; f++) {
		switch (*f) {
		case 'i':
			cflags ^= REG_ICASE;
			break;
		case 'm':
			cflags ^= REG_NEWLINE;
			break;
		case 'x':
			cflags ^= REG_EXTENDED;
			break;
		default:
			return perr(ps, "unknown flag \"%c\" after the pattern "
				    "(regexp flags are i, m and x)", *f);
		}
	}
	if (nosub)
		cflags |= REG_NOSUB;
	cost = regexp_cost(pat->re, cflags & REG_EXTENDED);
	if (cost.copies > TABLE_REGEXP_COPIES_MAX)
		return perr(ps, "regular expression \"%s\": its nested or "
			    "stacked repetitions would make the C library's "
			    "regcomp build more than %d copies of its parts "
			    "(gigabytes of memory): write it with fewer",
			    pat->re, TABLE_REGEXP_COPIES_MAX);
	if (copies_mul(cost.copies, cost.chain) > TABLE_REGEXP_WORK_MAX ||
	    cost.nest > TABLE_REGEXP_NEST_MAX ||
	    cost.cnest > TABLE_REGEXP_CNEST_MAX)
		return perr(ps, "regular expression \"%s\": it repeats parts "
			    "that can match nothing (x?, x*, x{0,n}, empty "
			    "groups) so often that the C library's regcomp "
			    "would take seconds and gigabytes to compile it: "
			    "write it with fewer", pat->re);
	re = malloc(sizeof(*re));
	if (!re)
		return perr(ps, "out of memory");
	rc = regcomp(re, pat->re, cflags);
	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		free(re);
		return perr(ps, "bad regular expression \"%s\": %s", pat->re,
			    msg);
	}
	*out = re;
	return 0;
}

/* pcre_compile_pat - compile pat with pcre_table(5) flags. */
static int pcre_compile_pat(struct parse *ps, struct pat *pat,
			    struct rule *r)
{
	uint32_t opts = PCRE2_CASELESS | PCRE2_DOTALL;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	const char *f;
	int rc;

	for (f = pat->flags; *f; f++) {
		switch (*f) {
		case 'i':
			opts ^= PCRE2_CASELESS;
			break;
		case 'm':
			opts ^= PCRE2_MULTILINE;
			break;
		case 's':
			opts ^= PCRE2_DOTALL;
			break;
		case 'x':
			opts ^= PCRE2_EXTENDED;
			break;
		case 'A':
			opts ^= PCRE2_ANCHORED;
			break;
		case 'E':
			opts ^= PCRE2_DOLLAR_ENDONLY;
			break;
		case 'U':
			opts ^= PCRE2_UNGREEDY;
			break;
		case 'X':
			break; /* obsolete, ignored by Postfix with pcre2 */
		default:
			return perr(ps, "unknown flag \"%c\" after the pattern "
				    "(pcre flags are i, m, s, x, A, E, U)",
				    *f);
		}
	}
	r->pc = pcre2_compile((PCRE2_SPTR)pat->re, PCRE2_ZERO_TERMINATED,
			      opts, &rc, &off, NULL);
	if (!r->pc) {
		pcre2_get_error_message(rc, msg, sizeof(msg));
		return perr(ps, "bad regular expression \"%s\" at offset %zu: "
			    "%s", pat->re, (size_t)off, (char *)msg);
	}
	r->md = pcre2_match_data_create_from_pattern(r->pc, NULL);
	if (!r->md)
		return perr(ps, "out of memory");
	return 0;
}

/* group_count - the number of (...) groups of the rule's pattern. */
static size_t group_count(struct table *t, struct rule *r)
{
	uint32_t n = 0;

	if (t->type == TABLE_PCRE) {
		pcre2_pattern_info(r->pc, PCRE2_INFO_CAPTURECOUNT, &n);
		return n;
	}
	return r->re->re_nsub;
}

/* compile_pat - compile into r for the table's type. */
static int compile_pat(struct parse *ps, struct pat *pat, struct rule *r,
		       bool nosub)
{
	if (ps->t->type == TABLE_PCRE)
		return pcre_compile_pat(ps, pat, r);
	return regexp_compile(ps, pat, nosub, &r->re);
}

/* parse_re_match - "/re/flags result" (regexp also "/re/!/re2/ result"). */
static int parse_re_match(struct parse *ps, const char *p, struct rule *r)
{
	struct pat first = { 0 }, second = { 0 };
	int rc = -1;

	if (get_pat(ps, &p, &first) < 0)
		goto out;
	if (ps->t->type == TABLE_REGEXP && *p == '!') {
		if (get_pat(ps, &p, &second) < 0)
			goto out;
	}
	p = skip_space(p);
	if (*p == 0) {
		perr(ps, "no result after the pattern");
		goto out;
	}
	if (result_prescan(ps, p, r) < 0)
		goto out;
	if (r->max_sub > 0 && !first.match) {
		perr(ps, "$%zu in the result of a negated (!) pattern, which "
		     "captures nothing", r->max_sub);
		goto out;
	}
	if (compile_pat(ps, &first, r, r->max_sub == 0) < 0)
		goto out;
	r->match = first.match;
	if (r->max_sub > group_count(ps->t, r)) {
		perr(ps, "result uses $%zu but the pattern has %zu group(s)",
		     r->max_sub, group_count(ps->t, r));
		goto out;
	}
	if (second.re) {
		if (regexp_compile(ps, &second, true, &r->re2) < 0)
			goto out;
		r->match2 = second.match;
	}
	rc = 0;
out:
	free(first.re);
	free(second.re);
	return rc;
}

/* keyword - whether p starts with word (any case) not followed by alnum. */
static bool keyword(const char *p, const char *word)
{
	size_t n = strlen(word);

	return strncasecmp(p, word, n) == 0 && !t_alnum((unsigned char)p[n]);
}

/* parse_re_if - "if [!]/re/flags", nothing after it. */
static int parse_re_if(struct parse *ps, const char *p, struct rule *r)
{
	struct pat pat = { 0 };
	int rc = -1;

	p = skip_space(p + 2);
	if (get_pat(ps, &p, &pat) < 0)
		goto out;
	p = skip_space(p);
	if (*p) {
		perr(ps, "text after the \"if\" pattern: \"%s\" (lines inside "
		     "if..endif must not be indented)", p);
		goto out;
	}
	if (compile_pat(ps, &pat, r, true) < 0)
		goto out;
	r->match = pat.match;
	rc = 0;
out:
	free(pat.re);
	return rc;
}

/* prefix_byte - the mask byte that keeps "bits" leading bits (<0: none). */
static unsigned char prefix_byte(int bits)
{
	if (bits >= 8)
		return 0xff;
	if (bits <= 0)
		return 0;
	return (unsigned char)(0xff << (8 - bits));
}

/*
 * cidr_pattern - parse a cidr_table(5) address pattern: [!...]ADDR,
 * ADDR/LEN, [ADDR], [ADDR]/LEN or [ADDR/LEN]; host bits must be zero.
 */
static int cidr_pattern(struct parse *ps, const char *pattern, struct rule *r)
{
	char buf[256], *p = buf, *slash, *close;
	const char *lenstr = NULL;
	int bits, plen, i;

	r->match = true;
	while (*pattern == '!') {
		r->match = !r->match;
		pattern++;
	}
	if (*pattern == 0)
		return perr(ps, "no address after \"!\"");
	if (strlen(pattern) >= sizeof(buf))
		return perr(ps, "address pattern too long");
	strcpy(buf, pattern);
	if (*p == '[') {
		p++;
		close = strchr(p, ']');
		if (!close)
			return perr(ps, "missing \"]\" in \"%s\"", pattern);
		*close = 0;
		if (close[1] == '/') {
			lenstr = close + 2;
		} else if (close[1] != 0) {
			return perr(ps, "text after \"]\" in \"%s\"", pattern);
		} else if ((slash = strchr(p, '/')) != NULL) {
			*slash = 0;
			lenstr = slash + 1;
		}
	} else if ((slash = strchr(p, '/')) != NULL) {
		*slash = 0;
		lenstr = slash + 1;
	}
	r->family = strchr(p, ':') ? AF_INET6 : AF_INET;
	bits = r->family == AF_INET ? 32 : 128;
	if (inet_pton(r->family, p, r->net) != 1)
		return perr(ps, "bad address \"%s\" in \"%s\"", p, pattern);
	plen = bits;
	if (lenstr) {
		if (*lenstr == 0 || strspn(lenstr, "0123456789") !=
		    strlen(lenstr) || strlen(lenstr) > 3 ||
		    atoi(lenstr) > bits)
			return perr(ps, "bad prefix length in \"%s\" (0..%d)",
				    pattern, bits);
		plen = atoi(lenstr);
	}
	memset(r->mask, 0, sizeof(r->mask));
	for (i = 0; i < bits / 8; i++) {
		int take = plen - i * 8;

		r->mask[i] = prefix_byte(take);
		if (r->net[i] & ~r->mask[i]) {
			char fixed[INET6_ADDRSTRLEN];
			int j;

			for (j = 0; j < bits / 8; j++) {
				r->net[j] &= prefix_byte(plen - j * 8);
			}
			inet_ntop(r->family, r->net, fixed, sizeof(fixed));
			return perr(ps, "host bits set in \"%s\" (the network "
				    "is %s/%d)", pattern, fixed, plen);
		}
	}
	return 0;
}

/* parse_cidr_line - "pattern result", "if pattern" or "endif". */
static int parse_cidr_line(struct parse *ps, char *line, struct rule *r)
{
	char *p = line, *pattern;

	if (keyword(p, "if")) {
		r->op = RULE_IF;
		p = (char *)skip_space(p + 2);
		pattern = p;
		while (*p && !t_space((unsigned char)*p))
			p++;
		if (*p) {
			*p++ = 0;
			p = (char *)skip_space(p);
			if (*p)
				return perr(ps, "text after the \"if\" "
					    "pattern: \"%s\" (lines inside "
					    "if..endif must not be indented)",
					    p);
		}
		return cidr_pattern(ps, pattern, r);
	}
	pattern = p;
	while (*p && !t_space((unsigned char)*p))
		p++;
	if (*p)
		*p++ = 0;
	p = (char *)skip_space(p);
	if (*p == 0)
		return perr(ps, "no result after \"%s\"", pattern);
	if (cidr_pattern(ps, pattern, r) < 0)
		return -1;
	r->value = strdup(p);
	return r->value ? 0 : perr(ps, "out of memory");
}

/* rule_free - release what one rule owns. */
static void rule_free(struct rule *r)
{
	if (r->re) {
		regfree(r->re);
		free(r->re);
	}
	if (r->re2) {
		regfree(r->re2);
		free(r->re2);
	}
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->pc);
	free(r->value);
	free(r->text);
}

/*
 * parse_line - one logical line of a regexp, pcre or cidr table into r.
 * *depth and stack track if..endif nesting.
 */
static int parse_line(struct parse *ps, char *line, struct rule *r)
{
	r->op = RULE_MATCH;
	r->endif = -1;
	if (keyword(line, "endif")) {
		r->op = RULE_ENDIF;
		if (*skip_space(line + 5))
			return perr(ps, "text after \"endif\"");
		return 0;
	}
	if (ps->t->type == TABLE_CIDR)
		return parse_cidr_line(ps, line, r);
	if (!t_alnum((unsigned char)*line))
		return parse_re_match(ps, line, r);
	if (keyword(line, "if")) {
		r->op = RULE_IF;
		return parse_re_if(ps, line, r);
	}
	return perr(ps, "unrecognized line \"%.40s%s\" (expected /pattern/ "
		    "result, if or endif)", line, strlen(line) > 40 ? "..." :
		    "");
}

/* table_parse_lines - compile logical lines into t->rules. */
static int table_parse_lines(struct parse *ps, struct lline *ll, int n)
{
	int *stack = NULL, depth = 0, i;
	int rc = -1;

	ps->t->rules = calloc((size_t)n + 1, sizeof(struct rule));
	stack = calloc((size_t)n + 1, sizeof(int));
	if (!ps->t->rules || !stack) {
		snprintf(ps->err, ps->errlen, "%s: out of memory",
			 ps->t->file);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct rule *r = &ps->t->rules[i];

		ps->line = ll[i].line;
		trim_end(ll[i].text);
		r->line = ll[i].line;
		r->text = strdup(ll[i].text);
		ps->t->nrules = i + 1;
		if (!r->text) {
			perr(ps, "out of memory");
			goto out;
		}
		if (parse_line(ps, ll[i].text, r) < 0)
			goto out;
		if (r->op == RULE_IF) {
			stack[depth++] = i;
		} else if (r->op == RULE_ENDIF) {
			if (depth == 0) {
				perr(ps, "\"endif\" without \"if\"");
				goto out;
			}
			ps->t->rules[stack[--depth]].endif = i;
		}
	}
	if (depth > 0) {
		ps->line = ps->t->rules[stack[depth - 1]].line;
		perr(ps, "\"if\" without \"endif\"");
		goto out;
	}
	rc = 0;
out:
	free(stack);
	return rc;
}

/*
 * inline_rules - split "{ {rule}, {rule} }" into logical lines, one per
 * {rule}, as Postfix 3.7 writes them to its in-memory file.
 */
static int inline_rules(struct parse *ps, const char *spec,
			struct lline **out, int *n)
{
	const char *p = spec, *start;
	struct lline *v = NULL, *nv;
	int count = 0, level;

	p = skip_space(p + 1); /* past the outer '{' */
	for (;;) {
		while (*p == ',' || t_space((unsigned char)*p))
			p++;
		if (*p == '}' && *skip_space(p + 1) == 0)
			break;
		ps->line = count + 1;
		if (*p == 0) {
			perr(ps, "missing \"}\" at the end of the "
			     "inline table");
			goto fail;
		}
		if (*p != '{') {
			perr(ps, "inline rule must be enclosed in {}");
			goto fail;
		}
		start = ++p;
		for (level = 1; *p && level > 0; p++) {
			if (*p == '{')
				level++;
			else if (*p == '}')
				level--;
		}
		if (level > 0) {
			perr(ps, "missing \"}\"");
			goto fail;
		}
		nv = realloc(v, (size_t)(count + 1) * sizeof(*v));
		if (!nv)
			goto fail;
		v = nv;
		start = skip_space(start);
		v[count].line = count + 1;
		v[count].text = strndup(start, (size_t)(p - 1 - start));
		if (!v[count].text)
			goto fail;
		count++;
	}
	*out = v;
	*n = count;
	return 0;
fail:
	lline_free(v, count);
	return -1;
}

/* brace_body - for "{text}" the text inside, trimmed; else a copy. */
static char *brace_body(const char *s)
{
	size_t n = strlen(s);
	const char *b;

	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		b = skip_space(s + 1);
		n = (size_t)(s + n - 1 - b);
		while (n > 0 && t_space((unsigned char)b[n - 1]))
			n--;
		return strndup(b, n);
	}
	return strdup(s);
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* inline_open - "inline:{ key=value, { key = value } }". */
static int inline_open(struct parse *ps, const char *spec)
{
	const char *p = spec, *start;
	char *item = NULL, *eq;
	int level;
	size_t n;

	ps->line = 1;
	if (*p != '{' || p[strlen(p) - 1] != '}')
		return perr(ps, "inline table must be written {key=value, "
			    "...}");
	p++;
	for (;;) {
		while (*p == ',' || t_space((unsigned char)*p))
			p++;
		if (*p == '}' && p[1] == 0)
			return 0;
		start = p;
		if (*p == '{') {
			for (level = 0; *p; p++) {
				if (*p == '{')
					level++;
				else if (*p == '}' && --level == 0)
					break;
			}
			if (*p)
				p++;
		} else {
			while (*p && *p != ',' && !t_space((unsigned char)*p) &&
			       !(*p == '}' && p[1] == 0))
				p++;
		}
		free(item);
		item = strndup(start, (size_t)(p - start));
		if (!item)
			return perr(ps, "out of memory");
		{
			char *body = brace_body(item);

			free(item);
			item = body;
		}
		eq = item ? strchr(item, '=') : NULL;
		if (!eq || eq == item) {
			perr(ps, "\"%s\" is not key=value", item ? item : "");
			free(item);
			return -1;
		}
		*eq = 0;
		trim_end(item);
		n = (size_t)(ps->t->nkeys + 1) * sizeof(char *);
		ps->t->keys = realloc(ps->t->keys, n);
		ps->t->vals = realloc(ps->t->vals, n);
		if (!ps->t->keys || !ps->t->vals) {
			free(item);
			return perr(ps, "out of memory");
		}
		lower(item);
		ps->t->keys[ps->t->nkeys] = strdup(item);
		ps->t->vals[ps->t->nkeys] = strdup(skip_space(eq + 1));
		ps->t->nkeys++;
		ps->line++;
		free(item);
		item = NULL;
	}
}

/* table_type_of - "regexp" -> TABLE_REGEXP; -1 when unknown. */
static int table_type_of(const char *type, size_t n)
{
	static const struct {
		const char *name;
		enum table_type type;
	} types[] = {
		{ "regexp", TABLE_REGEXP }, { "pcre", TABLE_PCRE },
		{ "cidr", TABLE_CIDR },	    { "static", TABLE_STATIC },
		{ "inline", TABLE_INLINE },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == n &&
		    strncmp(types[i].name, type, n) == 0)
			return (int)types[i].type;
	return -1;
}

/* table_open_file - read and compile a regexp/pcre/cidr table body. */
static int table_open_body(struct parse *ps, const char *path)
{
	struct lline *ll = NULL;
	size_t len;
	char *buf = NULL;
	int n = 0, rc = -1;

	if (*path == '{') {
		if (inline_rules(ps, path, &ll, &n) < 0)
			goto out;
	} else {
		buf = read_file(path, TABLE_FILE_MAX, &len, ps->err,
				ps->errlen);
		if (!buf)
			goto out;
		if (lline_split(path, buf, len, &ll, &n, ps->err,
				ps->errlen) < 0)
			goto out;
	}
	if (table_parse_lines(ps, ll, n) < 0)
		goto out;
	rc = 0;
out:
	lline_free(ll, n);
	free(buf);
	return rc;
}

/* table_open - see table.h. */
struct table *table_open(const char *spec, char *err, size_t errlen)
{
	struct parse ps = { .err = err, .errlen = errlen };
	const char *colon = strchr(spec, ':'), *path;
	struct table *t;
	int type;
	size_t elen;

	if (!colon) {
		snprintf(err, errlen, "\"%s\" is not type:name (e.g. "
			 "regexp:/etc/mxwall/client_check): table not loaded",
			 spec);
		return NULL;
	}
	type = table_type_of(spec, (size_t)(colon - spec));
	if (type < 0) {
		snprintf(err, errlen, "%s: unknown table type \"%.*s\" "
			 "(mxwall reads regexp, pcre, cidr, static and "
			 "inline): table not loaded", spec,
			 (int)(colon - spec), spec);
		return NULL;
	}
	path = colon + 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->type = (enum table_type)type;
	t->name = strdup(spec);
	t->file = strdup(*path == '{' ? spec : path);
	ps.t = t;
	if (!t->name || !t->file)
		goto nomem;
	if (t->type == TABLE_STATIC) {
		t->buf = brace_body(path);
		if (!t->buf)
			goto nomem;
	} else if (t->type == TABLE_INLINE) {
		if (inline_open(&ps, path) < 0)
			goto fail;
	} else {
		if (t->type == TABLE_PCRE) {
			t->mctx = pcre2_match_context_create(NULL);
			if (!t->mctx)
				goto nomem;
			pcre2_set_match_limit(t->mctx, TABLE_PCRE_MATCH_LIMIT);
			pcre2_set_depth_limit(t->mctx, TABLE_PCRE_DEPTH_LIMIT);
		}
		if (table_open_body(&ps, path) < 0)
			goto fail;
	}
	return t;

nomem:
	snprintf(err, errlen, "%s: out of memory", spec);
fail:
	elen = strlen(err);
	if (elen + 20 < errlen)
		strcat(err, ": table not loaded");
	table_free(t);
	return NULL;
}

/* buf_add - append n bytes to the table's result buffer at *len. */
static int buf_add(struct table *t, size_t *len, const char *s, size_t n)
{
	char *nb;

	if (*len + n + 1 > t->cap) {
		size_t cap = (*len + n + 1) * 2;

		nb = realloc(t->buf, cap);
		if (!nb)
			return -1;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + *len, s, n);
	*len += n;
	t->buf[*len] = 0;
	return 0;
}

/*
 * expand - the rule's result with $N replaced by group N of key (from
 * offsets so[N]/eo[N], -1 when unset); an empty or unset group adds
 * nothing.
 */
static const char *expand(struct table *t, const char *value,
			  const char *key, const long *so, const long *eo)
{
	const char *p = value, *name, *next;
	size_t len = 0, nlen, n;

	if (buf_add(t, &len, "", 0) < 0)
		return NULL;
	while (*p) {
		if (*p != '$') {
			next = strchr(p, '$');
			if (!next)
				next = p + strlen(p);
			if (buf_add(t, &len, p, (size_t)(next - p)) < 0)
				return NULL;
			p = next;
			continue;
		}
		if (p[1] == '$') {
			if (buf_add(t, &len, "$", 1) < 0)
				return NULL;
			p += 2;
			continue;
		}
		next = subst_ref(p, &name, &nlen);
		n = subst_index(name, nlen);
		if (so[n] >= 0 && eo[n] > so[n] &&
		    buf_add(t, &len, key + so[n], (size_t)(eo[n] - so[n])) < 0)
			return NULL;
		p = next;
	}
	return t->buf;
}

/*
 * rule_test - whether rule r selects key (negation applied); fills the
 * group offsets when r has $N. -1 on a pcre limit hit or error.
 */
static int rule_test(struct table *t, struct rule *r, const char *key,
		     long *so, long *eo)
{
	regmatch_t pm[TABLE_MAX_SUB + 1];
	size_t i, nsub = r->op == RULE_MATCH ? r->max_sub : 0;
	int rc;

	if (t->type == TABLE_PCRE) {
		PCRE2_SIZE *ov;

		rc = pcre2_match(r->pc, (PCRE2_SPTR)key, strlen(key), 0, 0,
				 r->md, t->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return !r->match;
		if (rc < 0) {
			if (!r->logged) {
				PCRE2_UCHAR msg[128];

				pcre2_get_error_message(rc, msg, sizeof(msg));
				msg_warn("%s, line %d: pcre match failed: %s: "
					 "counted as no match (logged once "
					 "per rule)", t->file, r->line,
					 (char *)msg);
				r->logged = true;
			}
			return -1;
		}
		if (!r->match)
			return 0;
		ov = pcre2_get_ovector_pointer(r->md);
		for (i = 0; i <= nsub; i++) {
			if (i < pcre2_get_ovector_count(r->md) &&
			    ov[2 * i] != PCRE2_UNSET) {
				so[i] = (long)ov[2 * i];
				eo[i] = (long)ov[2 * i + 1];
			} else {
				so[i] = eo[i] = -1;
			}
		}
		return 1;
	}
	rc = regexec(r->re, key, nsub ? nsub + 1 : 0, nsub ? pm : NULL, 0);
	if (rc != 0 && rc != REG_NOMATCH) {
		if (!r->logged) {
			msg_warn("%s, line %d: regexec failed (%d): counted as "
				 "no match", t->file, r->line, rc);
			r->logged = true;
		}
		return -1;
	}
	if ((rc == 0) != r->match)
		return 0;
	for (i = 0; i <= nsub && nsub; i++) {
		so[i] = (long)pm[i].rm_so;
		eo[i] = (long)pm[i].rm_eo;
	}
	if (r->re2) {
		rc = regexec(r->re2, key, 0, NULL, 0);
		if (rc != 0 && rc != REG_NOMATCH)
			return -1;
		if ((rc == 0) != r->match2)
			return 0;
	}
	return 1;
}

/* cidr_test - whether rule r selects the address addr of family. */
static int cidr_test(const struct rule *r, int family,
		     const unsigned char *addr)
{
	int i, n = family == AF_INET ? 4 : 16;

	if (r->family != family)
		return 0; /* another family: neither match nor negation */
	for (i = 0; i < n; i++)
		if ((addr[i] & r->mask[i]) != r->net[i])
			return !r->match;
	return r->match;
}

/* result_fill - fill *res for rule r with value v. */
static int result_fill(struct table *t, struct rule *r, const char *v,
		       struct table_result *res)
{
	res->value = v;
	res->file = t->file;
	res->line = r->line;
	res->rule = r->text;
	return 1;
}

/* table_lookup - see table.h. */
int table_lookup(struct table *t, const char *key, struct table_result *res)
{
	long so[TABLE_MAX_SUB + 1], eo[TABLE_MAX_SUB + 1];
	unsigned char addr[16];
	int i, m, family = 0, err = 0;
	const char *v;

	if (t->type == TABLE_STATIC) {
		res->value = t->buf;
		res->file = t->file;
		res->line = 0;
		res->rule = t->buf;
		return 1;
	}
	if (t->type == TABLE_INLINE) {
		for (i = 0; i < t->nkeys; i++) {
			if (strcasecmp(t->keys[i], key) == 0) {
				res->value = t->vals[i];
				res->file = t->file;
				res->line = i + 1;
				res->rule = t->keys[i];
				return 1;
			}
		}
		return 0;
	}
	if (t->type == TABLE_CIDR) {
		family = strchr(key, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(family, key, addr) != 1)
			return 0;
	}
	for (i = 0; i < t->nrules; i++) {
		struct rule *r = &t->rules[i];

		if (r->op == RULE_ENDIF)
			continue;
		if (t->type == TABLE_CIDR)
			m = cidr_test(r, family, addr);
		else
			m = rule_test(t, r, key, so, eo);
		if (m < 0) {
			err = 1; /* a limit hit: this rule selects nothing */
			m = 0;
		}
		if (r->op == RULE_IF) {
			if (!m) {
				if (r->endif < 0)
					return err ? -1 : 0;
				i = r->endif;
			}
			continue;
		}
		if (!m)
			continue;
		if (t->type == TABLE_CIDR || r->max_sub == 0)
			return result_fill(t, r, r->value, res);
		v = expand(t, r->value, key, so, eo);
		if (!v)
			return -1;
		return result_fill(t, r, v, res);
	}
	return err ? -1 : 0;
}

/* table_free - see table.h. */
void table_free(struct table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nrules; i++)
		rule_free(&t->rules[i]);
	for (i = 0; i < t->nkeys; i++) {
		free(t->keys[i]);
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	free(t->rules);
	pcre2_match_context_free(t->mctx);
	free(t->buf);
	free(t->name);
	free(t->file);
	free(t);
}

const char *table_name(const struct table *t)
{
	return t->name;
}

enum table_type table_type(const struct table *t)
{
	return t->type;
}

/* table_list_open - see table.h. */
struct table_list *table_list_open(const char *value, char *err,
				   size_t errlen)
{
	struct table_list *tl = calloc(1, sizeof(*tl));
	struct table **nt;
	const char *p = value;
	bool bad = false;
	char *word;

	if (!tl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while ((word = lline_word(&p, &bad)) != NULL) {
		if (bad) {
			snprintf(err, errlen, "%s: missing \"}\": table not "
				 "loaded", word);
			free(word);
			goto fail;
		}
		nt = realloc(tl->t, (size_t)(tl->n + 1) * sizeof(*nt));
		if (!nt) {
			free(word);
			goto fail;
		}
		tl->t = nt;
		tl->t[tl->n] = table_open(word, err, errlen);
		free(word);
		if (!tl->t[tl->n])
			goto fail;
		tl->n++;
	}
	return tl;
fail:
	table_list_free(tl);
	return NULL;
}

/* table_list_free - see table.h. */
void table_list_free(struct table_list *tl)
{
	int i;

	if (!tl)
		return;
	for (i = 0; i < tl->n; i++)
		table_free(tl->t[i]);
	free(tl->t);
	free(tl);
}
