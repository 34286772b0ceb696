/*
 * test_policy.c - the policy service from exact request bytes.
 *
 * Golden cases: tests/policy/NAME.in holds the bytes a client sends;
 * tests/policy/NAME.ref holds what a user sees: the bytes the server
 * answered, then "-- open" or "-- closed" (whether the server closed the
 * connection), then every log line, one per line. The server runs with
 * tests/policy/mxwall.conf and fake verdicts (fake_verdicts below).
 * MXWALL_GOLDEN_UPDATE=1 rewrites the .ref files (review the diff).
 *
 * Then: concurrency (a waiting request never holds up another
 * connection), the connection bound, and real unix: and inet: listeners.
 * Run from the top of the tree (tests/run.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#define GOLDEN_DIR "tests/policy"

/*
 * Fake verdicts, by client address:
 *   kind   KNOWN: given at once; LATER: given 50 ms later; NEVER: never
 *          given (the wait bound runs out);
 *   fill   sets up the verdict; NULL: the hook answers "nothing
 *          decided" (a NULL verdict).
 */
enum fake_kind { KNOWN, LATER, NEVER };

static void v_dnsbl(struct verdict *v)
{
	v->action = VERDICT_BLOCK;
	v->reason = MX_REASON_DNSBL;
	strcpy(v->list, "bl.example");
	strcpy(v->txt, "Listed: see http://bl.example/q?192.0.2.66\r\n");
}

static void v_dnsbl6(struct verdict *v)
{
	v->action = VERDICT_BLOCK;
	v->reason = MX_REASON_DNSBL;
	strcpy(v->list, "bl6.example");
}

static void v_rule(struct verdict *v)
{
	v->action = VERDICT_BLOCK;
	v->reason = MX_REASON_RULE;
	strcpy(v->rule.table, "regexp:/etc/mxwall/client_check");
	v->rule.line = 1;
	strcpy(v->rule.result,
	       "REJECT We can\xe2\x80\x99t allow dynamic IP to relay!");
}

static void v_observe(struct verdict *v)
{
	v_dnsbl(v);
	v->observe = true;
}

static void v_allow(struct verdict *v)
{
	v->action = VERDICT_ALLOW;
	v->reason = MX_REASON_ALLOWLIST;
}

static const struct fake_verdict {
	const char *addr;
	enum fake_kind kind;
	void (*fill)(struct verdict *v);
} fake_verdicts[] = {
	{ "192.0.2.66", KNOWN, v_dnsbl },
	{ "192.0.2.77", KNOWN, v_rule },
	{ "2001:db8::66", KNOWN, v_dnsbl6 },
	{ "192.0.2.88", LATER, v_dnsbl },
	{ "192.0.2.99", NEVER, NULL },
	{ "192.0.2.55", KNOWN, v_observe },
	{ "192.0.2.44", KNOWN, NULL }, /* answered, but nothing decided */
	{ NULL, KNOWN, v_allow }, /* every other address */
};

/* struct fake_req - a verdict request given later (or never). */
struct fake_req {
	struct evloop *loop;
	struct ev_timer *timer;
	const struct fake_verdict *f;
	struct mx_addr addr;
	policy_verdict_cb cb;
	void *arg;
};

static struct evloop *loop;
static int fake_open; /* fake requests not yet answered or cancelled */

static void fake_fire(void *arg)
{
	struct fake_req *r = arg;
	struct verdict v;

	memset(&v, 0, sizeof(v));
	v.client = r->addr;
	r->f->fill(&v);
	fake_open--;
	r->cb(&v, r->arg);
	free(r);
}

