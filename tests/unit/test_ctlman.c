/*
 * test_ctlman.c - mxwallctl's command table against its man page and
 * its own lookup: docs/mxwallctl.8's SYNOPSIS is exactly what the table
 * generates, every command has an entry in COMMANDS, and prefixes
 * resolve as the man page promises (unique prefix ok, ambiguous and
 * unknown refused).
 *
 * Run from the top of the tree (tests/run.sh does), where docs/ is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAN_PAGE "docs/mxwallctl.8"

/* read_file - the whole file, NUL-terminated; fails the test if absent. */
static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* section - the text from ".SH NAME" up to the next ".SH" (malloc'd). */
static char *section(const char *man, const char *name)
{
	char head[64];
	const char *start, *end;
	char *out;

	snprintf(head, sizeof(head), "\n.SH %s\n", name);
	start = strstr(man, head);
	assert_non_null(start);
	start++;
	end = strstr(start + 1, "\n.SH ");
	assert_non_null(end);
	out = strndup(start, (size_t)(end - start) + 1);
	assert_non_null(out);
	return out;
}

static void test_synopsis_matches_table(void **state)
{
	char *man = read_file(MAN_PAGE), *syn = section(man, "SYNOPSIS");
	char *gen = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&gen, &len);

	assert_non_null(fp);
	ctl_man_synopsis(fp);
	fclose(fp);
	if (strcmp(syn, gen) != 0) {
		print_error("docs/mxwallctl.8 SYNOPSIS differs from the "
			    "command table; regenerate it with "
			    "'mxwallctl --man-synopsis'.\nman page:\n%s\n"
			    "table:\n%s\n", syn, gen);
		fail();
	}
	free(gen);
	free(syn);
	free(man);
}

/* Every command has a ".TP" entry in COMMANDS starting with its name. */
static void test_every_command_documented(void **state)
{
	char *man = read_file(MAN_PAGE), *cmds = section(man, "COMMANDS");
	const struct ctl_command *c;
	char want[96], esc[64];
	size_t i, n;

	for (c = ctl_commands; c->name; c++) {
		for (i = 0, n = 0; c->name[i] && n + 3 < sizeof(esc); i++) {
			if (c->name[i] == '-')
				esc[n++] = '\\';
			esc[n++] = c->name[i];
		}
		esc[n] = '\0';
		snprintf(want, sizeof(want), ".TP\n\\fB%s\\fR", esc);
		if (!strstr(cmds, want)) {
			print_error("no COMMANDS entry for %s\n", c->name);
			fail();
		}
		assert_non_null(c->summary);
		assert_non_null(c->run);
	}
	free(cmds);
	free(man);
}

/* Lookups: the answer for each word, NULL when it must be refused. */
static const struct {
	const char *word;
	const char *want;
} lookups[] = {
	{ "status", "status" },
	{ "stats", "stats" },
	{ "sh", "show" },
	{ "why", "why" },
	{ "w", "why" },
	{ "bl", "block" },
	{ "imp", "import-postfix" },
	{ "st", NULL },   /* status, stats */
	{ "s", NULL },
	{ "nonsense", NULL },
	{ "", NULL },
	{ "statusx", NULL },
};

static void test_lookup(void **state)
{
	const struct ctl_command *c;
	size_t i;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		c = ctl_find(lookups[i].word);
		if (lookups[i].want) {
			assert_non_null(c);
			assert_string_equal(c->name, lookups[i].want);
		} else {
			assert_null(c);
		}
	}
}

/* The changing commands are marked, the reading ones are not. */
static void test_changing_flags(void **state)
{
	static const char *const changing[] = {
		"block", "allow", "forget", "flush", "reload", "attach",
		"detach",
	};
	const struct ctl_command *c;
	size_t i;
	bool want;

	for (c = ctl_commands; c->name; c++) {
		want = false;
		for (i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
			if (strcmp(c->name, changing[i]) == 0)
				want = true;
		if (want != ((c->flags & CTL_CHANGES) != 0)) {
			print_error("%s: CTL_CHANGES should be %s\n", c->name,
				    want ? "set" : "clear");
			fail();
		}
	}
}

/* Argument shapes the handlers rely on. */
static void test_args_ok(void **state)
{
	static const char *const flags[] = { "--all", NULL };
	static const char *const opts[] = { "--name", NULL };
	char *a1[] = { "test", "192.0.2.1", "--name", "h.example", NULL };
	char *a2[] = { "test", "192.0.2.1", "--name", NULL };
	char *a3[] = { "test", NULL };
	char *a4[] = { "flush", "--all", NULL };
	char *a5[] = { "flush", "--bogus", NULL };
	char *a6[] = { "test", "a", "b", NULL };
	char *a7[] = { "test", "", NULL };

	assert_true(ctl_args_ok(4, a1, 1, 1, NULL, opts));
	assert_false(ctl_args_ok(3, a2, 1, 1, NULL, opts));
	assert_false(ctl_args_ok(1, a3, 1, 1, NULL, opts));
	assert_true(ctl_args_ok(2, a4, 0, 0, flags, NULL));
	assert_false(ctl_args_ok(2, a5, 0, 0, flags, NULL));
	assert_false(ctl_args_ok(3, a6, 1, 1, NULL, opts));
	assert_false(ctl_args_ok(2, a7, 1, 1, NULL, opts));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synopsis_matches_table),
		cmocka_unit_test(test_every_command_documented),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_changing_flags),
		cmocka_unit_test(test_args_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
