/*
 * test_config.c - mxwall.conf (lib/config.c): main.cf syntax, $name
 * references, units, every diagnostic as a golden string, the dump, and
 * the committed man page against the one generated from params.def.
 *
 * Runs from the top of the tree (tests/run.sh does), for
 * docs/mxwall.conf.5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "table.h"

/* Diagnostics captured from msg_warn, one per line. */
static char captured[16384];

static void sink(enum log_sev sev, const char *line)
{
	size_t n = strlen(captured);

	snprintf(captured + n, sizeof(captured) - n, "%s\n", line);
}

/* load - config_load_text on text with diagnostics captured. */
static struct mx_config *load(const char *text, int flags)
{
	struct mx_config *cfg;

	captured[0] = 0;
	log_set_sink(sink);
	cfg = config_load_text("mxwall.conf", text, strlen(text), flags);
	log_set_sink(NULL);
	return cfg;
}

static void test_defaults(void **state)
{
	struct mx_config *cfg;
	int i;

	captured[0] = 0;
	log_set_sink(sink);
	cfg = config_load(NULL, CONFIG_FOR_START);
	log_set_sink(NULL);
	assert_non_null(cfg);
	assert_string_equal(captured, "");
	assert_string_equal(cfg->mode, "enforce");
	assert_string_equal(cfg->backend, "xdp");
	assert_int_equal(cfg->smtp_ports.n, 1);
	assert_int_equal(cfg->smtp_ports.v[0], 25);
	assert_int_equal(cfg->block_ttl, 3600);
	assert_int_equal(cfg->mynetworks.n, 2);
	assert_int_equal(cfg->ipv6_prefix, 64);
	for (i = 0; i < CONF_NPARAMS; i++) {
		assert_int_equal(cfg->origin[i].line, 0);
		assert_non_null(cfg->raw[i]);
	}
	config_free(cfg);
}

static void test_syntax(void **state)
{
	struct mx_config *cfg;

	cfg = load("# a comment\n"
		   "mode = observe\n"
		   "\n"
		   "mynetworks = 10.0.0.0/8,\n"
		   "# a comment inside a continued value\n"
		   "    192.168.0.0/16 [2001:db8::]/32\n"
		   "  , 127.0.0.1\n"
		   "smtp_ports=25 , 587\n"
		   "interfaces = eth0 # not a comment\n"
		   "block_ttl = 2h\n"
		   "allow_ttl = 1w\n"
		   "dnsbl_timeout = 30\n"
		   "dnsbl_min_ttl = 5m\n",
		   CONFIG_FOR_START);
	assert_non_null(cfg);
	assert_string_equal(captured, "");
	assert_string_equal(cfg->mode, "observe");
	assert_int_equal(cfg->origin[CONF_P_mode].line, 2);
	assert_string_equal(cfg->origin[CONF_P_mode].file, "mxwall.conf");
	assert_int_equal(cfg->mynetworks.n, 4);
	assert_int_equal(cfg->mynetworks.v[2].plen, 32);
	assert_int_equal(cfg->origin[CONF_P_mynetworks].line, 4);
	assert_int_equal(cfg->smtp_ports.n, 2);
	assert_int_equal(cfg->smtp_ports.v[1], 587);
	assert_int_equal(cfg->interfaces.n, 5);
	assert_string_equal(cfg->interfaces.v[1], "#");
	assert_null(cfg->helo_checks.tl);
	assert_int_equal(cfg->block_ttl, 7200);
	assert_int_equal(cfg->allow_ttl, 604800);
	assert_int_equal(cfg->dnsbl_timeout, 30);
	assert_int_equal(cfg->dnsbl_min_ttl, 300);
	config_free(cfg);
}

static void test_references(void **state)
{
	struct mx_config *cfg;

	cfg = load("conf_dir = /etc/mxwall\n"
		   "client_checks = regexp:$conf_dir/client_check,\n"
		   "  pcre:${conf_dir}/dyn.pcre\n"
		   "state_file = $(conf_dir)/state$$\n"
		   "pf_table = ${mode?on-$mode}\n"
		   "nft_table = ${dns_servers:no-servers}\n"
		   "user = $control_socket\n"
		   "control_socket = /run/x.sock\n",
		   0);
	assert_non_null(cfg);
	assert_string_equal(captured, "");
	assert_string_equal(cfg->client_checks.spec.v[0],
			    "regexp:/etc/mxwall/client_check");
	assert_string_equal(cfg->client_checks.spec.v[1],
			    "pcre:/etc/mxwall/dyn.pcre");
	assert_string_equal(cfg->state_file, "/etc/mxwall/state$");
	assert_string_equal(cfg->pf_table, "on-enforce");
	assert_string_equal(cfg->nft_table, "no-servers");
	/* A reference sees the value set later in the file. */
	assert_string_equal(cfg->user, "/run/x.sock");
	config_free(cfg);
}

