/*
 * test_table.c - Postfix tables (lib/table.c): every table type and
 * form, and every refusal as a golden diagnostic.
 *
 * Tables are written to a temporary directory; "%s" in a golden error
 * stands for the table's path. What postmap -q answers for the same
 * rules is checked by tests/t-postmap.sh; here each case is small and
 * names the one thing it is about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "table.h"

static char tmpdir[] = "/tmp/mxwall-test-table.XXXXXX";
static int nfile;

/* write_table - text (len bytes) into a new file; returns its path. */
static char *write_table(const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/t%d", tmpdir, nfile++);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	return path;
}

/* open_text - open "type:" + a file holding text. */
static struct table *open_text(const char *type, const char *text,
			       char *err, size_t errlen, char **pathp)
{
	char spec[300];
	char *path = write_table(text, strlen(text));

	if (pathp)
		*pathp = path;
	snprintf(spec, sizeof(spec), "%s:%s", type, path);
	return table_open(spec, err, errlen);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * Lookups: type, table text, key, the result wanted (NULL: no match)
 * and the line of the rule that must give it.
 */
static const struct lookup_case {
	const char *type, *text, *key, *want;
	int line;
} lookups[] = {
	/* The seed's client_check. */
	{ "regexp", "/\\.dynamic\\./ REJECT dynamic!\n",
	  "103.143.85.218.board.xm.fj.dynamic.163data.com.cn",
	  "REJECT dynamic!", 1 },
	{ "regexp", "/\\.dynamic\\./ REJECT dynamic!\n", "dynamic.example",
	  NULL, 0 },
	/* i is on by default; the flag turns it off. */
	{ "regexp", "/^abc/ yes\n", "ABCd", "yes", 1 },
	{ "regexp", "/^abc/i yes\n", "ABCd", NULL, 0 },
	/* x on by default (extended); toggled off it is a basic regexp. */
	{ "regexp", "/^a+$/x literal plus\n", "a+", "literal plus", 1 },
	{ "regexp", "/^a+$/x literal plus\n", "aaa", NULL, 0 },
	/* m: ^ and $ at newlines. */
	{ "regexp", "/^b$/m multi\n", "a\nb\nc", "multi", 1 },
	{ "regexp", "/^b$/ multi\n", "a\nb\nc", NULL, 0 },
	/* Negation, double negation, and the /a/!/b/ form. */
	{ "regexp", "!/x/ no x\n", "abc", "no x", 1 },
	{ "regexp", "!!/x/ x\n", "axc", "x", 1 },
	{ "regexp", "/a/!/b/ a-not-b\n", "ac", "a-not-b", 1 },
	{ "regexp", "/a/!/b/ a-not-b\n", "ab", NULL, 0 },
	/* Any delimiter, escaped delimiters. */
	{ "regexp", "|a/b| pipe\n", "xa/by", "pipe", 1 },
	{ "regexp", "#a# hash\n", "a", NULL, 0 }, /* a comment line */
	{ "regexp", "%50\\%% percent\n", "50%", "percent", 1 },
	/* Substitution: $1 ${1} $(1) $$, empty and unmatched groups. */
	{ "regexp", "/^(.*)-out@(.*)$/ Use ${1}@$(2) $$ $1\n", "l-out@x",
	  "Use l@x $ l", 1 },
	{ "regexp", "/^(a)(b)?$/ [$1][$2]\n", "a", "[a][]", 1 },
	{ "pcre", "/^(a)(b)?$/ [$1][$2]\n", "a", "[a][]", 1 },
	/* First match wins. */
	{ "regexp", "/a/ first\n/a/ second\n", "a", "first", 1 },
	/* Continuation lines join as they are; comments inside them. */
	{ "regexp", "/a/\n# note\n\tREJECT\n  two lines\n", "a",
	  "REJECT  two lines", 1 },
	/* if/endif, nested, negated, keyword case. */
	{ "regexp", "if /a/\nif !/b/\n/c/ a-c-not-b\nendif\nendif\n/c/ c\n",
	  "ac", "a-c-not-b", 3 },
	{ "regexp", "if /a/\nif !/b/\n/c/ a-c-not-b\nendif\nendif\n/c/ c\n",
	  "abc", "c", 6 },
	{ "regexp", "IF /a/\n/./ in\nENDIF\n/./ out\n", "b", "out", 4 },
	/* pcre defaults: i and s on, x off; A E U flags. */
	{ "pcre", "/^a.c$/ dotall\n", "A\nC", "dotall", 1 },
	{ "pcre", "/^a.c$/s dotall\n", "a\nc", NULL, 0 },
	{ "pcre", "/^a b$/x extended\n", "ab", "extended", 1 },
	{ "pcre", "/b/A anchored\n", "ab", NULL, 0 },
	{ "pcre", "/c$/E endonly\n", "abc\n", NULL, 0 },
	{ "pcre", "/c$/ dollar\n", "abc\n", "dollar", 1 },
	{ "pcre", "/^(a+)/U [$1]\n", "aaa", "[a]", 1 },
	{ "pcre", "/(?<=x)y/ lookbehind\n", "xy", "lookbehind", 1 },
	{ "pcre", "/^x/X obsolete\n", "x", "obsolete", 1 },
	{ "pcre", "if !/\\d/\n/^([a-z]+)$/ word $1\nendif\n", "abc",
	  "word abc", 2 },
	/* cidr: IPv4, IPv6, brackets, negation, if, families. */
	{ "cidr", "10.0.0.0/8 ten\n", "10.1.2.3", "ten", 1 },
	{ "cidr", "10.0.0.0/8 ten\n", "11.1.2.3", NULL, 0 },
	{ "cidr", "10.0.0.0/8 ten\n", "[10.1.2.3]", NULL, 0 },
	{ "cidr", "[2001:db8::]/32 doc\n", "2001:db8::1", "doc", 1 },
	{ "cidr", "!192.0.2.0/24 not-doc\n", "8.8.8.8", "not-doc", 1 },
	{ "cidr", "!192.0.2.0/24 not-doc\n", "::1", NULL, 0 },
	{ "cidr", "if 10.0.0.0/8\n!10.1.0.0/16 x\nendif\n", "10.2.0.1", "x",
	  2 },
	{ "cidr", "0.0.0.0/0 any4\n", "1.2.3.4", "any4", 1 },
	{ "cidr", "192.0.2.1 exact\n", "192.0.2.1", "exact", 1 },
	{ "cidr", "0.0.0.0/0 any4\n", "not-an-address", NULL, 0 },
	/*
	 * Repetitions regcomp expands (TABLE_REGEXP_COPIES_MAX): just
	 * under the limit still loads and matches; in basic syntax (x) "+"
	 * is an ordinary character, so stacking it costs nothing.
	 */
	{ "regexp", "/^(a{255}){256}$/ big\n", "a", NULL, 0 },
	{ "regexp", "/^a+++++++++++++++$/ fifteen\n", "aaa", "fifteen", 1 },
	{ "regexp", "/^a+++++++++++++++++++++++++$/x basic\n",
	  "a+++++++++++++++++++++++++", "basic", 1 },
	{ "regexp", "/^[{]{1,2}x{,3}\\{$/ braces\n", "{{xx{", "braces",
	  1 },
	{ "regexp", "/^(a?){400}b$/ optional\n", "ab", "optional", 1 },
	{ "regexp", "/^b{1,30}{1,30}$/ bounds\n", "bbb", "bounds", 1 },
	{ "regexp", "/^()+++b/ three\n", "b", "three", 1 },
	{ "regexp", "/^()********************b$/ ${1}stars\n", "b", "stars", 1 },
	{ "pcre", "/^(a{255}){300}$/ pcre2 bounds itself\n", "a", NULL, 0 },
};

static void test_lookups(void **state)
{
	struct table_result res;
	char err[TABLE_ERR_MAX];
	struct table *t;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct lookup_case *c = &lookups[i];

		t = open_text(c->type, c->text, err, sizeof(err), NULL);
		if (!t)
			fail_msg("case %zu: %s", i, err);
		rc = table_lookup(t, c->key, &res);
		if (!c->want) {
			if (rc != 0)
				fail_msg("case %zu: key \"%s\" matched \"%s\"",
					 i, c->key, res.value);
		} else {
			if (rc != 1)
				fail_msg("case %zu: key \"%s\" did not match",
					 i, c->key);
			assert_string_equal(res.value, c->want);
			assert_int_equal(res.line, c->line);
		}
		table_free(t);
	}
}

