/*
 * test_dnsbl.c - list syntax, reply filters, postscreen scoring, TTL
 * clamping, list health judgement, the dead-list table (daemon/dnsbl.c,
 * lib/dnsbl_dead.c), DNS answer parsing (daemon/resolver.c) and the
 * circuit breaker (daemon/breaker.c). Table-driven; no network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "breaker.h"
#include "dnsbl.h"
#include "resolver.h"
#include "verdict.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void ip(const char *s, uint8_t r[4])
{
	unsigned a, b, c, d;

	assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	r[0] = (uint8_t)a;
	r[1] = (uint8_t)b;
	r[2] = (uint8_t)c;
	r[3] = (uint8_t)d;
}

static void test_filter_match(void **state)
{
	static const struct {
		const char *filter, *reply;
		bool match;
	} cases[] = {
		{ "", "127.0.0.2", true },
		{ "127.0.0.2", "127.0.0.2", true },
		{ "127.0.0.2", "127.0.0.3", false },
		{ "127.0.0.[2..11]", "127.0.0.11", true },
		{ "127.0.0.[2..11]", "127.0.0.12", false },
		{ "127.0.0.[2..11]", "127.0.0.1", false },
		{ "127.0.0.[4;6..8]", "127.0.0.4", true },
		{ "127.0.0.[4;6..8]", "127.0.0.5", false },
		{ "127.0.0.[4;6..8]", "127.0.0.7", true },
		{ "127.0.[0..255].[1..3]", "127.0.15.2", true },
		{ "127.0.[0..255].[1..3]", "127.0.15.4", false },
		{ "127.[0;1].0.2", "127.1.0.2", true },
		{ "127.[0;1].0.2", "127.2.0.2", false },
		{ "[127;10].0.0.[0..255]", "10.0.0.99", true },
	};
	struct dnsbl_filter f;
	char why[200];
	uint8_t r[4];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		assert_int_equal(dnsbl_filter_parse(cases[i].filter, &f, why,
						    sizeof(why)), 0);
		ip(cases[i].reply, r);
		if (dnsbl_filter_match(&f, r) != cases[i].match)
			fail_msg("filter %s reply %s: want %d", cases[i].filter,
				 cases[i].reply, cases[i].match);
	}
}

static void test_filter_bad(void **state)
{
	static const char *const bad[] = {
		"127.0.0", "127.0.0.2.1", "127.0.0.256", "127.0.0.[2..",
		"127.0.0.[5..2]", "127.0.0.[]", "127.0.0.x", "127..0.2",
		"127.0.0.[2;]", "127.0.0.2 ",
	};
	struct dnsbl_filter f;
	char why[200], want[200];
	size_t i;

	for (i = 0; i < N(bad); i++) {
		assert_int_equal(dnsbl_filter_parse(bad[i], &f, why,
						    sizeof(why)), -1);
		snprintf(want, sizeof(want),
			 "filter \"%s\" is not d.d.d.d (each d a number "
			 "0..255 or [n;m..k])", bad[i]);
		assert_string_equal(why, want);
	}
}

static void test_site_parse(void **state)
{
	static const struct {
		const char *text, *domain, *filter;
		int weight;
		const char *why; /* NULL: must parse */
	} cases[] = {
		{ "zen.spamhaus.org", "zen.spamhaus.org", "", 1, NULL },
		{ "Zen.Spamhaus.ORG.", "zen.spamhaus.org", "", 1, NULL },
		{ "example.com*2", "example.com", "", 2, NULL },
		{ "list.dnswl.org=127.0.[0..255].[1..3]*-5", "list.dnswl.org",
		  "127.0.[0..255].[1..3]", -5, NULL },
		{ "example.com=127.0.0.4", "example.com", "127.0.0.4", 1,
		  NULL },
		{ "example.com*3x", NULL, NULL, 0,
		  "weight \"3x\" is not a number -1000..1000" },
		{ "example.com*", NULL, NULL, 0,
		  "weight \"\" is not a number -1000..1000" },
		{ "=127.0.0.2", NULL, NULL, 0, "\"=127.0.0.2\": no domain" },
		{ "example.com=", NULL, NULL, 0,
		  "\"example.com=\": empty filter" },
		{ "example.com=127.0.0", NULL, NULL, 0,
		  "filter \"127.0.0\" is not d.d.d.d (each d a number 0..255 "
		  "or [n;m..k])" },
	};
	char dom[128], filt[64], why[200];
	int w;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		int rc = dnsbl_site_parse(cases[i].text, dom, sizeof(dom), filt,
					  sizeof(filt), &w, why, sizeof(why));

		if (!cases[i].why) {
			assert_int_equal(rc, 0);
			assert_string_equal(dom, cases[i].domain);
			assert_string_equal(filt, cases[i].filter);
			assert_int_equal(w, cases[i].weight);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(why, cases[i].why);
		}
	}
}