static void test_sites(void **state)
{
	struct mx_config *cfg;

	cfg = load("dnsbl_sites = zen.spamhaus.org*3,\n"
		   "  bl.spamcop.net=127.0.0.[2..11;14]*2\n"
		   "  List.DNSWL.org.=127.0.[0..255].[2;3]*-5\n"
		   "rhsbl_sites = dbl.example\n",
		   0);
	assert_non_null(cfg);
	assert_int_equal(cfg->dnsbl_sites.n, 3);
	assert_string_equal(cfg->dnsbl_sites.v[0].domain, "zen.spamhaus.org");
	assert_null(cfg->dnsbl_sites.v[0].filter);
	assert_int_equal(cfg->dnsbl_sites.v[0].weight, 3);
	assert_string_equal(cfg->dnsbl_sites.v[1].filter,
			    "127.0.0.[2..11;14]");
	assert_string_equal(cfg->dnsbl_sites.v[2].domain, "list.dnswl.org");
	assert_int_equal(cfg->dnsbl_sites.v[2].weight, -5);
	assert_int_equal(cfg->rhsbl_sites.v[0].weight, 1);
	config_free(cfg);
}

/*
 * Every diagnostic: the text loaded and the lines logged, in order. A
 * case with refused != 0 must give no configuration.
 */
static const struct diag_case {
	const char *text;
	int flags;
	bool refused;
	const char *log;
} diags[] = {
	{ "dnsbl_sites = zen.example*3x\n", CONFIG_FOR_START, true,
	  "warning: mxwall.conf, line 1: dnsbl_sites: weight \"3x\" is not a "
	  "number: not starting\n" },
	{ "foo = bar\n", CONFIG_FOR_START, false,
	  "warning: mxwall.conf, line 1: unknown parameter \"foo\": "
	  "ignored\n" },
	{ "mode = observe\nmode = enforce\n", 0, false,
	  "warning: mxwall.conf, line 2: mode is set again: the value from "
	  "line 1 is replaced\n" },
	{ "block_ttl = 5x\n", CONFIG_FOR_RELOAD, true,
	  "warning: mxwall.conf, line 1: block_ttl: \"5x\" is not a duration "
	  "(a number with unit s, m, h, d or w): keeping the old "
	  "configuration\n" },
	{ "block_ttl = 10s\n", CONFIG_FOR_CHECK, true,
	  "warning: mxwall.conf, line 1: block_ttl: \"10s\" is out of range "
	  "(1m..30d): configuration refused\n" },
	{ "mode = block\n", 0, true,
	  "warning: mxwall.conf, line 1: mode: \"block\" is not one of "
	  "enforce, observe\n" },
	{ "ipv6_prefix = 200\n", 0, true,
	  "warning: mxwall.conf, line 1: ipv6_prefix: 200 is out of range "
	  "(32..128)\n" },
	{ "ipv6_prefix = 6x4\n", 0, true,
	  "warning: mxwall.conf, line 1: ipv6_prefix: \"6x4\" is not a "
	  "number\n" },
	{ "circuit_breaker = maybe\n", 0, true,
	  "warning: mxwall.conf, line 1: circuit_breaker: \"maybe\" is not "
	  "yes or no\n" },
	{ "mynetworks = 10.0.0.1/8\n", 0, true,
	  "warning: mxwall.conf, line 1: mynetworks: \"10.0.0.1/8\" is not an "
	  "address or address/length: non-null host address bits\n" },
	{ "smtp_ports = 25 70000\n", 0, true,
	  "warning: mxwall.conf, line 1: smtp_ports: \"70000\" is not a TCP "
	  "port (1..65535)\n" },
	{ "smtp_ports = 1 2 3 4 5 6 7 8 9\n", 0, true,
	  "warning: mxwall.conf, line 1: smtp_ports: 9 ports given, at most "
	  "8\n" },
	{ "client_checks = client_check\n", 0, true,
	  "warning: mxwall.conf, line 1: client_checks: \"client_check\" is "
	  "not type:name (e.g. regexp:/etc/mxwall/client_check)\n" },
	{ "client_checks = regexp:{ {/a/ b}\n", 0, true,
	  "warning: mxwall.conf, line 1: client_checks: \"regexp:{ {/a/ b}\": "
	  "\"{\" without \"}\"\n" },
	{ "interfaces = $nope\n", 0, true,
	  "warning: mxwall.conf, line 1: interfaces: \"$nope\" names no "
	  "parameter\n" },
	{ "interfaces = a $ b\n", 0, true,
	  "warning: mxwall.conf, line 1: interfaces: \"a $ b\": \"$\" without "
	  "a parameter name (write $$ for a dollar sign)\n" },
	{ "interfaces = ${x\n", 0, true,
	  "warning: mxwall.conf, line 1: interfaces: \"${x\": missing \"}\" "
	  "after \"${\"\n" },
	{ "pf_table = $nft_table\nnft_table = $pf_table\n", 0, true,
	  "warning: mxwall.conf, line 1: pf_table: refers to itself through "
	  "$name references\n" },
	/* Each step multiplies by 8: refused past 1 MiB, not run for minutes. */
	{ "interfaces = $a\na = $b$b$b$b$b$b$b$b\nb = $c$c$c$c$c$c$c$c\n"
	  "c = $d$d$d$d$d$d$d$d\nd = $e$e$e$e$e$e$e$e\n"
	  "e = $f$f$f$f$f$f$f$f\nf = $g$g$g$g$g$g$g$g\n"
	  "g = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 0, true,
	  "warning: mxwall.conf, line 1: interfaces: expands to more than "
	  "1048576 bytes\n" },
	{ "dnsbl_sites = zen.example=127.0.0\n", 0, true,
	  "warning: mxwall.conf, line 1: dnsbl_sites: \"zen.example=127.0.0\": "
	  "reply filter \"127.0.0\" is not like 127.0.0.2 or "
	  "127.0.0.[2..11;14]\n" },
	{ "rhsbl_sites = bad..example\n", 0, true,
	  "warning: mxwall.conf, line 1: rhsbl_sites: \"bad..example\": "
	  "\"bad..example\" is not a domain name\n" },
	{ "dnsbl_min_ttl = 2h\ndnsbl_max_ttl = 1h\n", 0, true,
	  "warning: mxwall.conf, line 1: dnsbl_min_ttl: 2h is longer than "
	  "dnsbl_max_ttl (1h)\n" },
	{ "just some words\n", 0, true,
	  "warning: mxwall.conf, line 1: \"just some words\" is not "
	  "\"name = value\"\n" },
	{ "my param = 1\n", 0, true,
	  "warning: mxwall.conf, line 1: \"my param\" is not a parameter "
	  "name\n" },
	{ "  mode = observe\n", CONFIG_FOR_START, true,
	  "warning: mxwall.conf, line 1: indented line continues nothing "
	  "(only continuation lines start with white space): not "
	  "starting\n" },
	/* Every problem is reported, in line order. */
	{ "mode = x\nfoo = 1\nblock_ttl = y\n", CONFIG_FOR_START, true,
	  "warning: mxwall.conf, line 1: mode: \"x\" is not one of enforce, "
	  "observe: not starting\n"
	  "warning: mxwall.conf, line 2: unknown parameter \"foo\": ignored\n"
	  "warning: mxwall.conf, line 3: block_ttl: \"y\" is not a duration "
	  "(a number with unit s, m, h, d or w): not starting\n" },
};

