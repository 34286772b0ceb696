/*
 * fuzz_dns.c - libFuzzer target for resolver_parse (daemon/resolver.c):
 * the DNS answers of PTR, A, AAAA and TXT queries as they arrive from
 * the network - from any DNS list, from any reverse zone a spammer
 * controls. c-ares checks the header and the question; everything after
 * that (record walking, name compression in PTR data, TXT strings, SOA
 * minimum) is mxwall's own reading.
 *
 * Input: byte 0 picks the query type (A, AAAA, PTR, TXT) and the status
 * c-ares reported (ok, nxdomain, nodata); the rest is the answer.
 *
 * Checks what resolver.h promises: at most RES_RR_MAX records kept, one
 * for PTR and TXT; text NUL-terminated inside its array; a TTL that fits
 * a signed 32-bit value; the status is the one given, or NODATA when an
 * "ok" answer held no record of the type.
 *
 * FUZZ_SOURCES: daemon/resolver.c daemon/evloop.c lib/log.c
 * FUZZ_LIBS: -lcares
 */
#include "fuzz.h"
#include "resolver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { RES_T_A, RES_T_AAAA, RES_T_PTR,
				     RES_T_TXT };
	static const int statuses[] = { RES_OK, RES_NXDOMAIN, RES_NODATA };
	struct res_rrset rr;
	int type, status;

	/* c-ares reports success only for answers with a whole header. */
	if (size < 1 + 12 || size > 65535)
		return 0;
	type = types[data[0] & 3];
	status = statuses[(data[0] >> 2) % 3];
	memset(&rr, 0x5a, sizeof(rr));
	resolver_parse(data + 1, (int)(size - 1), type, status, &rr);

	if (rr.n < 0 || rr.n > RES_RR_MAX)
		fuzz_fail("%d records kept", rr.n);
	if ((type == RES_T_PTR || type == RES_T_TXT) && rr.n > 1)
		fuzz_fail("%d records kept for a PTR/TXT answer", rr.n);
	if (!memchr(rr.text, '\0', sizeof(rr.text)))
		fuzz_fail("text not terminated");
	if (rr.ttl > 0x7fffffffu)
		fuzz_fail("ttl %u", rr.ttl);
	if (rr.status != status &&
	    !(status == RES_OK && rr.status == RES_NODATA && rr.n == 0))
		fuzz_fail("status %d for %d", rr.status, status);
	if (status == RES_OK && rr.status == RES_OK && rr.n == 0)
		fuzz_fail("ok without a record");
	return 0;
}
