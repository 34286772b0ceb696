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

#endif