/* One scoring case: up to 4 entries over up to 4 zones. */
struct score_case {
	const char *name;
	struct {
		const char *domain, *filter;
		int weight, kind, zone;
	} e[4];
	int ne;
	struct {
		int state;
		const char *replies[3];
		uint32_t ttl;
		const char *txt;
	} z[4];
	int threshold, allow;
	int want_action, want_reason, want_score;
	const char *want_list, *want_reply;
	int want_outcome[4];
};

static const struct score_case score_cases[] = {
	{ "one list, listed",
	  { { "bl.example", "", 1, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 300, "spam source" } },
	  1, 0, VERDICT_BLOCK, MX_REASON_DNSBL, 1, "bl.example", "127.0.0.2",
	  { LIST_LISTED } },
	{ "not listed",
	  { { "bl.example", "", 1, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_NONE, { NULL }, 900, NULL } },
	  1, 0, VERDICT_NONE, 0, 0, "", NULL, { LIST_NOT_LISTED } },
	{ "two lists add up; the heavier one is named",
	  { { "a.example", "", 1, LIST_KIND_DNSBL, 0 },
	    { "b.example", "", 2, LIST_KIND_DNSBL, 1 } }, 2,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 300, NULL },
	    { DNSBL_ANS_RECORDS, { "127.0.0.3" }, 300, "b says" } },
	  3, 0, VERDICT_BLOCK, MX_REASON_DNSBL, 3, "b.example", "127.0.0.3",
	  { LIST_LISTED, LIST_LISTED } },
	{ "one under the threshold",
	  { { "a.example", "", 1, LIST_KIND_DNSBL, 0 },
	    { "b.example", "", 2, LIST_KIND_DNSBL, 1 } }, 2,
	  { { DNSBL_ANS_NONE, { NULL }, 300, NULL },
	    { DNSBL_ANS_RECORDS, { "127.0.0.3" }, 300, NULL } },
	  3, 0, VERDICT_NONE, 0, 2, "", NULL,
	  { LIST_NOT_LISTED, LIST_LISTED } },
	{ "weight counted once for many matching replies",
	  { { "zen.example", "127.0.0.[2..11]", 2, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2", "127.0.0.4", "127.0.0.10" },
	      60, NULL } },
	  3, 0, VERDICT_NONE, 0, 2, "", NULL, { LIST_LISTED } },
	{ "two patterns for one domain add separately",
	  { { "zen.example", "127.0.0.2", 2, LIST_KIND_DNSBL, 0 },
	    { "zen.example", "127.0.0.4", 1, LIST_KIND_DNSBL, 0 },
	    { "zen.example", "127.0.0.10", 5, LIST_KIND_DNSBL, 0 } }, 3,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2", "127.0.0.4" }, 60, NULL } },
	  3, 0, VERDICT_BLOCK, MX_REASON_DNSBL, 3, "zen.example",
	  "127.0.0.2", { LIST_LISTED, LIST_LISTED, LIST_UNMATCHED } },
	{ "127.255.255.254 is an error, not a listing",
	  { { "zen.example", "", 5, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_RECORDS, { "127.255.255.254" }, 60, NULL } },
	  1, 0, VERDICT_NONE, 0, 0, "", NULL, { LIST_ERROR } },
	{ "error code beside a listing: the listing counts",
	  { { "x.example", "", 1, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_RECORDS, { "127.255.255.252", "127.0.0.2" }, 60,
	      NULL } },
	  1, 0, VERDICT_BLOCK, MX_REASON_DNSBL, 1, "x.example", "127.0.0.2",
	  { LIST_LISTED } },
	{ "DNSWL pulls the score under the threshold",
	  { { "bl.example", "", 2, LIST_KIND_DNSBL, 0 },
	    { "wl.example", "", -3, LIST_KIND_DNSWL, 1 } }, 2,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL },
	    { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL } },
	  2, 0, VERDICT_NONE, 0, -1, "", NULL, { LIST_LISTED, LIST_LISTED } },
	{ "allowlist threshold allows, naming the DNSWL",
	  { { "bl.example", "", 2, LIST_KIND_DNSBL, 0 },
	    { "wl.example", "", -3, LIST_KIND_DNSWL, 1 } }, 2,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL },
	    { DNSBL_ANS_RECORDS, { "127.0.0.5" }, 60, NULL } },
	  2, -1, VERDICT_ALLOW, MX_REASON_ALLOWLIST, -1, "wl.example",
	  "127.0.0.5", { LIST_LISTED, LIST_LISTED } },
	{ "time-out and SERVFAIL give no score; the rest decides",
	  { { "a.example", "", 2, LIST_KIND_DNSBL, 0 },
	    { "b.example", "", 2, LIST_KIND_DNSBL, 1 },
	    { "c.example", "", 1, LIST_KIND_DNSBL, 2 } }, 3,
	  { { DNSBL_ANS_TIMEOUT }, { DNSBL_ANS_ERROR },
	    { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL } },
	  1, 0, VERDICT_BLOCK, MX_REASON_DNSBL, 1, "c.example", "127.0.0.2",
	  { LIST_TIMEOUT, LIST_ERROR, LIST_LISTED } },
	{ "quarantined list weighs nothing",
	  { { "wild.example", "", 5, LIST_KIND_DNSBL, 0 } }, 1,
	  { { DNSBL_ANS_QUARANTINED } },
	  1, 0, VERDICT_NONE, 0, 0, "", NULL, { LIST_QUARANTINED } },
	{ "RHSBL decides with its own reason",
	  { { "bl.example", "", 1, LIST_KIND_DNSBL, 0 },
	    { "rhs.example", "", 2, LIST_KIND_RHSBL, 1 } }, 2,
	  { { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL },
	    { DNSBL_ANS_RECORDS, { "127.0.0.2" }, 60, NULL } },
	  2, 0, VERDICT_BLOCK, MX_REASON_RHSBL, 3, "rhs.example",
	  "127.0.0.2", { LIST_LISTED, LIST_LISTED } },
};