static void *fake_client_verdict(void *ctx, const struct mx_addr *a,
				 const char *name, policy_verdict_cb cb,
				 void *arg)
{
	const struct fake_verdict *f;
	struct fake_req *r;
	struct mx_addr fa;
	struct verdict v;

	for (f = fake_verdicts; f->addr; f++)
		if (addr_parse(f->addr, &fa) == 0 && addr_equal(&fa, a))
			break;
	if (f->kind == KNOWN) {
		memset(&v, 0, sizeof(v));
		v.client = *a;
		if (f->fill)
			f->fill(&v);
		cb(f->fill ? &v : NULL, arg);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->f = f;
	r->addr = *a;
	r->cb = cb;
	r->arg = arg;
	if (f->kind == LATER)
		r->timer = evloop_timer(loop, 50, fake_fire, r);
	fake_open++;
	return r;
}

static void fake_cancel(void *ctx, void *handle)
{
	struct fake_req *r = handle;

	if (r->timer)
		evloop_timer_cancel(loop, r->timer);
	fake_open--;
	free(r);
}

static const struct policy_hooks fake_hooks = {
	.client_verdict = fake_client_verdict,
	.cancel = fake_cancel,
};

/* The log lines of one case. */
static char logbuf[65536];
static size_t loglen;

static void log_capture(enum log_sev sev, const char *line)
{
	int n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n",
			 line);

	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
}

static void log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* struct suite - the server every test uses. */
static struct mx_config *cfg;
static struct policy_server *ps;

static int setup(void **state)
{
	size_t len;
	char *text = slurp(GOLDEN_DIR "/mxwall.conf", &len);

	if (!text) {
		fprintf(stderr, "cannot read %s/mxwall.conf: run from the top "
			"of the tree\n", GOLDEN_DIR);
		return -1;
	}
	cfg = config_load_text("tests/policy/mxwall.conf", text, len,
			       CONFIG_OPEN_TABLES);
	free(text);
	if (!cfg)
		return -1;
	loop = evloop_create();
	ps = policy_create(loop, cfg, &fake_hooks, NULL, NULL, 0);
	if (!loop || !ps)
		return -1;
	log_set_sink(log_capture);
	return 0;
}

static int teardown(void **state)
{
	policy_free(ps);
	evloop_free(loop);
	config_free(cfg);
	log_set_sink(NULL);
	return 0;
}

/*
 * struct client - the test's end of one connection.
 *   got      every byte the server wrote;
 *   closed   the server closed its end.
 */
struct client {
	int fd;
	char got[65536];
	size_t gotlen;
	bool closed;
};

/* client_open - a socketpair whose other end the server adopts. */
static void client_open(struct client *cl, const char *peer)
{
	int sv[2];

	memset(cl, 0, sizeof(*cl));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    sv), 0);
	cl->fd = sv[0];
	assert_int_equal(policy_adopt(ps, sv[1], peer), 0);
}

/* client_poll - collect what the server wrote; notice a close. */
static void client_poll(struct client *cl)
{
	ssize_t n;

	while (!cl->closed) {
		n = read(cl->fd, cl->got + cl->gotlen,
			 sizeof(cl->got) - 1 - cl->gotlen);
		if (n > 0)
			cl->gotlen += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			cl->closed = true;
		else
			break;
	}
	cl->got[cl->gotlen] = '\0';
}

/* client_send - write all of buf, running the server while it reads. */
static void client_send(struct client *cl, const char *buf, size_t len,
			bool trickle)
{
	size_t off = 0;
	ssize_t n;

	while (off < len && !cl->closed) {
		n = write(cl->fd, buf + off, trickle ? 1 : len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;
		evloop_run_once(loop, 0);
		client_poll(cl);
	}
}

/* run_for - run the server for ms, or until it closed cl. */
static void run_for(struct client *cl, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end && !cl->closed) {
		evloop_run_once(loop, 10);
		client_poll(cl);
	}
}

/* client_close - our end goes away; the server notices and forgets. */
static void client_close(struct client *cl)
{
	close(cl->fd);
	evloop_run_once(loop, 10);
	evloop_run_once(loop, 0);
}

/*
 * Golden cases.
 *   eof      shut down our writing side after the input;
 *   trickle  send the input one byte at a time;
 *   ms       how long the server runs after the input (a closed
 *            connection ends the case earlier).
 */
#define EOF_AFTER 0x1
#define TRICKLE 0x2

