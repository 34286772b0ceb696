/*
 * snapshot.c - write the verdict cache to a text file and read it back
 * (the format is described in cache.h and in mxwalld(8)).
 *
 * snapshot_write never leaves a partial file under the real name: it
 * writes FILE.tmp, fsyncs it, renames it over FILE and fsyncs the folder.
 * snapshot_read trusts nothing in the file: every field is checked, and a
 * bad line is skipped with a warning that names the file and the line.
 */
#include "cache.h"
#include "daemon.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPSHOT_HEADER "# mxwall verdicts v1"
#define SNAPSHOT_LINE_MAX 4096

/* sync_dir - fsync the folder holding path, so the rename is durable. */
static void sync_dir(const char *path)
{
	char buf[PATH_MAX];
	int fd;

	snprintf(buf, sizeof(buf), "%s", path);
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

int snapshot_write(struct cache *c, const char *path, uint32_t now)
{
	char tmp[PATH_MAX], abuf[ADDR_STRLEN];
	FILE *fp = NULL;
	int fd = -1, ret = -1, saved;
	size_t i;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto out;
	fp = fdopen(fd, "w");
	if (!fp)
		goto out;
	fd = -1;
	setvbuf(fp, NULL, _IOFBF, 1 << 16);
	fprintf(fp, "%s\n# ADDR[/LEN] ACTION ORIGIN SCORE DECIDED EXPIRES "
		"REASON...\n", SNAPSHOT_HEADER);
	for (i = 0; i < cache_count(c); i++) {
		const struct cache_entry *e = cache_at(c, i);

		if (e->expires && e->expires <= now)
			continue;
		fprintf(fp, "%s %s %s %d %u %u %s\n",
			addr_format(&e->addr, abuf, sizeof(abuf)),
			cache_action_name(e->action),
			cache_origin_name(e->origin), e->score, e->decided,
			e->expires, cache_reason(c, e));
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
		goto out;
	if (fclose(fp) != 0) {
		fp = NULL;
		goto out;
	}
	fp = NULL;
	if (rename(tmp, path) != 0)
		goto out;
	sync_dir(path);
	ret = 0;
out:
	saved = errno;
	if (fp)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (ret < 0) {
		unlink(tmp);
		msg_warn("snapshot %s: cannot write: %s: keeping the previous "
			 "one", path, strerror(saved));
		errno = saved;
	}
	return ret;
}

/* parse_u32 - a decimal unsigned 32-bit number, whole string. */
static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * snapshot_line - parse one line into c. Returns 1 when an entry was
 * added, 0 when the line was skipped (expired, comment), -1 when it is
 * malformed (*why says what).
 */
static int snapshot_line(struct cache *c, char *line, uint32_t now,
			 const char **why)
{
	char *f[7], *p = line;
	struct mx_addr a;
	struct cache_entry *e;
	uint32_t decided, expires;
	long score;
	int action, origin, i;
	bool created;

	if (*line == '#' || *line == '\0')
		return 0;
	for (i = 0; i < 6; i++) {
		f[i] = strsep(&p, " ");
		if (!f[i] || !*f[i]) {
			*why = "too few fields";
			return -1;
		}
	}
	f[6] = p ? p : "";
	if (addr_parse_prefix(f[0], &a, true, why) < 0)
		return -1;
	if ((action = cache_action_parse(f[1])) < 0) {
		*why = "unknown action";
		return -1;
	}
	if ((origin = cache_origin_parse(f[2])) < 0) {
		*why = "unknown origin";
		return -1;
	}
	score = strtol(f[3], &p, 10);
	if (*p || score < INT16_MIN || score > INT16_MAX) {
		*why = "bad score";
		return -1;
	}
	if (parse_u32(f[4], &decided) < 0 || parse_u32(f[5], &expires) < 0) {
		*why = "bad time";
		return -1;
	}
	if (expires && expires <= now)
		return 0;
	e = cache_put(c, &a, &created);
	if (!e) {
		*why = "out of memory";
		return -1;
	}
	e->action = (uint8_t)action;
	e->origin = (uint8_t)origin;
	e->score = (int16_t)score;
	e->decided = decided;
	e->expires = expires;
	e->flags = 0;
	if (cache_set_reason(c, e, f[6]) < 0) {
		*why = "out of memory";
		return -1;
	}
	return created ? 1 : 0;
}

long snapshot_read(struct cache *c, const char *path, uint32_t now)
{
	char line[SNAPSHOT_LINE_MAX];
	const char *why;
	long added = 0, lineno = 0;
	struct stat sb;
	size_t len;
	FILE *fp;
	int r;

	fp = fopen(path, "re");
	if (!fp)
		return errno == ENOENT ? 0 : -1;
	/* About 100 bytes a line: size the cache once, not by doubling. */
	if (fstat(fileno(fp), &sb) == 0 && sb.st_size > 0)
		cache_reserve(c, cache_count(c) +
			      (size_t)(sb.st_size / 64 < 16000000 ?
				       sb.st_size / 64 : 16000000));
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(fp)) {
			int ch;

			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			msg_warn("%s, line %ld: line too long: skipping it",
				 path, lineno);
			continue;
		}
		why = "malformed";
		r = snapshot_line(c, line, now, &why);
		if (r < 0)
			msg_warn("%s, line %ld: %s: skipping it", path, lineno,
				 why);
		else
			added += r;
	}
	fclose(fp);
	return added;
}
