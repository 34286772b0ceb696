/*
 * cache.h - mxwalld's verdict cache, kept in step with the kernel table,
 * and its snapshot file.
 *
 * The cache maps an address or prefix (struct mx_addr, plen included) to
 * one compact entry. It is sized for millions of verdicts: an entry is
 * 36 bytes in one dense array, found through an open-addressing index of
 * 32-bit slots, and its reason text is shared through a reference-counted
 * pool (thousands of clients blocked by one list share one string). At
 * one million verdicts the cache takes about 46 MB.
 *
 * Contracts:
 *   - pointers to entries are valid only until the next cache_put or
 *     cache_remove (the array moves and removal fills the hole with the
 *     last entry); hold addresses, not pointers, across calls;
 *   - iteration is by index, 0 .. cache_count()-1; after cache_remove of
 *     entry i, index i holds another entry, so do not advance;
 *   - the cache never talks to the kernel and never logs: the daemon does
 *     both around it (daemon.c);
 *   - the hash is seeded at random, so crafted addresses cannot force
 *     long probe chains.
 *
 * The snapshot (snapshot.c) is a text file, one verdict per line:
 *
 *   # mxwall verdicts v1
 *   ADDR[/LEN] ACTION ORIGIN SCORE DECIDED EXPIRES REASON...
 *   192.0.2.66 block dnsbl 1 1764770000 1764773600 reason=dnsbl list=...
 *
 * ACTION is block or allow; ORIGIN dnsbl, rule, manual or default;
 * DECIDED and EXPIRES are Unix seconds (EXPIRES 0: never); REASON is the
 * rest of the line. Lines starting with '#' are comments. It is written
 * to FILE.tmp, fsynced and renamed over FILE, so a reader (or a crash)
 * sees either the old or the new file, never half of one.
 */
#ifndef MXWALL_CACHE_H
#define MXWALL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Entry flags. */
#define CACHE_STALE 0x1u   /* rules changed: being decided again */
#define CACHE_HELD 0x2u    /* a marker for walks (see backend_xdp.c) */
#define CACHE_REFRESH 0x4u /* still knocking near expiry: decided again */

/*
 * struct cache_entry - one verdict (36 bytes).
 *   addr      key: address or prefix;
 *   action    DAEMON_ALLOW or DAEMON_BLOCK (daemon.h);
 *   origin    enum daemon_origin;
 *   flags     CACHE_*;
 *   kreason   the kernel's reason code (MX_REASON_*, bpf/mxwall.h);
 *   score     DNSBL score, clamped to int16;
 *   decided   Unix seconds;
 *   expires   Unix seconds; 0 = never;
 *   reason    id in the reason pool; 0 = none.
 */
struct cache_entry {
	struct mx_addr addr;
	uint8_t action;
	uint8_t origin;
	uint8_t flags;
	uint8_t kreason;
	int16_t score;
	uint32_t decided;
	uint32_t expires;
	uint32_t reason;
};

struct cache;

struct cache *cache_create(void);
void cache_free(struct cache *c);
size_t cache_count(const struct cache *c);

/* cache_at - entry number i (0 <= i < cache_count). */
struct cache_entry *cache_at(struct cache *c, size_t i);

/* cache_find - the entry for exactly key a (plen included), or NULL. */
struct cache_entry *cache_find(struct cache *c, const struct mx_addr *a);

/*
 * cache_cover - the entry for a, or else the entry of the longest prefix
 * in the cache that covers a; NULL if none.
 */
struct cache_entry *cache_cover(struct cache *c, const struct mx_addr *a);

/*
 * cache_put - the entry for a, created (zeroed, key set) if missing;
 * *created says which. NULL only when out of memory.
 */
struct cache_entry *cache_put(struct cache *c, const struct mx_addr *a,
			      bool *created);

/*
 * cache_reserve - make room for n entries in all, so the next inserts up
 * to that count neither move the array nor rebuild the index. 0, or -1
 * when out of memory (nothing changed).
 */
int cache_reserve(struct cache *c, size_t n);

/* cache_remove - remove e (see the iteration contract above). */
void cache_remove(struct cache *c, struct cache_entry *e);

/* cache_clear - remove everything. */
void cache_clear(struct cache *c);

/* cache_set_reason - share text as e's reason; -1 when out of memory. */
int cache_set_reason(struct cache *c, struct cache_entry *e,
		     const char *text);

/* cache_reason - e's reason text, "" if none. */
const char *cache_reason(const struct cache *c, const struct cache_entry *e);

/* cache_reasons - number of distinct reason strings held (for tests). */
size_t cache_reasons(const struct cache *c);

/* Names of actions and origins as the snapshot and the logs spell them. */
const char *cache_action_name(unsigned action);
const char *cache_origin_name(unsigned origin);
int cache_action_parse(const char *s);
int cache_origin_parse(const char *s);

/*
 * snapshot_write - write every unexpired entry to path (atomically, see
 * above). now is Unix seconds. 0, or -1 with errno and a warning logged.
 */
int snapshot_write(struct cache *c, const char *path, uint32_t now);

/*
 * snapshot_read - add the unexpired verdicts of path to c. A line that
 * cannot be read is skipped with a warning naming file and line. A
 * missing file is not an error (nothing restored). Returns the number
 * of entries added, or -1 with errno when the file cannot be read.
 */
long snapshot_read(struct cache *c, const char *path, uint32_t now);

#endif