static const struct golden {
	const char *name;
	unsigned flags;
	unsigned ms;
} goldens[] = {
	{ "good-client", 0, 100 },
	{ "two-requests", 0, 100 },
	{ "trickled", TRICKLE, 100 },
	{ "sasl-listed", 0, 100 },
	{ "dnsbl-listed", 0, 100 },
	{ "rule-listed", 0, 100 },
	{ "ipv6-listed", 0, 100 },
	{ "pending-blocked", 0, 500 },
	{ "pending-expired", 0, 1500 },
	{ "observe-only", 0, 100 },
	{ "verdict-none", 0, 100 },
	{ "sender-discard", 0, 100 },
	{ "sender-ok-first", 0, 100 },
	{ "sender-dynamic", 0, 100 },
	{ "null-sender", 0, 100 },
	{ "null-sender-connect", 0, 100 },
	{ "client-before-sender", 0, 100 },
	{ "helo-reject", 0, 100 },
	{ "helo-dunno-then-sender", 0, 100 },
	{ "helo-hold-then-discard", 0, 100 },
	{ "helo-hold-only", 0, 100 },
	{ "recipient-actions", 0, 100 },
	{ "value-with-equals", 0, 100 },
	{ "overlong-line", 0, 100 },
	{ "missing-equals", 0, 100 },
	{ "nul-byte", 0, 100 },
	{ "eof-before-empty-line", EOF_AFTER, 100 },
	{ "closed-mid-line", EOF_AFTER, 100 },
	{ "many-attributes", 0, 100 },
	{ "sends-nothing", 0, 1500 },
	{ "request-too-big", 0, 100 },
	{ "no-request-attribute", 0, 100 },
	{ "wrong-request", 0, 100 },
	{ "empty-request", 0, 100 },
	{ "request-stalls", 0, 1500 },
	{ "good-then-bad", 0, 100 },
	{ "crlf-line-ends", 0, 100 },
};

static void run_golden(const struct golden *g)
{
	char path[256], *in, *ref, *got;
	size_t inlen, reflen, gotlen;
	struct client cl;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.in", GOLDEN_DIR, g->name);
	in = slurp(path, &inlen);
	if (!in)
		fail_msg("%s: cannot read", path);
	log_reset();
	client_open(&cl, "test");
	client_send(&cl, in, inlen, g->flags & TRICKLE);
	if (g->flags & EOF_AFTER)
		shutdown(cl.fd, SHUT_WR);
	run_for(&cl, g->ms);

	gotlen = cl.gotlen + loglen + 16;
	got = malloc(gotlen);
	assert_non_null(got);
	gotlen = (size_t)snprintf(got, gotlen, "%s-- %s\n%s", cl.got,
				  cl.closed ? "closed" : "open", logbuf);
	client_close(&cl);

	snprintf(path, sizeof(path), "%s/%s.ref", GOLDEN_DIR, g->name);
	if (getenv("MXWALL_GOLDEN_UPDATE")) {
		fp = fopen(path, "wb");
		assert_non_null(fp);
		fwrite(got, 1, gotlen, fp);
		fclose(fp);
	}
	ref = slurp(path, &reflen);
	if (!ref)
		fail_msg("%s: cannot read", path);
	if (reflen != gotlen || memcmp(ref, got, gotlen) != 0) {
		print_error("%s: want:\n%s\n%s: got:\n%s\n", g->name, ref,
			    g->name, got);
		fail_msg("%s: output differs from %s", g->name, path);
	}
	free(in);
	free(ref);
	free(got);
}

static void test_goldens(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++)
		run_golden(&goldens[i]);
	assert_int_equal(fake_open, 0);
}

/* A request that waits for its verdict never holds up another one. */
static void test_concurrent(void **state)
{
	static const char waiting[] = "request=smtpd_access_policy\n"
				      "client_address=192.0.2.99\n\n";
	static const char good[] = "request=smtpd_access_policy\n"
				   "client_address=192.0.2.10\n\n";
	struct client a, b;
	uint64_t start;

	log_reset();
	client_open(&a, "waiting");
	client_open(&b, "other");
	client_send(&a, waiting, sizeof(waiting) - 1, false);
	start = now_ms();
	client_send(&b, good, sizeof(good) - 1, false);
	while (b.gotlen < 14 && now_ms() - start < 900) {
		evloop_run_once(loop, 10);
		client_poll(&b);
	}
	assert_string_equal(b.got, "action=DUNNO\n\n");
	assert_true(now_ms() - start < 900); /* the wait bound is 1 s */
	assert_int_equal(a.gotlen, 0);
	assert_int_equal(fake_open, 1);

	/* The waiting one goes away: its verdict request is cancelled. */
	client_close(&a);
	assert_int_equal(fake_open, 0);
	client_close(&b);
}

