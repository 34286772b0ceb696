/*
 * control.h - the daemon's control socket: mxwallctl's way in.
 *
 * The socket (control_socket, default /run/mxwall/control.sock) is
 * created owned by root and control_group (default mxwall), mode 0660,
 * before the privilege drop. Each connection carries one request of the
 * protocol in lib/ctlproto.h and gets one answer. The peer's
 * credentials (SO_PEERCRED, SO_PEERGROUPS) decide what it may do:
 *   root and members of control_admin_group    every command;
 *   members of control_group                   reading commands only;
 *   anyone else                                "permission denied".
 *
 * Contracts:
 *   - runs entirely in the daemon's event loop and never blocks: sockets
 *     are non-blocking, answers that do not fit the socket buffer are
 *     sent as it drains, and commands that evaluate (show, test) answer
 *     when the evaluation ends;
 *   - bounded: at most CONTROL_MAX_CONNS connections at once, each
 *     closed after CONTROL_IDLE_MS without a complete request, requests
 *     limited as in ctlproto.h;
 *   - a malformed or unknown request gets an error answer and the
 *     connection is closed; nothing a client sends stops the daemon;
 *   - every changing command is logged (CONTROL uid=... cmd=...).
 */
#ifndef MXWALL_CONTROL_H
#define MXWALL_CONTROL_H

#include <stddef.h>

struct daemon;
struct control;

#define CONTROL_MAX_CONNS 64
#define CONTROL_IDLE_MS 10000

/*
 * control_create - listen on path (NULL: the configuration's
 * control_socket) and serve it from d's event loop. A stale socket file
 * is replaced; a socket another daemon still answers on is not. Returns
 * NULL with a one-line reason in err when it cannot listen.
 */
struct control *control_create(struct daemon *d, const char *path, char *err,
			       size_t errlen);

/*
 * control_set_policy - the policy server whose counters 'stats' shows
 * (policy requests by answer); NULL or never called: none shown.
 */
struct policy_server;
void control_set_policy(struct control *c, struct policy_server *ps);

/* control_free - close every connection and the socket, unlink it. */
void control_free(struct control *c);

#endif