/* Refusals: table type, text (len bytes), golden error ("%s": path). */
static const struct open_case {
	const char *type, *text;
	size_t len;
	const char *err;
} refusals[] = {
#define T(s) s, sizeof(s) - 1
	{ "regexp", T("/abc REJECT\n"),
	  "%s, line 1: missing closing \"/\" after the pattern: table not "
	  "loaded" },
	{ "regexp", T("# ok\n/a/q REJECT\n"),
	  "%s, line 2: unknown flag \"q\" after the pattern (regexp flags "
	  "are i, m and x): table not loaded" },
	{ "pcre", T("/a/Z REJECT\n"),
	  "%s, line 1: unknown flag \"Z\" after the pattern (pcre flags are "
	  "i, m, s, x, A, E, U): table not loaded" },
	{ "regexp", T("/a(/ REJECT\n"),
	  "%s, line 1: bad regular expression \"a(\": Unmatched ( or \\(: "
	  "table not loaded" },
	{ "pcre", T("/a(/ REJECT\n"),
	  "%s, line 1: bad regular expression \"a(\" at offset 2: missing "
	  "closing parenthesis: table not loaded" },
	{ "regexp", T("if /a/\n/b/ X\n"),
	  "%s, line 1: \"if\" without \"endif\": table not loaded" },
	{ "regexp", T("/b/ X\nendif\n"),
	  "%s, line 2: \"endif\" without \"if\": table not loaded" },
	{ "pcre", T("if /a/\n /b/ X\nendif\n"),
	  "%s, line 1: text after the \"if\" pattern: \"/b/ X\" (lines "
	  "inside if..endif must not be indented): table not loaded" },
	{ "regexp", T("if /a/\n/b/ X\nendif junk\n"),
	  "%s, line 3: text after \"endif\": table not loaded" },
	{ "regexp", T("/a/\n"),
	  "%s, line 1: no result after the pattern: table not loaded" },
	{ "regexp", T("/a/ $2 $1\n"),
	  "%s, line 1: result uses $2 but the pattern has 0 group(s): table "
	  "not loaded" },
	{ "regexp", T("/(a)/ $x\n"),
	  "%s, line 1: result \"$x\": \"$x\" is not a group number 1..99: "
	  "table not loaded" },
	{ "regexp", T("/(a)/ ${1\n"),
	  "%s, line 1: result \"${1\": \"$\" not followed by a group number "
	  "(write $$ for a dollar sign): table not loaded" },
	{ "pcre", T("!/(a)/ $1\n"),
	  "%s, line 1: $1 in the result of a negated (!) pattern, which "
	  "captures nothing: table not loaded" },
	{ "regexp", T("foo bar\n"),
	  "%s, line 1: unrecognized line \"foo bar\" (expected /pattern/ "
	  "result, if or endif): table not loaded" },
	{ "regexp", T("/a/ X\n/b/ Y\0Z\n"),
	  "%s, line 2: NUL byte in the text: table not loaded" },
	{ "regexp", T("  /a/ X\n"),
	  "%s, line 1: indented line continues nothing (only continuation "
	  "lines start with white space): table not loaded" },
	{ "regexp", T("!\n"),
	  "%s, line 1: no pattern after \"!\": table not loaded" },
	{ "cidr", T("1.2.3.4/33 X\n"),
	  "%s, line 1: bad prefix length in \"1.2.3.4/33\" (0..32): table "
	  "not loaded" },
	{ "cidr", T("1.2.3.4/8 X\n"),
	  "%s, line 1: host bits set in \"1.2.3.4/8\" (the network is "
	  "1.0.0.0/8): table not loaded" },
	{ "cidr", T("1.2.3 X\n"),
	  "%s, line 1: bad address \"1.2.3\" in \"1.2.3\": table not loaded" },
	{ "cidr", T("1.2.3.4\n"),
	  "%s, line 1: no result after \"1.2.3.4\": table not loaded" },
	{ "cidr", T("[1.2.3.4 X\n"),
	  "%s, line 1: missing \"]\" in \"[1.2.3.4\": table not loaded" },
	{ "cidr", T("if 10.0.0.0/8\n"),
	  "%s, line 1: \"if\" without \"endif\": table not loaded" },
	/* Repetitions that would make regcomp take gigabytes. */
	{ "regexp", T("/x/ ok\n/a+++++++++++++++++/ X\n"),
	  "%s, line 2: regular expression \"a+++++++++++++++++\": its nested "
	  "or stacked repetitions would make the C library's regcomp build "
	  "more than 65536 copies of its parts (gigabytes of memory): write "
	  "it with fewer: table not loaded" },
	{ "regexp", T("/((x{50}){50}|y){50}/ X\n"),
	  "%s, line 1: regular expression \"((x{50}){50}|y){50}\": its "
	  "nested or stacked repetitions would make the C library's regcomp "
	  "build more than 65536 copies of its parts (gigabytes of memory): "
	  "write it with fewer: table not loaded" },
	{ "regexp", T("/(a?){255}{255}/ X\n"),
	  "%s, line 1: regular expression \"(a?){255}{255}\": it repeats "
	  "parts that can match nothing (x?, x*, x{0,n}, empty groups) so "
	  "often that the C library's regcomp would take seconds and "
	  "gigabytes to compile it: write it with fewer: table not loaded" },
	{ "regexp", T("/^()*********************$/ X\n"),
	  "%s, line 1: regular expression \"^()*********************$\": it "
	  "repeats parts that can match nothing (x?, x*, x{0,n}, empty "
	  "groups) so often that the C library's regcomp would take seconds "
	  "and gigabytes to compile it: write it with fewer: table not "
	  "loaded" },
	{ "regexp", T("/^()++++b/ X\n"),
	  "%s, line 1: regular expression \"^()++++b\": it repeats parts "
	  "that can match nothing (x?, x*, x{0,n}, empty groups) so often "
	  "that the C library's regcomp would take seconds and gigabytes to "
	  "compile it: write it with fewer: table not loaded" },
	{ "regexp", T("/()+++++++++/ X\n"),
	  "%s, line 1: regular expression \"()+++++++++\": it repeats "
	  "parts that can match nothing (x?, x*, x{0,n}, empty groups) so "
	  "often that the C library's regcomp would take seconds and "
	  "gigabytes to compile it: write it with fewer: table not loaded" },
	{ "regexp", T("/\\(x\\{300\\}\\)\\{300\\}/x X\n"),
	  "%s, line 1: regular expression \"\\(x\\{300\\}\\)\\{300\\}\": "
	  "its nested or stacked repetitions would make the C library's "
	  "regcomp build more than 65536 copies of its parts (gigabytes of "
	  "memory): write it with fewer: table not loaded" },
#undef T
};

