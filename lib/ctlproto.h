/*
 * ctlproto.h - the control-socket protocol between mxwallctl and
 * mxwalld (the daemon side is daemon/control.c, the tool's side
 * ctl/daemon_call.c). Documented for administrators in mxwallctl(8),
 * PROTOCOL.
 *
 * One request per connection, over a Unix stream socket:
 *
 *   request   [--json] COMMAND [ARG...] LF
 *             at most CTLPROTO_MAX_REQUEST bytes with the LF and at
 *             most CTLPROTO_MAX_ARGS words after the command. Words are
 *             separated by one space; inside a word every byte that is
 *             a space, a control character, '%' or above 0x7e is
 *             written %XX (two upper-case hex digits).
 *   answer    STATUS SP LENGTH LF BODY
 *             STATUS is ok, nomatch, error or denied; LENGTH is the
 *             body's size in decimal bytes, at most CTLPROTO_MAX_BODY;
 *             BODY is what mxwallctl prints: the command's text, or
 *             one JSON document after --json. For error and denied the
 *             body is one line saying what went wrong.
 *
 * Then the server closes the connection. A request it cannot parse gets
 * an error answer; it never makes the server stop.
 *
 * Functions here never log and never keep state between calls; only
 * ctlproto_call blocks (with a time limit).
 */
#ifndef MXWALL_CTLPROTO_H
#define MXWALL_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CTLPROTO_MAX_REQUEST 4096
#define CTLPROTO_MAX_ARGS 32
/*
 * 512 MiB: 'list' of a few million verdicts. XXX The daemon builds an
 * answer whole before sending it, which for millions of verdicts takes
 * memory and holds the event loop for about a second; writing it in
 * chunks as the socket drains would fix both.
 */
#define CTLPROTO_MAX_BODY (512u << 20)
/* Longest answer head: "denied 536870912\n" with room to spare. */
#define CTLPROTO_HEAD_MAX 32

/* Answer status; mxwallctl turns these into exit codes 0, 2, 1, 1. */
enum ctlproto_status {
	CTLPROTO_OK,
	CTLPROTO_NOMATCH,
	CTLPROTO_ERROR,
	CTLPROTO_DENIED,
};

/*
 * struct ctlproto_request - one decoded request.
 *   json   the request began with --json;
 *   argc   words including the command (argv[0]), at least 1;
 *   argv   the decoded words, NULL-terminated, pointing into store.
 */
struct ctlproto_request {
	bool json;
	int argc;
	char *argv[CTLPROTO_MAX_ARGS + 2];
	char store[CTLPROTO_MAX_REQUEST];
};

/*
 * ctlproto_encode_request - write the request line for argv[0..argc)
 * (argv[0] is the command) with its LF into buf. Returns its length,
 * or -1 when it would exceed CTLPROTO_MAX_REQUEST, len, or the word
 * limit, or a word is empty.
 */
int ctlproto_encode_request(int argc, char *const *argv, bool json,
			    char *buf, size_t len);

/*
 * ctlproto_parse_request - decode one request line (len bytes, without
 * its LF). Returns 0, or -1 and points *why at a static reason.
 */
int ctlproto_parse_request(const char *line, size_t len,
			   struct ctlproto_request *req, const char **why);

/* ctlproto_status_name - "ok", "nomatch", "error", "denied". */
const char *ctlproto_status_name(enum ctlproto_status st);

/*
 * ctlproto_parse_head - decode an answer's head line (len bytes,
 * without its LF). Returns 0, or -1 with *why.
 */
int ctlproto_parse_head(const char *line, size_t len,
			enum ctlproto_status *st, size_t *body_len,
			const char **why);

/*
 * struct ctlproto_buf - a growing text buffer for an answer's body.
 *   buf, len, cap  the text (NUL-terminated once anything is written);
 *   failed         out of memory or past CTLPROTO_MAX_BODY: the rest
 *                  was dropped.
 */
struct ctlproto_buf {
	char *buf;
	size_t len, cap;
	bool failed;
};

void ctlproto_buf_init(struct ctlproto_buf *b);
void ctlproto_buf_free(struct ctlproto_buf *b);
void ctlproto_buf_add(struct ctlproto_buf *b, const char *s, size_t n);
void ctlproto_buf_printf(struct ctlproto_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * struct ctlproto_answer - what ctlproto_call received.
 *   status  the answer's status;
 *   body    its body, NUL-terminated (may also contain NULs: use len);
 *   len     the body's length.
 */
struct ctlproto_answer {
	enum ctlproto_status status;
	char *body;
	size_t len;
};

/*
 * ctlproto_call - connect to the socket at path, send one request,
 * read the whole answer within timeout_ms. Returns 0 and fills *ans
 * (free ans->body), or -1 with errno set and *why saying what failed.
 * errno ENOENT or ECONNREFUSED means no daemon listens there.
 */
int ctlproto_call(const char *path, int argc, char *const *argv, bool json,
		  int timeout_ms, struct ctlproto_answer *ans,
		  const char **why);

#endif
