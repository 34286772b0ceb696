/*
 * fuzz_dnsbl.c - libFuzzer target for the DNS list entry parsers
 * (daemon/dnsbl.c): "domain[=filter][*weight]" in postscreen syntax and
 * the reply filter "d.d.d.d" with [n..m;k] sets.
 *
 * Checks: a refused entry or filter says why; a parsed entry's domain is
 * lower case and its filter text parses as a filter; a filter of four
 * plain numbers accepts exactly that reply (and not its neighbour); the
 * 127.255.255.0/24 error replies are always errors, whatever the filter.
 *
 * FUZZ_SOURCES: daemon/dnsbl.c daemon/verdict.c lib/str.c lib/addr.c lib/log.c
 * FUZZ_LIBS:
 */
#include "dnsbl.h"
#include "fuzz.h"

#include <ctype.h>

/* check_plain - a filter "a.b.c.d" of plain numbers matches only itself. */
static void check_plain(const char *text, const struct dnsbl_filter *f)
{
	unsigned o[4];
	uint8_t r[4];
	char tail;
	int i;

	if (sscanf(text, "%3u.%3u.%3u.%3u%c", &o[0], &o[1], &o[2], &o[3],
		   &tail) != 4 || strspn(text, "0123456789.") != strlen(text))
		return;
	for (i = 0; i < 4; i++)
		r[i] = (uint8_t)o[i];
	if (!dnsbl_filter_match(f, r))
		fuzz_fail("filter %s does not accept itself", text);
	r[3] = (uint8_t)(r[3] + 1);
	if (dnsbl_filter_match(f, r))
		fuzz_fail("filter %s accepts its neighbour", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512], domain[256], filter[256], why[256];
	struct dnsbl_filter f;
	uint8_t r[4] = { 127, 255, 255, 0 };
	int weight, i;
	const char *p;

	fuzz_cstr(text, sizeof(text), data, size);

	why[0] = '\0';
	if (dnsbl_filter_parse(text, &f, why, sizeof(why)) == 0) {
		check_plain(text, &f);
		for (i = 0; i < 256; i += 17) {
			r[3] = (uint8_t)i;
			if (!dnsbl_reply_is_error(r))
				fuzz_fail("127.255.255.%d not an error", i);
		}
	} else if (!why[0]) {
		fuzz_fail("filter refused without a reason");
	}

	why[0] = '\0';
	if (dnsbl_site_parse(text, domain, sizeof(domain), filter,
			     sizeof(filter), &weight, why, sizeof(why)) == 0) {
		for (p = domain; *p; p++)
			if (isupper((unsigned char)*p))
				fuzz_fail("domain %s not lower case", domain);
		if (filter[0] && dnsbl_filter_parse(filter, &f, why,
						    sizeof(why)))
			fuzz_fail("entry accepted with filter %s: %s", filter,
				  why);
	} else if (!why[0]) {
		fuzz_fail("entry refused without a reason");
	}
	return 0;
}