static void test_score(void **state)
{
	struct dnsbl_entry e[4];
	struct dnsbl_answer a[4];
	static struct verdict v;
	char why[200], reply[32];
	size_t i;
	int k, r;

	for (i = 0; i < N(score_cases); i++) {
		const struct score_case *c = &score_cases[i];

		memset(e, 0, sizeof(e));
		memset(a, 0, sizeof(a));
		memset(&v, 0, sizeof(v));
		for (k = 0; k < c->ne; k++) {
			e[k].domain = c->e[k].domain;
			e[k].filter_text = c->e[k].filter;
			assert_int_equal(dnsbl_filter_parse(c->e[k].filter,
					&e[k].filter, why, sizeof(why)), 0);
			e[k].weight = c->e[k].weight;
			e[k].kind = c->e[k].kind;
			e[k].zone = c->e[k].zone;
		}
		for (k = 0; k < 4; k++) {
			a[k].state = (uint8_t)c->z[k].state;
			a[k].ttl = c->z[k].ttl;
			a[k].txt = c->z[k].txt;
			for (r = 0; r < 3 && c->z[k].replies[r]; r++)
				ip(c->z[k].replies[r],
				   a[k].replies[a[k].nreplies++]);
		}
		dnsbl_score(e, c->ne, a, c->threshold, c->allow, &v);
		if (v.action != c->want_action || v.score != c->want_score ||
		    strcmp(v.list, c->want_list) != 0)
			fail_msg("%s: got %s score %d list \"%s\"", c->name,
				 verdict_action_name(v.action), v.score,
				 v.list);
		if (c->want_action != VERDICT_NONE)
			assert_int_equal(v.reason, c->want_reason);
		if (c->want_reply) {
			snprintf(reply, sizeof(reply), "%u.%u.%u.%u",
				 v.reply[0], v.reply[1], v.reply[2],
				 v.reply[3]);
			assert_string_equal(reply, c->want_reply);
		}
		assert_int_equal(v.nlists, c->ne);
		for (k = 0; k < c->ne; k++)
			if (v.lists[k].outcome != c->want_outcome[k])
				fail_msg("%s: entry %d outcome %s", c->name, k,
					 verdict_outcome_name(
						 v.lists[k].outcome));
	}
}

