/*
 * bench_tables.c - lookup cost of mxwall's Postfix tables (lib/table.c):
 * the seed's client_check and sender_check, the test corpus's regexp,
 * pcre and cidr tables, and the shipped dynamic-IP pcre table, each asked
 * about the same 20,000 client-like keys (host names, addresses,
 * senders). Prints nanoseconds per lookup and the share of keys matched;
 * asserts nothing. Run from the top of the tree (bench/run.sh does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "table.h"

#define NKEYS 20000
#define ROUNDS 5

static uint64_t rng_state = 88172645463325252ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* make_key - a client name, an address or a sender, like real traffic. */
static void make_key(char *buf, size_t len)
{
	static const char *const names[] = {
		"%u-%u-%u-%u.dynamic.example.net", "mail%u.example.com",
		"c-%u-%u-%u-%u.hsd1.ca.comcast.net", "ms%u.epaper.com.tw",
		"%u.%u.%u.%u.board.xm.fj.dynamic.163data.com.cn",
		"host%u.static.example.org", "unknown", "mx%u.google.com",
		"news@edm%u.digitimes.com.tw", "user%u@tenlong.com.tw",
		"ppp-%u-%u.pool%u.isp.example",
	};
	unsigned a = rng() % 256, b = rng() % 256, c = rng() % 256,
		 d = rng() % 256;

	switch (rng() % 4) {
	case 0:
		snprintf(buf, len, "%u.%u.%u.%u", a, b, c, d);
		break;
	case 1:
		snprintf(buf, len, "2001:db8:%x::%x", a, b);
		break;
	default:
		snprintf(buf, len, names[rng() % 11], a, b, c, d);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	static const char *const specs[] = {
		"regexp:rules/client_check",
		"regexp:rules/sender_check",
		"pcre:rules/dynamic-normal.pcre",
		"pcre:rules/dynamic-strict.pcre",
		"regexp:tests/postmap/regexp-forms.regexp",
		"pcre:tests/postmap/pcre-forms.pcre",
		"cidr:tests/postmap/net.cidr",
	};
	static char keys[NKEYS][96];
	char err[TABLE_ERR_MAX];
	struct table_result res;
	size_t i, s;
	int r, hits;

	for (i = 0; i < NKEYS; i++)
		make_key(keys[i], sizeof(keys[i]));
	printf("%-42s %12s %8s\n", "table", "ns/lookup", "matched");
	for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		struct table *t = table_open(specs[s], err, sizeof(err));
		double t0, t1;

		if (!t) {
			printf("%-42s skipped: %s\n", specs[s], err);
			continue;
		}
		hits = 0;
		t0 = now();
		for (r = 0; r < ROUNDS; r++)
			for (i = 0; i < NKEYS; i++)
				hits += table_lookup(t, keys[i], &res) == 1;
		t1 = now();
		printf("%-42s %12.0f %7.1f%%\n", specs[s],
		       (t1 - t0) * 1e9 / (ROUNDS * NKEYS),
		       100.0 * hits / (ROUNDS * NKEYS));
		table_free(t);
	}
	return 0;
}
