/*
 * log.c - diagnostics and traffic events (see log.h).
 *
 * Never allocates, so it can report an out-of-memory condition. Lines
 * longer than LOG_LINE_MAX are cut.
 */
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

int msg_verbose;

static const char *log_prog = "mxwall";
static enum log_dest log_dest = LOG_TO_STDERR;
static void (*log_sink)(enum log_sev, const char *);

void log_init(const char *progname, enum log_dest dest)
{
	log_prog = progname;
	log_dest = dest;
	if (dest == LOG_TO_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_sink(void (*sink)(enum log_sev, const char *))
{
	log_sink = sink;
}

/* log_emit - send one finished line to the sink, syslog or stderr. */
static void log_emit(enum log_sev sev, const char *line)
{
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING,
				    LOG_CRIT, LOG_CRIT };

	if (log_sink) {
		log_sink(sev, line);
		return;
	}
	if (log_dest == LOG_TO_SYSLOG) {
		syslog(prio[sev], "%s", line);
		return;
	}
	fprintf(stderr, "%s[%ld]: %s\n", log_prog, (long)getpid(), line);
}

void msg_vlog(enum log_sev sev, const char *fmt, va_list ap)
{
	static const char *const word[] = { "debug: ", "", "warning: ",
					    "fatal: ", "panic: " };
	char line[LOG_LINE_MAX];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s", word[sev]);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	log_emit(sev, line);
}

void msg_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (msg_verbose < level)
		return;
	va_start(ap, fmt);
	msg_vlog(LOG_SEV_DEBUG, fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_SEV_INFO, fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_SEV_WARN, fmt, ap);
	va_end(ap);
}

void msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_SEV_FATAL, fmt, ap);
	va_end(ap);
	exit(1);
}

void msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vlog(LOG_SEV_PANIC, fmt, ap);
	va_end(ap);
	abort();
}

void log_event(const char *keyword, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t n;
	va_list ap;

	n = (size_t)snprintf(line, sizeof(line), "%s ", keyword);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	log_emit(LOG_SEV_INFO, line);
}

/* quote - log_quote, and spaces as \x20 too when word is set. */
static char *quote(char *dst, size_t dstlen, const char *src, size_t srclen,
		   bool word)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	int cut = 0;

	if (dstlen == 0)
		return dst;
	if (srclen == (size_t)-1)
		srclen = src ? strlen(src) : 0;
	if (srclen > LOG_QUOTE_MAX) {
		srclen = LOG_QUOTE_MAX;
		cut = 1;
	}
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (o + 5 >= dstlen) {
			cut = 1;
			break;
		}
		if (c > (word ? 0x20 : 0x1f) && c < 0x7f && c != '"' &&
		    c != '\\') {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	if (cut && o + 4 <= dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
	return dst;
}

char *log_quote(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return quote(dst, dstlen, src, srclen, false);
}

char *log_quote_word(char *dst, size_t dstlen, const char *src,
		     size_t srclen)
{
	return quote(dst, dstlen, src, srclen, true);
}
