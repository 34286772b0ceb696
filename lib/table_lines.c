/*
 * table_lines.c - reading a table or configuration file into logical
 * lines, the way Postfix's readllines(3) does (see table.h).
 *
 * Never interprets the text: comments and continuation lines only. Never
 * accepts a NUL byte (C strings would silently cut the rule there).
 */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ASCII white space as Postfix's ISSPACE: space, \t, \n, \v, \f, \r. */
static int lline_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

void lline_free(struct lline *v, int n)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/* lline_append - add len bytes to logical line *l (grows it). */
static int lline_append(struct lline *l, size_t *cur, const char *s,
			size_t len)
{
	char *p;

	p = realloc(l->text, *cur + len + 1);
	if (!p)
		return -1;
	memcpy(p + *cur, s, len);
	*cur += len;
	p[*cur] = 0;
	l->text = p;
	return 0;
}

/* lline_split - see table.h. */
int lline_split(const char *name, const char *buf, size_t len,
		struct lline **out, int *n, char *err, size_t errlen)
{
	struct lline *v = NULL, *nv;
	size_t pos = 0, cur = 0, end, i;
	int count = 0, cap = 0, lineno = 0;

	while (pos < len) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', len - pos);
		const char *nul;

		end = nl ? (size_t)(nl - line) : len - pos;
		pos += end + (nl ? 1 : 0);
		lineno++;
		nul = memchr(line, 0, end);
		if (nul) {
			snprintf(err, errlen, "%s, line %d: NUL byte in the "
				 "text", name, lineno);
			goto fail;
		}
		for (i = 0; i < end && lline_space((unsigned char)line[i]);
		     i++)
			;
		if (i == end || line[i] == '#')
			continue; /* blank or comment: skipped, ends nothing */
		if (i > 0) {
			if (count == 0) {
				snprintf(err, errlen, "%s, line %d: indented "
					 "line continues nothing (only "
					 "continuation lines start with white "
					 "space)", name, lineno);
				goto fail;
			}
		} else {
			if (count == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, (size_t)cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
			v[count].text = NULL;
			v[count].line = lineno;
			count++;
			cur = 0;
		}
		if (cur + end > LLINE_MAX) {
			snprintf(err, errlen, "%s, line %d: logical line "
				 "longer than %d bytes", name,
				 v[count - 1].line, LLINE_MAX);
			goto fail;
		}
		if (lline_append(&v[count - 1], &cur, line, end) < 0)
			goto nomem;
	}
	*out = v;
	*n = count;
	return 0;

nomem:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	lline_free(v, count);
	return -1;
}

/* read_file - see table.h. */
char *read_file(const char *path, size_t max, size_t *len, char *err,
		size_t errlen)
{
	char *buf = NULL, *nb;
	size_t have = 0, cap = 0;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	for (;;) {
		if (have + 1 >= cap) {
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory",
					 path);
				goto fail;
			}
			buf = nb;
		}
		got = read(fd, buf + have, cap - have - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		if (have > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes", path,
				 max);
			goto fail;
		}
	}
	close(fd);
	buf[have] = 0;
	*len = have;
	return buf;

fail:
	close(fd);
	free(buf);
	return NULL;
}

/* lline_word - see table.h. */
char *lline_word(const char **pp, bool *unbalanced)
{
	const char *p = *pp, *start;
	int level = 0;

	while (*p == ',' || lline_space((unsigned char)*p))
		p++;
	if (*p == 0)
		return NULL;
	start = p;
	for (; *p; p++) {
		if (*p == '{')
			level++;
		else if (*p == '}' && level > 0)
			level--;
		else if (level == 0 &&
			 (*p == ',' || lline_space((unsigned char)*p)))
			break;
	}
	if (level > 0)
		*unbalanced = true;
	*pp = p;
	return strndup(start, (size_t)(p - start));
}