static void test_refusals(void **state)
{
	char err[TABLE_ERR_MAX], want[TABLE_ERR_MAX], spec[300];
	struct table *t;
	char *path;
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct open_case *c = &refusals[i];

		path = write_table(c->text, c->len);
		snprintf(spec, sizeof(spec), "%s:%s", c->type, path);
		t = table_open(spec, err, sizeof(err));
		if (t)
			fail_msg("case %zu: table was accepted", i);
		snprintf(want, sizeof(want), c->err, path);
		assert_string_equal(err, want);
	}
}

static void test_overlong_line(void **state)
{
	char err[TABLE_ERR_MAX], want[TABLE_ERR_MAX], spec[300];
	size_t n = LLINE_MAX + 100;
	char *text = malloc(n + 1), *path;

	assert_non_null(text);
	memset(text, 'x', n);
	memcpy(text, "/a/ ", 4);
	text[n - 1] = '\n';
	path = write_table(text, n);
	free(text);
	snprintf(spec, sizeof(spec), "regexp:%s", path);
	assert_null(table_open(spec, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s, line 1: logical line longer than "
		 "%d bytes: table not loaded", path, LLINE_MAX);
	assert_string_equal(err, want);
}

static void test_bad_specs(void **state)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
		{ "regexp:/nonexistent/mxwall/table",
		  "/nonexistent/mxwall/table: cannot open: No such file or "
		  "directory: table not loaded" },
		{ "hash:/etc/postfix/access",
		  "hash:/etc/postfix/access: unknown table type \"hash\" "
		  "(mxwall reads regexp, pcre, cidr, static and inline): "
		  "table not loaded" },
		{ "client_check",
		  "\"client_check\" is not type:name (e.g. "
		  "regexp:/etc/mxwall/client_check): table not loaded" },
		{ "regexp:{ /a/ b }",
		  "regexp:{ /a/ b }, line 1: inline rule must be enclosed in "
		  "{}: table not loaded" },
		{ "regexp:{ {/a/ b}",
		  "regexp:{ {/a/ b}, line 2: missing \"}\" at the end of the "
		  "inline table: table not loaded" },
		{ "inline:{ novalue }",
		  "inline:{ novalue }, line 1: \"novalue\" is not key=value: "
		  "table not loaded" },
	};
	char err[TABLE_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_null(table_open(cases[i].spec, err, sizeof(err)));
		assert_string_equal(err, cases[i].err);
	}
}

