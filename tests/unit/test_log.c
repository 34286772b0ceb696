/*
 * test_log.c - log_quote and log_quote_word (lib/log.c): untrusted text
 * made safe for one log line, a reply or a ctl answer. What must never
 * get through: a byte below 0x20 or above 0x7e, a '"' or '\' unescaped,
 * more than LOG_QUOTE_MAX input bytes, and (for the word form) a space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "log.h"

/* One case: input (with its length, NULs allowed) and both outputs. */
struct quote_case {
	const char *in;
	size_t len;
	const char *quoted, *word;
};

#define S(x) x, sizeof(x) - 1

static const struct quote_case cases[] = {
	{ S("mail.example.com"), "mail.example.com", "mail.example.com" },
	{ S(""), "", "" },
	{ S("a b=c"), "a b=c", "a\\x20b=c" },
	{ S("x\nBLOCK client=[1.2.3.4]"), "x\\x0aBLOCK client=[1.2.3.4]",
	  "x\\x0aBLOCK\\x20client=[1.2.3.4]" },
	{ S("cr\r esc\033[2J del\177"), "cr\\x0d esc\\x1b[2J del\\x7f",
	  "cr\\x0d\\x20esc\\x1b[2J\\x20del\\x7f" },
	{ S("nul\0after"), "nul\\x00after", "nul\\x00after" },
	{ S("q\"uote\\slash"), "q\\x22uote\\x5cslash",
	  "q\\x22uote\\x5cslash" },
	{ S("caf\xc3\xa9"), "caf\\xc3\\xa9", "caf\\xc3\\xa9" },
	{ S("tab\there"), "tab\\x09here", "tab\\x09here" },
};

static void test_quote_table(void **state)
{
	char out[LOG_QUOTE_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_quote(out, sizeof(out), cases[i].in, cases[i].len);
		assert_string_equal(out, cases[i].quoted);
		log_quote_word(out, sizeof(out), cases[i].in, cases[i].len);
		assert_string_equal(out, cases[i].word);
	}
}

/* test_cut - more than LOG_QUOTE_MAX bytes: cut, with "..." after. */
static void test_cut(void **state)
{
	char in[1000], out[LOG_QUOTE_BUFSZ], want[LOG_QUOTE_MAX + 4];

	memset(in, '\n', sizeof(in));
	log_quote(out, sizeof(out), in, sizeof(in));
	assert_int_equal(strlen(out), LOG_QUOTE_MAX * 4 + 3);
	assert_string_equal(out + LOG_QUOTE_MAX * 4, "...");
	memset(in, 'K', sizeof(in));
	memset(want, 'K', LOG_QUOTE_MAX);
	memcpy(want + LOG_QUOTE_MAX, "...", 4);
	log_quote_word(out, sizeof(out), in, sizeof(in));
	assert_string_equal(out, want);
}

/* test_small_buffer - a short destination: cut whole escapes, "..." */
static void test_small_buffer(void **state)
{
	char out[12];
	size_t i;

	log_quote(out, sizeof(out), "\n\n\n\n\n", (size_t)-1);
	assert_true(strlen(out) < sizeof(out));
	assert_string_equal(out, "\\x0a\\x0a...");
	for (i = 1; i <= sizeof(out); i++) {
		log_quote_word(out, i, "a b c d e f g", (size_t)-1);
		assert_true(strlen(out) < i);
		assert_null(strchr(out, ' '));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_table),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
