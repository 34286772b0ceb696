/*
 * verdict.h - the verdict record every part of the daemon shares.
 *
 * The evaluator (eval.c) fills one struct verdict per client address and
 * hands it to its requesters: the daemon writes the action into the
 * kernel table and the cache, the policy server turns it into a reply,
 * mxwallctl show/test print its evidence.
 *
 * A verdict is plain data: fixed-size arrays, no pointers, so it can be
 * copied with memcpy, kept after the configuration that produced it is
 * gone, and written to a snapshot. Strings that came from the network
 * (PTR names, TXT records) are stored raw and bounded; whoever prints
 * them must escape them with log_quote (lib/log.h). Strings too long for
 * their field are cut, never overflowed.
 *
 * The record is about 5 KiB with its evidence; a cache of a million
 * entries should keep only the summary fields (addr .. ttl/expiry, the
 * reason and the deciding list), not the evidence array.
 *
 * Functions here (verdict.c) never block and never allocate.
 */
#ifndef MXWALL_VERDICT_H
#define MXWALL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

/*
 * Reason codes are shared with the kernel side (bpf/mxwall.h, MX_REASON_*)
 * so the kernel table and the daemon speak one language. Until that
 * header exists, the same names are defined here.
 */
#if __has_include("mxwall.h")
#include "mxwall.h"
#else
enum {
	MX_REASON_NONE = 0,
	MX_REASON_MANUAL,    /* mxwallctl block/allow */
	MX_REASON_DNSBL,     /* address-based list score */
	MX_REASON_RHSBL,     /* name-based list score */
	MX_REASON_RULE,      /* client_checks/reverse_client_checks hit */
	MX_REASON_PREFIX,    /* client_access cidr prefix */
	MX_REASON_ALLOWLIST, /* DNSWL score at or under the allow threshold */
	MX_REASON_STATIC,    /* mynetworks, loopback, own addresses */
};
#endif

/* Bounds of the record's strings (each includes the NUL). */
#define VERDICT_NAME_MAX 256 /* a DNS name: 253 characters */
#define VERDICT_LIST_MAX 128 /* a list's zone as configured */
#define VERDICT_FILTER_MAX 64
#define VERDICT_TXT_MAX 256  /* a list's TXT record, cut */
#define VERDICT_RULE_MAX 256 /* a table line or its result text */
#define VERDICT_FILE_MAX 128 /* "regexp:/etc/mxwall/client_check" */
#define VERDICT_REPLIES_MAX 4 /* A records kept per list */
#define VERDICT_LISTS_MAX 16 /* lists with evidence per verdict */

/* What the kernel and the policy server do with the client. */
enum verdict_action {
	VERDICT_NONE = 0, /* nothing decided: pass, no entry */
	VERDICT_BLOCK,
	VERDICT_ALLOW,
};

/*
 * Forward-confirmed reverse DNS, as Postfix smtpd does it: the PTR name is
 * "verified" when one of its A/AAAA records is the client address.
 */
enum verdict_fcrdns {
	FCRDNS_NOT_DONE = 0, /* decided before the PTR lookup, or --name */
	FCRDNS_NO_PTR,       /* NXDOMAIN / no PTR record: name "unknown" */
	FCRDNS_OK,           /* name verified */
	FCRDNS_MISMATCH,     /* forward lookup lacks the address (forged) */
	FCRDNS_TEMPFAIL,     /* PTR or forward lookup failed temporarily */
};

/* How the lookups of one list for this client ended. */
enum verdict_outcome {
	LIST_NOT_LISTED = 0, /* NXDOMAIN, or no A record */
	LIST_LISTED,         /* at least one reply matched the filter */
	LIST_UNMATCHED,      /* replies, none matching the filter */
	LIST_ERROR,          /* 127.255.255.0/24, SERVFAIL, REFUSED, ... */
	LIST_TIMEOUT,        /* no answer within dnsbl_timeout */
	LIST_QUARANTINED,    /* list failed its health probe: not asked */
	LIST_SKIPPED,        /* not asked (RHSBL without a verified name) */
};

/* Kinds of list, by how they are queried and what a listing means. */
enum verdict_list_kind {
	LIST_KIND_DNSBL = 0, /* address query, positive weight */
	LIST_KIND_DNSWL,     /* address query, negative weight */
	LIST_KIND_RHSBL,     /* name query on the verified client name */
};

/*
 * struct verdict_list - one dnsbl_sites/rhsbl_sites entry's evidence.
 *   list      the zone ("zen.spamhaus.org");
 *   filter    the reply filter as written ("127.0.0.[2..11]"), or "";
 *   weight    the entry's weight (negative for an allowlist); added to
 *             the score only with outcome LIST_LISTED;
 *   kind      enum verdict_list_kind;
 *   outcome   enum verdict_outcome;
 *   nreplies  how many of replies[] are set (more replies are dropped);
 *   replies   the A records, network byte order (127.0.0.2 = 7f 00 00 02);
 *   ttl       seconds, the lowest A TTL (or the SOA negative TTL for
 *             NXDOMAIN), before clamping; 0 when unknown;
 *   txt       the TXT record of a listing, raw (untrusted), or "".
 */
