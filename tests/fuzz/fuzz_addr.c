/*
 * fuzz_addr.c - libFuzzer target for lib/addr.c: addresses and prefixes
 * as they arrive from configuration, tables, policy requests and
 * mxwallctl arguments.
 *
 * Checks, beyond "no crash": whatever parses formats back to text that
 * parses to the same address or prefix; a prefix never has host bits
 * set; an address lies inside its own prefix; reverse names fit the
 * buffer the callers use.
 *
 * FUZZ_SOURCES: lib/addr.c
 * FUZZ_LIBS:
 */
#include "addr.h"
#include "fuzz.h"

#include <sys/socket.h>

/* check_roundtrip - format a and parse it back with the same function. */
static void check_roundtrip(const struct mx_addr *a, bool prefix)
{
	char text[ADDR_STRLEN];
	struct mx_addr b;
	const char *why = NULL;

	if (!addr_format(a, text, sizeof(text)))
		fuzz_fail("addr_format failed");
	if (prefix ? addr_parse_prefix(text, &b, true, &why) :
		     addr_parse(text, &b))
		fuzz_fail("\"%s\" does not parse back (%s)", text,
			  why ? why : "");
	if (!addr_equal(a, &b))
		fuzz_fail("\"%s\" parses to a different address", text);
}

/* check_host_bits - bits past plen must be zero. */
static void check_host_bits(const struct mx_addr *p)
{
	unsigned i;

	if (p->plen > addr_bits(p))
		fuzz_fail("plen %u > %u", p->plen, addr_bits(p));
	for (i = p->plen; i < 128; i++)
		if (p->b[i / 8] & (0x80 >> (i % 8)))
			fuzz_fail("bit %u set past /%u", i, p->plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], rev[128 + 64];
	struct mx_addr a, p;
	const char *why;
	int strict;

	if (size < 1)
		return 0;
	strict = data[0] & 1;
	fuzz_cstr(s, sizeof(s), data + 1, size - 1);

	if (addr_parse(s, &a) == 0) {
		if (a.family != AF_INET && a.family != AF_INET6)
			fuzz_fail("family %u", a.family);
		if (a.plen != addr_bits(&a))
			fuzz_fail("single address with plen %u", a.plen);
		check_roundtrip(&a, false);
		if (addr_reverse(&a, "in-addr.arpa", rev, sizeof(rev)) ||
		    addr_reverse(&a, "zen.spamhaus.org", rev, sizeof(rev)))
			fuzz_fail("addr_reverse does not fit %zu bytes",
				  sizeof(rev));
		if (!addr_in_prefix(&a, &a))
			fuzz_fail("address not inside itself");
	}

	why = NULL;
	if (addr_parse_prefix(s, &p, strict, &why) == 0) {
		check_host_bits(&p);
		check_roundtrip(&p, true);
		if (addr_parse(s, &a) == 0 && !strict) {
			/* An address is inside the prefix made from it. */
			struct mx_addr q = a;

			addr_mask(&q, p.plen);
			if (!addr_in_prefix(&a, &q))
				fuzz_fail("address outside its own prefix");
		}
	} else if (!why) {
		fuzz_fail("addr_parse_prefix failed without a reason");
	}
	return 0;
}
