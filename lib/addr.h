/*
 * addr.h - IPv4/IPv6 addresses and prefixes, shared by every part of
 * mxwall that names a client.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is always stored as IPv4,
 * so one client has one key. Functions never allocate and never block.
 */
#ifndef MXWALL_ADDR_H
#define MXWALL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * struct mx_addr - one address or prefix.
 *   family  AF_INET or AF_INET6;
 *   plen    prefix length in bits (32 or 128 for a single address);
 *   b       the address, network byte order; IPv4 uses b[0..3] and the
 *           rest is zero; bits past plen are zero for a prefix.
 */
struct mx_addr {
	uint8_t family;
	uint8_t plen;
	uint8_t b[16];
};

/* Room for any formatted address with "/128". */
#define ADDR_STRLEN 64

/* addr_parse - one address, no prefix length. 0, or -1 if not an address. */
int addr_parse(const char *s, struct mx_addr *a);

/*
 * addr_parse_prefix - "ADDR" or "ADDR/LEN". With strict, host bits set
 * past LEN are an error (as in Postfix cidr tables); otherwise they are
 * cleared. On error returns -1 and points *why at a static reason.
 */
int addr_parse_prefix(const char *s, struct mx_addr *a, bool strict,
		      const char **why);

/* addr_format - "192.0.2.1", "2001:db8::/64"; "/LEN" only for prefixes. */
const char *addr_format(const struct mx_addr *a, char *buf, size_t len);

/* addr_bits - 32 or 128. */
unsigned addr_bits(const struct mx_addr *a);

/* addr_mask - clear the bits past plen and set a->plen = plen. */
void addr_mask(struct mx_addr *a, unsigned plen);

/* addr_in_prefix - whether a lies inside prefix p (same family). */
bool addr_in_prefix(const struct mx_addr *a, const struct mx_addr *p);

/* addr_equal - same family, prefix length and bits. */
bool addr_equal(const struct mx_addr *a, const struct mx_addr *b);

/* addr_is_loopback - 127.0.0.0/8 or ::1. */
bool addr_is_loopback(const struct mx_addr *a);

/*
 * addr_reverse - the DNS query name for a under zone: "4.3.2.1.zone" for
 * IPv4, 32 reversed nibbles for IPv6 (zone "in-addr.arpa"/"ip6.arpa" gives
 * the PTR name). Returns 0, or -1 if buf is too small.
 */
int addr_reverse(const struct mx_addr *a, const char *zone, char *buf,
		 size_t len);

#endif
