/*
 * fuzz_import.c - libFuzzer target for the Postfix main.cf importer
 * (lib/import.c, `mxwallctl import-postfix`): administrators feed it
 * whatever main.cf they have, decades of edits included.
 *
 * Input: a main.cf, written to a memfd and read by path.
 *
 * Checks what import.h promises: it never crashes or exits, and it
 * writes an mxwall.conf - every output line is blank, a comment, a
 * "name = value" line naming a parameter mxwall knows, or a
 * continuation line; a refused input comes with a reason.
 * With FUZZ_IMPORT_STRICT=1 in the environment it also requires that
 * mxwall's own parser accepts the output (tables not opened): a
 * stronger promise than import.h makes, for exploring.
 *
 * FUZZ_SOURCES: lib/import.c lib/config.c lib/dnsbl_dead.c lib/table.c
 * FUZZ_SOURCES: lib/table_lines.c lib/addr.c lib/log.c lib/str.c
 * FUZZ_LIBS: -lpcre2-8
 */
#include "config.h"
#include "fuzz.h"
#include "import.h"
#include "log.h"

#include <ctype.h>
#include <sys/mman.h>
#include <unistd.h>

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* check_line - one output line is blank, a comment, a continuation or
 * "name = value" with a known name. */
static void check_line(const char *l, size_t n)
{
	char name[128];
	size_t i = 0;

	if (n == 0 || l[0] == '#' || l[0] == ' ' || l[0] == '\t')
		return;
	while (i < n && i + 1 < sizeof(name) &&
	       (islower((unsigned char)l[i]) || isdigit((unsigned char)l[i]) ||
		l[i] == '_'))
		i++;
	if (i == 0 || i + 3 > n || memcmp(l + i, " = ", 3) != 0)
		fuzz_fail("output line is not name = value: %.*s", (int)n, l);
	memcpy(name, l, i);
	name[i] = '\0';
	if (!config_param_find(name))
		fuzz_fail("output names unknown parameter %s", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[512];
	char *out = NULL;
	size_t outlen = 0, pos, end;
	FILE *fp;
	int rc;

	log_set_sink(quiet);
	if (fd < 0)
		fd = memfd_create("fuzz-main.cf", 0);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fp = open_memstream(&out, &outlen);
	if (!fp)
		return 0;
	err[0] = '\0';
	rc = import_postfix(path, fp, err, sizeof(err));
	fclose(fp);
	if (rc < 0 && !err[0])
		fuzz_fail("input refused without a reason");
	if (rc == 0) {
		for (pos = 0; pos < outlen; pos = end + 1) {
			const char *nl = memchr(out + pos, '\n', outlen - pos);

			end = nl ? (size_t)(nl - out) : outlen;
			check_line(out + pos, end - pos);
		}
		if (getenv("FUZZ_IMPORT_STRICT")) {
			struct mx_config *cfg = config_load_text(
				"imported.conf", out, outlen, CONFIG_FOR_CHECK);

			if (!cfg)
				fuzz_fail("own output refused by the parser");
			config_free(cfg);
		}
	}
	free(out);
	return 0;
}