/* policy_max_connections (4): the fifth is closed at once, and said so. */
static void test_max_connections(void **state)
{
	struct client c[4];
	int sv[2], i;
	char buf[8];

	log_reset();
	for (i = 0; i < 4; i++)
		client_open(&c[i], "busy");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(policy_adopt(ps, sv[1], "one-too-many"), -1);
	assert_int_equal(read(sv[0], buf, sizeof(buf)), 0);
	close(sv[0]);
	assert_string_equal(logbuf, "warning: policy connection from "
			    "one-too-many: 4 connections open "
			    "(policy_max_connections): closing it\n");
	for (i = 0; i < 4; i++)
		client_close(&c[i]);
}

/*
 * A reload that lowers policy_max_request below what a connection holds
 * closes that connection at its next read, with the new bound named;
 * the next request on a new connection is decided with the new tables.
 */
static void test_reconfigure(void **state)
{
	static const char conf2[] = "policy_listen =\n"
				    "policy_max_request = 1024\n"
				    "sender_checks = inline:{ {a@b.example = "
				    "REJECT new table} }\n";
	static const char rq[] = "request=smtpd_access_policy\n"
				 "sender=a@b.example\n\n";
	struct mx_config *c2;
	struct client cl;
	char part[2001];
	size_t len;
	int i;

	c2 = config_load_text("reload.conf", conf2, sizeof(conf2) - 1,
			      CONFIG_OPEN_TABLES);
	assert_non_null(c2);
	/* 2000 bytes in lines of 200: within every bound of the suite. */
	len = (size_t)snprintf(part, sizeof(part),
			       "request=smtpd_access_policy\n");
	for (i = 0; len + 200 <= sizeof(part); i++)
		len += (size_t)snprintf(part + len, sizeof(part) - len,
					"a%d=%0*d\n", i, 195, 0);

	log_reset();
	client_open(&cl, "reloaded");
	client_send(&cl, part, len, false);
	run_for(&cl, 50);
	assert_false(cl.closed);
	policy_reconfigure(ps, c2);
	client_send(&cl, "x", 1, false);
	run_for(&cl, 100);
	assert_true(cl.closed);
	assert_int_equal(cl.gotlen, 0);
	assert_string_equal(logbuf, "warning: policy request from reloaded: "
			    "request larger than 1024 bytes: closing the "
			    "connection unanswered\n");
	client_close(&cl);

	client_open(&cl, "after");
	client_send(&cl, rq, sizeof(rq) - 1, false);
	run_for(&cl, 100);
	assert_string_equal(cl.got, "action=REJECT new table\n\n");
	client_close(&cl);

	policy_reconfigure(ps, cfg);
	config_free(c2);
}

