/*
 * policy.c - the Postfix policy service (see policy.h for the contract).
 *
 * One struct policy_conn per connection. Bytes are read into a buffer of
 * at most policy_max_request bytes and scanned as they arrive, so a bound
 * is caught at the byte that breaks it, not after a whole request has
 * been kept. A complete request (ended by an empty line) is parsed in
 * place, decided and answered before the next one in the buffer is
 * looked at; while a request waits for a verdict, or while an answer
 * cannot be written, the connection is not read at all, so a client
 * cannot make the server hold more than one request's bytes.
 *
 * Each connection has one deadline timer that is re-armed lazily: a read
 * only moves the deadline, and the timer, when it fires early, arms
 * itself again for what is left. So the fast path creates no timer.
 *
 * Never blocks; never answers a request it did not read completely.
 */
#include "policy.h"
#include "access.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Longest description of a peer in log lines. */
#define PEER_MAX 160

/* Longest "where the answer came from" text in the POLICY line. */
#define WHERE_MAX 512

/*
 * struct policy_limits - the bounds, from the configuration.
 *   max_line     bytes in one line, newline excluded;
 *   max_attrs    attribute lines in one request;
 *   max_request  bytes in one request, empty line included;
 *   max_conns    open connections;
 *   idle_ms, request_ms, wait_ms   policy_idle_timeout,
 *                policy_request_timeout, policy_verdict_wait in ms.
 */
struct policy_limits {
	size_t max_line;
	long max_attrs;
	size_t max_request;
	uint64_t max_conns;
	uint64_t idle_ms;
	uint64_t request_ms;
	uint64_t wait_ms;
};

/*
 * struct policy_listener - one listening socket.
 *   spec   the policy_listen word, as written;
 *   path   for unix:, the socket file created (removed at free), else
 *          NULL;
 *   pause  set while accepting is paused (out of descriptors or memory):
 *          the timer that resumes it.
 */
struct policy_listener {
	struct policy_server *ps;
	int fd;
	char *spec;
	char *path;
	struct ev_timer *pause;
	struct policy_listener *next;
};

/* How long a listener rests when accept() runs out of resources, in ms. */
#define ACCEPT_PAUSE_MS 1000

struct policy_conn;

/*
 * struct policy_server - one policy service.
 *   cfg        the configuration in force (tables and bounds), owned by
 *              the caller; replaced by policy_reconfigure;
 *   hooks/ctx  how verdicts are asked for (policy.h);
 *   lim        cfg's bounds in the units used here;
 *   conns      every open connection, doubly linked;
 *   st         the counters policy_get_stats copies.
 */
struct policy_server {
	struct evloop *loop;
	const struct mx_config *cfg;
	struct policy_hooks hooks;
	void *ctx;
	struct policy_limits lim;
	struct policy_listener *listeners;
	struct policy_conn *conns; /* every open connection */
	struct policy_stats st;
};

enum conn_state {
	CONN_READING, /* reading and answering requests */
	CONN_WAITING, /* a request waits for its client's verdict */
};

/*
 * struct policy_conn - one client connection.
 *   events            what the event loop watches for it (EV_*);
 *   in, inlen, incap  bytes read and not yet answered; incap grows up to
 *                     max_request;
 *   scan              bytes of in[] scanned for newlines so far;
 *   line_start        where the line being scanned starts;
 *   nattrs            attribute lines of the current request so far;
 *   reqlen            the complete request at in[0] (0: none yet);
 *   req_start         ms, when the current request's first byte came;
 *   last              ms, the last time a request was answered or the
 *                     connection opened (idle time counts from there);
 *   timer, timer_when the deadline timer and when it fires (ms);
 *   handle            the pending verdict request (CONN_WAITING);
 *   wait_timer        policy_verdict_wait for it;
 *   in_hook           inside hooks.client_verdict (a verdict given then
 *                     is known at once);
 *   peek              while waiting, watch for the client going away
 *                     (cleared when it sends more instead);
 *   blocked           the client's verdict blocks: action[] holds the
 *                     reject and where[] its reason;
 *   out, outlen, outoff   an answer not yet fully written.
 */
struct policy_conn {
	struct policy_server *ps;
	struct policy_conn *prev, *next;
	int fd;
	unsigned events;
	enum conn_state state;
	char peer[PEER_MAX];
	char *in;
	size_t inlen, incap;
	size_t scan, line_start;
	long nattrs;
	size_t reqlen;
	uint64_t req_start, last;
	struct ev_timer *timer;
	uint64_t timer_when;
	void *handle;
	struct ev_timer *wait_timer;
	bool in_hook;
	bool peek;
	bool got_verdict;
	bool blocked;
	struct policy_request req;
	char action[POLICY_ACTION_MAX];
	char where[WHERE_MAX];
	char out[POLICY_ACTION_MAX + 16];
	size_t outlen, outoff;
};

