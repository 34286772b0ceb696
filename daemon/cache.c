/*
 * cache.c - the verdict cache (see cache.h).
 *
 * Layout: entries live in one dense array; an open-addressing index of
 * 32-bit slots (0 = empty, else array position + 1) finds them by key,
 * with linear probing and backward-shift deletion, so no tombstones pile
 * up. The index has at least twice as many slots as entries. Reason
 * strings are interned in a small chained hash with reference counts.
 *
 * Never logs, never talks to the kernel.
 */
#include "cache.h"
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#define CACHE_MIN_SLOTS 1024u
#define REASON_BUCKETS 4096u

/* struct reason - one interned reason string. */
struct reason {
	struct reason *next; /* hash chain */
	uint32_t hash;
	uint32_t refs;       /* entries that use it */
	uint32_t id;         /* its index in cache.reasons */
	char text[];
};

/*
 * struct cache - see cache.h.
 *   ent, nent, cap   the dense entry array;
 *   slot, nslot      the index; nslot is a power of two;
 *   seed             random hash seed;
 *   plens4, plens6   bit n set when some key has prefix length n, so
 *                    cache_cover tries only lengths in use;
 *   reasons          id -> string (id 0 unused), nreason slots;
 *   rfree            free ids, a stack;
 *   rbucket          hash chains of the pool.
 */
struct cache {
	struct cache_entry *ent;
	size_t nent, cap;
	uint32_t *slot;
	size_t nslot;
	uint64_t seed;
	uint64_t plens4;
	uint64_t plens6[3];
	struct reason **reasons;
	uint32_t nreason, reasoncap;
	uint32_t *rfree;
	uint32_t nrfree;
	struct reason *rbucket[REASON_BUCKETS];
	size_t nlive_reasons;
};

/* mix64 - a 64-bit finaliser (from the splitmix family). */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* key_hash - seeded hash of an address key. */
static uint64_t key_hash(const struct cache *c, const struct mx_addr *a)
{
	uint64_t w0, w1;

	memcpy(&w0, a->b, 8);
	memcpy(&w1, a->b + 8, 8);
	return mix64(mix64(w0 ^ c->seed) ^ w1 ^
		     ((uint64_t)a->family << 8 | a->plen));
}

static bool key_equal(const struct mx_addr *x, const struct mx_addr *y)
{
	return x->family == y->family && x->plen == y->plen &&
	       memcmp(x->b, y->b, 16) == 0;
}

struct cache *cache_create(void)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nslot = CACHE_MIN_SLOTS;
	c->slot = calloc(c->nslot, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return NULL;
	}
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = (uint64_t)(uintptr_t)c ^ 0x9e3779b97f4a7c15ULL;
	return c;
}

void cache_free(struct cache *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nreason; i++)
		free(c->reasons[i]);
	free(c->reasons);
	free(c->rfree);
	free(c->ent);
	free(c->slot);
	free(c);
}

size_t cache_count(const struct cache *c)
{
	return c->nent;
}

struct cache_entry *cache_at(struct cache *c, size_t i)
{
	return i < c->nent ? &c->ent[i] : NULL;
}

/* slot_of - the index slot holding key a, or of the empty slot ending
 * its probe chain. */
static size_t slot_of(const struct cache *c, const struct mx_addr *a)
{
	size_t mask = c->nslot - 1;
	size_t i = key_hash(c, a) & mask;

	while (c->slot[i] && !key_equal(&c->ent[c->slot[i] - 1].addr, a))
		i = (i + 1) & mask;
	return i;
}

struct cache_entry *cache_find(struct cache *c, const struct mx_addr *a)
{
	size_t i = slot_of(c, a);

	return c->slot[i] ? &c->ent[c->slot[i] - 1] : NULL;
}

static bool plen_used(const struct cache *c, unsigned family, unsigned plen)
{
	if (family == AF_INET)
		return plen < 64 && (c->plens4 >> plen & 1);
	return plen < 192 && (c->plens6[plen / 64] >> (plen % 64) & 1);
}

static void plen_mark(struct cache *c, unsigned family, unsigned plen)
{
	if (family == AF_INET)
		c->plens4 |= 1ULL << (plen & 63);
	else
		c->plens6[plen / 64] |= 1ULL << (plen % 64);
}

struct cache_entry *cache_cover(struct cache *c, const struct mx_addr *a)
{
	struct mx_addr k;
	int plen;

	for (plen = (int)a->plen; plen >= 0; plen--) {
		if (!plen_used(c, a->family, (unsigned)plen))
			continue;
		k = *a;
		addr_mask(&k, (unsigned)plen);
		struct cache_entry *e = cache_find(c, &k);
		if (e)
			return e;
	}
	return NULL;
}

/* index_grow - double the index and re-insert every entry. */
static int index_grow(struct cache *c)
{
	size_t n = c->nslot * 2, i;
	uint32_t *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -1;
	free(c->slot);
	c->slot = slot;
	c->nslot = n;
	for (i = 0; i < c->nent; i++)
		c->slot[slot_of(c, &c->ent[i].addr)] = (uint32_t)i + 1;
	return 0;
}

int cache_reserve(struct cache *c, size_t n)
{
	struct cache_entry *ne;

	if (n > c->cap) {
		ne = realloc(c->ent, n * sizeof(*ne));
		if (!ne)
			return -1;
		c->ent = ne;
		c->cap = n;
	}
	while (n * 2 > c->nslot)
		if (index_grow(c) < 0)
			return -1;
	return 0;
}