/* ask - one request through a connected socket; the answer or "". */
static void ask(int fd, char *ans, size_t len)
{
	static const char rq[] = "request=smtpd_access_policy\n"
				 "sender=news@ms1.epaper.com.tw\n\n";
	uint64_t end = now_ms() + 1000;
	size_t got = 0;
	ssize_t n;

	assert_int_equal(write(fd, rq, sizeof(rq) - 1), sizeof(rq) - 1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (now_ms() < end &&
	       (got < 2 || memcmp(ans + got - 2, "\n\n", 2) != 0)) {
		evloop_run_once(loop, 10);
		n = read(fd, ans + got, len - 1 - got);
		if (n > 0)
			got += (size_t)n;
	}
	ans[got] = '\0';
}

/* Real listeners: unix: with its mode, inet: on loopback, both at once. */
static void test_listeners(void **state)
{
	char dir[] = "/tmp/mxwall-policy.XXXXXX", conf[512], ans[256];
	char err[512];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct policy_server *ls;
	struct mx_config *lc;
	struct stat st;
	int fd, port;

	/* A free port: bind to 0, read it, let it go. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(fd);

	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf),
		 "policy_listen = unix:%s/mxwall, inet:127.0.0.1:%d\n"
		 "policy_socket_mode = 0660\n"
		 "sender_checks = regexp:tests/policy/sender_check\n",
		 dir, port);
	lc = config_load_text("listen.conf", conf, strlen(conf),
			      CONFIG_OPEN_TABLES);
	assert_non_null(lc);
	ls = policy_create(loop, lc, NULL, NULL, err, sizeof(err));
	assert_non_null(ls);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/mxwall", dir);
	assert_int_equal(stat(sun.sun_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ask(fd, ans, sizeof(ans));
	assert_string_equal(ans, "action=DISCARD PC HOME Spam\n\n");
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ask(fd, ans, sizeof(ans));
	assert_string_equal(ans, "action=DISCARD PC HOME Spam\n\n");
	close(fd);

	/* Freed: the socket file is gone. */
	policy_free(ls);
	assert_int_equal(stat(sun.sun_path, &st), -1);
	rmdir(dir);
	config_free(lc);
}

/*
 * Out of descriptors, a listener rests instead of spinning on a ready
 * socket it cannot accept from (one warning, not one per loop round),
 * then accepts again.
 */
static void test_accept_pause(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct policy_server *ls;
	struct mx_config *lc;
	struct rlimit old, low;
	char conf[256], want[256], ans[256], err[512];
	int fd, lowest;
	uint64_t end;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	snprintf(conf, sizeof(conf), "policy_listen = inet:127.0.0.1:%d\n"
		 "sender_checks = regexp:tests/policy/sender_check\n",
		 ntohs(sin.sin_port));
	lc = config_load_text("pause.conf", conf, strlen(conf),
			      CONFIG_OPEN_TABLES);
	assert_non_null(lc);
	ls = policy_create(loop, lc, NULL, NULL, err, sizeof(err));
	assert_non_null(ls);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);

	/* The descriptor accept() would take is over the limit. */
	lowest = dup(0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	log_reset();
	end = now_ms() + 300;
	while (now_ms() < end)
		evloop_run_once(loop, 10);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	snprintf(want, sizeof(want), "warning: policy_listen "
		 "\"inet:127.0.0.1:%d\": accept: Too many open files: not "
		 "accepting for 1s\n", ntohs(sin.sin_port));
	assert_string_equal(logbuf, want);

	/* After the pause the waiting client is served. */
	end = now_ms() + 1000;
	while (now_ms() < end)
		evloop_run_once(loop, 10);
	ask(fd, ans, sizeof(ans));
	assert_string_equal(ans, "action=DISCARD PC HOME Spam\n\n");
	close(fd);
	policy_free(ls);
	config_free(lc);
}

/* Listener specs that cannot work are refused, naming the problem. */
static void test_bad_listeners(void **state)
{
	static const struct {
		const char *listen;
		const char *err;
	} cases[] = {
		{ "tcp:127.0.0.1:10040",
		  "policy_listen \"tcp:127.0.0.1:10040\": "
		  "neither unix:PATH nor inet:HOST:PORT" },
		{ "inet:127.0.0.1",
		  "policy_listen \"inet:127.0.0.1\": no port" },
		{ "inet::10040", "policy_listen \"inet::10040\": no host" },
		{ "unix:/nonexistent/dir/mxwall", "policy_listen "
		  "\"unix:/nonexistent/dir/mxwall\": cannot bind: No such file "
		  "or directory" },
		{ "unix:/etc/passwd", "policy_listen \"unix:/etc/passwd\": "
		  "/etc/passwd exists and is not a socket" },
	};
	char conf[256], err[512];
	struct mx_config *lc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf), "policy_listen = %s\n",
			 cases[i].listen);
		lc = config_load_text("bad.conf", conf, strlen(conf), 0);
		assert_non_null(lc);
		err[0] = '\0';
		assert_null(policy_create(loop, lc, NULL, NULL, err,
					  sizeof(err)));
		assert_string_equal(err, cases[i].err);
		config_free(lc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_max_connections),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_accept_pause),
		cmocka_unit_test(test_bad_listeners),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
