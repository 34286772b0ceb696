/*
 * test_import.c - $name expansion: the shared expander (config_expand,
 * lib/config.c) in both of its modes, and `mxwallctl import-postfix`
 * (lib/import.c) on main.cf files that use $name references, asserting
 * on the mxwall.conf text a user gets: the parameter lines and the notes.
 * Every import's output must also load as an mxwall.conf (tables not
 * opened).
 *
 * Writes its main.cf files to a temporary directory, removed after the
 * test whether it passed or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "import.h"
#include "log.h"

/*
 * The expander alone. Names: a lookup over a small table, each value
 * handed back as text to expand in turn; a name not in it is unknown
 * (kept as written in the importer's mode, an error in mxwall.conf's).
 */
static const struct {
	const char *name, *value;
} vars[] = {
	{ "rbl", "zen.example, bl.example" },
	{ "empty", "" },
	{ "via", "$rbl" },
	{ "deep", "${via}" },
	{ "loop1", "$loop2" },
	{ "loop2", "$loop1" },
};

/* struct xctx - what the lookup and the error hook saw. */
struct xctx {
	bool keep;
	char error[1024];
};

static enum config_ref x_lookup(void *arg, const char *name, size_t len,
				bool test, int depth, const char **value)
{
	struct xctx *c = arg;
	size_t i;

	(void)test;
	(void)depth;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (strlen(vars[i].name) == len &&
		    strncmp(vars[i].name, name, len) == 0) {
			*value = vars[i].value;
			return CONFIG_REF_TEXT;
		}
	}
	if (c->keep)
		return CONFIG_REF_KEEP;
	snprintf(c->error, sizeof(c->error), "\"$%.*s\" names no parameter",
		 (int)len, name);
	return CONFIG_REF_FAIL;
}

static void x_error(void *arg, const char *what)
{
	struct xctx *c = arg;

	snprintf(c->error, sizeof(c->error), "%s", what);
}

/*
 * One expansion: input, mode (keep: the importer's), and the result, or
 * NULL and the error reported.
 */
static const struct {
	const char *in;
	bool keep;
	const char *out, *error;
} expand_cases[] = {
	/* plain, braces, parentheses */
	{ "a $rbl b", false, "a zen.example, bl.example b", NULL },
	{ "${rbl}x", false, "zen.example, bl.examplex", NULL },
	{ "$(rbl).", false, "zen.example, bl.example.", NULL },
	{ "${ rbl }", false, "zen.example, bl.example", NULL },
	/* conditionals, old and Postfix 3 forms */
	{ "${rbl?yes}", false, "yes", NULL },
	{ "${empty?yes}", false, "", NULL },
	{ "${rbl:no}", false, "", NULL },
	{ "${empty:no}", false, "no", NULL },
	{ "${rbl? a }", false, " a ", NULL },
	{ "${rbl?{set}}", false, "set", NULL },
	{ "${empty:{unset}}", false, "unset", NULL },
	{ "${rbl ? {a} : {b}}", false, "a", NULL },
	{ "${empty?{a}:{b}}", false, "b", NULL },
	{ "${empty?{a}:b c}", false, "b c", NULL },
	{ "${rbl?a{b}c}", false, "a{b}c", NULL },
	{ "$(empty:{x})", false, "x", NULL },
	{ "${rbl?{<$rbl>}}", false, "<zen.example, bl.example>", NULL },
	/* nested */
	{ "$deep", false, "zen.example, bl.example", NULL },
	{ "${empty:{${deep}}}", false, "zen.example, bl.example", NULL },
	/* $$: a dollar sign, or still "$$" in the importer's mode */
	{ "a$$b $$rbl", false, "a$b $rbl", NULL },
	{ "a$$b $$rbl", true, "a$$b $$rbl", NULL },
	/* unknown: an error, or kept as written */
	{ "x $nope y", false, NULL, "\"$nope\" names no parameter" },
	{ "x $nope ${nope?{a b}} y", true, "x $nope ${nope?{a b}} y", NULL },
	{ "${nope:{$rbl}}", true, "${nope:{$rbl}}", NULL },
	/* a loop ends at the depth limit */
	{ "$loop1", false, NULL,
	  "$name references nest deeper than 8 (a loop?)" },
	/* syntax */
	{ "a $ b", false, NULL,
	  "\"a $ b\": \"$\" without a parameter name (write $$ for a dollar "
	  "sign)" },
	{ "${rbl", false, NULL, "\"${rbl\": missing \"}\" after \"${\"" },
	{ "$(rbl}", false, NULL, "\"$(rbl}\": missing \")\" after \"$(\"" },
	{ "${}", false, NULL,
	  "\"${}\": \"$\" without a parameter name (write $$ for a dollar "
	  "sign)" },
	{ "${rb-l}", false, NULL,
	  "\"${rb-l}\": \"rb-l\" is not a parameter name (letters, digits "
	  "and \"_\")" },
	{ "${rbl?{a}x}", false, NULL,
	  "\"${rbl?{a}x}\": unexpected \"x\" after \"{a}\"" },
	{ "${rbl:{a}:{b}}", false, NULL,
	  "\"${rbl:{a}:{b}}\": unexpected \":{b}\" after \"{a}\"" },
	{ "$(rbl?{a)", false, NULL,
	  "\"$(rbl?{a)\": the \"{\" after \"?\" is never closed" },
	{ "${rbl?{a}:{b}x}", false, NULL,
	  "\"${rbl?{a}:{b}x}\": \"{a}\": the text after \":\" must be one "
	  "\"{...}\"" },
};