static void test_inline_and_static(void **state)
{
	struct table_result res;
	char err[TABLE_ERR_MAX];
	struct table *t;

	t = table_open("regexp:{ {/^a(.)/ first $1}, {!/b/ no b} }", err,
		       sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_lookup(t, "abc", &res), 1);
	assert_string_equal(res.value, "first b");
	assert_int_equal(res.line, 1);
	assert_int_equal(table_lookup(t, "xyz", &res), 1);
	assert_string_equal(res.value, "no b");
	assert_int_equal(res.line, 2);
	assert_int_equal(table_lookup(t, "b", &res), 0);
	table_free(t);

	t = table_open("static:{REJECT go away}", err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_lookup(t, "anything", &res), 1);
	assert_string_equal(res.value, "REJECT go away");
	table_free(t);

	t = table_open("inline:{ Key1=v1, { key2 = value two } }", err,
		       sizeof(err));
	assert_non_null(t);
	assert_int_equal(table_lookup(t, "KEY2", &res), 1);
	assert_string_equal(res.value, "value two");
	assert_int_equal(table_lookup(t, "key3", &res), 0);
	table_free(t);
}

static int warnings;
static char last_warning[2048];

static void sink(enum log_sev sev, const char *line)
{
	if (sev == LOG_SEV_WARN) {
		warnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", line);
	}
}