struct cache_entry *cache_put(struct cache *c, const struct mx_addr *a,
			      bool *created)
{
	struct cache_entry *e;
	size_t i;

	*created = false;
	i = slot_of(c, a);
	if (c->slot[i])
		return &c->ent[c->slot[i] - 1];

	if ((c->nent + 1) * 2 > c->nslot) {
		if (index_grow(c) < 0)
			return NULL;
		i = slot_of(c, a);
	}
	if (c->nent == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct cache_entry *ne = realloc(c->ent, cap * sizeof(*ne));

		if (!ne)
			return NULL;
		c->ent = ne;
		c->cap = cap;
	}
	e = &c->ent[c->nent];
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	c->slot[i] = (uint32_t)++c->nent;
	plen_mark(c, a->family, a->plen);
	*created = true;
	return e;
}

/* reason_unref - drop one reference to reason id. */
static void reason_unref(struct cache *c, uint32_t id)
{
	struct reason *r, **pp;

	if (id == 0 || id >= c->nreason || !c->reasons[id])
		return;
	r = c->reasons[id];
	if (--r->refs > 0)
		return;
	for (pp = &c->rbucket[r->hash % REASON_BUCKETS]; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	free(r);
	c->reasons[id] = NULL;
	c->rfree[c->nrfree++] = id;
	c->nlive_reasons--;
}

/* index_delete - empty slot i and shift later members of its chain back. */
static void index_delete(struct cache *c, size_t i)
{
	size_t mask = c->nslot - 1, j = i, home;

	c->slot[i] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!c->slot[j])
			return;
		home = key_hash(c, &c->ent[c->slot[j] - 1].addr) & mask;
		/* Move j back to i unless its home is cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			c->slot[i] = c->slot[j];
			c->slot[j] = 0;
			i = j;
		}
	}
}

void cache_remove(struct cache *c, struct cache_entry *e)
{
	size_t pos = (size_t)(e - c->ent), last = c->nent - 1;

	reason_unref(c, e->reason);
	index_delete(c, slot_of(c, &e->addr));
	if (pos != last) {
		c->ent[pos] = c->ent[last];
		c->slot[slot_of(c, &c->ent[pos].addr)] = (uint32_t)pos + 1;
	}
	c->nent--;
}

void cache_clear(struct cache *c)
{
	while (c->nent)
		cache_remove(c, &c->ent[c->nent - 1]);
}

static uint32_t text_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* reason_intern - the id of text, with one more reference; 0 on ENOMEM. */
static uint32_t reason_intern(struct cache *c, const char *text)
{
	uint32_t h = text_hash(text), id;
	size_t len = strlen(text);
	struct reason *r;

	for (r = c->rbucket[h % REASON_BUCKETS]; r; r = r->next)
		if (r->hash == h && strcmp(r->text, text) == 0)
			break;
	if (r) {
		r->refs++;
		return r->id;
	}
	if (c->nrfree == 0 && c->nreason == c->reasoncap) {
		uint32_t cap = c->reasoncap ? c->reasoncap * 2 : 64;
		struct reason **nr = realloc(c->reasons, cap * sizeof(*nr));
		uint32_t *nf;

		if (!nr)
			return 0;
		c->reasons = nr;
		nf = realloc(c->rfree, cap * sizeof(*nf));
		if (!nf)
			return 0;
		c->rfree = nf;
		c->reasoncap = cap;
		if (c->nreason == 0)
			c->reasons[c->nreason++] = NULL; /* id 0: none */
	}
	r = malloc(sizeof(*r) + len + 1);
	if (!r)
		return 0;
	memcpy(r->text, text, len + 1);
	r->hash = h;
	r->refs = 1;
	r->next = c->rbucket[h % REASON_BUCKETS];
	c->rbucket[h % REASON_BUCKETS] = r;
	id = c->nrfree ? c->rfree[--c->nrfree] : c->nreason++;
	c->reasons[id] = r;
	r->id = id;
	c->nlive_reasons++;
	return id;
}

int cache_set_reason(struct cache *c, struct cache_entry *e, const char *text)
{
	uint32_t id = 0;

	if (text && *text) {
		id = reason_intern(c, text);
		if (id == 0)
			return -1;
	}
	reason_unref(c, e->reason);
	e->reason = id;
	return 0;
}

const char *cache_reason(const struct cache *c, const struct cache_entry *e)
{
	if (e->reason == 0 || e->reason >= c->nreason || !c->reasons[e->reason])
		return "";
	return c->reasons[e->reason]->text;
}

size_t cache_reasons(const struct cache *c)
{
	return c->nlive_reasons;
}

static const char *const action_names[] = { [DAEMON_ALLOW] = "allow",
					    [DAEMON_BLOCK] = "block" };
static const char *const origin_names[] = { [ORIGIN_DNSBL] = "dnsbl",
					    [ORIGIN_RULE] = "rule",
					    [ORIGIN_MANUAL] = "manual",
					    [ORIGIN_DEFAULT] = "default" };

const char *cache_action_name(unsigned action)
{
	if (action < 3 && action_names[action])
		return action_names[action];
	return "?";
}

const char *cache_origin_name(unsigned origin)
{
	if (origin < 5 && origin_names[origin])
		return origin_names[origin];
	return "?";
}

int cache_action_parse(const char *s)
{
	int i;

	for (i = 1; i < 3; i++)
		if (action_names[i] && strcmp(s, action_names[i]) == 0)
			return i;
	return -1;
}

int cache_origin_parse(const char *s)
{
	int i;

	for (i = 1; i < 5; i++)
		if (strcmp(s, origin_names[i]) == 0)
			return i;
	return -1;
}
