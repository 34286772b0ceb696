/*
 * verdict.c - names, clock, log line and printout of struct verdict
 * (see verdict.h). Never blocks, never allocates.
 */
#include "verdict.h"
#include "log.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

const char *verdict_action_name(unsigned action)
{
	switch (action) {
	case VERDICT_BLOCK:
		return "BLOCK";
	case VERDICT_ALLOW:
		return "ALLOW";
	default:
		return "NONE";
	}
}

const char *verdict_reason_name(unsigned reason)
{
	switch (reason) {
	case MX_REASON_MANUAL:
		return "manual";
	case MX_REASON_DNSBL:
		return "dnsbl";
	case MX_REASON_RHSBL:
		return "rhsbl";
	case MX_REASON_RULE:
		return "rule";
	case MX_REASON_PREFIX:
		return "prefix";
	case MX_REASON_ALLOWLIST:
		return "dnswl";
	case MX_REASON_STATIC:
		return "static";
	default:
		return "none";
	}
}

const char *verdict_fcrdns_name(unsigned fcrdns)
{
	static const char *const names[] = {
		[FCRDNS_NOT_DONE] = "not-done", [FCRDNS_NO_PTR] = "no-ptr",
		[FCRDNS_OK] = "verified", [FCRDNS_MISMATCH] = "mismatch",
		[FCRDNS_TEMPFAIL] = "tempfail",
	};

	return fcrdns < sizeof(names) / sizeof(names[0]) ? names[fcrdns] : "?";
}

const char *verdict_outcome_name(unsigned outcome)
{
	static const char *const names[] = {
		[LIST_NOT_LISTED] = "not-listed", [LIST_LISTED] = "listed",
		[LIST_UNMATCHED] = "unmatched", [LIST_ERROR] = "error",
		[LIST_TIMEOUT] = "timeout", [LIST_QUARANTINED] = "quarantined",
		[LIST_SKIPPED] = "skipped",
	};

	return outcome < sizeof(names) / sizeof(names[0]) ? names[outcome]
							   : "?";
}

const char *verdict_kind_name(unsigned kind)
{
	switch (kind) {
	case LIST_KIND_DNSWL:
		return "dnswl";
	case LIST_KIND_RHSBL:
		return "rhsbl";
	default:
		return "dnsbl";
	}
}

uint64_t verdict_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* verdict_log - the BLOCK/ALLOW event line. */
void verdict_log(const struct verdict *v)
{
	char client[ADDR_STRLEN], reply[32], name[LOG_QUOTE_BUFSZ];
	char extra[LOG_QUOTE_BUFSZ + VERDICT_LIST_MAX + 64];

	if (v->action == VERDICT_NONE)
		return;
	addr_format(&v->client, client, sizeof(client));
	log_quote_word(name, sizeof(name), v->name[0] ? v->name : "unknown",
		       (size_t)-1);
	extra[0] = 0;
	if (v->list[0]) {
		snprintf(reply, sizeof(reply), "%u.%u.%u.%u", v->reply[0],
			 v->reply[1], v->reply[2], v->reply[3]);
		snprintf(extra, sizeof(extra), " list=%s reply=%s", v->list,
			 reply);
	} else if (v->rule.table[0]) {
		snprintf(extra, sizeof(extra), " table=%s line=%d",
			 v->rule.table, v->rule.line);
	}
	log_event(verdict_action_name(v->action),
		  "client=[%s] name=%s reason=%s%s score=%d ttl=%" PRIu32 "%s",
		  client, name, verdict_reason_name(v->reason), extra, v->score,
		  v->ttl, v->observe ? " observe=yes" : "");
}

/* print_reply - "127.0.0.2" from 4 bytes. */
static const char *print_reply(const uint8_t r[4], char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	return buf;
}

/* verdict_print - the record for people, evidence included. */
void verdict_print(FILE *fp, const struct verdict *v)
{
	char a[ADDR_STRLEN], k[ADDR_STRLEN], q[LOG_QUOTE_BUFSZ], r[32];
	int i, j;

	fprintf(fp, "%s %s action=%s reason=%s score=%d ttl=%" PRIu32 "%s%s\n",
		addr_format(&v->client, a, sizeof(a)),
		addr_format(&v->addr, k, sizeof(k)),
		verdict_action_name(v->action), verdict_reason_name(v->reason),
		v->score, v->ttl, v->observe ? " observe" : "",
		v->tempfail ? " tempfail" : "");
	fprintf(fp, "  ptr=\"%s\"",
		log_quote(q, sizeof(q), v->ptr, (size_t)-1));
	fprintf(fp, " name=\"%s\" fcrdns=%s\n",
		log_quote(q, sizeof(q), v->name, (size_t)-1),
		verdict_fcrdns_name(v->fcrdns));
	if (v->rule.table[0]) {
		fprintf(fp, "  rule %s:%d key=\"%s\"", v->rule.table,
			v->rule.line,
			log_quote(q, sizeof(q), v->rule.key, (size_t)-1));
		fprintf(fp, " result=\"%s\"\n",
			log_quote(q, sizeof(q), v->rule.result, (size_t)-1));
	}
	if (v->list[0])
		fprintf(fp, "  decided-by %s reply=%s txt=\"%s\"\n", v->list,
			print_reply(v->reply, r, sizeof(r)),
			log_quote(q, sizeof(q), v->txt, (size_t)-1));
	for (i = 0; i < v->nlists; i++) {
		const struct verdict_list *l = &v->lists[i];

		fprintf(fp, "  %s %s%s%s*%d %s", verdict_kind_name(l->kind),
			l->list, l->filter[0] ? "=" : "", l->filter, l->weight,
			verdict_outcome_name(l->outcome));
		for (j = 0; j < l->nreplies; j++)
			fprintf(fp, "%s%s", j ? "," : " reply=",
				print_reply(l->replies[j], r, sizeof(r)));
		if (l->ttl)
			fprintf(fp, " ttl=%" PRIu32, l->ttl);
		if (l->txt[0])
			fprintf(fp, " txt=\"%s\"",
				log_quote(q, sizeof(q), l->txt, (size_t)-1));
		fputc('\n', fp);
	}
}