static void test_txt_kept(void **state)
{
	struct dnsbl_entry e = { .domain = "bl.example", .filter_text = "",
				 .weight = 1 };
	struct dnsbl_answer a = { .state = DNSBL_ANS_RECORDS, .nreplies = 1,
				  .replies = { { 127, 0, 0, 2 } },
				  .txt = "Listed: see http://bl.example/" };
	static struct verdict v;

	e.filter.any = true;
	dnsbl_score(&e, 1, &a, 1, 0, &v);
	assert_string_equal(v.txt, "Listed: see http://bl.example/");
	assert_string_equal(v.lists[0].txt, "Listed: see http://bl.example/");
	assert_true(dnsbl_zone_listed(&e, 1, 0, &a));
	a.replies[0][1] = 255;
	a.replies[0][2] = 255;
	assert_false(dnsbl_zone_listed(&e, 1, 0, &a));
}

static void test_clamp_ttl(void **state)
{
	static const struct {
		uint32_t ttl;
		long min, max;
		uint32_t want;
	} cases[] = {
		{ 10, 60, 3600, 60 },	    { 60, 60, 3600, 60 },
		{ 300, 60, 3600, 300 },	    { 3600, 60, 3600, 3600 },
		{ 172800, 60, 3600, 3600 }, { 0, 60, 3600, 3600 },
		{ 0xffffffffu, 1, 86400, 86400 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++)
		assert_int_equal(dnsbl_clamp_ttl(cases[i].ttl, cases[i].min,
						 cases[i].max),
				 cases[i].want);
}

static void test_judge(void **state)
{
	static const struct {
		int pos, neg, want;
		const char *why;
	} cases[] = {
		{ DNSBL_PROBE_LISTED, DNSBL_PROBE_NOT_LISTED, DNSBL_OK,
		  "lists 127.0.0.2, not 127.0.0.1" },
		{ DNSBL_PROBE_LISTED, DNSBL_PROBE_LISTED, DNSBL_QUARANTINED,
		  "lists 127.0.0.1: it would list everyone" },
		{ DNSBL_PROBE_TIMEOUT, DNSBL_PROBE_TIMEOUT, DNSBL_QUARANTINED,
		  "does not answer" },
		{ DNSBL_PROBE_ERROR, DNSBL_PROBE_ERROR, DNSBL_QUARANTINED,
		  "answers only with errors" },
		{ DNSBL_PROBE_ERROR, DNSBL_PROBE_TIMEOUT, DNSBL_QUARANTINED,
		  "answers only with errors" },
		{ DNSBL_PROBE_NOT_LISTED, DNSBL_PROBE_NOT_LISTED,
		  DNSBL_QUARANTINED, "does not list 127.0.0.2 (not listed)" },
		{ DNSBL_PROBE_LISTED, DNSBL_PROBE_TIMEOUT, DNSBL_QUARANTINED,
		  "no answer for 127.0.0.1" },
		{ DNSBL_PROBE_NOT_LISTED, DNSBL_PROBE_LISTED,
		  DNSBL_QUARANTINED,
		  "lists 127.0.0.1: it would list everyone" },
	};
	char why[160];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		assert_int_equal(dnsbl_judge(cases[i].pos, cases[i].neg,
					     "127.0.0.2", "127.0.0.1", why,
					     sizeof(why)),
				 cases[i].want);
		assert_string_equal(why, cases[i].why);
	}
}