static void test_expand(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
		struct xctx c = { .keep = expand_cases[i].keep };
		const struct config_expander x = {
			.lookup = x_lookup,
			.error = x_error,
			.arg = &c,
			.max_depth = 8,
			.keep_dollars = expand_cases[i].keep,
		};
		char *out = config_expand(expand_cases[i].in, 0, &x);

		print_message("case %zu: %s\n", i, expand_cases[i].in);
		if (expand_cases[i].out) {
			assert_non_null(out);
			assert_string_equal(out, expand_cases[i].out);
			assert_string_equal(c.error, "");
		} else {
			assert_null(out);
			assert_string_equal(c.error, expand_cases[i].error);
		}
		free(out);
	}
}

/* The longest result is a limit, so doubling chains stop. */
static void test_expand_max_len(void **state)
{
	struct xctx c = { .keep = false };
	const struct config_expander x = {
		.lookup = x_lookup,
		.error = x_error,
		.arg = &c,
		.max_depth = 8,
		.max_len = 30,
	};
	char *out;

	(void)state;
	out = config_expand("$rbl", 0, &x);
	assert_string_equal(out, "zen.example, bl.example");
	free(out);
	out = config_expand("$rbl $rbl", 0, &x);
	assert_null(out);
	assert_string_equal(c.error, "expands to more than 30 bytes");
}

/*
 * One import: a main.cf (written to DIR/main.cf), lines the output must
 * hold and text it must not. "DIR" in an expected line stands for the
 * temporary directory. Notes start "#   main.cf, line N: ".
 */
