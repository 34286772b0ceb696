/*
 * addr.c - IPv4/IPv6 addresses and prefixes (see addr.h).
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
				      0xff };

unsigned addr_bits(const struct mx_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

int addr_parse(const char *s, struct mx_addr *a)
{
	uint8_t buf[16];

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, buf) == 1) {
		a->family = AF_INET;
		a->plen = 32;
		memcpy(a->b, buf, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		if (memcmp(buf, v4mapped, 12) == 0) {
			a->family = AF_INET;
			a->plen = 32;
			memcpy(a->b, buf + 12, 4);
			return 0;
		}
		a->family = AF_INET6;
		a->plen = 128;
		memcpy(a->b, buf, 16);
		return 0;
	}
	return -1;
}

void addr_mask(struct mx_addr *a, unsigned plen)
{
	unsigned bits = addr_bits(a), i;

	if (plen > bits)
		plen = bits;
	for (i = plen; i < bits; i++)
		a->b[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	a->plen = (uint8_t)plen;
}

int addr_parse_prefix(const char *s, struct mx_addr *a, bool strict,
		      const char **why)
{
	char host[ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	struct mx_addr full;
	char *end;
	long plen;

	*why = "bad address syntax";
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (addr_parse(host, a) < 0)
		return -1;
	if (!slash)
		return 0;
	*why = "bad prefix length";
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	plen = strtol(slash + 1, &end, 10);
	if (*end != '\0' || end - (slash + 1) > 3)
		return -1;
	/* A mapped address written with an IPv6 length keeps its meaning. */
	if (a->family == AF_INET && strchr(host, ':') != NULL) {
		if (plen < 96 || plen > 128)
			return -1;
		plen -= 96;
	}
	if (plen < 0 || plen > (long)addr_bits(a))
		return -1;
	full = *a;
	addr_mask(a, (unsigned)plen);
	if (strict && memcmp(full.b, a->b, 16) != 0) {
		*why = "non-null host address bits";
		return -1;
	}
	return 0;
}

const char *addr_format(const struct mx_addr *a, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family, a->b, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	if (a->plen < addr_bits(a))
		snprintf(buf, len, "%s/%u", tmp, a->plen);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

bool addr_in_prefix(const struct mx_addr *a, const struct mx_addr *p)
{
	struct mx_addr m;

	if (a->family != p->family || a->plen < p->plen)
		return false;
	m = *a;
	addr_mask(&m, p->plen);
	return memcmp(m.b, p->b, 16) == 0;
}

bool addr_equal(const struct mx_addr *a, const struct mx_addr *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       memcmp(a->b, b->b, 16) == 0;
}

bool addr_is_loopback(const struct mx_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->b[0] == 127;
	return memcmp(a->b, one, 16) == 0;
}

int addr_reverse(const struct mx_addr *a, const char *zone, char *buf,
		 size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i, n;

	if (a->family == AF_INET) {
		n = snprintf(buf, len, "%u.%u.%u.%u.%s", a->b[3], a->b[2],
			     a->b[1], a->b[0], zone);
		return n < 0 || (size_t)n >= len ? -1 : 0;
	}
	if (len < 64 + strlen(zone) + 1)
		return -1;
	for (i = 15; i >= 0; i--) {
		buf[o++] = hex[a->b[i] & 15];
		buf[o++] = '.';
		buf[o++] = hex[a->b[i] >> 4];
		buf[o++] = '.';
	}
	strcpy(buf + o, zone);
	return 0;
}
