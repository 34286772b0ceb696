/*
 * access.c - Postfix access(5) actions (see access.h).
 *
 * access_parse() reads a result the way Postfix's smtpd_check.c does:
 * the first word (up to a blank) is the action, compared without regard
 * to case; the rest, blanks skipped, is its text. An all-digit result is
 * OK; "4NN text" and "5NN text" are explicit replies, optionally with an
 * enhanced status code first. Never allocates.
 */
#include "access.h"
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * access_words - the keywords and what each requires.
 *   needs_text  the action is useless without text (PREPEND's header,
 *               REDIRECT's address, FILTER's transport, BCC's address).
 */
static const struct {
	const char *word;
	enum access_kind kind;
	bool needs_text;
} access_words[] = {
	{ "OK", ACCESS_OK, false },
	{ "RELAY", ACCESS_OK, false },
	{ "DUNNO", ACCESS_DUNNO, false },
	{ "REJECT", ACCESS_REJECT, false },
	{ "DEFER", ACCESS_DEFER, false },
	{ "DEFER_IF_REJECT", ACCESS_DEFER_IF_REJECT, false },
	{ "DEFER_IF_PERMIT", ACCESS_DEFER_IF_PERMIT, false },
	{ "DISCARD", ACCESS_DISCARD, false },
	{ "HOLD", ACCESS_HOLD, false },
	{ "PREPEND", ACCESS_PREPEND, true },
	{ "REDIRECT", ACCESS_REDIRECT, true },
	{ "FILTER", ACCESS_FILTER, true },
	{ "BCC", ACCESS_BCC, true },
	{ "WARN", ACCESS_WARN, false },
	{ "INFO", ACCESS_INFO, false },
};

#define NWORDS (sizeof(access_words) / sizeof(access_words[0]))

static bool a_space(int c)
{
	return c == ' ' || c == '\t';
}

static bool a_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* copy_cut - copy at most ACCESS_TEXT_MAX - 1 bytes of s into dst. */
static void copy_cut(char *dst, const char *s)
{
	snprintf(dst, ACCESS_TEXT_MAX, "%s", s);
}

/*
 * take_dsn - if text starts with an enhanced status code "C.N.N " whose
 * class C is 2, 4 or 5, copy it into dsn and return the text after it;
 * else return text unchanged.
 */
static const char *take_dsn(const char *text, char *dsn, size_t dsnlen)
{
	const char *p = text;
	int part, digits;

	if (*p != '2' && *p != '4' && *p != '5')
		return text;
	for (part = 0; part < 3; part++) {
		for (digits = 0; a_digit((unsigned char)*p); p++)
			digits++;
		if (digits == 0 || digits > 3 || (part == 0 && digits != 1))
			return text;
		if (part < 2 && *p++ != '.')
			return text;
	}
	if (*p != 0 && !a_space((unsigned char)*p))
		return text;
	if ((size_t)(p - text) >= dsnlen)
		return text;
	memcpy(dsn, text, (size_t)(p - text));
	dsn[p - text] = 0;
	while (a_space((unsigned char)*p))
		p++;
	return p;
}

/*
 * arg_ok - the argument an action needs, checked as Postfix checks it:
 * PREPEND a header "Name: value", REDIRECT and BCC user@domain, FILTER
 * transport:destination.
 */
static bool arg_ok(enum access_kind kind, const char *text)
{
	size_t n;

	switch (kind) {
	case ACCESS_PREPEND:
		n = strcspn(text, ":");
		if (n == 0 || text[n] != ':')
			return false;
		for (; n > 0; n--, text++)
			if (*text <= ' ' || *text > '~')
				return false;
		return true;
	case ACCESS_REDIRECT:
	case ACCESS_BCC:
		return strchr(text, '@') != NULL;
	case ACCESS_FILTER:
		return strchr(text, ':') != NULL;
	default:
		return true;
	}
}

/* access_parse - see access.h. */
int access_parse(const char *result, struct access_action *act)
{
	size_t wlen, i;
	const char *text;

	memset(act, 0, sizeof(*act));
	copy_cut(act->orig, result);
	if (*result == 0)
		return -1;
	wlen = strcspn(result, " \t");
	text = result + wlen;
	while (a_space((unsigned char)*text))
		text++;

	if (strspn(result, "0123456789") == strlen(result)) {
		act->kind = ACCESS_NUMERIC;
		return 0;
	}
	if (wlen == 3 && a_digit((unsigned char)result[0]) &&
	    a_digit((unsigned char)result[1]) &&
	    a_digit((unsigned char)result[2])) {
		if (result[0] != '4' && result[0] != '5')
			return -1; /* only 4NN and 5NN replies exist here */
		act->kind = ACCESS_CODE;
		act->code = (result[0] - '0') * 100 + (result[1] - '0') * 10 +
			    (result[2] - '0');
		text = take_dsn(text, act->dsn, sizeof(act->dsn));
		copy_cut(act->text, text);
		return 0;
	}
	for (i = 0; i < NWORDS; i++) {
		if (strlen(access_words[i].word) != wlen ||
		    strncasecmp(access_words[i].word, result, wlen) != 0)
			continue;
		act->kind = access_words[i].kind;
		if (access_words[i].needs_text &&
		    (*text == 0 || !arg_ok(act->kind, text)))
			return -1;
		if (act->kind == ACCESS_REJECT || act->kind == ACCESS_DEFER ||
		    act->kind == ACCESS_DEFER_IF_REJECT ||
		    act->kind == ACCESS_DEFER_IF_PERMIT)
			text = take_dsn(text, act->dsn, sizeof(act->dsn));
		copy_cut(act->text, text);
		return 0;
	}
	act->kind = ACCESS_RESTRICTION;
	copy_cut(act->text, result);
	return 0;
}

/* access_kind_name - see access.h. */
const char *access_kind_name(enum access_kind kind)
{
	size_t i;

	if (kind == ACCESS_CODE)
		return "4NN/5NN";
	if (kind == ACCESS_NUMERIC)
		return "numeric (OK)";
	if (kind == ACCESS_RESTRICTION)
		return "restriction";
	for (i = 0; i < NWORDS; i++)
		if (access_words[i].kind == kind)
			return access_words[i].word;
	return "?";
}

/* access_final - see access.h. */
bool access_final(enum access_kind kind)
{
	switch (kind) {
	case ACCESS_OK:
	case ACCESS_NUMERIC:
	case ACCESS_REJECT:
	case ACCESS_DEFER:
	case ACCESS_CODE:
	case ACCESS_DISCARD:
	case ACCESS_RESTRICTION:
		return true;
	default:
		return false;
	}
}

/*
 * table_first_match - the first of keys that matches a rule of table t,
 * its action parsed into *act. 1 found (an unparseable result is logged
 * and reads as DUNNO), 0 when no key matched.
 */
static int table_first_match(struct table *t, const char *const keys[],
			     int nkeys, struct access_action *act,
			     struct table_result *tr, int *key)
{
	char quoted[LOG_QUOTE_BUFSZ];
	int k;

	for (k = 0; k < nkeys; k++) {
		if (!keys[k] || table_lookup(t, keys[k], tr) != 1)
			continue;
		*key = k;
		if (access_parse(tr->value, act) < 0) {
			msg_warn("%s, line %d: result \"%s\" is not a valid "
				 "access action: read as DUNNO", tr->file,
				 tr->line, log_quote(quoted, sizeof(quoted),
						     tr->value, (size_t)-1));
			act->kind = ACCESS_DUNNO;
		}
		return 1;
	}
	return 0;
}

/* access_check - see access.h. */
int access_check(struct table_list *tl, const char *const keys[], int nkeys,
		 struct access_result *res)
{
	struct access_action act;
	struct table_result tr;
	bool side = false;
	int i, k;

	if (!tl)
		return 0;
	for (i = 0; i < tl->n; i++) {
		if (!table_first_match(tl->t[i], keys, nkeys, &act, &tr, &k))
			continue;
		if (act.kind == ACCESS_DUNNO)
			continue; /* later keys are not tried in this table */
		if (side && !access_final(act.kind))
			continue; /* only the first side effect is kept */
		res->action = act;
		res->final = access_final(act.kind);
		res->table = table_name(tl->t[i]);
		res->file = tr.file;
		res->line = tr.line;
		res->rule = tr.rule;
		res->key = k;
		if (res->final)
			return 1;
		side = true;
	}
	return side ? 1 : 0;
}