static const struct {
	const char *name, *maincf;
	const char *want[4];
	const char *not_want;
} import_cases[] = {
	{ "plain $name",
	  "rbl = zen.example\n"
	  "smtpd_client_restrictions = permit_mynetworks, "
	  "reject_rbl_client $rbl\n",
	  { "\ndnsbl_sites = zen.example\n" }, "$" },
	{ "a name set twice: the last value, as in Postfix",
	  "rbl = a.example\nrbx = x.example\nrbl = b.example\n"
	  "smtpd_client_restrictions = reject_rbl_client $rbl\n",
	  { "\ndnsbl_sites = b.example\n" }, "a.example" },
	{ "braces and parentheses",
	  "one = a.example\ntwo = b.example\n"
	  "smtpd_client_restrictions = reject_rbl_client ${one} "
	  "reject_rbl_client $(two)\n",
	  { "\ndnsbl_sites = a.example, b.example\n" }, "$" },
	{ "a whole restriction list",
	  "my_restrictions = check_client_access regexp:/r/cc,\n"
	  "   reject_rbl_client a.example\n"
	  "smtpd_recipient_restrictions = $my_restrictions, "
	  "reject_unauth_destination\n",
	  { "\nclient_checks = regexp:/r/cc\n",
	    "\ndnsbl_sites = a.example\n",
	    "#   main.cf, line 3: smtpd_recipient_restrictions: "
	    "reject_unauth_destination: not carried over: relay control" },
	  "$" },
	{ "an RBL list in postscreen_dnsbl_sites",
	  "rbls = zen.example*2, bl.example\n"
	  "postscreen_dnsbl_sites = $rbls, c.example\n"
	  "postscreen_dnsbl_threshold = $(thr)\nthr = 2\n",
	  { "\ndnsbl_threshold = 2\n",
	    "\ndnsbl_sites = zen.example*2, bl.example, c.example\n" },
	  "$" },
	{ "conditionals",
	  "on = yes\noff =\n"
	  "smtpd_client_restrictions = ${on?reject_rbl_client a.example}\n"
	  "   ${off?reject_rbl_client b.example}\n"
	  "   ${off:{reject_rbl_client c.example}}\n"
	  "   ${on:reject_rbl_client d.example}\n"
	  "   ${off?{reject_rbl_client e.example}:{reject_rbl_client "
	  "f.example}}\n",
	  { "\ndnsbl_sites = a.example, c.example, f.example\n" }, "$" },
	{ "a conditional tests the value as written (as postconf)",
	  "off =\nvia = $off\n"
	  "smtpd_client_restrictions = ${via?{reject_rbl_client a.example}}\n",
	  { "\ndnsbl_sites = a.example\n" }, NULL },
	{ "nested references",
	  "a = $b\nb = ${c}, reject_rbl_client b.example\n"
	  "c = reject_rbl_client c.example\n"
	  "smtpd_helo_restrictions = $(a)\n",
	  { "\ndnsbl_sites = c.example, b.example\n" }, "$" },
	{ "$$ stays a dollar sign in the output",
	  "smtpd_client_restrictions = check_client_access "
	  "regexp:{ {/^x$$/ REJECT costs $$5} }\n",
	  { "\nclient_checks = regexp:{ {/^x$$/ REJECT costs $$5} }\n" },
	  NULL },
	{ "config_directory: the directory main.cf is in",
	  "smtpd_client_restrictions = check_client_access "
	  "regexp:$config_directory/client_check\n",
	  { "\nclient_checks = regexp:DIR/client_check\n",
	    "#   main.cf, line 1: smtpd_client_restrictions: "
	    "$config_directory: not set in main.cf: Postfix's value, the "
	    "directory main.cf is read from (DIR), is used\n" },
	  NULL },
	{ "config_directory set in main.cf",
	  "config_directory = /etc/pf\n"
	  "smtpd_client_restrictions = check_client_access "
	  "pcre:${config_directory}/cc\n",
	  { "\nclient_checks = pcre:/etc/pf/cc\n" }, "not set in main.cf" },
	{ "a restriction list's empty default",
	  "smtpd_recipient_restrictions = $smtpd_client_restrictions "
	  "reject_rbl_client z.example\n",
	  { "\ndnsbl_sites = z.example\n",
	    "#   main.cf, line 1: smtpd_recipient_restrictions: "
	    "$smtpd_client_restrictions: not set in main.cf: empty, as "
	    "Postfix's default\n" },
	  NULL },
	{ "an unknown name: its words are left out",
	  "smtpd_client_restrictions = reject_rbl_client a.example,\n"
	  "   reject_rbl_client $nothere, check_client_access "
	  "regexp:$daemon_directory/x\n   $mine\n",
	  { "\ndnsbl_sites = a.example\n",
	    "#   main.cf, line 1: smtpd_client_restrictions: "
	    "reject_rbl_client $nothere: left out: main.cf does not set "
	    "$nothere, and the importer does not know Postfix's own value "
	    "for it (none, if it is not a Postfix parameter; `postconf -x -h "
	    "smtpd_client_restrictions` shows it): add it by hand if it "
	    "matters\n",
	    "smtpd_client_restrictions: check_client_access "
	    "regexp:$daemon_directory/x: left out: main.cf does not set "
	    "$daemon_directory,",
	    "smtpd_client_restrictions: $mine: left out: main.cf does not "
	    "set $mine," },
	  "client_checks" },
	{ "a loop through two names",
	  "a = $b\nb = ${a}\n"
	  "smtpd_client_restrictions = reject_rbl_client x.example $a\n",
	  { "#   main.cf, line 3: smtpd_client_restrictions: cannot be "
	    "expanded: $a refers to itself: a (line 1) -> b (line 2) -> a: "
	    "not imported (Postfix refuses it too)\n" },
	  "dnsbl_sites" },
	{ "a list that names itself",
	  "smtpd_client_restrictions = reject_rbl_client x.example "
	  "$smtpd_client_restrictions\n",
	  { "#   main.cf, line 1: smtpd_client_restrictions: cannot be "
	    "expanded: $smtpd_client_restrictions refers to itself: "
	    "smtpd_client_restrictions (line 1) -> "
	    "smtpd_client_restrictions: not imported" },
	  "dnsbl_sites" },
	{ "a syntax error",
	  "smtpd_client_restrictions = reject_rbl_client ${rbl\n"
	  "smtpd_helo_restrictions = reject_rbl_client ok.example\n",
	  { "#   main.cf, line 1: smtpd_client_restrictions: cannot be "
	    "expanded: \"reject_rbl_client ${rbl\": missing \"}\" after "
	    "\"${\": not imported (Postfix refuses it too)\n",
	    "\ndnsbl_sites = ok.example\n" },
	  NULL },
	{ "a list where one list name is meant",
	  "rbl = zen.example, bl.example\n"
	  "smtpd_client_restrictions = reject_rbl_client $rbl\n",
	  { "\ndnsbl_sites = zen.example\n",
	    "#   main.cf, line 2: smtpd_client_restrictions: bl.example: not "
	    "carried over: not a Postfix restriction (Postfix answers \"451 "
	    "4.3.5 Server configuration error\" when it gets there; a DNS "
	    "list needs reject_rbl_client before it, one list each)\n" },
	  NULL },
	{ "an unknown name in a single value",
	  "postscreen_dnsbl_min_ttl = $ttl\n"
	  "postscreen_dnsbl_sites = a.example\n",
	  { "#   main.cf, line 1: postscreen_dnsbl_min_ttl: $ttl: left out: "
	    "main.cf does not set $ttl," },
	  "dnsbl_min_ttl =" },
	{ "single values mxwall cannot take are left out",
	  "postscreen_dnsbl_max_ttl = mpe\npostscreen_dnsbl_min_ttl = 30s\n"
	  "postscreen_dnsbl_timeout = 900\n"
	  "postscreen_dnsbl_whitelist_threshold = -2\n",
	  { "\ndnsbl_min_ttl = 30s\n", "\ndnsbl_allowlist_threshold = -2\n",
	    "#   main.cf, line 1: postscreen_dnsbl_max_ttl: \"mpe\" is not a "
	    "duration (a number with unit s, m, h, d or w); dnsbl_max_ttl "
	    "takes 1..2592000 seconds: left out, mxwall's default applies\n",
	    "#   main.cf, line 3: postscreen_dnsbl_timeout: \"900\" is out of "
	    "range; dnsbl_timeout takes 1..300 seconds: left out, mxwall's "
	    "default applies\n" },
	  "dnsbl_max_ttl =" },
	{ "a DNS list entry mxwall cannot take is left out",
	  "postscreen_dnsbl_sites = zen.example*3, b.example=, c.example*x\n",
	  { "\ndnsbl_sites = zen.example*3\n",
	    "#   main.cf, line 1: postscreen_dnsbl_sites: site b.example=: "
	    "left out: \"b.example=\": reply filter \"\" is not like "
	    "127.0.0.2 or 127.0.0.[2..11;14]\n",
	    "#   main.cf, line 1: postscreen_dnsbl_sites: site c.example*x: "
	    "left out: weight \"x\" is not a number\n" },
	  "c.example*0" },
	{ "a value that doubles at every step stops",
	  "a0 = $a1 $a1\na1 = $a2 $a2\na2 = $a3 $a3\na3 = $a4 $a4\n"
	  "a4 = $a5 $a5\na5 = $a6 $a6\na6 = $a7 $a7\na7 = $a8 $a8\n"
	  "a8 = $a9 $a9\na9 = $b0 $b0\nb0 = $b1 $b1\nb1 = $b2 $b2\n"
	  "b2 = $b3 $b3\nb3 = $b4 $b4\nb4 = $b5 $b5\nb5 = $b6 $b6\n"
	  "b6 = $b7 $b7\nb7 = $b8 $b8\nb8 = $b9 $b9\nb9 = $c0 $c0\n"
	  "c0 = reject_rbl_client x.example\n"
	  "smtpd_client_restrictions = $a0\n",
	  { "smtpd_client_restrictions: cannot be expanded: expands to more "
	    "than 262144 bytes: not imported" },
	  "dnsbl_sites" },
};