static void test_probe_classify(void **state)
{
	struct dnsbl_answer a = { .state = DNSBL_ANS_RECORDS, .nreplies = 1,
				  .replies = { { 127, 255, 255, 254 } } };

	assert_int_equal(dnsbl_probe_classify(&a), DNSBL_PROBE_ERROR);
	a.replies[0][1] = a.replies[0][2] = 0;
	assert_int_equal(dnsbl_probe_classify(&a), DNSBL_PROBE_LISTED);
	a.state = DNSBL_ANS_NONE;
	assert_int_equal(dnsbl_probe_classify(&a), DNSBL_PROBE_NOT_LISTED);
	a.state = DNSBL_ANS_TIMEOUT;
	assert_int_equal(dnsbl_probe_classify(&a), DNSBL_PROBE_TIMEOUT);
	a.state = DNSBL_ANS_ERROR;
	assert_int_equal(dnsbl_probe_classify(&a), DNSBL_PROBE_ERROR);
}

static void test_dead_table(void **state)
{
	static const struct {
		const char *domain;
		const char *kind; /* NULL: not in the table */
	} cases[] = {
		{ "list.dsbl.org", "dead" },
		{ "rbl.maps.vix.com", "dead" },
		{ "relays.maps.vix.com.", "dead" },
		{ "dul.dnsbl.sorbs.net", "dead" },
		{ "DNS.RFC-IGNORANT.ORG", "dead" },
		{ "sbl-xbl.spamhaus.org", "replaced" },
		{ "relays.ordb.org", "dead" },
		{ "dnsbl.ahbl.org", "wildcard" },
		{ "combined.njabl.org", "dead" },
		{ "zen.spamhaus.org", NULL },
		{ "bl.spamcop.net", NULL },
		{ "notsorbs.net", NULL },
		{ "vix.com", NULL },
	};
	const struct dnsbl_dead *d;
	char buf[300];
	size_t i;

	for (i = 0; i < N(cases); i++) {
		d = dnsbl_dead_lookup(cases[i].domain);
		if (!cases[i].kind) {
			assert_null(d);
			continue;
		}
		assert_non_null(d);
		assert_string_equal(dnsbl_dead_kind_name(d->kind),
				    cases[i].kind);
	}
	assert_string_equal(dnsbl_dead_warning("sbl-xbl.spamhaus.org", buf,
					       sizeof(buf)),
			    "sbl-xbl.spamhaus.org is replaced: Spamhaus "
			    "replaced its combined SBL+XBL zone by "
			    "zen.spamhaus.org: use zen.spamhaus.org instead");
	assert_string_equal(dnsbl_dead_warning("list.dsbl.org", buf,
					       sizeof(buf)),
			    "list.dsbl.org is dead: DSBL stopped operating "
			    "around 2009: it will be quarantined");
	assert_null(dnsbl_dead_warning("zen.spamhaus.org", buf, sizeof(buf)));
}

