/*
 * dnsbl.c - postscreen_dnsbl_sites syntax, reply filters, scoring, TTL
 * clamping and the health verdict of a list (see dnsbl.h).
 *
 * Everything here is pure computation on answers the evaluator collected:
 * no network, no clock, no allocation, so the unit tests can drive it
 * with tables.
 */
#include "dnsbl.h"
#include "str.h"
#include "verdict.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* set_bit - accept value v for octet i. */
static void set_bit(struct dnsbl_filter *f, int i, unsigned v)
{
	f->set[i][v >> 3] |= (uint8_t)(1u << (v & 7));
}

/* parse_number - a decimal 0..255 at *p; advances *p. -1 if none. */
static int parse_number(const char **p)
{
	const char *s = *p;
	unsigned v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned)(*s++ - '0');
		if (v > 255)
			return -1;
	}
	*p = s;
	return (int)v;
}

/* parse_set - "[n;m..k]" at *p into octet i; advances *p. 0 or -1. */
static int parse_set(const char **p, struct dnsbl_filter *f, int i)
{
	const char *s = *p + 1;
	int lo, hi, v;

	for (;;) {
		lo = parse_number(&s);
		if (lo < 0)
			return -1;
		hi = lo;
		if (s[0] == '.' && s[1] == '.') {
			s += 2;
			hi = parse_number(&s);
			if (hi < lo)
				return -1;
		}
		for (v = lo; v <= hi; v++)
			set_bit(f, i, (unsigned)v);
		if (*s == ';') {
			s++;
			continue;
		}
		if (*s != ']')
			return -1;
		*p = s + 1;
		return 0;
	}
}

/* dnsbl_filter_parse - d.d.d.d with [..] sets into f. */
int dnsbl_filter_parse(const char *text, struct dnsbl_filter *f, char *why,
		       size_t whylen)
{
	const char *p = text;
	int i, v;

	memset(f, 0, sizeof(*f));
	if (!text || !*text) {
		f->any = true;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (*p == '[') {
			if (parse_set(&p, f, i) < 0)
				goto bad;
		} else {
			v = parse_number(&p);
			if (v < 0)
				goto bad;
			set_bit(f, i, (unsigned)v);
		}
		if (i < 3 && *p++ != '.')
			goto bad;
	}
	if (*p == 0)
		return 0;
bad:
	snprintf(why, whylen,
		 "filter \"%s\" is not d.d.d.d (each d a number 0..255 or "
		 "[n;m..k])", text);
	return -1;
}

bool dnsbl_filter_match(const struct dnsbl_filter *f, const uint8_t r[4])
{
	int i;

	if (f->any)
		return true;
	for (i = 0; i < 4; i++)
		if (!(f->set[i][r[i] >> 3] & (1u << (r[i] & 7))))
			return false;
	return true;
}

bool dnsbl_reply_is_error(const uint8_t r[4])
{
	return r[0] == 127 && r[1] == 255 && r[2] == 255;
}

/* dnsbl_site_parse - "domain[=filter][*weight]". */
int dnsbl_site_parse(const char *text, char *domain, size_t domlen,
		     char *filter, size_t filtlen, int *weight, char *why,
		     size_t whylen)
{
	const char *eq = strchr(text, '='), *star = strrchr(text, '*');
	const char *dend;
	struct dnsbl_filter f;
	size_t n, i;
	char *end;
	long w;

	if (star && eq && star < eq)
		star = NULL;
	dend = eq ? eq : star ? star : text + strlen(text);
	n = (size_t)(dend - text);
	if (n == 0 || n >= domlen) {
		snprintf(why, whylen, "\"%s\": %s", text,
			 n ? "domain too long" : "no domain");
		return -1;
	}
	for (i = 0; i < n; i++)
		domain[i] = (char)tolower((unsigned char)text[i]);
	domain[n] = 0;
	if (domain[n - 1] == '.')
		domain[n - 1] = 0;
	filter[0] = 0;
	if (eq) {
		n = (size_t)((star ? star : eq + strlen(eq)) - eq - 1);
		if (n == 0 || n >= filtlen) {
			snprintf(why, whylen, "\"%s\": %s", text,
				 n ? "filter too long" : "empty filter");
			return -1;
		}
		memcpy(filter, eq + 1, n);
		filter[n] = 0;
		if (dnsbl_filter_parse(filter, &f, why, whylen) < 0)
			return -1;
	}
	*weight = 1;
	if (star) {
		errno = 0;
		w = strtol(star + 1, &end, 10);
		if (!star[1] || *end || errno || w < -1000 || w > 1000) {
			snprintf(why, whylen,
				 "weight \"%s\" is not a number -1000..1000",
				 star + 1);
			return -1;
		}
		*weight = (int)w;
	}
	return 0;
}