/* A pathological pattern hits the limit: no match, logged once. */
static void test_pcre_limit(void **state)
{
	struct table_result res;
	char err[TABLE_ERR_MAX], *path, want[512];
	struct table *t;
	char key[4000];

	t = open_text("pcre", "/^(a|aa)+$/ stalled\n/./ next rule\n", err,
		      sizeof(err), &path);
	assert_non_null(t);
	memset(key, 'a', sizeof(key) - 2);
	key[sizeof(key) - 2] = 'b';
	key[sizeof(key) - 1] = 0;
	warnings = 0;
	log_set_sink(sink);
	assert_int_equal(table_lookup(t, key, &res), 1);
	assert_string_equal(res.value, "next rule");
	assert_int_equal(table_lookup(t, key, &res), 1);
	log_set_sink(NULL);
	assert_int_equal(warnings, 1);
	snprintf(want, sizeof(want), "warning: %s, line 1: pcre match failed: "
		 "match limit exceeded: counted as no match (logged once per "
		 "rule)", path);
	assert_string_equal(last_warning, want);
	table_free(t);
}

static void test_list(void **state)
{
	struct table_list *tl;
	char err[TABLE_ERR_MAX];

	tl = table_list_open("static:A, regexp:{ {/x/ y} }\tcidr:{ "
			     "{10.0.0.0/8 z} }", err, sizeof(err));
	assert_non_null(tl);
	assert_int_equal(tl->n, 3);
	assert_string_equal(table_name(tl->t[1]), "regexp:{ {/x/ y} }");
	assert_int_equal(table_type(tl->t[2]), TABLE_CIDR);
	table_list_free(tl);

	tl = table_list_open("", err, sizeof(err));
	assert_non_null(tl);
	assert_int_equal(tl->n, 0);
	table_list_free(tl);

	assert_null(table_list_open("static:A, nope:x", err, sizeof(err)));
	assert_string_equal(err, "nope:x: unknown table type \"nope\" (mxwall "
			    "reads regexp, pcre, cidr, static and inline): "
			    "table not loaded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_inline_and_static),
		cmocka_unit_test(test_pcre_limit),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
