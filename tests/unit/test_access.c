/*
 * test_access.c - access(5) actions and the check_*_access walk
 * (lib/access.c): every action word, reply codes with and without an
 * enhanced status, refusals, and DUNNO's "go on" across keys and tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "log.h"

static const struct parse_case {
	const char *result;
	int rc;
	enum access_kind kind;
	int code;
	const char *dsn, *text;
} parses[] = {
	{ "OK", 0, ACCESS_OK, 0, "", "" },
	{ "ok", 0, ACCESS_OK, 0, "", "" },
	{ "OK trailing text", 0, ACCESS_OK, 0, "", "trailing text" },
	{ "RELAY", 0, ACCESS_OK, 0, "", "" },
	{ "12345", 0, ACCESS_NUMERIC, 0, "", "" },
	{ "DUNNO", 0, ACCESS_DUNNO, 0, "", "" },
	{ "REJECT", 0, ACCESS_REJECT, 0, "", "" },
	{ "REJECT We can't allow dynamic IP to relay!", 0, ACCESS_REJECT, 0,
	  "", "We can't allow dynamic IP to relay!" },
	{ "reject 5.7.1 go away", 0, ACCESS_REJECT, 0, "5.7.1", "go away" },
	{ "DEFER try later", 0, ACCESS_DEFER, 0, "", "try later" },
	{ "DEFER_IF_REJECT maybe", 0, ACCESS_DEFER_IF_REJECT, 0, "",
	  "maybe" },
	{ "DEFER_IF_PERMIT 4.7.1 later", 0, ACCESS_DEFER_IF_PERMIT, 0, "4.7.1",
	  "later" },
	{ "550 Sender-specified routing rejected", 0, ACCESS_CODE, 550, "",
	  "Sender-specified routing rejected" },
	{ "554 5.7.1 <x>: Client host rejected", 0, ACCESS_CODE, 554, "5.7.1",
	  "<x>: Client host rejected" },
	{ "450\t4.7.25 no PTR", 0, ACCESS_CODE, 450, "4.7.25", "no PTR" },
	{ "421 closing", 0, ACCESS_CODE, 421, "", "closing" },
	{ "DISCARD", 0, ACCESS_DISCARD, 0, "", "" },
	{ "DISCARD PC HOME Spam", 0, ACCESS_DISCARD, 0, "", "PC HOME Spam" },
	{ "HOLD quarantine", 0, ACCESS_HOLD, 0, "", "quarantine" },
	{ "PREPEND X-Checked: yes", 0, ACCESS_PREPEND, 0, "",
	  "X-Checked: yes" },
	{ "REDIRECT abuse@example.com", 0, ACCESS_REDIRECT, 0, "",
	  "abuse@example.com" },
	{ "FILTER smtp:[127.0.0.1]:10025", 0, ACCESS_FILTER, 0, "",
	  "smtp:[127.0.0.1]:10025" },
	{ "BCC archive@example.com", 0, ACCESS_BCC, 0, "",
	  "archive@example.com" },
	{ "WARN suspicious", 0, ACCESS_WARN, 0, "", "suspicious" },
	{ "INFO noted", 0, ACCESS_INFO, 0, "", "noted" },
	{ "permit_auth_destination", 0, ACCESS_RESTRICTION, 0, "",
	  "permit_auth_destination" },
	{ "reject_unauth_destination reject", 0, ACCESS_RESTRICTION, 0, "",
	  "reject_unauth_destination reject" },
	/* Text that only looks like a status code stays text. */
	{ "REJECT 5.7 short", 0, ACCESS_REJECT, 0, "", "5.7 short" },
	/* Refused: empty, missing arguments, codes other than 4NN/5NN. */
	{ "", -1, ACCESS_OK, 0, "", "" },
	{ "PREPEND", -1, ACCESS_PREPEND, 0, "", "" },
	{ "REDIRECT", -1, ACCESS_REDIRECT, 0, "", "" },
	{ "FILTER ", -1, ACCESS_FILTER, 0, "", "" },
	{ "BCC", -1, ACCESS_BCC, 0, "", "" },
	{ "250 fine", -1, ACCESS_OK, 0, "", "" },
	/* Arguments Postfix checks: header, user@domain, transport:. */
	{ "PREPEND no header here", -1, ACCESS_PREPEND, 0, "", "" },
	{ "PREPEND : empty name", -1, ACCESS_PREPEND, 0, "", "" },
	{ "REDIRECT nobody", -1, ACCESS_REDIRECT, 0, "", "" },
	{ "BCC archive", -1, ACCESS_BCC, 0, "", "" },
	{ "FILTER nowhere", -1, ACCESS_FILTER, 0, "", "" },
};

static void test_parse(void **state)
{
	struct access_action act;
	size_t i;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		const struct parse_case *c = &parses[i];
		int rc = access_parse(c->result, &act);

		if (rc != c->rc)
			fail_msg("\"%s\": rc %d, want %d", c->result, rc,
				 c->rc);
		if (rc < 0)
			continue;
		if (act.kind != c->kind)
			fail_msg("\"%s\": kind %s, want %s", c->result,
				 access_kind_name(act.kind),
				 access_kind_name(c->kind));
		assert_int_equal(act.code, c->code);
		assert_string_equal(act.dsn, c->dsn);
		assert_string_equal(act.text, c->text);
		assert_string_equal(act.orig, c->result);
	}
}