/* entry_match - the first reply of a that passes e's filter, or NULL. */
static const uint8_t *entry_match(const struct dnsbl_entry *e,
				  const struct dnsbl_answer *a)
{
	int i;

	if (a->state != DNSBL_ANS_RECORDS)
		return NULL;
	for (i = 0; i < a->nreplies; i++)
		if (!dnsbl_reply_is_error(a->replies[i]) &&
		    dnsbl_filter_match(&e->filter, a->replies[i]))
			return a->replies[i];
	return NULL;
}

bool dnsbl_zone_listed(const struct dnsbl_entry *e, int nentries, int zone,
		       const struct dnsbl_answer *a)
{
	int i;

	for (i = 0; i < nentries; i++)
		if (e[i].zone == zone && entry_match(&e[i], a))
			return true;
	return false;
}

/* entry_outcome - enum verdict_outcome of one entry. */
static int entry_outcome(const struct dnsbl_entry *e,
			 const struct dnsbl_answer *a)
{
	int i;

	switch (a->state) {
	case DNSBL_ANS_NONE:
		return LIST_NOT_LISTED;
	case DNSBL_ANS_ERROR:
		return LIST_ERROR;
	case DNSBL_ANS_QUARANTINED:
		return LIST_QUARANTINED;
	case DNSBL_ANS_SKIPPED:
		return LIST_SKIPPED;
	case DNSBL_ANS_RECORDS:
		break;
	default:
		return LIST_TIMEOUT;
	}
	if (entry_match(e, a))
		return LIST_LISTED;
	for (i = 0; i < a->nreplies; i++)
		if (!dnsbl_reply_is_error(a->replies[i]))
			return LIST_UNMATCHED;
	return LIST_ERROR;
}

/* dnsbl_score - postscreen scoring, evidence and the deciding entry. */
int dnsbl_score(const struct dnsbl_entry *e, int nentries,
		const struct dnsbl_answer *ans, int threshold,
		int allow_threshold, struct verdict *v)
{
	int i, best_block = -1, best_allow = -1, decider = -1;

	v->score = 0;
	v->nlists = 0;
	for (i = 0; i < nentries; i++) {
		const struct dnsbl_answer *a = &ans[e[i].zone];
		int outcome = entry_outcome(&e[i], a);

		if (v->nlists < VERDICT_LISTS_MAX) {
			struct verdict_list *l = &v->lists[v->nlists++];
			int j;

			memset(l, 0, sizeof(*l));
			str_copy(l->list, sizeof(l->list), e[i].domain);
			str_copy(l->filter, sizeof(l->filter),
				 e[i].filter_text);
			l->weight = e[i].weight;
			l->kind = (uint8_t)e[i].kind;
			l->outcome = (uint8_t)outcome;
			if (a->state == DNSBL_ANS_RECORDS)
				for (j = 0; j < a->nreplies &&
					    j < VERDICT_REPLIES_MAX; j++)
					memcpy(l->replies[l->nreplies++],
					       a->replies[j], 4);
			if (a->state == DNSBL_ANS_RECORDS ||
			    a->state == DNSBL_ANS_NONE)
				l->ttl = a->ttl;
			if (outcome == LIST_LISTED)
				str_copy(l->txt, sizeof(l->txt), a->txt);
		}
		if (outcome != LIST_LISTED)
			continue;
		v->score += e[i].weight;
		if (e[i].weight > 0 &&
		    (best_block < 0 || e[i].weight > e[best_block].weight))
			best_block = i;
		if (e[i].weight < 0 &&
		    (best_allow < 0 || e[i].weight < e[best_allow].weight))
			best_allow = i;
	}
	if (v->score >= threshold && best_block >= 0) {
		decider = best_block;
		v->action = VERDICT_BLOCK;
		v->reason = e[decider].kind == LIST_KIND_RHSBL
				    ? MX_REASON_RHSBL
				    : MX_REASON_DNSBL;
	} else if (allow_threshold < 0 && v->score <= allow_threshold &&
		   best_allow >= 0) {
		decider = best_allow;
		v->action = VERDICT_ALLOW;
		v->reason = MX_REASON_ALLOWLIST;
	}
	if (decider >= 0) {
		const struct dnsbl_answer *a = &ans[e[decider].zone];

		str_copy(v->list, sizeof(v->list), e[decider].domain);
		memcpy(v->reply, entry_match(&e[decider], a), 4);
		str_copy(v->txt, sizeof(v->txt), a->txt);
	}
	return v->score;
}