static void test_diagnostics(void **state)
{
	struct mx_config *cfg;
	size_t i;

	for (i = 0; i < sizeof(diags) / sizeof(diags[0]); i++) {
		cfg = load(diags[i].text, diags[i].flags);
		if (diags[i].refused && cfg)
			fail_msg("case %zu: configuration accepted", i);
		if (!diags[i].refused && !cfg)
			fail_msg("case %zu: configuration refused", i);
		assert_string_equal(captured, diags[i].log);
		config_free(cfg);
	}
}

static void test_nul_and_missing(void **state)
{
	struct mx_config *cfg;

	captured[0] = 0;
	log_set_sink(sink);
	cfg = config_load_text("mxwall.conf", "mode = a\0b\n", 11,
			       CONFIG_FOR_START);
	assert_null(cfg);
	assert_string_equal(captured, "warning: mxwall.conf, line 1: NUL byte "
			    "in the text: not starting\n");
	captured[0] = 0;
	cfg = config_load("/nonexistent/mxwall.conf", CONFIG_FOR_START);
	log_set_sink(NULL);
	assert_null(cfg);
	assert_string_equal(captured, "warning: /nonexistent/mxwall.conf: "
			    "cannot open: No such file or directory: not "
			    "starting\n");
}

/* Tables are opened (and their errors reported) with CONFIG_OPEN_TABLES. */
static void test_open_tables(void **state)
{
	struct mx_config *cfg;

	cfg = load("client_checks = regexp:{ {/\\.dynamic\\./ REJECT dyn} }\n",
		   CONFIG_OPEN_TABLES);
	assert_non_null(cfg);
	assert_non_null(cfg->client_checks.tl);
	assert_int_equal(cfg->client_checks.tl->n, 1);
	assert_non_null(cfg->sender_checks.tl);
	assert_int_equal(cfg->sender_checks.tl->n, 0);
	config_free(cfg);

	cfg = load("client_checks = regexp:/nonexistent/client_check\n",
		   CONFIG_OPEN_TABLES | CONFIG_FOR_START);
	assert_null(cfg);
	assert_string_equal(captured, "warning: mxwall.conf, line 1: "
			    "client_checks: /nonexistent/client_check: cannot "
			    "open: No such file or directory: not starting\n");

	cfg = load("client_checks = regexp:{ {/a/q b} }\n",
		   CONFIG_OPEN_TABLES | CONFIG_FOR_RELOAD);
	assert_null(cfg);
	assert_string_equal(captured, "warning: mxwall.conf, line 1: "
			    "client_checks: regexp:{ {/a/q b} }, line 1: "
			    "unknown flag \"q\" after the pattern "
			    "(regexp flags are i, m and x): keeping the old "
			    "configuration\n");
}