static void test_kind_names(void **state)
{
	assert_string_equal(access_kind_name(ACCESS_DEFER_IF_PERMIT),
			    "DEFER_IF_PERMIT");
	assert_string_equal(access_kind_name(ACCESS_CODE), "4NN/5NN");
	assert_string_equal(access_kind_name(ACCESS_RESTRICTION),
			    "restriction");
}

/* open_list - a table list or a failed test. */
static struct table_list *open_list(const char *value)
{
	char err[TABLE_ERR_MAX];
	struct table_list *tl = table_list_open(value, err, sizeof(err));

	if (!tl)
		fail_msg("%s", err);
	return tl;
}

static const struct walk_case {
	const char *tables;
	const char *keys[3];
	int nkeys, rc;
	const char *orig;
	int line, key;
	bool final;
} walks[] = {
	/* No table matches at all. */
	{ "regexp:{ {/^x/ REJECT} }", { "a", "b" }, 2, 0, NULL, 0, 0 },
	/* First key matches. */
	{ "regexp:{ {/dyn/ REJECT dyn} }", { "c.dyn.example", "192.0.2.1" },
	  2, 1, "REJECT dyn", 1, 0, true },
	/* The name matched DUNNO: the address is not tried in that table
	 * (access(5): "pretend the key was not found and do not try
	 * substrings"), and no other table is left. */
	{ "regexp:{ {/^mail\\./ DUNNO}, {/^192\\./ REJECT net} }",
	  { "mail.example", "192.0.2.1" }, 2, 0, NULL, 0, 0 },
	/* The name matched nothing: the address is tried. */
	{ "regexp:{ {/^mail\\./ DUNNO}, {/^192\\./ REJECT net} }",
	  { "host.example", "192.0.2.1" }, 2, 1, "REJECT net", 2, 1, true },
	/* DUNNO in the first table: the second table decides. */
	{ "regexp:{ {/./ DUNNO} } regexp:{ {/^a/ OK} }", { "ab" }, 1, 1, "OK",
	  1, 0, true },
	/* Every key tried in the first table before the second. */
	{ "regexp:{ {/^b/ REJECT b} }, regexp:{ {/^a/ OK} }", { "a", "b" }, 2,
	  1, "REJECT b", 1, 1, true },
	/* cidr tables ignore names and take addresses. */
	{ "cidr:{ {192.0.2.0/24 REJECT doc} }",
	  { "host.example", "192.0.2.7" }, 2, 1, "REJECT doc", 1, 1, true },
	/* A NULL key is skipped. */
	{ "regexp:{ {/./ DISCARD} }", { NULL, "x" }, 2, 1, "DISCARD", 1, 1,
	  true },
	/* An invalid action reads as DUNNO (and is logged); the next table
	 * gives a side effect only. */
	{ "regexp:{ {/^a/ PREPEND} }, regexp:{ {/^a/ WARN w} }", { "a" }, 1,
	  1, "WARN w", 1, 0, false },
	/* A side effect does not stop the walk: a later final action wins. */
	{ "regexp:{ {/^a/ WARN w} }, regexp:{ {/^a/ HOLD h} }, "
	  "regexp:{ {/^a/ 554 5.7.1 no} }", { "a" }, 1, 1, "554 5.7.1 no", 1,
	  0, true },
	/* Side effects only: the first one is reported. */
	{ "regexp:{ {/^a/ HOLD h} }, regexp:{ {/^a/ DUNNO} }, "
	  "regexp:{ {/^a/ INFO i} }", { "a" }, 1, 1, "HOLD h", 1, 0, false },
	/* A side effect on the name also ends that table's keys. */
	{ "regexp:{ {/^n/ PREPEND X-Seen: yes}, {/^1/ REJECT addr} }",
	  { "name", "1.2.3.4" }, 2, 1, "PREPEND X-Seen: yes", 1, 0, false },
};

static int warnings;

static void sink(enum log_sev sev, const char *line)
{
	if (sev == LOG_SEV_WARN)
		warnings++;
}

static void test_walk(void **state)
{
	struct access_result res;
	struct table_list *tl;
	size_t i;
	int rc;

	log_set_sink(sink);
	for (i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		const struct walk_case *c = &walks[i];

		tl = open_list(c->tables);
		memset(&res, 0, sizeof(res));
		rc = access_check(tl, c->keys, c->nkeys, &res);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d, want %d", i, rc, c->rc);
		if (rc == 1) {
			assert_string_equal(res.action.orig, c->orig);
			assert_int_equal(res.line, c->line);
			assert_int_equal(res.key, c->key);
			if (res.final != c->final)
				fail_msg("case %zu: final %d, want %d", i,
					 res.final, c->final);
			assert_non_null(res.table);
			assert_non_null(res.rule);
		}
		table_list_free(tl);
	}
	log_set_sink(NULL);
	assert_int_equal(warnings, 1); /* the bare PREPEND */
	assert_true(access_final(ACCESS_DISCARD));
	assert_false(access_final(ACCESS_DEFER_IF_PERMIT));
	assert_int_equal(access_check(NULL, walks[0].keys, 1, &res), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
