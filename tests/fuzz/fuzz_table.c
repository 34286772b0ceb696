/*
 * fuzz_table.c - libFuzzer target for the table readers (lib/table.c,
 * lib/table_lines.c): regexp, pcre and cidr tables as files, then
 * lookups with keys from the same input (keys stand for PTR names,
 * senders and addresses, which come from strangers).
 *
 * Input: byte 0 picks the type (regexp, pcre, cidr); the text up to the
 * first NUL is the table, written to a memfd and opened by path like a
 * file; each NUL-separated piece after it is one lookup key.
 *
 * glibc's regcomp expands repetitions into copies of the tree, so a
 * regexp such as "a++++++..." or "(a{1,255}){1,255}" needs gigabytes to
 * compile; table.c refuses those (regexp_cost), and lets patterns up to
 * about 45 MB and 0.1 s each through. So that one input cannot add up
 * dozens of those, a regexp input with more than one line holding a
 * bound or stacked quantifiers is skipped; pcre tables get them all
 * (pcre2 bounds its own compile).
 *
 * Checks, beyond "no crash": a refused table comes with an error that
 * ends in ": table not loaded"; a lookup that finds something returns a
 * value, the table's file and a line inside the table.
 *
 * FUZZ_SOURCES: lib/table.c lib/table_lines.c lib/addr.c lib/log.c
 * FUZZ_LIBS: -lpcre2-8
 */
#include "fuzz.h"
#include "log.h"
#include "table.h"

#include <sys/mman.h>
#include <unistd.h>

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* lookup_keys - look each NUL-separated key of keys[0..n) up in t. */
static void lookup_keys(struct table *t, const char *keys, size_t n,
			int lines)
{
	struct table_result res;
	char key[512];
	size_t pos = 0, len;
	int rc;

	while (pos < n) {
		len = strnlen(keys + pos, n - pos);
		fuzz_cstr(key, sizeof(key), (const uint8_t *)keys + pos, len);
		rc = table_lookup(t, key, &res);
		if (rc == 1) {
			if (!res.value || !res.file || !res.rule)
				fuzz_fail("match without value/file/rule");
			if (res.line < 1 || res.line > lines)
				fuzz_fail("match on line %d of %d", res.line,
					  lines);
		} else if (rc != 0 && rc != -1) {
			fuzz_fail("table_lookup returned %d", rc);
		}
		pos += len + 1;
	}
}

/* heavy_lines - lines of text holding a bound or stacked quantifiers. */
static int heavy_lines(const char *text, size_t len)
{
	size_t i, run = 0;
	int lines = 0, heavy = 0;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			lines += heavy;
			heavy = 0;
			run = 0;
			continue;
		}
		run = strchr("*+?", text[i]) ? run + 1 : 0;
		if (text[i] == '{' || run > 1)
			heavy = 1;
	}
	return lines + heavy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "regexp", "pcre", "cidr" };
	static int fd = -1;
	char spec[64], err[TABLE_ERR_MAX];
	const char *text;
	size_t tlen, i;
	struct table *t;
	int lines = 1;

	log_set_sink(quiet);
	if (fd < 0)
		fd = memfd_create("fuzz-table", 0);
	if (fd < 0 || size < 1)
		return 0;
	text = (const char *)data + 1;
	tlen = strnlen(text, size - 1);
	if (data[0] % 3 == 0 && heavy_lines(text, tlen) > 1)
		return 0;
	for (i = 0; i < tlen; i++)
		lines += text[i] == '\n';
	if (ftruncate(fd, 0) || pwrite(fd, text, tlen, 0) != (ssize_t)tlen)
		return 0;
	snprintf(spec, sizeof(spec), "%s:/proc/self/fd/%d",
		 types[data[0] % 3], fd);

	err[0] = '\0';
	t = table_open(spec, err, sizeof(err));
	if (!t) {
		if (!strstr(err, "table not loaded"))
			fuzz_fail("refused without the diagnostic: \"%s\"",
				  err);
		return 0;
	}
	if (tlen + 1 < size - 1)
		lookup_keys(t, text + tlen + 1, size - 1 - tlen - 1, lines);
	table_free(t);
	return 0;
}