static void conn_io(int fd, unsigned events, void *arg);
static int conn_process(struct policy_conn *c);

/* limits_from_config - the bounds of cfg, in the units used here. */
static void limits_from_config(struct policy_limits *lim,
			       const struct mx_config *cfg)
{
	lim->max_line = (size_t)cfg->policy_max_line;
	lim->max_attrs = cfg->policy_max_attributes;
	lim->max_request = (size_t)cfg->policy_max_request;
	lim->max_conns = (uint64_t)cfg->policy_max_connections;
	lim->idle_ms = (uint64_t)cfg->policy_idle_timeout * 1000;
	lim->request_ms = (uint64_t)cfg->policy_request_timeout * 1000;
	lim->wait_ms = (uint64_t)cfg->policy_verdict_wait * 1000;
}

/* copy_printable - copy src to dst, control bytes as '?', cut to fit. */
static void copy_printable(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < dstlen; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	dst[i] = '\0';
}

/*
 * Listeners.
 */

/* parse_owner - "user" or "user:group" to ids. 0, or -1 with err set. */
static int parse_owner(const char *owner, uid_t *uid, gid_t *gid, char *err,
		       size_t errlen)
{
	char user[256];
	const char *colon = strchr(owner, ':');
	size_t n = colon ? (size_t)(colon - owner) : strlen(owner);
	struct passwd *pw;
	struct group *gr;

	if (n >= sizeof(user)) {
		snprintf(err, errlen, "policy_socket_owner \"%s\": too long",
			 owner);
		return -1;
	}
	memcpy(user, owner, n);
	user[n] = '\0';
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "policy_socket_owner: no user \"%s\"",
			 user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon) {
		gr = getgrnam(colon + 1);
		if (!gr) {
			snprintf(err, errlen,
				 "policy_socket_owner: no group \"%s\"",
				 colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* listen_unix - bind PATH; mode and owner from cfg. fd, or -1 + err. */
static int listen_unix(const struct mx_config *cfg, const char *spec,
		       const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *mode_s = cfg->policy_socket_mode;
	const char *owner = cfg->policy_socket_owner;
	struct stat st;
	char *end;
	long mode;
	uid_t uid = 0;
	gid_t gid = 0;
	int fd = -1;

	mode = strtol(mode_s, &end, 8);
	if (!*mode_s || *end || mode < 0 || mode > 07777) {
		snprintf(err, errlen, "policy_socket_mode \"%s\": not an "
			 "octal mode", mode_s);
		goto fail;
	}
	if (*owner && parse_owner(owner, &uid, &gid, err, errlen) < 0)
		goto fail;
	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "policy_listen \"%s\": path empty or "
			 "longer than %zu bytes", spec,
			 sizeof(sun.sun_path) - 1);
		goto fail;
	}
	strcpy(sun.sun_path, path);

	/* A socket left by an earlier run is ours to replace; nothing else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "policy_listen \"%s\": %s exists "
				 "and is not a socket", spec, path);
			goto fail;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "policy_listen \"%s\": cannot bind: %s",
			 spec, strerror(errno));
		goto fail;
	}
	if (chmod(path, (mode_t)mode) < 0 ||
	    (*owner && chown(path, uid, gid) < 0)) {
		snprintf(err, errlen, "policy_listen \"%s\": cannot set mode "
			 "%s or owner \"%s\": %s", spec, mode_s, owner,
			 strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "policy_listen \"%s\": cannot listen: %s",
			 spec, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;

fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* listen_inet - bind HOST:PORT ([v6]:PORT too). fd, or -1 + err. */
static int listen_inet(const char *spec, const char *hostport, char *err,
		       size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	const char *h = hostport;
	size_t hl;
	int fd = -1, one = 1, rc;

	if (!colon || !colon[1]) {
		snprintf(err, errlen, "policy_listen \"%s\": no port", spec);
		goto done;
	}
	hl = (size_t)(colon - hostport);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "policy_listen \"%s\": no host", spec);
		goto done;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "policy_listen \"%s\": %s", spec,
			 gai_strerror(rc));
		goto done;
	}
	fd = socket(res->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (res->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
	}
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "policy_listen \"%s\": cannot listen: %s",
			 spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
done:
	if (res)
		freeaddrinfo(res);
	return fd;
}

/*
 * peer_name - "[192.0.2.1]:41234", or "unix:PATH pid=N" (the pid where
 * the system tells it: SO_PEERCRED), for logs.
 */