struct verdict_list {
	char list[VERDICT_LIST_MAX];
	char filter[VERDICT_FILTER_MAX];
	int weight;
	uint8_t kind;
	uint8_t outcome;
	uint8_t nreplies;
	uint8_t replies[VERDICT_REPLIES_MAX][4];
	uint32_t ttl;
	char txt[VERDICT_TXT_MAX];
};

/*
 * struct verdict_rule - the table line that decided, for a rule hit.
 *   table   "regexp:/etc/mxwall/client_check" (type:path as configured);
 *   line    1-based line in that file, 0 for a setting (mynetworks);
 *   key     what was looked up: the name, the address text, "unknown";
 *   text    the rule as written in the file;
 *   result  the action as written, e.g. "REJECT We can't allow dynamic IP
 *           to relay!" (after $1 substitution).
 */
struct verdict_rule {
	char table[VERDICT_FILE_MAX];
	int line;
	char key[VERDICT_NAME_MAX];
	char text[VERDICT_RULE_MAX];
	char result[VERDICT_RULE_MAX];
};

/*
 * struct verdict - everything decided about one client.
 *   addr        the verdict's key: the client address, IPv6 masked to
 *               ipv6_prefix (plen 32 / ipv6_prefix);
 *   client      the exact address that was evaluated (plen 32/128);
 *   action      enum verdict_action;
 *   reason      MX_REASON_*, MX_REASON_NONE with VERDICT_NONE;
 *   observe     the circuit breaker was tripped: the action is what
 *               would have been done, the kernel must only count it;
 *   dry_run     made for mxwallctl test (EVAL_DRY_RUN): change nothing;
 *   tempfail    a DNS step failed temporarily; a VERDICT_NONE with this
 *               set is worth asking again soon;
 *   score       summed weights of the listed entries (DNSBL, DNSWL and
 *               RHSBL together);
 *   ttl         seconds the verdict holds: clamped DNS TTL, block_ttl or
 *               allow_ttl; for VERDICT_NONE, how long "nothing" holds;
 *   expires_ns  absolute expiry, CLOCK_BOOTTIME ns (the clock the kernel
 *               program compares with bpf_ktime_get_boot_ns);
 *   decided_ns  when it was decided, CLOCK_BOOTTIME ns;
 *   elapsed_us  microseconds the evaluation took;
 *   ptr         the raw PTR name (first record), "" if none (untrusted);
 *   name        the verified name, or "unknown" (untrusted);
 *   fcrdns      enum verdict_fcrdns;
 *   rule        the deciding table line, valid when rule.table[0];
 *   list        the deciding list (largest weight among the listed
 *               entries that pushed the score over a threshold), or "";
 *   reply       that list's first matching reply (network order);
 *   txt         that list's TXT record, raw (untrusted), or "";
 *   nlists      entries used in lists[];
 *   lists       evidence of every configured list, in configuration
 *               order (the first VERDICT_LISTS_MAX of them).
 */
struct verdict {
	struct mx_addr addr;
	struct mx_addr client;
	uint8_t action;
	uint8_t reason;
	bool observe;
	bool dry_run;
	bool tempfail;
	int score;
	uint32_t ttl;
	uint64_t expires_ns;
	uint64_t decided_ns;
	uint32_t elapsed_us;
	char ptr[VERDICT_NAME_MAX];
	char name[VERDICT_NAME_MAX];
	uint8_t fcrdns;
	struct verdict_rule rule;
	char list[VERDICT_LIST_MAX];
	uint8_t reply[4];
	char txt[VERDICT_TXT_MAX];
	int nlists;
	struct verdict_list lists[VERDICT_LISTS_MAX];
};

/* Names for the enums, as they appear in log lines and mxwallctl. */
const char *verdict_action_name(unsigned action);
const char *verdict_reason_name(unsigned reason);
const char *verdict_fcrdns_name(unsigned fcrdns);
const char *verdict_outcome_name(unsigned outcome);
const char *verdict_kind_name(unsigned kind);

/* verdict_boot_ns - CLOCK_BOOTTIME now, in ns (the verdicts' clock). */
uint64_t verdict_boot_ns(void);

/*
 * verdict_log - the verdict's one event line through log_event:
 *   BLOCK client=[192.0.2.66] name=unknown reason=dnsbl list=bl.example
 *         reply=127.0.0.2 score=1 ttl=3600
 * ALLOW likewise; VERDICT_NONE is not logged. Observe verdicts log as
 * "BLOCK ... observe=yes". Names and TXT are quoted.
 */
void verdict_log(const struct verdict *v);

/*
 * verdict_print - the whole record for people (mxwallctl show/test and
 * tests/tools/evaltool): a summary line, then one indented line per
 * piece of evidence. Untrusted text is quoted.
 */
void verdict_print(FILE *fp, const struct verdict *v);

#endif
