/*
 * mkkeys.c - lookup keys for tests/t-postmap.sh, one per line on stdout.
 *
 *   mkkeys SEED COUNT
 *   mkkeys --rules SEED regexp|pcre
 *
 * The second form prints a random regexp or pcre table instead: 3 to 15
 * rules of random atoms, delimiters, flags, negations, if/endif blocks,
 * $N results (only where the pattern has groups), continuation and
 * comment lines. Some are tables Postfix warns about (a bad flag, an
 * unbalanced group); t-postmap.sh then only checks that mxwall refuses
 * them too.
 *
 * The same SEED always gives the same keys. The mix aims at the rules of
 * the seed's tables and of tests/postmap/: client names (dynamic, DSL,
 * generic "1-2-3-4" names, mail servers, the seed's epaper/digitimes/
 * tenlong names), IPv4 and IPv6 addresses in and around the corpus's
 * prefixes (and malformed ones), envelope senders (owner-, -outgoing,
 * postmaster, source routes), random case, odd bytes (controls, high
 * bytes, '$', backslashes) and very long strings (up to 6,000 bytes).
 * Keys never contain NUL, newline or tab (postmap -q - reads lines and
 * prints "key<TAB>value").
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 8192

static uint64_t rng_state;

/* rng - xorshift64*, deterministic per seed. */
static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static unsigned pick(unsigned n)
{
	return rng() % n;
}

static const char *one(const char *const *v, unsigned n)
{
	return v[pick(n)];
}

#define ONE(v) one(v, sizeof(v) / sizeof(v[0]))

static const char *const words[] = {
	"dynamic", "dyn", "dsl", "adsl", "cable", "dial", "dialup", "dhcp",
	"pool", "ppp", "static", "mail", "smtp", "mx", "mx1", "relay", "host",
	"client", "customer", "res", "ip", "broadband", "fiber", "wifi",
	"edm1", "edm7", "ms1", "msa", "msz", "ecfs3", "ecfs10", "ecfsrv",
	"tenlong", "indimodels", "board", "xm", "fj", "163data", "unknown",
	"owner-list", "list-outgoing", "postmaster", "UPPER", "Mixed",
	"foo", "foobar", "bar", "abc", "aab", "aaab", "abab", "xy", "xxy",
	"x+y", "pipe", "percent%sign", "keep", "drop", "tail", "0", "00",
};

static const char *const domains[] = {
	"example.com", "example.net", "epaper.com.tw", "digitimes.com.tw",
	"com.tw", "th.gov.tw", "163data.com.cn", "indimodels.com",
	"isp.example", "dynamic.example.org", "EXAMPLE.COM", "mail.th.gov.tw",
	"tenlong.com.tw", "dsl.isp.net", "pool.dynamic.de", "localdomain",
};

static const char *const prefixes4[] = {
	"10.", "10.1.", "10.2.", "192.168.", "172.16.", "172.31.", "127.0.0.",
	"192.0.2.", "198.51.100.", "203.0.113.", "8.8.", "1.", "224.",
	"255.255.255.", "0.", "100.64.", "169.254.",
};

static const char *const prefixes6[] = {
	"2001:db8:", "2001:db8:1:", "2001:dead:", "fe80::", "::ffff:",
	"fd00:", "2a00:1450:", "::", "2001:db8::", "ff02::",
};

/* add - append s to the key being built. */
static void add(char *k, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (*n + len >= KEY_MAX - 1)
		len = KEY_MAX - 1 - *n;
	memcpy(k + *n, s, len);
	*n += len;
	k[*n] = 0;
}

static void addf_num(char *k, size_t *n, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	add(k, n, buf);
}

/* key_name - a host name built from words, digits and a domain. */
static void key_name(char *k, size_t *n)
{
	unsigned parts = 1 + pick(4), i;
	char buf[64];

	for (i = 0; i < parts; i++) {
		switch (pick(5)) {
		case 0:
			snprintf(buf, sizeof(buf), "%u-%u-%u-%u", pick(256),
				 pick(256), pick(256), pick(256));
			add(k, n, buf);
			break;
		case 1:
			snprintf(buf, sizeof(buf), "%u.%u.%u.%u", pick(256),
				 pick(256), pick(256), pick(256));
			add(k, n, buf);
			break;
		default:
			add(k, n, ONE(words));
			if (pick(3) == 0)
				addf_num(k, n, pick(100));
		}
		add(k, n, pick(6) ? "." : "-");
	}
	add(k, n, ONE(domains));
}

