/*
 * dnsbl.h - DNS lists in postscreen_dnsbl_sites syntax and meaning, and
 * their health.
 *
 * An entry is "domain[=filter][*weight]". The filter is d.d.d.d where
 * each d is a number or a set "[n;m..k;...]" of numbers and ranges; a
 * reply counts only when it matches. An entry adds its weight once
 * however many replies match; two entries for one domain add separately
 * (and share one query). Replies in 127.255.255.0/24 are never listings:
 * they are list errors (Spamhaus: public resolver, typo, too many
 * queries).
 *
 * List health: every list is asked its RFC 5782 test points at start and
 * every dnsbl_probe_interval: 127.0.0.2 must be listed, 127.0.0.1 must
 * not (::FFFF:7F00:2 / :1 for lists used with IPv6; TEST / INVALID for
 * name lists). A list that lists 127.0.0.1, answers only with errors or
 * does not answer is quarantined (weight 0) until it passes again.
 *
 * Parsing and scoring here never block and never touch the network; the
 * queries are made by eval.c.
 */
#ifndef MXWALL_DNSBL_H
#define MXWALL_DNSBL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dnsbl_dead.h"

struct verdict;

/* Health of a list, as mxwallctl dnsbl shows it. */
enum dnsbl_state {
	DNSBL_UNKNOWN = 0, /* not probed yet: used */
	DNSBL_OK,          /* passed its last probe */
	DNSBL_QUARANTINED, /* failed: weight 0 until it passes */
};

/*
 * struct dnsbl_health - one list's health.
 *   domain, filter, weight   the entry as configured (filter "" if none);
 *   kind                     enum verdict_list_kind;
 *   state                    enum dnsbl_state;
 *   why                      the last probe's finding, e.g. "lists
 *                            127.0.0.1 (replied 127.0.0.2)", or "";
 *   dead_note                the built-in table's note when the zone is
 *                            known dead or wildcard, else NULL;
 *   checked                  wall-clock time of the last probe, 0 never;
 *   since                    wall-clock time the state began;
 *   queries, listed, errors, timeouts   client queries since start;
 *   rtt_ms                   mean answer time of client queries, ms.
 */
struct dnsbl_health {
	const char *domain;
	const char *filter;
	int weight;
	int kind;
	int state;
	const char *why;
	const char *dead_note;
	time_t checked;
	time_t since;
	uint64_t queries;
	uint64_t listed;
	uint64_t errors;
	uint64_t timeouts;
	double rtt_ms;
};

/*
 * struct dnsbl_filter - a parsed reply filter "d.d.d.d".
 *   any  no filter was given: every non-error reply counts;
 *   set  per octet, a 256-bit set of the accepted values.
 */
struct dnsbl_filter {
	bool any;
	uint8_t set[4][32];
};

/*
 * dnsbl_filter_parse - "127.0.0.[2..11]", "127.0.[0;1].[2;4..6]" into f.
 * 0, or -1 with the reason in why ("octet 4: 300 is not 0..255").
 */
int dnsbl_filter_parse(const char *text, struct dnsbl_filter *f, char *why,
		       size_t whylen);

/* dnsbl_filter_match - whether reply (network order) passes f. */
bool dnsbl_filter_match(const struct dnsbl_filter *f, const uint8_t r[4]);

/* dnsbl_reply_is_error - 127.255.255.0/24: a list error, never a listing. */
bool dnsbl_reply_is_error(const uint8_t r[4]);

/*
 * dnsbl_site_parse - one "domain[=filter][*weight]" entry, postscreen
 * syntax: domain lower-cased into domain[], filter text (or "") into
 * filter[], the weight (1 if absent) into *weight. 0, or -1 with the
 * reason in why ("weight \"3x\" is not a number").
 */
int dnsbl_site_parse(const char *text, char *domain, size_t domlen,
		     char *filter, size_t filtlen, int *weight, char *why,
		     size_t whylen);

