/*
 * fuzz_access.c - libFuzzer target for access_parse (lib/access.c): the
 * right-hand side of every access table rule, which decides whether a
 * client is blocked and what text Postfix sends back.
 *
 * Checks, beyond "no crash": a parsed action has a kind with a name;
 * an explicit code is 4NN or 5NN; every text field is NUL-terminated
 * inside its array; an action that is not a restriction name keeps the
 * original result.
 *
 * FUZZ_SOURCES: lib/access.c lib/table.c lib/table_lines.c lib/addr.c lib/log.c
 * FUZZ_LIBS: -lpcre2-8
 */
#include "access.h"
#include "fuzz.h"
#include "log.h"

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* check_field - a char array field must hold a terminated string. */
static void check_field(const char *f, size_t len, const char *name)
{
	if (!memchr(f, '\0', len))
		fuzz_fail("%s not terminated", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct access_action act;
	char result[ACCESS_TEXT_MAX + 64];

	log_set_sink(quiet);
	fuzz_cstr(result, sizeof(result), data, size);
	memset(&act, 0x5a, sizeof(act));
	if (access_parse(result, &act) != 0)
		return 0;
	if ((unsigned)act.kind > ACCESS_RESTRICTION)
		fuzz_fail("kind %d", (int)act.kind);
	if (!access_kind_name(act.kind))
		fuzz_fail("no name for kind %d", (int)act.kind);
	if (act.code != 0 && (act.code < 400 || act.code > 599))
		fuzz_fail("code %d", act.code);
	check_field(act.dsn, sizeof(act.dsn), "dsn");
	check_field(act.text, sizeof(act.text), "text");
	check_field(act.orig, sizeof(act.orig), "orig");
	return 0;
}
