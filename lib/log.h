/*
 * log.h - diagnostics and traffic events for mxwall's programs.
 *
 * Severity words have fixed meanings:
 *   msg_info   a normal event;
 *   msg_warn   something was skipped, the program carries on;
 *   msg_fatal  bad configuration or environment: logs, then exit(1);
 *   msg_panic  a broken invariant: logs, then abort().
 * A diagnostic says what, where and what happens next, e.g.
 *   "mxwall.conf, line 12: dnsbl_sites: weight "3x" is not a number:
 *    not starting".
 *
 * Traffic events are one line each: a fixed upper-case keyword, then
 * key=value pairs (log_event). Untrusted text (PTR names, HELO, senders,
 * TXT records) goes through log_quote first, which escapes and cuts it.
 *
 * Output goes to stderr (the default, and with mxwalld -f) or to syslog,
 * facility mail. Tests may install a sink to capture lines verbatim.
 */
#ifndef MXWALL_LOG_H
#define MXWALL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_sev { LOG_SEV_DEBUG, LOG_SEV_INFO, LOG_SEV_WARN, LOG_SEV_FATAL,
	       LOG_SEV_PANIC };

enum log_dest { LOG_TO_STDERR, LOG_TO_SYSLOG };

/* Longest untrusted string log_quote copies before cutting it. */
#define LOG_QUOTE_MAX 200

/* -v count; msg_debug(level) prints when msg_verbose >= level. */
extern int msg_verbose;

void log_init(const char *progname, enum log_dest dest);
void log_set_sink(void (*sink)(enum log_sev sev, const char *line));

void msg_debug(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void msg_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum log_sev sev, const char *fmt, va_list ap);

/*
 * log_event - one traffic event: "KEYWORD key=value ...". The caller
 * formats the pairs; untrusted values must come from log_quote.
 */
void log_event(const char *keyword, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_quote - copy untrusted text into dst for a log line or a reply:
 * printable ASCII other than '"' and '\' is kept, everything else becomes
 * \xNN, and more than LOG_QUOTE_MAX input bytes are cut with a trailing
 * "...". srclen may be (size_t)-1 for a NUL-terminated string. Returns
 * dst, always NUL-terminated.
 */
char *log_quote(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * log_quote_word - log_quote for a value written without double quotes
 * (name=..., helo=<...>): a space becomes \x20 too, so the value stays
 * one word and cannot add a key=value pair of its own to the line.
 */
char *log_quote_word(char *dst, size_t dstlen, const char *src,
		     size_t srclen);

/* Room log_quote needs for LOG_QUOTE_MAX input bytes. */
#define LOG_QUOTE_BUFSZ (LOG_QUOTE_MAX * 4 + 8)

#endif
