/*
 * control.c - the control socket's server (see control.h): listening,
 * credentials, reading one request, dispatching it to control_cmd.c,
 * and sending the answer without blocking.
 *
 * Never blocks and never trusts the client: every byte count is
 * bounded, and a client that misbehaves loses only its own connection.
 * Runs after the privilege drop (the socket was made before it).
 */
#include "control.h"
#include "control_int.h"
#include "config.h"
#include "daemon.h"
#include "eval.h"
#include "evloop.h"
#include "kern.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* Most supplementary groups looked at per peer. */
#define CONTROL_MAX_GROUPS 256

/*
 * struct control - the server.
 *   d        the daemon served;
 *   loop     its event loop;
 *   lfd      the listening socket;
 *   path     the socket's path (unlinked by control_free);
 *   gid      control_group's id, or (gid_t)-1 when it does not exist;
 *   admin    control_admin_group's id, or (gid_t)-1 (root only);
 *   kern     the pinned kernel maps for stats (see control_kern);
 *   policy   the policy server, for its counters in stats, or NULL;
 *   nconns   open connections, at most CONTROL_MAX_CONNS;
 *   conns    their list.
 */
struct control {
	struct daemon *d;
	struct evloop *loop;
	int lfd;
	char *path;
	gid_t gid;
	gid_t admin;
	struct kern *kern;
	struct policy_server *policy;
	int nconns;
	struct control_conn *conns;
};

struct daemon *control_daemon(struct control_conn *c)
{
	return c->ctl->d;
}

struct kern *control_kern(struct control_conn *c)
{
	return c->ctl->kern;
}

struct policy_server *control_policy(struct control_conn *c)
{
	return c->ctl->policy;
}

void control_set_policy(struct control *ctl, struct policy_server *ps)
{
	ctl->policy = ps;
}

