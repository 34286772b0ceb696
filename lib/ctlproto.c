/*
 * ctlproto.c - the control-socket protocol (see ctlproto.h): request
 * encoding and decoding, answer heads, the body buffer, and the
 * blocking client call mxwallctl and the tests use.
 *
 * Decoding trusts nothing: every length is checked before it is used.
 */
#include "ctlproto.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char ctlproto_hex[] = "0123456789ABCDEF";

/* needs_escape - whether byte c is written %XX inside a word. */
static bool needs_escape(unsigned char c)
{
	return c <= 0x20 || c > 0x7e || c == '%';
}

int ctlproto_encode_request(int argc, char *const *argv, bool json,
			    char *buf, size_t len)
{
	size_t max = len < CTLPROTO_MAX_REQUEST ? len : CTLPROTO_MAX_REQUEST;
	size_t n = 0;
	const unsigned char *s;
	int i;

	if (argc < 1 || argc > CTLPROTO_MAX_ARGS + 1)
		return -1;
	if (json) {
		if (max < 8)
			return -1;
		memcpy(buf, "--json ", 7);
		n = 7;
	}
	for (i = 0; i < argc; i++) {
		if (!argv[i][0])
			return -1;
		if (i > 0) {
			if (n + 1 >= max)
				return -1;
			buf[n++] = ' ';
		}
		for (s = (const unsigned char *)argv[i]; *s; s++) {
			if (n + 4 >= max)
				return -1;
			if (needs_escape(*s)) {
				buf[n++] = '%';
				buf[n++] = ctlproto_hex[*s >> 4];
				buf[n++] = ctlproto_hex[*s & 15];
			} else {
				buf[n++] = (char)*s;
			}
		}
	}
	if (n + 1 >= max)
		return -1;
	buf[n++] = '\n';
	buf[n] = '\0';
	return (int)n;
}

/* hexval - value of one hex digit, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ctlproto_decode_word - copy n bytes to out undoing %XX; -1 on bad %. */
static int ctlproto_decode_word(const char *s, size_t n, char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*out++ = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		*out++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*out = '\0';
	return 0;
}

int ctlproto_parse_request(const char *line, size_t len,
			   struct ctlproto_request *req, const char **why)
{
	size_t pos = 0, end, used = 0;

	memset(req, 0, sizeof(*req));
	if (len >= CTLPROTO_MAX_REQUEST) {
		*why = "request too long";
		return -1;
	}
	for (pos = 0; pos < len; pos++) {
		unsigned char ch = (unsigned char)line[pos];

		if (ch < 0x20 || ch == 0x7f) {
			*why = "control character in request";
			return -1;
		}
		if (ch > 0x7f) {
			*why = "byte above 0x7e in request (write it %XX)";
			return -1;
		}
	}
	pos = 0;
	while (pos < len) {
		end = pos;
		while (end < len && line[end] != ' ')
			end++;
		if (end == pos) {
			*why = "empty word in request";
			return -1;
		}
		if (req->argc == 0 && !req->json && end - pos == 6 &&
		    memcmp(line + pos, "--json", 6) == 0) {
			req->json = true;
		} else {
			if (req->argc == CTLPROTO_MAX_ARGS + 1) {
				*why = "too many words in request";
				return -1;
			}
			req->argv[req->argc] = req->store + used;
			if (ctlproto_decode_word(line + pos, end - pos,
						 req->store + used) < 0) {
				*why = "bad %XX escape in request";
				return -1;
			}
			used += strlen(req->store + used) + 1;
			req->argc++;
		}
		pos = end;
		if (pos < len && ++pos == len) {
			*why = "empty word in request";
			return -1;
		}
	}
	if (req->argc == 0) {
		*why = "empty request";
		return -1;
	}
	return 0;
}

static const char *const ctlproto_names[] = {
	[CTLPROTO_OK] = "ok",
	[CTLPROTO_NOMATCH] = "nomatch",
	[CTLPROTO_ERROR] = "error",
	[CTLPROTO_DENIED] = "denied",
};

const char *ctlproto_status_name(enum ctlproto_status st)
{
	if ((unsigned)st > CTLPROTO_DENIED)
		return "error";
	return ctlproto_names[st];
}

