/*
 * test_cache.c - the verdict cache and its snapshot file.
 *
 * Checks that entries are found after many inserts and removals (the
 * index's backward-shift deletion), that prefixes cover addresses, that
 * reasons are shared and freed, and that a snapshot written and read back
 * gives the same verdicts while expired and malformed lines are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cache.h"
#include "daemon.h"
#include "log.h"

static struct mx_addr v4(uint32_t n)
{
	struct mx_addr a = { .family = AF_INET, .plen = 32 };

	a.b[0] = (uint8_t)(n >> 24);
	a.b[1] = (uint8_t)(n >> 16);
	a.b[2] = (uint8_t)(n >> 8);
	a.b[3] = (uint8_t)n;
	return a;
}

static struct mx_addr parse(const char *s)
{
	struct mx_addr a;
	const char *why;

	assert_int_equal(addr_parse_prefix(s, &a, true, &why), 0);
	return a;
}

/* Insert 100000, remove every third, check all the others are there. */
static void test_insert_remove(void **state)
{
	struct cache *c = cache_create();
	struct cache_entry *e;
	struct mx_addr a;
	bool created;
	uint32_t i;

	for (i = 0; i < 100000; i++) {
		a = v4(0x0a000000 + i * 7);
		e = cache_put(c, &a, &created);
		assert_non_null(e);
		assert_true(created);
		e->score = (int16_t)(i & 0x7fff);
	}
	assert_int_equal(cache_count(c), 100000);
	for (i = 0; i < 100000; i += 3) {
		a = v4(0x0a000000 + i * 7);
		e = cache_find(c, &a);
		assert_non_null(e);
		cache_remove(c, e);
	}
	for (i = 0; i < 100000; i++) {
		a = v4(0x0a000000 + i * 7);
		e = cache_find(c, &a);
		if (i % 3 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->score, (int16_t)(i & 0x7fff));
		}
	}
	assert_int_equal(cache_count(c), 100000 - 33334);
	cache_clear(c);
	assert_int_equal(cache_count(c), 0);
	cache_free(c);
}

/* cache_cover: exact entries win, then the longest covering prefix. */
static void test_cover(void **state)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
		{ "192.0.2.66", "192.0.2.66" },
		{ "192.0.2.67", "192.0.2.0/24" },
		{ "192.0.3.1", "192.0.0.0/16" },
		{ "198.51.100.1", NULL },
		{ "2001:db8::1", "2001:db8::/64" },
		{ "2001:db8:1::1", NULL },
	};
	static const char *const keys[] = { "192.0.2.66", "192.0.2.0/24",
					    "192.0.0.0/16", "2001:db8::/64" };
	struct cache *c = cache_create();
	char buf[ADDR_STRLEN];
	bool created;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct mx_addr k = parse(keys[i]);

		assert_non_null(cache_put(c, &k, &created));
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mx_addr q = parse(cases[i].query);
		struct cache_entry *e = cache_cover(c, &q);

		if (!cases[i].want) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_string_equal(addr_format(&e->addr, buf, sizeof(buf)),
				    cases[i].want);
	}
	cache_free(c);
}

/* Reasons are shared by text and freed with their last user. */
static void test_reasons(void **state)
{
	struct cache *c = cache_create();
	struct cache_entry *e;
	struct mx_addr a;
	bool created;
	uint32_t i;

	for (i = 0; i < 1000; i++) {
		a = v4(i);
		e = cache_put(c, &a, &created);
		assert_int_equal(cache_set_reason(c, e, i % 2 ?
			"reason=dnsbl list=a" : "reason=dnsbl list=b"), 0);
	}
	assert_int_equal(cache_reasons(c), 2);
	a = v4(5);
	assert_string_equal(cache_reason(c, cache_find(c, &a)),
			    "reason=dnsbl list=a");
	for (i = 1; i < 1000; i += 2) {
		a = v4(i);
		cache_remove(c, cache_find(c, &a));
	}
	assert_int_equal(cache_reasons(c), 1);
	cache_free(c);
}

static char warnings[4096];

static void sink(enum log_sev sev, const char *line)
{
	if (sev == LOG_SEV_WARN) {
		strncat(warnings, line,
			sizeof(warnings) - strlen(warnings) - 2);
		strcat(warnings, "\n");
	}
}

/* Write, read back; expired and malformed lines are skipped. */
static void test_snapshot(void **state)
{
	char dir[] = "/tmp/test_cache.XXXXXX", path[256], buf[ADDR_STRLEN];
	struct cache *c = cache_create(), *r = cache_create();
	struct cache_entry *e;
	struct mx_addr a;
	bool created;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/verdicts", dir);

	a = parse("192.0.2.66");
	e = cache_put(c, &a, &created);
	e->action = DAEMON_BLOCK;
	e->origin = ORIGIN_DNSBL;
	e->score = 3;
	e->decided = 1000;
	e->expires = 5000;
	cache_set_reason(c, e, "reason=dnsbl list=bl.example reply=127.0.0.2");
	a = parse("2001:db8::/64");
	e = cache_put(c, &a, &created);
	e->action = DAEMON_ALLOW;
	e->origin = ORIGIN_MANUAL;
	e->expires = 0;
	a = parse("198.51.100.1");
	e = cache_put(c, &a, &created);
	e->action = DAEMON_BLOCK;
	e->origin = ORIGIN_RULE;
	e->expires = 1500; /* expired at now = 2000: not written */

	assert_int_equal(snapshot_write(c, path, 2000), 0);
	assert_int_equal(access(path, R_OK), 0);

	/* Append garbage an editor might leave. */
	fp = fopen(path, "a");
	fputs("not-an-address block dnsbl 1 1 9999\n", fp);
	fputs("192.0.2.9 block\n", fp);
	fputs("192.0.2.10 maybe dnsbl 1 1 9999 x\n", fp);
	fclose(fp);

	log_set_sink(sink);
	assert_int_equal(snapshot_read(r, path, 2000), 2);
	log_set_sink(NULL);
	assert_int_equal(cache_count(r), 2);
	assert_non_null(strstr(warnings, ", line 5: "));
	assert_non_null(strstr(warnings, "line 6: too few fields"));
	assert_non_null(strstr(warnings, "line 7: unknown action"));

	a = parse("192.0.2.66");
	e = cache_find(r, &a);
	assert_non_null(e);
	assert_int_equal(e->action, DAEMON_BLOCK);
	assert_int_equal(e->origin, ORIGIN_DNSBL);
	assert_int_equal(e->score, 3);
	assert_int_equal(e->expires, 5000);
	assert_string_equal(cache_reason(r, e),
			    "reason=dnsbl list=bl.example reply=127.0.0.2");
	a = parse("2001:db8::/64");
	e = cache_find(r, &a);
	assert_non_null(e);
	assert_string_equal(addr_format(&e->addr, buf, sizeof(buf)),
			    "2001:db8::/64");
	assert_int_equal(e->action, DAEMON_ALLOW);

	/* Later, only the verdict that never expires is left. */
	cache_clear(r);
	log_set_sink(sink);
	assert_int_equal(snapshot_read(r, path, 6000), 1);
	log_set_sink(NULL);
	/* A missing file is no error. */
	unlink(path);
	assert_int_equal(snapshot_read(r, path, 2000), 0);
	rmdir(dir);
	cache_free(c);
	cache_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_remove),
		cmocka_unit_test(test_cover),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