/* key_addr4 - an IPv4 address near the corpus's prefixes, or malformed. */
static void key_addr4(char *k, size_t *n)
{
	const char *p = ONE(prefixes4);
	int dots = 0, i;
	const char *c;

	add(k, n, p);
	for (c = p; *c; c++)
		dots += *c == '.';
	for (i = dots; i < 3; i++) {
		addf_num(k, n, pick(256));
		add(k, n, ".");
	}
	addf_num(k, n, pick(300)); /* sometimes > 255: not an address */
	if (pick(20) == 0)
		add(k, n, ONE(((const char *const[]){ "/24", " ", ".", "]" })));
}

/* key_addr6 - an IPv6 address near the corpus's prefixes. */
static void key_addr6(char *k, size_t *n)
{
	const char *p = ONE(prefixes6);
	char buf[16];
	unsigned groups = pick(4), i;

	add(k, n, p);
	if (strcmp(p, "::ffff:") == 0) {
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u", pick(256), pick(256),
			 pick(256), pick(256));
		add(k, n, buf);
		return;
	}
	for (i = 0; i <= groups; i++) {
		snprintf(buf, sizeof(buf), "%x", pick(0x10000));
		add(k, n, buf);
		if (i < groups)
			add(k, n, ":");
	}
	if (pick(10) == 0)
		add(k, n, pick(2) ? ":" : "::1");
}

/* key_sender - an envelope sender. */
static void key_sender(char *k, size_t *n)
{
	static const char *const locals[] = {
		"owner-list", "list-outgoing", "postmaster", "user", "a%b",
		"x!y", "spam", "news", "john.doe", "owner-x-outgoing", "",
		"Postmaster", "info+tag", "edm3",
	};

	add(k, n, ONE(locals));
	if (pick(8) == 0) {
		add(k, n, "@");
		add(k, n, ONE(domains));
		add(k, n, pick(2) ? "%" : "!");
	}
	add(k, n, "@");
	key_name(k, n);
}

/* key_odd - printable noise plus controls and high bytes. */
static void key_odd(char *k, size_t *n)
{
	unsigned len = 1 + pick(40), i;
	char c[2] = { 0, 0 };

	for (i = 0; i < len; i++) {
		switch (pick(6)) {
		case 0:
			do
				c[0] = (char)(1 + pick(255));
			while (c[0] == '\n' || c[0] == '\t');
			break;
		case 1:
			c[0] = "$\\{}()[]^.*+?|!%#@ /"[pick(20)];
			break;
		default:
			c[0] = (char)(' ' + pick(95));
		}
		add(k, n, c);
	}
	if (pick(2))
		add(k, n, ONE(words));
}

/* key_long - a long string, mostly repetitive, that may match late. */
static void key_long(char *k, size_t *n)
{
	unsigned len = 200 + pick(6000), i;
	const char *piece = ONE(((const char *const[]){
		"a", "ab", "0123456789", "x.", "dyn-", ".", "-", "aaaa" }));

	for (i = 0; *n < len && i < len; i++)
		add(k, n, piece);
	if (pick(2))
		add(k, n, ONE(((const char *const[]){
			".dynamic.example", "b", "@example.com", "!", "" })));
}

/* flip_case - random upper/lower case for a share of the letters. */
static void flip_case(char *k)
{
	for (; *k; k++) {
		if (pick(4) != 0)
			continue;
		if (*k >= 'a' && *k <= 'z')
			*k = (char)(*k - 'a' + 'A');
		else if (*k >= 'A' && *k <= 'Z')
			*k = (char)(*k - 'A' + 'a');
	}
}