int ctlproto_parse_head(const char *line, size_t len,
			enum ctlproto_status *st, size_t *body_len,
			const char **why)
{
	const char *sp = memchr(line, ' ', len);
	unsigned long long n = 0;
	size_t i, wlen;
	unsigned s;

	if (!sp) {
		*why = "malformed answer head";
		return -1;
	}
	wlen = (size_t)(sp - line);
	for (s = 0; s <= CTLPROTO_DENIED; s++)
		if (strlen(ctlproto_names[s]) == wlen &&
		    memcmp(line, ctlproto_names[s], wlen) == 0)
			break;
	if (s > CTLPROTO_DENIED) {
		*why = "unknown answer status";
		return -1;
	}
	i = wlen + 1;
	if (i == len || len - i > 9) {
		*why = "malformed answer length";
		return -1;
	}
	for (; i < len; i++) {
		if (line[i] < '0' || line[i] > '9') {
			*why = "malformed answer length";
			return -1;
		}
		n = n * 10 + (unsigned)(line[i] - '0');
	}
	if (n > CTLPROTO_MAX_BODY) {
		*why = "answer too long";
		return -1;
	}
	*st = (enum ctlproto_status)s;
	*body_len = (size_t)n;
	return 0;
}

void ctlproto_buf_init(struct ctlproto_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ctlproto_buf_free(struct ctlproto_buf *b)
{
	free(b->buf);
	ctlproto_buf_init(b);
}

void ctlproto_buf_add(struct ctlproto_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return;
	if (b->len + n > CTLPROTO_MAX_BODY) {
		b->failed = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 512;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void ctlproto_buf_printf(struct ctlproto_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		ctlproto_buf_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctlproto_buf_add(b, big, (size_t)n);
	free(big);
}

/* ms_since - milliseconds elapsed since *t0 (monotonic). */
static int ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - t0->tv_sec) * 1000 +
		     (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* wait_fd - poll fd for events within what is left of timeout_ms. */
static int wait_fd(int fd, short events, const struct timespec *t0,
		   int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int left = timeout_ms - ms_since(t0), n;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = poll(&p, 1, left);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* ctlproto_read_answer - read head and body from fd into *ans. */
static int ctlproto_read_answer(int fd, const struct timespec *t0,
				int timeout_ms, struct ctlproto_answer *ans,
				const char **why)
{
	char head[CTLPROTO_HEAD_MAX];
	size_t hlen = 0, want = 0, got = 0;
	ssize_t n;

	/* The head, one byte at a time: it is short. */
	for (;;) {
		if (wait_fd(fd, POLLIN, t0, timeout_ms) < 0)
			goto fail_io;
		n = read(fd, head + hlen, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_eof;
		if (head[hlen] == '\n')
			break;
		if (++hlen == sizeof(head)) {
			*why = "answer head too long";
			errno = EPROTO;
			return -1;
		}
	}
	if (ctlproto_parse_head(head, hlen, &ans->status, &want, why) < 0) {
		errno = EPROTO;
		return -1;
	}
	ans->body = malloc(want + 1);
	if (!ans->body) {
		*why = "out of memory";
		return -1;
	}
	while (got < want) {
		if (wait_fd(fd, POLLIN, t0, timeout_ms) < 0)
			goto fail_io;
		n = read(fd, ans->body + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_eof;
		got += (size_t)n;
	}
	ans->body[want] = '\0';
	ans->len = want;
	return 0;

fail_eof:
	if (n == 0) {
		*why = "the daemon closed the connection early";
		errno = EPROTO;
	} else {
		*why = "cannot read the answer";
	}
	return -1;
fail_io:
	*why = errno == ETIMEDOUT ? "no answer in time" : "cannot wait";
	return -1;
}

int ctlproto_call(const char *path, int argc, char *const *argv, bool json,
		  int timeout_ms, struct ctlproto_answer *ans,
		  const char **why)
{
	char req[CTLPROTO_MAX_REQUEST];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timespec t0;
	size_t off = 0;
	int fd = -1, len, saved;
	ssize_t n;

	memset(ans, 0, sizeof(*ans));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	len = ctlproto_encode_request(argc, argv, json, req, sizeof(req));
	if (len < 0) {
		*why = "request too long or empty argument";
		errno = E2BIG;
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*why = "socket path too long";
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "cannot create a socket";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*why = "cannot connect";
		goto fail;
	}
	while (off < (size_t)len) {
		n = write(fd, req + off, (size_t)len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = "cannot send the request";
			goto fail;
		}
		off += (size_t)n;
	}
	if (ctlproto_read_answer(fd, &t0, timeout_ms, ans, why) < 0)
		goto fail;
	close(fd);
	return 0;

fail:
	saved = errno;
	free(ans->body);
	ans->body = NULL;
	close(fd);
	errno = saved;
	return -1;
}