uint32_t dnsbl_clamp_ttl(uint32_t ttl, long min, long max)
{
	if (ttl == 0 || ttl > (uint64_t)max)
		return (uint32_t)max;
	if (ttl < (uint64_t)min)
		return (uint32_t)min;
	return ttl;
}

int dnsbl_probe_classify(const struct dnsbl_answer *a)
{
	int i;

	switch (a->state) {
	case DNSBL_ANS_NONE:
		return DNSBL_PROBE_NOT_LISTED;
	case DNSBL_ANS_RECORDS:
		for (i = 0; i < a->nreplies; i++)
			if (!dnsbl_reply_is_error(a->replies[i]))
				return DNSBL_PROBE_LISTED;
		return DNSBL_PROBE_ERROR;
	case DNSBL_ANS_ERROR:
		return DNSBL_PROBE_ERROR;
	default:
		return DNSBL_PROBE_TIMEOUT;
	}
}

/* dnsbl_judge - a list's health from its two test points. */
int dnsbl_judge(int pos, int neg, const char *pos_name, const char *neg_name,
		char *why, size_t whylen)
{
	if (neg == DNSBL_PROBE_LISTED) {
		snprintf(why, whylen, "lists %s: it would list everyone",
			 neg_name);
		return DNSBL_QUARANTINED;
	}
	if (pos == DNSBL_PROBE_TIMEOUT && neg == DNSBL_PROBE_TIMEOUT) {
		snprintf(why, whylen, "does not answer");
		return DNSBL_QUARANTINED;
	}
	if (pos != DNSBL_PROBE_LISTED &&
	    (neg == DNSBL_PROBE_ERROR || neg == DNSBL_PROBE_TIMEOUT) &&
	    (pos == DNSBL_PROBE_ERROR || pos == DNSBL_PROBE_TIMEOUT)) {
		snprintf(why, whylen, "answers only with errors");
		return DNSBL_QUARANTINED;
	}
	if (pos != DNSBL_PROBE_LISTED) {
		snprintf(why, whylen, "does not list %s (%s)", pos_name,
			 pos == DNSBL_PROBE_NOT_LISTED ? "not listed"
			 : pos == DNSBL_PROBE_ERROR    ? "error reply"
						       : "no answer");
		return DNSBL_QUARANTINED;
	}
	if (neg != DNSBL_PROBE_NOT_LISTED) {
		snprintf(why, whylen, "%s for %s",
			 neg == DNSBL_PROBE_ERROR ? "error reply" : "no answer",
			 neg_name);
		return DNSBL_QUARANTINED;
	}
	snprintf(why, whylen, "lists %s, not %s", pos_name, neg_name);
	return DNSBL_OK;
}