/* conn_close - forget a connection: timer, evaluation, fd, memory. */
static void conn_close(struct control_conn *c)
{
	struct control *ctl = c->ctl;

	if (c->timer)
		evloop_timer_cancel(ctl->loop, c->timer);
	if (c->pending)
		eval_cancel(c->pending);
	evloop_del_fd(ctl->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nconns--;
	ctlproto_buf_free(&c->out);
	json_free(&c->j);
	free(c->wire);
	free(c);
}

void control_fail(struct control_conn *c, enum ctlproto_status st,
		  const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ctlproto_buf_free(&c->out);
	json_free(&c->j);
	c->req.json = false;
	c->raw = false;
	c->status = st;
	ctlproto_buf_printf(&c->out, "%s\n", line);
}

/*
 * conn_drain - read and drop what the client sent beyond its request
 * (bounded), so that closing does not reset the connection before the
 * client has read the answer.
 */
static void conn_drain(struct control_conn *c)
{
	char junk[4096];
	int i;

	for (i = 0; i < 16; i++)
		if (recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
			break;
}

/* conn_flush - send what the socket takes; close when all is sent. */
static void conn_flush(struct control_conn *c)
{
	ssize_t n;

	while (c->sent < c->wlen) {
		n = send(c->fd, c->wire + c->sent, c->wlen - c->sent,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			evloop_mod_fd(c->ctl->loop, c->fd, EV_WRITE);
			return;
		}
		if (n < 0) {
			msg_debug(1, "control: uid %u went away before its "
				  "answer was sent: %s", (unsigned)c->uid,
				  strerror(errno));
			break;
		}
		c->sent += (size_t)n;
	}
	conn_drain(c);
	conn_close(c);
}

void control_finish(struct control_conn *c)
{
	char head[CTLPROTO_HEAD_MAX];
	const char *doc;
	int hlen;

	c->pending = NULL;
	if (c->req.json && !c->raw && c->status != CTLPROTO_ERROR &&
	    c->status != CTLPROTO_DENIED) {
		doc = json_done(&c->j);
		if (!doc) {
			control_fail(c, CTLPROTO_ERROR, "%s: cannot write the "
				     "JSON answer (out of memory?)",
				     c->req.argv[0]);
		} else {
			ctlproto_buf_free(&c->out);
			ctlproto_buf_add(&c->out, doc, strlen(doc));
		}
	}
	if (c->out.failed)
		control_fail(c, CTLPROTO_ERROR, "%s: answer too large or out "
			     "of memory", c->req.argv[0]);
	hlen = snprintf(head, sizeof(head), "%s %zu\n",
			ctlproto_status_name(c->status), c->out.len);
	c->wire = malloc((size_t)hlen + c->out.len);
	if (!c->wire) {
		msg_warn("control: out of memory answering uid %u: closing "
			 "its connection", (unsigned)c->uid);
		conn_close(c);
		return;
	}
	memcpy(c->wire, head, (size_t)hlen);
	if (c->out.len)
		memcpy(c->wire + hlen, c->out.buf, c->out.len);
	c->wlen = (size_t)hlen + c->out.len;
	ctlproto_buf_free(&c->out);
	conn_flush(c);
}

/* conn_dispatch - run the decoded request's command. */
static void conn_dispatch(struct control_conn *c)
{
	const struct control_cmd *cmd;
	char who[64];

	for (cmd = control_cmds; cmd->name; cmd++)
		if (strcmp(cmd->name, c->req.argv[0]) == 0)
			break;
	if (!cmd->name) {
		char q[LOG_QUOTE_BUFSZ];

		control_fail(c, CTLPROTO_ERROR, "unknown command \"%s\"",
			     log_quote(q, sizeof(q), c->req.argv[0], -1));
		control_finish(c);
		return;
	}
	if (cmd->changes && !c->may_change) {
		control_fail(c, CTLPROTO_DENIED, "%s: permission denied: "
			     "changing commands need root or the group "
			     "named by control_admin_group", cmd->name);
		control_finish(c);
		return;
	}
	if (cmd->changes) {
		snprintf(who, sizeof(who), "uid=%u", (unsigned)c->uid);
		log_event("CONTROL", "%s cmd=%s args=%d", who, cmd->name,
			  c->req.argc - 1);
	}
	c->status = CTLPROTO_OK;
	if (c->req.json)
		json_init(&c->j);
	if (cmd->run(c) == CONTROL_DONE)
		control_finish(c);
}

/* conn_read - take request bytes; on a full line, dispatch. */
static void conn_read(struct control_conn *c)
{
	const char *why, *lf;
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	lf = memchr(c->in, '\n', c->inlen);
	if (!lf && c->inlen < sizeof(c->in))
		return;
	if (c->timer)
		evloop_timer_cancel(c->ctl->loop, c->timer);
	c->timer = NULL;
	/* Answering now: no more reading (a hang-up still shows). */
	evloop_mod_fd(c->ctl->loop, c->fd, 0);
	if (!lf) {
		control_fail(c, CTLPROTO_ERROR, "request longer than %d "
			     "bytes", CTLPROTO_MAX_REQUEST - 1);
		control_finish(c);
		return;
	}
	if (ctlproto_parse_request(c->in, (size_t)(lf - c->in), &c->req,
				   &why) < 0) {
		control_fail(c, CTLPROTO_ERROR, "bad request: %s", why);
		control_finish(c);
		return;
	}
	conn_dispatch(c);
}

/* conn_event - the loop's callback for one connection. */
static void conn_event(int fd, unsigned events, void *arg)
{
	struct control_conn *c = arg;

	if (c->wire) {
		if (events & (EV_WRITE | EV_ERROR))
			conn_flush(c);
		return;
	}
	if (c->pending) {
		/* The client hung up while we evaluated for it. */
		if (events & EV_ERROR)
			conn_close(c);
		return;
	}
	if (events & (EV_READ | EV_ERROR))
		conn_read(c);
}

/* conn_idle - no complete request in time. */
static void conn_idle(void *arg)
{
	struct control_conn *c = arg;

	c->timer = NULL;
	msg_debug(1, "control: uid %u sent no request within %d ms: "
		  "closing", (unsigned)c->uid, CONTROL_IDLE_MS);
	conn_close(c);
}

/* peer_in_group - whether the peer's groups include gid. */
static bool peer_in_group(int fd, const struct ucred *cr, gid_t gid)
{
	gid_t groups[CONTROL_MAX_GROUPS];
	socklen_t len = sizeof(groups);
	struct passwd *pw;
	int n, i;

	if (gid == (gid_t)-1)
		return false;
	if (cr->gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		n = (int)(len / sizeof(gid_t));
	} else {
		/* Older kernels: the user's groups from the group file. */
		pw = getpwuid(cr->uid);
		n = CONTROL_MAX_GROUPS;
		if (!pw || getgrouplist(pw->pw_name, cr->gid, groups, &n) < 0)
			return false;
	}
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * control_accept - take one connection: check its credentials, set it
 * up, or answer "permission denied" / "busy" at once.
 */
static void control_accept(int lfd, unsigned events, void *arg)
{
	struct control *ctl = arg;
	struct control_conn *c;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	bool may_read;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			msg_warn("control: accept: %s: will try again",
				 strerror(errno));
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		msg_warn("control: cannot read the peer's credentials: %s: "
			 "closing the connection", strerror(errno));
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->uid = cr.uid;
	c->may_change = cr.uid == 0 || peer_in_group(fd, &cr, ctl->admin);
	may_read = c->may_change || peer_in_group(fd, &cr, ctl->gid);
	c->next = ctl->conns;
	if (c->next)
		c->next->prev = c;
	ctl->conns = c;
	ctl->nconns++;
	if (evloop_add_fd(ctl->loop, fd, EV_READ, conn_event, c) < 0) {
		msg_warn("control: cannot watch a connection: %s: closing it",
			 strerror(errno));
		conn_close(c);
		return;
	}
	if (!may_read) {
		c->req.argv[0] = "";
		control_fail(c, CTLPROTO_DENIED, "permission denied: uid %u "
			     "is neither root nor in the control groups",
			     (unsigned)cr.uid);
		control_finish(c);
		return;
	}
	if (ctl->nconns > CONTROL_MAX_CONNS) {
		c->req.argv[0] = "";
		control_fail(c, CTLPROTO_ERROR, "busy: %d control connections "
			     "open, try again", CONTROL_MAX_CONNS);
		control_finish(c);
		return;
	}
	c->timer = evloop_timer(ctl->loop, CONTROL_IDLE_MS, conn_idle, c);
}

/* group_id - a group's id by name; (gid_t)-1 for "" or unknown. */
static gid_t group_id(const char *param, const char *name)
{
	struct group *gr;

	if (!name || !*name)
		return (gid_t)-1;
	gr = getgrnam(name);
	if (!gr) {
		msg_warn("%s: group \"%s\" does not exist: nobody is let in "
			 "through it", param, name);
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

/*
 * control_listen - make the socket: parent directory, stale file
 * check, bind, owner and mode, listen. fd or -1 with err.
 */
static int control_listen(const char *path, gid_t gid, char *err,
			  size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	int fd = -1, probe;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control_socket %s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "control_socket: cannot create "
				 "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* A socket someone answers on belongs to a running daemon. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 &&
	    connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		snprintf(err, errlen, "control_socket %s: another mxwalld "
			 "answers there", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	if (chown(path, 0, gid == (gid_t)-1 ? 0 : gid) < 0 && geteuid() == 0)
		goto fail;
	if (chmod(path, 0660) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;

fail:
	snprintf(err, errlen, "control_socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct control *control_create(struct daemon *d, const char *path, char *err,
			       size_t errlen)
{
	const struct mx_config *cfg = daemon_config(d);
	struct control *ctl;

	if (!path)
		path = cfg->control_socket;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		snprintf(err, errlen, "control socket: out of memory");
		free(ctl);
		return NULL;
	}
	ctl->d = d;
	ctl->loop = daemon_loop(d);
	ctl->gid = group_id("control_group", cfg->control_group);
	ctl->admin = group_id("control_admin_group", cfg->control_admin_group);
	ctl->lfd = control_listen(path, ctl->gid, err, errlen);
	if (ctl->lfd < 0)
		goto fail;
	if (evloop_add_fd(ctl->loop, ctl->lfd, EV_READ, control_accept,
			  ctl) < 0) {
		snprintf(err, errlen, "control socket: cannot watch it: %s",
			 strerror(errno));
		close(ctl->lfd);
		unlink(ctl->path);
		goto fail;
	}
#if MXWALL_LINUX
	if (strcmp(cfg->backend, "xdp") == 0 &&
	    kern_open_pinned(cfg->pin_path, &ctl->kern, err, errlen) < 0)
		msg_warn("control socket: %s: stats will show no kernel "
			 "counters", err);
#endif
	msg_info("control socket %s ready (group %s, admin group %s)", path,
		 *cfg->control_group ? cfg->control_group : "-",
		 *cfg->control_admin_group ? cfg->control_admin_group
					   : "- (root only)");
	return ctl;

fail:
	free(ctl->path);
	free(ctl);
	return NULL;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		conn_close(ctl->conns);
	evloop_del_fd(ctl->loop, ctl->lfd);
	close(ctl->lfd);
	unlink(ctl->path);
#if MXWALL_LINUX
	kern_close(ctl->kern);
#endif
	free(ctl->path);
	free(ctl);
}
