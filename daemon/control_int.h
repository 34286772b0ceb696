/*
 * control_int.h - what the control socket's server (control.c) and its
 * command handlers (control_cmd.c) share. Not for other modules.
 *
 * A handler reads c->req, writes its answer into c->out (text) or c->j
 * (with --json), sets c->status, and returns CONTROL_DONE; or it starts
 * an evaluation, keeps its handle in c->pending and returns
 * CONTROL_PENDING, and later calls control_finish(c) from the
 * evaluation's callback.
 */
#ifndef MXWALL_CONTROL_INT_H
#define MXWALL_CONTROL_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "ctlproto.h"
#include "json.h"

struct daemon;
struct control;
struct kern;
struct policy_server;
struct eval_req;
struct ev_timer;

enum { CONTROL_DONE = 0, CONTROL_PENDING = 1 };

/*
 * struct control_conn - one client connection.
 *   ctl         the server;
 *   fd          the accepted socket (non-blocking);
 *   uid         the peer's user id (SO_PEERCRED);
 *   may_change  root or a member of control_admin_group;
 *   in, inlen   request bytes received so far;
 *   req         the decoded request;
 *   status      the answer's status;
 *   out         the answer's body (text, or the JSON document at the end);
 *   j           the JSON document being written (req.json);
 *   wire, wlen  head and body ready to send; sent: bytes already sent;
 *   timer       idle timer (no complete request yet);
 *   pending     an evaluation this connection waits for, or NULL;
 *   found       for show: a cached verdict was found;
 *   raw         the handler wrote the body itself, also with --json;
 *   prev, next  the server's list of connections.
 */
struct control_conn {
	struct control *ctl;
	int fd;
	uid_t uid;
	bool may_change;
	char in[CTLPROTO_MAX_REQUEST];
	size_t inlen;
	struct ctlproto_request req;
	enum ctlproto_status status;
	struct ctlproto_buf out;
	struct json j;
	char *wire;
	size_t wlen, sent;
	struct ev_timer *timer;
	struct eval_req *pending;
	bool found;
	bool raw;
	struct control_conn *prev, *next;
};

/* struct control_cmd - one command the server knows. */
struct control_cmd {
	const char *name;
	bool changes; /* needs root or control_admin_group */
	int (*run)(struct control_conn *c);
};

/* The table (control_cmd.c); ends with a NULL name. */
extern const struct control_cmd control_cmds[];

/* control_daemon - the daemon a connection's server serves. */
struct daemon *control_daemon(struct control_conn *c);

/*
 * control_kern - the pinned kernel maps, opened as root when the server
 * was created (the daemon cannot open them after the privilege drop),
 * or NULL when the backend is not xdp or they could not be opened.
 */
struct kern *control_kern(struct control_conn *c);

/* control_policy - the policy server (control_set_policy), or NULL. */
struct policy_server *control_policy(struct control_conn *c);

/* control_finish - the answer is complete: send it (may free c). */
void control_finish(struct control_conn *c);

/* control_fail - replace the answer with one error line. */
void control_fail(struct control_conn *c, enum ctlproto_status st,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