static void peer_name(struct policy_listener *l, int fd,
		      const struct sockaddr_storage *ss, char *buf,
		      size_t len)
{
	char host[64], serv[16];

	if (l->path) {
#ifdef SO_PEERCRED
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
			snprintf(buf, len, "%s pid=%ld", l->spec,
				 (long)cred.pid);
			return;
		}
#endif
		snprintf(buf, len, "%s", l->spec);
		return;
	}
	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host,
			sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, len, "%s", l->spec);
	else
		snprintf(buf, len, "[%s]:%s", host, serv);
}

/* listener_resume - the pause is over: accept again. */
static void listener_resume(void *arg)
{
	struct policy_listener *l = arg;

	l->pause = NULL;
	evloop_mod_fd(l->ps->loop, l->fd, EV_READ);
}

/* listener_accept - take every pending connection. */
static void listener_accept(int lfd, unsigned events, void *arg)
{
	struct policy_listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	char peer[PEER_MAX];
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (fd < 0) {
			/*
			 * Out of descriptors or memory, the listener stays
			 * ready: rest it, or the loop would spin on it.
			 */
			msg_warn("policy_listen \"%s\": accept: %s: not "
				 "accepting for %ds", l->spec, strerror(errno),
				 ACCEPT_PAUSE_MS / 1000);
			l->pause = evloop_timer(l->ps->loop, ACCEPT_PAUSE_MS,
						listener_resume, l);
			if (l->pause)
				evloop_mod_fd(l->ps->loop, lfd, 0);
			return;
		}
		peer_name(l, fd, &ss, peer, sizeof(peer));
		policy_adopt(l->ps, fd, peer);
	}
}

/* listener_open - one policy_listen word. 0, or -1 with err set. */
static int listener_open(struct policy_server *ps, const char *spec,
			 char *err, size_t errlen)
{
	struct policy_listener *l = calloc(1, sizeof(*l));
	int fd = -1;

	if (!l || !(l->spec = strdup(spec))) {
		snprintf(err, errlen, "policy_listen: out of memory");
		goto fail;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		fd = listen_unix(ps->cfg, spec, spec + 5, err, errlen);
		if (fd >= 0 && !(l->path = strdup(spec + 5))) {
			unlink(spec + 5);
			snprintf(err, errlen, "policy_listen: out of memory");
			goto fail;
		}
	} else if (strncmp(spec, "inet:", 5) == 0) {
		fd = listen_inet(spec, spec + 5, err, errlen);
	} else {
		snprintf(err, errlen, "policy_listen \"%s\": neither "
			 "unix:PATH nor inet:HOST:PORT", spec);
	}
	if (fd < 0)
		goto fail;
	l->fd = fd;
	l->ps = ps;
	if (evloop_add_fd(ps->loop, fd, EV_READ, listener_accept, l) < 0) {
		snprintf(err, errlen, "policy_listen \"%s\": event loop: %s",
			 spec, strerror(errno));
		if (l->path)
			unlink(l->path);
		goto fail;
	}
	l->next = ps->listeners;
	ps->listeners = l;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	if (l) {
		free(l->spec);
		free(l->path);
		free(l);
	}
	return -1;
}

/*
 * Connections.
 */