/*
 * struct dnsbl_entry - one configured entry, ready for scoring.
 *   domain       the zone (owned by the configuration);
 *   filter_text  the filter as written, "" if none;
 *   filter       parsed filter;
 *   weight       as configured;
 *   kind         enum verdict_list_kind (DNSWL when weight < 0);
 *   zone         index of the zone's answer: entries with one domain and
 *                kind share one query and one answer.
 */
struct dnsbl_entry {
	const char *domain;
	const char *filter_text;
	struct dnsbl_filter filter;
	int weight;
	int kind;
	int zone;
};

/* How a zone's query for one client ended. */
enum dnsbl_ans_state {
	DNSBL_ANS_PENDING = 0, /* not answered (yet): counts as a time-out */
	DNSBL_ANS_NONE,        /* NXDOMAIN or no A record */
	DNSBL_ANS_RECORDS,     /* A records in replies[] */
	DNSBL_ANS_ERROR,       /* SERVFAIL, REFUSED, malformed ... */
	DNSBL_ANS_TIMEOUT,
	DNSBL_ANS_QUARANTINED, /* the zone is quarantined: not asked */
	DNSBL_ANS_SKIPPED,     /* not asked (no name, IPv4-only list) */
};

#define DNSBL_REPLIES_MAX 8

/*
 * struct dnsbl_answer - one zone's answer for one client.
 *   state     enum dnsbl_ans_state;
 *   nreplies  A records kept in replies[] (network order);
 *   ttl       seconds: lowest A TTL, or the SOA negative TTL for
 *             NXDOMAIN; 0 when unknown;
 *   txt       the zone's TXT record for this client, or NULL.
 */
struct dnsbl_answer {
	uint8_t state;
	uint8_t nreplies;
	uint8_t replies[DNSBL_REPLIES_MAX][4];
	uint32_t ttl;
	const char *txt;
};

/*
 * dnsbl_zone_listed - whether a zone's answer can list the client under
 * any of the entries using it (so its TXT record is worth fetching).
 */
bool dnsbl_zone_listed(const struct dnsbl_entry *e, int nentries, int zone,
		       const struct dnsbl_answer *a);

/*
 * dnsbl_score - postscreen scoring of one client. Fills v->lists[] (one
 * per entry, configuration order, at most VERDICT_LISTS_MAX), v->score,
 * and, when score >= threshold (block) or allow_threshold < 0 and
 * score <= allow_threshold (allow), v->action, v->reason, v->list,
 * v->reply and v->txt from the deciding entry: the listed entry with the
 * largest weight (the most negative for an allow). ans[] is indexed by
 * entry zone. Returns v->score.
 */
int dnsbl_score(const struct dnsbl_entry *e, int nentries,
		const struct dnsbl_answer *ans, int threshold,
		int allow_threshold, struct verdict *v);

/*
 * dnsbl_clamp_ttl - ttl (0: unknown, taken as max) bounded to min..max
 * seconds, as postscreen_dnsbl_min_ttl/max_ttl do.
 */
uint32_t dnsbl_clamp_ttl(uint32_t ttl, long min, long max);

/* What a health probe query found. */
enum dnsbl_probe {
	DNSBL_PROBE_LISTED,
	DNSBL_PROBE_NOT_LISTED,
	DNSBL_PROBE_ERROR,   /* error codes only: 127.255.255.x, SERVFAIL */
	DNSBL_PROBE_TIMEOUT,
};

/* dnsbl_probe_classify - a probe's answer, as one enum dnsbl_probe. */
int dnsbl_probe_classify(const struct dnsbl_answer *a);

/*
 * dnsbl_judge - a list's health from its two test points: pos (127.0.0.2
 * / TEST, must be listed) and neg (127.0.0.1 / INVALID, must not).
 * Returns DNSBL_OK or DNSBL_QUARANTINED with the finding in why.
 */
int dnsbl_judge(int pos, int neg, const char *pos_name, const char *neg_name,
		char *why, size_t whylen);

#endif
