/*
 * fuzz_config.c - libFuzzer target for the mxwall.conf parser
 * (lib/config.c with the logical-line reader of lib/table_lines.c):
 * main.cf syntax, continuation lines, $name references, every parameter
 * type of lib/params.def (lists, durations, ports, prefixes, sites).
 *
 * Tables are not opened (that is fuzz_table's work, and a fuzzed path
 * could name any file). Checks: a refused configuration says why in at
 * least one log line, and every log line is one line; an accepted one
 * can be dumped, as text and as JSON, and freed without a leak.
 *
 * FUZZ_SOURCES: lib/config.c lib/table.c lib/table_lines.c lib/addr.c lib/log.c
 * FUZZ_LIBS: -lpcre2-8
 */
#include "config.h"
#include "fuzz.h"
#include "log.h"

static int lines;

/* count - log sink: count lines, refuse embedded newlines. */
static void count(enum log_sev sev, const char *line)
{
	(void)sev;
	if (strchr(line, '\n'))
		fuzz_fail("log line with an embedded newline: %.80s", line);
	lines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct mx_config *cfg;

	log_set_sink(count);
	if (!null)
		null = fopen("/dev/null", "w");
	lines = 0;
	cfg = config_load_text("fuzz.conf", (const char *)data, size,
			       CONFIG_FOR_CHECK);
	if (!cfg) {
		if (lines == 0)
			fuzz_fail("configuration refused without a word");
		return 0;
	}
	if (null) {
		config_dump(null, cfg, false);
		config_dump(null, cfg, true);
	}
	config_free(cfg);
	return 0;
}