/* rules - print a random table of kind "regexp" or "pcre". */
static int rules(const char *kind)
{
	static const char *const common[] = {
		"a", "b", "c", "x", "y", "\\.", ".", "[0-9]", "[a-z]",
		"[^.]", "\\-", "-", "@", "(a|b)", "(x)", "([0-9]+)", "(.*)",
		"^", "$", "dyn", "mail", "(ab)", "a*", "b+", "x?", ".{2,3}",
		"\\$", "%", "!",
	};
	static const char *const re_only[] = { "[[:digit:]]", "[[:alpha:]]",
					       "(.+)" };
	static const char *const pcre_only[] = { "\\d", "\\w", "(?:ab)",
						 "(.+?)" };
	static const char *const plain[] = { "OK", "REJECT x", "DUNNO",
		"550 5.7.1 no $$", "X $$$$ y" };
	bool pcre = strcmp(kind, "pcre") == 0;
	const char *flags = pcre ? "imsxAEU" : "imx";
	int nrules = 3 + (int)pick(13), depth = 0, i, j;

	for (i = 0; i < nrules; i++) {
		char pat[256] = "", rule[512], delim;
		int groups = 0, natoms = 1 + (int)pick(5), nflags = 0;
		bool neg = pick(100) < 15;
		unsigned r = pick(100);

		for (j = 0; j < natoms; j++) {
			const char *a;

			if (pick(4) == 0)
				a = pcre ? ONE(pcre_only) : ONE(re_only);
			else
				a = ONE(common);
			if (a[0] == '(' && a[1] != '?')
				groups++;
			strcat(pat, a);
		}
		delim = "/////|,%~"[pick(9)];
		if (strchr(pat, delim))
			delim = '/';
		if (delim == '/' && strchr(pat, '/'))
			continue;
		snprintf(rule, sizeof(rule), "%s%c%s%c", neg ? "!" : "", delim,
			 pat, delim);
		if (pick(10) < 4)
			for (nflags = 1 + (int)pick(2); nflags > 0; nflags--)
				strncat(rule, &flags[pick(strlen(flags))], 1);
		if (r < 12) {
			printf("if %s\n", rule);
			depth++;
			continue;
		}
		if (r < 22 && depth > 0) {
			printf("endif\n");
			depth--;
			continue;
		}
		if (groups >= 2 && !neg && pick(3) == 0)
			printf("%s\t[$1][$2]\n", rule);
		else if (groups >= 1 && !neg && pick(2) == 0)
			printf("%s\tgot ${1}-$(1) $1\n", rule);
		else if (pick(6) == 0)
			printf("%s\tr%d\n", rule, i);
		else
			printf("%s\t%s\n", rule, ONE(plain));
		if (pick(10) == 0)
			printf("\tcontinued %d\n", i);
		if (pick(10) == 0)
			printf("# comment\n");
	}
	for (; depth > 0; depth--)
		printf("endif\n");
	return 0;
}

int main(int argc, char **argv)
{
	char key[KEY_MAX];
	long count, i;
	size_t n;

	if (argc == 4 && strcmp(argv[1], "--rules") == 0) {
		rng_state = strtoull(argv[2], NULL, 10) *
			    0x9E3779B97F4A7C15ULL + 1;
		return rules(argv[3]);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: mkkeys SEED COUNT\n"
				"       mkkeys --rules SEED regexp|pcre\n");
		return 1;
	}
	rng_state = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
	count = strtol(argv[2], NULL, 10);
	for (i = 0; i < count; i++) {
		n = 0;
		key[0] = 0;
		switch (pick(20)) {
		case 0 ... 6:
			key_name(key, &n);
			break;
		case 7 ... 9:
			key_addr4(key, &n);
			break;
		case 10 ... 11:
			key_addr6(key, &n);
			break;
		case 12 ... 15:
			key_sender(key, &n);
			break;
		case 16 ... 17:
			key_odd(key, &n);
			break;
		case 18:
			key_long(key, &n);
			break;
		default:
			add(key, &n, ONE(words));
		}
		if (pick(3) == 0)
			flip_case(key);
		printf("%s\n", key);
	}
	return 0;
}
