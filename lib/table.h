/*
 * table.h - Postfix lookup tables as mxwall reads them.
 *
 * A table is named "type:path" as in Postfix; the types are
 *   regexp:FILE   regexp_table(5): POSIX extended expressions (regcomp);
 *   pcre:FILE     pcre_table(5), with pcre2 and bounded match/depth;
 *   cidr:FILE     cidr_table(5), IPv4 and IPv6 prefixes;
 *   static:TEXT   every key gives TEXT (static:{text with spaces});
 *   inline:{k=v, ...}           exact keys (case-insensitive);
 *   regexp:{ {rule}, ... }, pcre:{...}, cidr:{...}   rules inline.
 * A key's meaning is exactly what `postmap -q KEY type:path` gives.
 *
 * table_open() reads and checks the whole table; on any error it returns
 * NULL and writes one line naming the file, the line and what is wrong,
 * ending in ": table not loaded" ("/etc/mxwall/client_check, line 3:
 * missing closing "/": table not loaded"). A rule with an error is never
 * dropped or replaced by a match-everything rule: the table is refused.
 *
 * Lookups never block and never allocate after the first few calls;
 * results point into memory owned by the table and stay valid until the
 * next lookup in the same table or table_free (the daemon is
 * single-threaded). A pcre match that hits the match or depth limit
 * counts as no match and is logged once per rule.
 */
#ifndef MXWALL_TABLE_H
#define MXWALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct table;

enum table_type {
	TABLE_REGEXP,
	TABLE_PCRE,
	TABLE_CIDR,
	TABLE_STATIC,
	TABLE_INLINE,
};

/*
 * struct table_result - what one lookup found (all owned by the table).
 *   value  the rule's result with $N substituted ("REJECT dynamic ...");
 *   file   the table's file, or the "type:{...}" spec for inline tables;
 *   line   the line the rule starts on (1-based; for inline tables the
 *          rule's position in the list);
 *   rule   the rule's logical line as Postfix reads it: continuation
 *          lines appended as they are (their leading white space kept,
 *          the newline dropped), trailing white space removed.
 */
struct table_result {
	const char *value;
	const char *file;
	int line;
	const char *rule;
};

/* Size for error buffers: enough for a path and a reason. */
#define TABLE_ERR_MAX 1024

/* table_open - read and compile spec; NULL with err filled on error. */
struct table *table_open(const char *spec, char *err, size_t errlen);

/*
 * table_lookup - look key up, first matching rule wins. Returns 1 and
 * fills *res, 0 when no rule matches, -1 on a lookup error (a pcre limit
 * hit: logged once per rule; treat as no match).
 */
int table_lookup(struct table *t, const char *key, struct table_result *res);

/* table_free - close t (NULL is fine). */
void table_free(struct table *t);

/* table_name - "type:path" as opened. */
const char *table_name(const struct table *t);

enum table_type table_type(const struct table *t);

/* struct table_list - tables in the order one parameter lists them. */
struct table_list {
	int n;
	struct table **t;
};

/*
 * table_list_open - open every "type:path" in value (separated by commas
 * and/or white space; "{...}" kept whole). NULL with err filled (the
 * first failing table's error) if any fails; an empty value gives a list
 * with n == 0.
 */
struct table_list *table_list_open(const char *value, char *err,
				   size_t errlen);

/* table_list_free - close every table and free the list (NULL is fine). */
void table_list_free(struct table_list *tl);

/*
 * Logical lines, shared by the table readers and the mxwall.conf parser
 * (Postfix readllines(3) semantics): a line whose first non-blank byte is
 * '#', or that is blank, is skipped and does not end the logical line
 * before it; a line that starts with white space continues the previous
 * logical line (appended as it is, without the newline); any other line
 * starts a new one.
 *
 * struct lline - one logical line.
 *   text  NUL-terminated copy (malloc'd, owned by the array);
 *   line  the physical line it starts on, 1-based.
 */
struct lline {
	char *text;
	int line;
};

/* Longest logical line accepted, in bytes. */
#define LLINE_MAX 65536

/*
 * lline_split - split len bytes of buf (the contents of name) into
 * logical lines. 0 with *out (free with lline_free) and *n set, or -1
 * with err filled ("NAME, line N: WHAT") for a NUL byte, a logical line
 * longer than LLINE_MAX, or a continuation line with nothing before it.
 */
int lline_split(const char *name, const char *buf, size_t len,
		struct lline **out, int *n, char *err, size_t errlen);

void lline_free(struct lline *v, int n);

/*
 * lline_word - the next word of a list value at *pp (Postfix list syntax:
 * words separated by commas and/or white space, a "{...}" group kept
 * whole with its braces). Returns a malloc'd word and advances *pp, or
 * NULL at the end; *unbalanced is set when a '{' is never closed.
 */
char *lline_word(const char **pp, bool *unbalanced);

/*
 * read_file - the whole of path into a malloc'd buffer (NUL-terminated,
 * *len bytes before the NUL), at most max bytes. NULL with err filled
 * ("PATH: cannot open: WHY") on failure.
 */
char *read_file(const char *path, size_t max, size_t *len, char *err,
		size_t errlen);

#endif