/* ---- DNS answers ---- */

/* struct pkt - a DNS message under construction. */
struct pkt {
	unsigned char b[512];
	int n;
};

static void put16(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)(v >> 8);
	p->b[p->n++] = (unsigned char)v;
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static void put_name(struct pkt *p, const char *name)
{
	const char *dot;

	while (*name) {
		size_t l;

		dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		p->b[p->n++] = (unsigned char)l;
		memcpy(p->b + p->n, name, l);
		p->n += (int)l;
		name += l + (dot ? 1 : 0);
	}
	p->b[p->n++] = 0;
}

/* start - header and one question; an, ns counts as given. */
static void start(struct pkt *p, int rcode, int an, int ns,
		  const char *qname, int qtype)
{
	p->n = 0;
	put16(p, 0x1234);
	put16(p, 0x8180 | (unsigned)rcode);
	put16(p, 1);
	put16(p, (unsigned)an);
	put16(p, (unsigned)ns);
	put16(p, 0);
	put_name(p, qname);
	put16(p, (unsigned)qtype);
	put16(p, 1);
}

static void rr_head(struct pkt *p, int type, uint32_t ttl, int rdlen)
{
	put16(p, 0xc00c); /* the question's name */
	put16(p, (unsigned)type);
	put16(p, 1);
	put32(p, ttl);
	put16(p, (unsigned)rdlen);
}

static void test_parse_a(void **state)
{
	struct res_rrset rr;
	struct pkt p;

	start(&p, 0, 2, 0, "2.0.0.127.bl.example", RES_T_A);
	rr_head(&p, RES_T_A, 300, 4);
	put32(&p, 0x7f000002);
	rr_head(&p, RES_T_A, 100, 4);
	put32(&p, 0x7f00000a);
	resolver_parse(p.b, p.n, RES_T_A, RES_OK, &rr);
	assert_int_equal(rr.status, RES_OK);
	assert_int_equal(rr.n, 2);
	assert_int_equal(rr.ttl, 100);
	assert_int_equal(rr.addr[1][3], 10);

	/* Cut short: what was complete is kept, nothing is read past. */
	resolver_parse(p.b, p.n - 3, RES_T_A, RES_OK, &rr);
	assert_int_equal(rr.n, 1);
	resolver_parse(p.b, 11, RES_T_A, RES_OK, &rr);
	assert_int_equal(rr.n, 0);
	assert_int_equal(rr.status, RES_OK);
}

static void test_parse_nxdomain_soa(void **state)
{
	struct res_rrset rr;
	struct pkt p;

	start(&p, 3, 0, 1, "1.2.0.192.bl.example", RES_T_A);
	rr_head(&p, 6, 900, 2 + 2 + 20);
	put16(&p, 0xc00c); /* mname */
	put16(&p, 0xc00c); /* rname */
	put32(&p, 1);	    /* serial */
	put32(&p, 600);	    /* refresh */
	put32(&p, 300);	    /* retry */
	put32(&p, 86400);  /* expire */
	put32(&p, 600);	    /* minimum */
	resolver_parse(p.b, p.n, RES_T_A, RES_NXDOMAIN, &rr);
	assert_int_equal(rr.status, RES_NXDOMAIN);
	assert_int_equal(rr.n, 0);
	assert_int_equal(rr.ttl, 600);
}