/* conn_free - close c and forget it; cancels its verdict and timers. */
static void conn_free(struct policy_conn *c)
{
	struct policy_server *ps = c->ps;

	if (c->handle && ps->hooks.cancel)
		ps->hooks.cancel(ps->ctx, c->handle);
	if (c->wait_timer)
		evloop_timer_cancel(ps->loop, c->wait_timer);
	if (c->timer)
		evloop_timer_cancel(ps->loop, c->timer);
	evloop_del_fd(ps->loop, c->fd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		ps->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ps->st.open--;
	free(c->in);
	free(c);
}

/* conn_bad - log a refused request (what, from where), close. */
static int conn_bad(struct policy_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int conn_bad(struct policy_conn *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	msg_warn("policy request from %s: %s: closing the connection "
		 "unanswered", c->peer, why);
	c->ps->st.bad++;
	conn_free(c);
	return -1;
}

static void conn_timeout(void *arg);

/* conn_arm - (re)arm the deadline: request or idle time-out. */
static void conn_arm(struct policy_conn *c)
{
	struct policy_server *ps = c->ps;
	uint64_t now = evloop_now_ms(ps->loop), deadline;

	if (c->state == CONN_WAITING)
		return;
	deadline = c->inlen > 0 ? c->req_start + ps->lim.request_ms :
				  c->last + ps->lim.idle_ms;
	if (c->timer && c->timer_when <= deadline)
		return;
	if (c->timer)
		evloop_timer_cancel(ps->loop, c->timer);
	c->timer = evloop_timer(ps->loop, deadline > now ? deadline - now : 0,
				conn_timeout, c);
	c->timer_when = deadline;
}

/* conn_timeout - the deadline timer fired: close, or arm for the rest. */
static void conn_timeout(void *arg)
{
	struct policy_conn *c = arg;
	struct policy_server *ps = c->ps;
	uint64_t now = evloop_now_ms(ps->loop), deadline;

	c->timer = NULL;
	if (c->state == CONN_WAITING)
		return;
	deadline = c->inlen > 0 ? c->req_start + ps->lim.request_ms :
				  c->last + ps->lim.idle_ms;
	if (now < deadline) {
		conn_arm(c);
		return;
	}
	ps->st.timeouts++;
	if (c->inlen > 0) {
		conn_bad(c, "request not complete after %llus (%zu bytes)",
			 (unsigned long long)ps->lim.request_ms / 1000,
			 c->inlen);
		return;
	}
	msg_info("policy connection from %s: idle for %llus: closing it",
		 c->peer, (unsigned long long)ps->lim.idle_ms / 1000);
	conn_free(c);
}

/* conn_events - what to wait for: writing, reading, or nothing. */
static void conn_events(struct policy_conn *c)
{
	unsigned ev = 0;

	if (c->outlen > c->outoff)
		ev = EV_WRITE;
	else if (c->state == CONN_READING || c->peek)
		ev = EV_READ;
	/* Usually unchanged: spare the fast path an epoll_ctl call. */
	if (ev != c->events && evloop_mod_fd(c->ps->loop, c->fd, ev) == 0)
		c->events = ev;
}

/* conn_flush - write what is pending. 0, or -1 when c was closed. */
static int conn_flush(struct policy_conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			msg_warn("policy connection from %s: write: %s: "
				 "closing it", c->peer, strerror(errno));
			conn_free(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outlen = c->outoff = 0;
	return 0;
}

/*
 * conn_scan - look at the bytes not yet scanned. 1 when a complete
 * request is at in[0] (reqlen set), 0 when more is needed, -1 when the
 * request broke a bound or the protocol (c is closed).
 */
static int conn_scan(struct policy_conn *c)
{
	const struct policy_limits *lim = &c->ps->lim;
	char *nl;
	size_t end;

	while (c->scan < c->inlen) {
		nl = memchr(c->in + c->scan, '\n', c->inlen - c->scan);
		end = nl ? (size_t)(nl - c->in) : c->inlen;
		if (memchr(c->in + c->scan, '\0', end - c->scan))
			return conn_bad(c, "line %ld: NUL byte",
					c->nattrs + 1);
		if (end - c->line_start > lim->max_line)
			return conn_bad(c, "line %ld: longer than %zu bytes",
					c->nattrs + 1, lim->max_line);
		if (!nl) {
			c->scan = c->inlen;
			break;
		}
		if (end == c->line_start) {
			c->reqlen = end + 1;
			return 1;
		}
		if (!memchr(c->in + c->line_start, '=', end - c->line_start))
			return conn_bad(c, "line %ld: no \"=\"",
					c->nattrs + 1);
		if (++c->nattrs > lim->max_attrs)
			return conn_bad(c, "more than %ld attributes",
					lim->max_attrs);
		c->scan = c->line_start = end + 1;
	}
	if (c->inlen >= lim->max_request)
		return conn_bad(c, "request larger than %zu bytes",
				lim->max_request);
	return 0;
}

/* action_kind - "reject", "defer", "ok"... the first word, lower case. */
static const char *action_kind(const char *action, char *buf, size_t len)
{
	size_t i;

	if ((action[0] == '4' || action[0] == '5') && action[1] >= '0' &&
	    action[1] <= '9')
		return action[0] == '4' ? "defer" : "reject";
	for (i = 0; action[i] && action[i] != ' ' && action[i] != '\t' &&
		    i + 1 < len; i++)
		buf[i] = (char)(action[i] >= 'A' && action[i] <= 'Z' ?
				action[i] + 32 : action[i]);
	buf[i] = '\0';
	return buf;
}

/* decision_log - the POLICY line of an answer that is not DUNNO. */
static void decision_log(struct policy_conn *c, const char *action,
			 const char *kind)
{
	const struct policy_request *r = &c->req;
	char name[LOG_QUOTE_BUFSZ], addr[LOG_QUOTE_BUFSZ];
	char helo[LOG_QUOTE_BUFSZ], from[LOG_QUOTE_BUFSZ];
	char to[LOG_QUOTE_BUFSZ], inst[LOG_QUOTE_BUFSZ];
	char reply[LOG_QUOTE_BUFSZ], state[LOG_QUOTE_BUFSZ];

	log_event("POLICY", "action=%s state=%s instance=%s client=%s[%s] "
		  "helo=<%s> from=<%s> to=<%s> reply=\"%s\" %s", kind,
		  log_quote_word(state, sizeof(state), r->protocol_state, -1),
		  log_quote_word(inst, sizeof(inst), r->instance, -1),
		  log_quote_word(name, sizeof(name),
				 *r->client_name ? r->client_name : "unknown",
				 -1),
		  log_quote_word(addr, sizeof(addr), r->client_address, -1),
		  log_quote_word(helo, sizeof(helo), r->helo_name, -1),
		  log_quote_word(from, sizeof(from), r->sender, -1),
		  log_quote_word(to, sizeof(to), r->recipient, -1),
		  log_quote(reply, sizeof(reply), action, -1), c->where);
}

/*
 * request_finish - decide the rest, answer, drop the request from the
 * buffer. 0, or -1 when c was closed.
 */
static int request_finish(struct policy_conn *c)
{
	struct policy_server *ps = c->ps;
	const char *action = "DUNNO", *where = NULL, *kind;
	char kbuf[32];
	int n;

	if (c->blocked) {
		action = c->action;
	} else if (!*c->req.sasl_username &&
		   policy_check_tables(ps->cfg, &c->req, c->action,
				       sizeof(c->action), &where)) {
		action = c->action;
		snprintf(c->where, sizeof(c->where), "%s", where);
	}
	if (action == c->action) {
		kind = action_kind(action, kbuf, sizeof(kbuf));
		decision_log(c, action, kind);
		if (!strcmp(kind, "reject") || !strncmp(kind, "defer", 5))
			ps->st.rejects++;
		else
			ps->st.others++;
	} else {
		ps->st.dunno++;
	}

	n = snprintf(c->out, sizeof(c->out), "action=%s\n\n", action);
	c->outlen = (size_t)n < sizeof(c->out) ? (size_t)n : sizeof(c->out);
	c->outoff = 0;

	/* The request is answered: what follows is the next one. */
	memmove(c->in, c->in + c->reqlen, c->inlen - c->reqlen);
	c->inlen -= c->reqlen;
	c->reqlen = c->scan = c->line_start = 0;
	c->nattrs = 0;
	c->blocked = false;
	c->last = c->req_start = evloop_now_ms(ps->loop);
	c->state = CONN_READING;
	c->peek = false;
	return conn_flush(c);
}

/* conn_verdict - the client's verdict arrived (now or later). */
static void conn_verdict(const struct verdict *v, void *arg)
{
	struct policy_conn *c = arg;
	const char *r;

	c->got_verdict = true;
	if (v && policy_verdict_action(v, c->req.client_address, c->action,
				       sizeof(c->action))) {
		c->blocked = true;
		r = verdict_reason_name(v->reason);
		if (v->reason == MX_REASON_RULE ||
		    v->reason == MX_REASON_PREFIX)
			snprintf(c->where, sizeof(c->where),
				 "reason=%s table=%s line=%d", r, v->rule.table,
				 v->rule.line);
		else if (v->list[0])
			snprintf(c->where, sizeof(c->where),
				 "reason=%s list=%s", r, v->list);
		else
			snprintf(c->where, sizeof(c->where), "reason=%s", r);
	}
	if (c->in_hook)
		return;

	/* Later, from the event loop: this request can now be answered. */
	c->handle = NULL;
	if (c->wait_timer) {
		evloop_timer_cancel(c->ps->loop, c->wait_timer);
		c->wait_timer = NULL;
	}
	if (request_finish(c) == 0)
		conn_process(c);
}

/* conn_wait_expired - policy_verdict_wait ran out: go on without it. */
static void conn_wait_expired(void *arg)
{
	struct policy_conn *c = arg;
	struct policy_server *ps = c->ps;

	c->wait_timer = NULL;
	ps->st.wait_expired++;
	msg_info("policy request from %s: no verdict for %s after %llus "
		 "(policy_verdict_wait): deciding without it", c->peer,
		 c->req.client_address,
		 (unsigned long long)ps->lim.wait_ms / 1000);
	if (c->handle && ps->hooks.cancel)
		ps->hooks.cancel(ps->ctx, c->handle);
	c->handle = NULL;
	if (request_finish(c) == 0)
		conn_process(c);
}

/*
 * request_start - parse the complete request at in[0] and ask for the
 * client's verdict. 0 (answered, or waiting), or -1 when c was closed.
 */
static int request_start(struct policy_conn *c)
{
	struct policy_server *ps = c->ps;
	struct mx_addr a;
	const char *why;

	if (policy_parse(c->in, c->reqlen, &c->req, &why) < 0)
		return conn_bad(c, "%s", why);
	ps->st.requests++;
	c->blocked = c->got_verdict = false;
	c->where[0] = '\0';

	/* An authenticated client is not judged by its address. */
	if (*c->req.sasl_username || !ps->hooks.client_verdict ||
	    addr_parse(c->req.client_address, &a) < 0)
		return request_finish(c);

	c->in_hook = true;
	c->handle = ps->hooks.client_verdict(ps->ctx, &a,
					     *c->req.client_name ?
					     c->req.client_name : NULL,
					     conn_verdict, c);
	c->in_hook = false;
	if (c->got_verdict || !c->handle) {
		c->handle = NULL;
		return request_finish(c);
	}

	/* Being evaluated: wait, reading nothing more meanwhile. */
	ps->st.waited++;
	c->state = CONN_WAITING;
	c->peek = c->inlen == c->reqlen;
	c->wait_timer = evloop_timer(ps->loop, ps->lim.wait_ms,
				     conn_wait_expired, c);
	if (c->timer) {
		evloop_timer_cancel(ps->loop, c->timer);
		c->timer = NULL;
	}
	conn_events(c);
	return 0;
}

/*
 * conn_process - answer every complete request in the buffer, until one
 * must wait or an answer cannot be written yet. 0, or -1 when c was
 * closed.
 */
static int conn_process(struct policy_conn *c)
{
	int r;

	while (c->state == CONN_READING && c->outlen == 0) {
		r = conn_scan(c);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (request_start(c) < 0)
			return -1;
	}
	if (c->state == CONN_READING)
		conn_arm(c);
	conn_events(c);
	return 0;
}

/* conn_read - read what is there; EOF closes (mid-request: a warning). */
static void conn_read(struct policy_conn *c)
{
	struct policy_server *ps = c->ps;
	size_t room;
	ssize_t n;

	/* A reload may have lowered the bound below what is buffered. */
	if (c->inlen >= ps->lim.max_request) {
		conn_bad(c, "request larger than %zu bytes",
			 ps->lim.max_request);
		return;
	}
	if (c->inlen == c->incap) {
		size_t cap = c->incap ? c->incap * 4 : 4096;
		char *p;

		if (cap > ps->lim.max_request)
			cap = ps->lim.max_request;
		p = realloc(c->in, cap);
		if (!p) {
			msg_warn("policy connection from %s: out of memory: "
				 "closing it", c->peer);
			conn_free(c);
			return;
		}
		c->in = p;
		c->incap = cap;
	}
	room = c->incap - c->inlen;
	n = read(c->fd, c->in + c->inlen, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		if (c->inlen > 0)
			conn_bad(c, "read error in the middle of a request: %s",
				 strerror(errno));
		else
			conn_free(c);
		return;
	}
	if (n == 0) {
		if (c->inlen > 0)
			conn_bad(c, "connection closed in the middle of a "
				 "request (%zu bytes, no empty line)",
				 c->inlen);
		else
			conn_free(c);
		return;
	}
	if (c->inlen == 0)
		c->req_start = evloop_now_ms(ps->loop);
	c->inlen += (size_t)n;
	conn_process(c);
}

/*
 * conn_peek - readable while a request waits: the client went away
 * (close, and cancel the verdict request), or it sent more, which waits
 * in the socket until the answer is out.
 */
static void conn_peek(struct policy_conn *c)
{
	char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		msg_info("policy connection from %s: closed by the client "
			 "while its request waited for a verdict", c->peer);
		conn_free(c);
		return;
	}
	c->peek = false;
	conn_events(c);
}

/* conn_io - the event loop's callback for a connection. */
static void conn_io(int fd, unsigned events, void *arg)
{
	struct policy_conn *c = arg;

	if (c->state == CONN_WAITING) {
		if (events & EV_READ)
			conn_peek(c);
		return;
	}

	if (events & EV_WRITE) {
		if (conn_flush(c) < 0)
			return;
		if (c->outlen == 0 && conn_process(c) < 0)
			return;
	}
	if ((events & EV_READ) && c->state == CONN_READING &&
	    c->outlen == 0)
		conn_read(c);
}

int policy_adopt(struct policy_server *ps, int fd, const char *peer)
{
	struct policy_conn *c;
	int fl;

	if (ps->st.open >= ps->lim.max_conns) {
		msg_warn("policy connection from %s: %llu connections open "
			 "(policy_max_connections): closing it", peer,
			 (unsigned long long)ps->st.open);
		ps->st.refused++;
		close(fd);
		return -1;
	}
	c = calloc(1, sizeof(*c));
	fl = fcntl(fd, F_GETFL);
	if (!c || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    evloop_add_fd(ps->loop, fd, EV_READ, conn_io, c) < 0) {
		msg_warn("policy connection from %s: %s: closing it", peer,
			 c ? strerror(errno) : "out of memory");
		free(c);
		close(fd);
		return -1;
	}
	c->ps = ps;
	c->fd = fd;
	c->events = EV_READ;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->last = evloop_now_ms(ps->loop);
	c->next = ps->conns;
	if (ps->conns)
		ps->conns->prev = c;
	ps->conns = c;
	ps->st.connections++;
	ps->st.open++;
	conn_arm(c);
	return 0;
}

/*
 * The server.
 */

struct policy_server *policy_create(struct evloop *loop,
				    const struct mx_config *cfg,
				    const struct policy_hooks *hooks,
				    void *ctx, char *err, size_t errlen)
{
	struct policy_server *ps = calloc(1, sizeof(*ps));
	int i;

	if (!ps) {
		snprintf(err, errlen, "policy service: out of memory");
		return NULL;
	}
	ps->loop = loop;
	ps->cfg = cfg;
	if (hooks)
		ps->hooks = *hooks;
	ps->ctx = ctx;
	limits_from_config(&ps->lim, cfg);
	for (i = 0; i < cfg->policy_listen.n; i++) {
		if (listener_open(ps, cfg->policy_listen.v[i], err,
				  errlen) < 0) {
			policy_free(ps);
			return NULL;
		}
	}
	return ps;
}

void policy_reconfigure(struct policy_server *ps,
			const struct mx_config *cfg)
{
	ps->cfg = cfg;
	limits_from_config(&ps->lim, cfg);
}

void policy_get_stats(const struct policy_server *ps, struct policy_stats *st)
{
	*st = ps->st;
}

void policy_free(struct policy_server *ps)
{
	struct policy_listener *l;

	if (!ps)
		return;
	while (ps->conns)
		conn_free(ps->conns);
	while ((l = ps->listeners)) {
		ps->listeners = l->next;
		if (l->pause)
			evloop_timer_cancel(ps->loop, l->pause);
		evloop_del_fd(ps->loop, l->fd);
		close(l->fd);
		if (l->path)
			unlink(l->path);
		free(l->path);
		free(l->spec);
		free(l);
	}
	free(ps);
}

/*
 * The request and the decision.
 */

/*
 * policy_attrs - the attributes the decision reads and where each goes.
 * The rest are read and ignored, as the protocol asks.
 */
static const struct {
	const char *name;
	size_t len; /* strlen(name): most names are skipped on length */
	size_t off;
} policy_attrs[] = {
#define A(n) { #n, sizeof(#n) - 1, offsetof(struct policy_request, n) }
	A(request), A(protocol_state), A(protocol_name), A(instance),
	A(client_address), A(client_name), A(reverse_client_name),
	A(helo_name), A(sender), A(recipient), A(sasl_username),
#undef A
};

int policy_parse(char *buf, size_t len, struct policy_request *req,
		 const char **why)
{
	char *p = buf, *end = buf + len, *nl, *eq;
	size_t i, n;

	for (i = 0; i < sizeof(policy_attrs) / sizeof(policy_attrs[0]); i++)
		*(const char **)((char *)req + policy_attrs[i].off) = "";
	req->nattrs = 0;

	while (p < end && *p != '\n') {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			*why = "request not ended by an empty line";
			return -1;
		}
		*nl = '\0';
		eq = strchr(p, '=');
		if (!eq) {
			*why = "attribute line without \"=\"";
			return -1;
		}
		*eq = '\0';
		n = (size_t)(eq - p);
		for (i = 0; i < sizeof(policy_attrs) / sizeof(policy_attrs[0]);
		     i++)
			if (policy_attrs[i].len == n &&
			    memcmp(p, policy_attrs[i].name, n) == 0)
				*(const char **)((char *)req +
						 policy_attrs[i].off) = eq + 1;
		req->nattrs++;
		p = nl + 1;
	}
	if (p >= end) {
		*why = "request not ended by an empty line";
		return -1;
	}
	if (req->nattrs == 0) {
		*why = "empty request";
		return -1;
	}
	if (strcmp(req->request, "smtpd_access_policy") != 0) {
		*why = *req->request ?
			       "request is not \"smtpd_access_policy\"" :
			       "no \"request=smtpd_access_policy\"";
		return -1;
	}
	return 0;
}

int policy_verdict_action(const struct verdict *v, const char *client,
			  char *out, size_t outlen)
{
	char addr[ADDR_STRLEN], text[POLICY_ACTION_MAX];
	const char *what;

	/* In observe mode a block is only counted, never enforced. */
	if (v->action != VERDICT_BLOCK || v->observe)
		return 0;
	if (!client || !*client)
		client = addr_format(&v->client, addr, sizeof(addr));

	/* A table rule: its action and text as written in the table. */
	if ((v->reason == MX_REASON_RULE || v->reason == MX_REASON_PREFIX ||
	     v->reason == MX_REASON_MANUAL) && v->rule.result[0]) {
		copy_printable(out, outlen, v->rule.result);
		return 1;
	}

	/* A list: the words of Postfix's reject_rbl_client. */
	if (v->list[0]) {
		what = v->reason == MX_REASON_RHSBL && v->name[0] ?
			       v->name : client;
		copy_printable(text, sizeof(text), v->txt);
		snprintf(out, outlen, "554 5.7.1 Service unavailable; Client "
			 "host [%s] blocked using %s%s%s", what, v->list,
			 text[0] ? "; " : "", text);
		copy_printable(out, outlen, out);
		return 1;
	}
	snprintf(out, outlen, "554 5.7.1 Service unavailable; Client host "
		 "[%s] blocked (%s)", client, verdict_reason_name(v->reason));
	copy_printable(out, outlen, out);
	return 1;
}

/* in_mail_transaction - whether the state has a sender ("<>" if null). */
static bool in_mail_transaction(const char *state)
{
	static const char *const states[] = { "MAIL", "RCPT", "DATA",
					      "END-OF-MESSAGE", "BDAT" };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcasecmp(state, states[i]) == 0)
			return true;
	return false;
}