/* replace_dir - s with every "DIR" replaced by dir, into buf. */
static const char *replace_dir(const char *s, const char *dir, char *buf,
			       size_t len)
{
	size_t used = 0;
	const char *p;

	buf[0] = 0;
	while ((p = strstr(s, "DIR")) != NULL && used < len) {
		snprintf(buf + used, len - used, "%.*s%s", (int)(p - s), s,
			 dir);
		used += strlen(buf + used);
		s = p + 3;
	}
	if (used < len)
		snprintf(buf + used, len - used, "%s", s);
	return buf;
}

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* The temporary directory of the import cases, and its main.cf. */
static char tmpdir[] = "/tmp/test_import.XXXXXX";
static char tmpfile_path[64];

static int tmp_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(tmpfile_path, sizeof(tmpfile_path), "%s/main.cf", tmpdir);
	return 0;
}

/* tmp_teardown - runs after a failed case too, so nothing is left. */
static int tmp_teardown(void **state)
{
	(void)state;
	unlink(tmpfile_path);
	rmdir(tmpdir);
	return 0;
}

static void test_import_expansion(void **state)
{
	const char *dir = tmpdir, *path = tmpfile_path;
	char want[2048], err[256], *text;
	struct mx_config *cfg;
	size_t i, k, len;
	FILE *fp;

	(void)state;
	for (i = 0; i < sizeof(import_cases) / sizeof(import_cases[0]); i++) {
		print_message("case: %s\n", import_cases[i].name);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(import_cases[i].maincf, fp);
		fclose(fp);

		text = NULL;
		fp = open_memstream(&text, &len);
		assert_non_null(fp);
		assert_int_equal(import_postfix(path, fp, err, sizeof(err)),
				 0);
		fclose(fp);
		for (k = 0; k < 4 && import_cases[i].want[k]; k++) {
			replace_dir(import_cases[i].want[k], dir, want,
				    sizeof(want));
			if (!strstr(text, want))
				print_message("output:\n%s\nlacks:\n%s\n", text,
					      want);
			assert_non_null(strstr(text, want));
		}
		if (import_cases[i].not_want) {
			/* after the header, which names the path */
			const char *body = strstr(text, "\n\n");

			if (strstr(body, import_cases[i].not_want))
				print_message("output:\n%s\nholds: %s\n", text,
					      import_cases[i].not_want);
			assert_null(strstr(body, import_cases[i].not_want));
		}
		log_set_sink(quiet);
		cfg = config_load_text("import", text, len, 0);
		log_set_sink(NULL);
		if (!cfg)
			print_message("mxwall refuses:\n%s\n", text);
		assert_non_null(cfg);
		config_free(cfg);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_max_len),
		cmocka_unit_test_setup_teardown(test_import_expansion,
						tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
