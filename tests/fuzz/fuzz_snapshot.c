/*
 * fuzz_snapshot.c - libFuzzer target for the verdict snapshot reader
 * (daemon/snapshot.c with the cache of daemon/cache.c): the text file
 * mxwalld restores into the kernel at start. It is written by the daemon
 * itself, but snapshot.h promises to trust nothing in it - a file cut
 * short by a full disk, edited by hand or by a script must never crash
 * the daemon or restore something it does not say.
 *
 * Checks: every restored entry is unexpired, with a known action and
 * origin; and writing the restored cache out and reading that back gives
 * the same entries (address, action, origin, score, times, reason) - so
 * no reason text can break the one-verdict-per-line format.
 *
 * Files live in a private folder under /dev/shm (tmpfs: the fsyncs of
 * snapshot_write cost nothing there), removed at exit.
 *
 * FUZZ_SOURCES: daemon/snapshot.c daemon/cache.c lib/addr.c lib/log.c
 * FUZZ_LIBS:
 */
#include "cache.h"
#include "daemon.h"
#include "fuzz.h"
#include "log.h"

#include <sys/mman.h>
#include <unistd.h>

#define NOW 1764770000u

static char dir[64], in_path[96], out_path[96];

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

static void cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

/* same - two caches hold the same verdicts. */
static void same(struct cache *a, struct cache *b)
{
	size_t i, n = cache_count(a);

	if (cache_count(b) != n)
		fuzz_fail("%zu entries restored, %zu after a round trip", n,
			  cache_count(b));
	for (i = 0; i < n; i++) {
		struct cache_entry *x = cache_at(a, i);
		struct cache_entry *y = cache_find(b, &x->addr);

		if (!y)
			fuzz_fail("entry %zu lost in the round trip", i);
		if (x->action != y->action || x->origin != y->origin ||
		    x->score != y->score || x->decided != y->decided ||
		    x->expires != y->expires)
			fuzz_fail("entry %zu changed in the round trip", i);
		if (strcmp(cache_reason(a, x), cache_reason(b, y)))
			fuzz_fail("reason \"%s\" came back as \"%s\"",
				  cache_reason(a, x), cache_reason(b, y));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache *c, *back;
	FILE *fp;
	size_t i;

	log_set_sink(quiet);
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/dev/shm/mxwall-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			fuzz_fail("mkdtemp %s", dir);
		snprintf(in_path, sizeof(in_path), "%s/in", dir);
		snprintf(out_path, sizeof(out_path), "%s/out", dir);
		atexit(cleanup);
	}
	fp = fopen(in_path, "w");
	if (!fp)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);

	c = cache_create();
	back = cache_create();
	if (!c || !back)
		fuzz_fail("cache_create");
	if (snapshot_read(c, in_path, NOW) < 0)
		goto out;
	for (i = 0; i < cache_count(c); i++) {
		struct cache_entry *e = cache_at(c, i);

		if (e->expires != 0 && e->expires <= NOW)
			fuzz_fail("expired entry restored");
		if (!cache_action_name(e->action) ||
		    !cache_origin_name(e->origin))
			fuzz_fail("entry with action %u origin %u", e->action,
				  e->origin);
	}
	if (snapshot_write(c, out_path, NOW) < 0)
		fuzz_fail("snapshot_write failed");
	if (snapshot_read(back, out_path, NOW) < 0)
		fuzz_fail("own snapshot unreadable");
	same(c, back);
out:
	cache_free(c);
	cache_free(back);
	return 0;
}