/* The dump reads back as the same configuration. */
static void test_dump_roundtrip(void **state)
{
	struct mx_config *a, *b;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	a = load("mode = observe\nmynetworks = 10.0.0.0/8 [::1]/128\n"
		 "dnsbl_sites = a.example*2 b.example=127.0.0.[2..3]\n"
		 "client_checks = regexp:{ {/^unknown$$/ REJECT $$$$} }\n", 0);
	assert_non_null(a);
	fp = open_memstream(&text, &len);
	config_dump(fp, a, false);
	fclose(fp);
	assert_non_null(strstr(text,
			       "# mxwall.conf, line 1\nmode = observe\n"));
	assert_non_null(strstr(text, "# default\nbackend = xdp\n"));
	assert_non_null(strstr(text, "client_checks = regexp:{ {/^unknown$$/ "
				     "REJECT $$$$} }\n"));
	b = load(text, 0);
	assert_non_null(b);
	assert_string_equal(captured, "");
	for (i = 0; i < CONF_NPARAMS; i++)
		assert_string_equal(a->raw[i], b->raw[i]);
	free(text);
	config_free(a);
	config_free(b);

	fp = open_memstream(&text, &len);
	a = load("mode = observe\n", 0);
	config_dump(fp, a, true);
	fclose(fp);
	assert_non_null(strstr(text, "\"mode\": {\"value\": \"observe\", "
				     "\"origin\": \"mxwall.conf, line 1\"}"));
	free(text);
	config_free(a);
}

/* docs/mxwall.conf.5 is what config_man() writes from params.def. */
static void test_man_page_current(void **state)
{
	char err[TABLE_ERR_MAX], *gen = NULL, *committed;
	size_t len = 0, clen;
	FILE *fp;

	fp = open_memstream(&gen, &len);
	config_man(fp);
	fclose(fp);
	committed = read_file("docs/mxwall.conf.5", 1 << 20, &clen, err,
			      sizeof(err));
	if (!committed)
		fail_msg("%s", err);
	if (strcmp(gen, committed) != 0)
		fail_msg("docs/mxwall.conf.5 is out of date with "
			 "lib/params.def: run 'make man' (or "
			 "build/mxwallctl config --man > docs/mxwall.conf.5) "
			 "and commit it");
	free(gen);
	free(committed);
}

/* Every parameter is in the man page, with its section. */
static void test_man_mentions_all(void **state)
{
	char *gen = NULL, want[128];
	size_t len = 0;
	FILE *fp;
	int i;

	fp = open_memstream(&gen, &len);
	config_man(fp);
	fclose(fp);
	for (i = 0; i < CONF_NPARAMS; i++) {
		snprintf(want, sizeof(want), ".B %s\n", config_params[i].name);
		if (!strstr(gen, want))
			fail_msg("%s missing from the man page",
				 config_params[i].name);
	}
	for (i = 0; i < CONF_NSECTIONS; i++)
		assert_non_null(strstr(gen, config_section_titles[i]));
	free(gen);
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		long secs;
	} good[] = { { "0", 0 }, { "45", 45 }, { "45s", 45 }, { "2m", 120 },
		     { "3h", 10800 }, { "1d", 86400 }, { "2w", 1209600 } };
	static const char *const bad[] = {
		"", "s", "1x", "1hh", "-1", " 1", "1 h",
		"99999999999999999999"
	};
	const char *why;
	long s;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(config_duration(good[i].in, &s, &why), 0);
		assert_int_equal(s, good[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_duration(bad[i], &s, &why), -1);
	assert_non_null(config_param_find("dnsbl_sites"));
	assert_null(config_param_find("dnsbl_site"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_diagnostics),
		cmocka_unit_test(test_nul_and_missing),
		cmocka_unit_test(test_open_tables),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_man_page_current),
		cmocka_unit_test(test_man_mentions_all),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