/*
 * check_one - one *_checks parameter with one key. Regexp, pcre, cidr
 * and static tables see the key as it is, as Postfix's check_*_access
 * does; inline tables are exact-match, so for an address they are also
 * asked for the domain and "localpart@", in Postfix's order.
 */
static int check_one(const struct config_tables *ct, const char *param,
		     const char *key, bool is_address, char *out,
		     size_t outlen, const char **where)
{
	static char wbuf[WHERE_MAX];
	struct access_result res;
	struct table_list one;
	struct table *t;
	const char *keys[3] = { key, NULL, NULL };
	char local[512];
	const char *at;
	int i;

	if (!ct->tl)
		return 0;
	at = is_address ? strrchr(key, '@') : NULL;
	for (i = 0; i < ct->tl->n; i++) {
		t = ct->tl->t[i];
		one.n = 1;
		one.t = &t;
		keys[1] = keys[2] = NULL;
		if (at && table_type(t) == TABLE_INLINE) {
			/*
			 * XXX Parent domains of the address's domain are not
			 * tried; Postfix tries them for hash-like tables.
			 */
			keys[1] = at + 1;
			if ((size_t)(at - key) + 2 <= sizeof(local)) {
				memcpy(local, key, (size_t)(at - key) + 1);
				local[at - key + 1] = '\0';
				keys[2] = local;
			}
		}
		if (access_check(&one, keys, 3, &res) != 1)
			continue;
		/* A side effect (WARN, HOLD, ...) is kept only if first. */
		if (res.final || !*out) {
			copy_printable(out, outlen, res.action.orig);
			snprintf(wbuf, sizeof(wbuf),
				 "check=%s table=%s line=%d", param, res.table,
				 res.line);
			*where = wbuf;
		}
		if (res.final)
			return 1;
	}
	return 0;
}

int policy_check_tables(const struct mx_config *cfg,
			const struct policy_request *req, char *out,
			size_t outlen, const char **where)
{
	const char *sender = req->sender;

	/*
	 * As in Postfix, a side effect (WARN, HOLD, PREPEND, ...) does not
	 * stop the walk: a later final action wins, else the first side
	 * effect is the answer. XXX One policy answer carries one action,
	 * so a side effect followed by a final action is lost; Postfix
	 * would apply both.
	 */
	*out = '\0';
	if (*req->helo_name &&
	    check_one(&cfg->helo_checks, "helo_checks", req->helo_name,
		      false, out, outlen, where))
		return 1;
	if (!*sender && in_mail_transaction(req->protocol_state))
		sender = "<>";
	if (*sender &&
	    check_one(&cfg->sender_checks, "sender_checks", sender, true,
		      out, outlen, where))
		return 1;
	if (*req->recipient &&
	    check_one(&cfg->recipient_checks, "recipient_checks",
		      req->recipient, true, out, outlen, where))
		return 1;
	return *out != '\0';
}
