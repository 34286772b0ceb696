/*
 * fuzz_log_quote.c - libFuzzer target for log_quote (lib/log.c), the one
 * gate untrusted text (PTR names, HELO, senders, TXT records) passes
 * before it reaches a log line or a reply.
 *
 * Checks what log.h promises: the output is NUL-terminated inside the
 * buffer, holds only printable ASCII, has no bare '"' and no '\' that
 * does not start a \xNN escape, and is never longer than
 * LOG_QUOTE_BUFSZ - so nothing an attacker sends can break a log line.
 *
 * FUZZ_SOURCES: lib/log.c
 * FUZZ_LIBS:
 */
#include "fuzz.h"
#include "log.h"

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* check_quoted - the promises of log_quote for out, dstlen bytes. */
static void check_quoted(const char *out, size_t dstlen)
{
	size_t n = strnlen(out, dstlen), i;

	if (n == dstlen)
		fuzz_fail("not NUL-terminated within %zu bytes", dstlen);
	if (n >= LOG_QUOTE_BUFSZ)
		fuzz_fail("%zu bytes out, more than LOG_QUOTE_BUFSZ", n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c >= 0x7f)
			fuzz_fail("byte 0x%02x at %zu", c, i);
		if (c == '"')
			fuzz_fail("bare '\"' at %zu", i);
		if (c == '\\') {
			if (i + 3 >= n)
				fuzz_fail("'\\' at %zu cut short", i);
			if (out[i + 1] != 'x' || !is_hex(out[i + 2]) ||
			    !is_hex(out[i + 3]))
				fuzz_fail("'\\' at %zu not \\xNN", i);
			i += 3;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big[LOG_QUOTE_BUFSZ];
	char *small;
	size_t dstlen;
	char *cstr;

	if (size < 1)
		return 0;

	/* The buffer size callers use. */
	log_quote(big, sizeof(big), (const char *)data + 1, size - 1);
	check_quoted(big, sizeof(big));

	/* A smaller buffer, of a size the input chooses (1..256). */
	dstlen = (size_t)data[0] + 1;
	small = malloc(dstlen);
	if (!small)
		return 0;
	log_quote(small, dstlen, (const char *)data + 1, size - 1);
	check_quoted(small, dstlen);
	free(small);

	/* NUL-terminated form, (size_t)-1 as the length. */
	cstr = malloc(size);
	if (!cstr)
		return 0;
	memcpy(cstr, data + 1, size - 1);
	cstr[size - 1] = '\0';
	log_quote(big, sizeof(big), cstr, (size_t)-1);
	check_quoted(big, sizeof(big));
	free(cstr);
	return 0;
}