static void test_parse_txt_ptr(void **state)
{
	struct res_rrset rr;
	struct pkt p;

	start(&p, 0, 1, 0, "2.0.0.127.bl.example", RES_T_TXT);
	rr_head(&p, RES_T_TXT, 60, 1 + 6 + 1 + 5);
	p.b[p.n++] = 6;
	memcpy(p.b + p.n, "Listed", 6);
	p.n += 6;
	p.b[p.n++] = 5;
	memcpy(p.b + p.n, ": x\"\n", 5);
	p.n += 5;
	resolver_parse(p.b, p.n, RES_T_TXT, RES_OK, &rr);
	assert_int_equal(rr.n, 1);
	assert_string_equal(rr.text, "Listed: x\"\n");

	start(&p, 0, 1, 0, "66.2.0.192.in-addr.arpa", RES_T_PTR);
	rr_head(&p, RES_T_PTR, 60, 7);
	p.b[p.n++] = 4;
	memcpy(p.b + p.n, "mail", 4);
	p.n += 4;
	put16(&p, 0xc00c + 3); /* "2.0.192.in-addr.arpa" via a pointer */
	resolver_parse(p.b, p.n, RES_T_PTR, RES_OK, &rr);
	assert_int_equal(rr.n, 1);
	assert_string_equal(rr.text, "mail.2.0.192.in-addr.arpa");

	/* An answer of another type only: no data. */
	resolver_parse(p.b, p.n, RES_T_A, RES_OK, &rr);
	assert_int_equal(rr.status, RES_NODATA);
}

/* ---- circuit breaker ---- */

static void test_breaker(void **state)
{
	struct breaker_cfg cfg = { .enabled = true, .window_s = 10,
				   .min_clients = 10, .share_pct = 50,
				   .factor = 4 };
	struct breaker b;
	uint64_t t = 1000;
	int i, trips = 0, recovers = 0, rc;

	breaker_init(&b, &cfg, t);
	/* A normal window: 1 block in 20. */
	for (i = 0; i < 20; i++)
		assert_int_equal(breaker_count(&b, i == 0, t + (uint64_t)i),
				 BREAKER_SAME);
	/* Next window: the baseline is 5 %; 50 % blocked trips it. */
	t += 10000;
	for (i = 0; i < 20; i++) {
		rc = breaker_count(&b, i % 2 == 0, t + (uint64_t)i);
		trips += rc == BREAKER_TRIPPED;
	}
	assert_int_equal(trips, 1);
	assert_true(b.tripped);
	assert_string_equal(b.why, "blocked 5 of 10 new clients in 10s "
				   "(usual 5%, trips at 50%)");
	/* Still blocking at the window's end: stays tripped. */
	t += 10000;
	assert_int_equal(breaker_tick(&b, t), BREAKER_SAME);
	/* Calm: 10 clients, none blocked -> recovers. */
	for (i = 0; i < 10; i++) {
		rc = breaker_count(&b, false, t + (uint64_t)i);
		recovers += rc == BREAKER_RECOVERED;
	}
	assert_int_equal(recovers, 1);
	assert_false(b.tripped);

	/* A server that blocks 40 % as a rule trips only near 95 %... */
	breaker_init(&b, &cfg, t);
	for (i = 0; i < 100; i++)
		breaker_count(&b, i % 5 < 2, t + (uint64_t)i);
	t += 10000;
	breaker_tick(&b, t);
	for (i = 0; i < 100 && !b.tripped; i++)
		breaker_count(&b, i % 10 < 9, t + (uint64_t)i);
	assert_false(b.tripped);
	/* ... and a list listing the world does trip it. */
	t += 10000;
	for (i = 0; i < 20; i++)
		breaker_count(&b, true, t + (uint64_t)i);
	assert_true(b.tripped);

	/* Disabled: never trips. */
	cfg.enabled = false;
	breaker_init(&b, &cfg, t);
	for (i = 0; i < 100; i++)
		assert_int_equal(breaker_count(&b, true, t), BREAKER_SAME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_bad),
		cmocka_unit_test(test_site_parse),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_txt_kept),
		cmocka_unit_test(test_clamp_ttl),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_probe_classify),
		cmocka_unit_test(test_dead_table),
		cmocka_unit_test(test_parse_a),
		cmocka_unit_test(test_parse_nxdomain_soa),
		cmocka_unit_test(test_parse_txt_ptr),
		cmocka_unit_test(test_breaker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
