/*
 * fuzz_policy.c - libFuzzer target for the Postfix policy service
 * (daemon/policy.c): the bytes of one connection, as any local process
 * that can reach the policy socket may send them, through the real
 * server - policy_adopt on a socketpair, the daemon's event loop, the
 * line scanner, the request parser and the decision with its tables.
 *
 * The fake verdict hook blocks 192.0.2.0/24 as a DNS list hit whose TXT
 * record is the request's client_name, and 198.51.100.0/24 as a rule hit,
 * so strangers' bytes reach the reject text as DNS data would.
 *
 * Checks what policy.h and SMTPD_POLICY_README promise: the server
 * writes only whole answers "action=TEXT\n\n"; TEXT holds no control
 * bytes (no way to smuggle a second line to Postfix) and no more than
 * POLICY_ACTION_MAX bytes; there are never more answers than requests
 * (empty lines) sent; and the server lets go of the connection after the
 * client has gone (no leak, no stuck state).
 *
 * FUZZ_SOURCES: daemon/policy.c daemon/evloop.c daemon/verdict.c
 * FUZZ_SOURCES: lib/config.c lib/table.c lib/table_lines.c lib/access.c
 * FUZZ_SOURCES: lib/addr.c lib/log.c
 * FUZZ_LIBS: -lpcre2-8
 */
#include "config.h"
#include "evloop.h"
#include "fuzz.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct evloop *loop;
static struct policy_server *ps;
static struct mx_config *cfg;

static const char conf[] =
	"policy_listen =\n"
	"helo_checks = inline:{ {bad.helo.example = 550 5.7.1 bad HELO} }\n"
	"sender_checks = pcre:{ {/^spam@/ REJECT no spam here},\n"
	"	{/dynamic\\./ DISCARD dynamic spam}, {/^hold@/ HOLD held} }\n"
	"recipient_checks = inline:{ {trap@example.com = DISCARD trap},\n"
	"	{example.net = REJECT no mail for example.net} }\n"
	"policy_max_line = 512\n"
	"policy_max_attributes = 64\n"
	"policy_max_request = 4096\n"
	"policy_verdict_wait = 1s\n";

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* fake_verdict - see the file header; always answers at once. */
static void *fake_verdict(void *ctx, const struct mx_addr *client,
			  const char *name, policy_verdict_cb cb, void *arg)
{
	static struct verdict v;

	(void)ctx;
	if (client->family != AF_INET || client->b[0] == 10)
		return NULL;
	memset(&v, 0, sizeof(v));
	v.client = *client;
	v.addr = *client;
	if (client->b[0] == 192 && client->b[1] == 0 && client->b[2] == 2) {
		v.action = VERDICT_BLOCK;
		v.reason = MX_REASON_DNSBL;
		snprintf(v.list, sizeof(v.list), "bl.example");
		snprintf(v.txt, sizeof(v.txt), "%s", name ? name : "");
	} else if (client->b[0] == 198 && client->b[1] == 51) {
		v.action = VERDICT_BLOCK;
		v.reason = MX_REASON_RULE;
		snprintf(v.rule.result, sizeof(v.rule.result),
			 "REJECT dynamic %s", name ? name : "");
	} else {
		v.action = VERDICT_ALLOW;
		v.reason = MX_REASON_STATIC;
	}
	cb(&v, arg);
	return NULL;
}

static void fake_cancel(void *ctx, void *handle)
{
	(void)ctx;
	(void)handle;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct policy_hooks hooks = { fake_verdict, fake_cancel };
	char err[512];

	(void)argc;
	(void)argv;
	log_set_sink(quiet);
	cfg = config_load_text("fuzz.conf", conf, sizeof(conf) - 1,
			       CONFIG_OPEN_TABLES);
	if (!cfg)
		fuzz_fail("fixture configuration refused");
	loop = evloop_create();
	ps = loop ? policy_create(loop, cfg, &hooks, NULL, err, sizeof(err)) :
		    NULL;
	if (!ps)
		fuzz_fail("policy_create: %s", loop ? err : "no loop");
	return 0;
}

/* count_requests - empty lines in the input: the most answers allowed. */
static size_t count_requests(const uint8_t *d, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += d[i] == '\n' && (i == 0 || d[i - 1] == '\n');
	return k;
}

/* check_answers - the server's bytes are whole, clean answers. */
static void check_answers(const char *out, size_t n, size_t max)
{
	size_t pos = 0, answers = 0, i;
	const char *nl;

	while (pos < n) {
		if (n - pos < 9 || memcmp(out + pos, "action=", 7))
			fuzz_fail("answer %zu does not start \"action=\"",
				  answers);
		nl = memchr(out + pos, '\n', n - pos);
		if (!nl || (size_t)(nl - out) + 1 >= n || nl[1] != '\n')
			fuzz_fail("answer %zu not ended by an empty line",
				  answers);
		if ((size_t)(nl - out) - pos - 7 > POLICY_ACTION_MAX)
			fuzz_fail("answer %zu too long", answers);
		for (i = pos + 7; out + i < nl; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
				fuzz_fail("control byte 0x%02x in answer %zu",
					  (unsigned char)out[i], answers);
		answers++;
		pos = (size_t)(nl - out) + 2;
	}
	if (answers > max)
		fuzz_fail("%zu answers to %zu requests", answers, max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	struct policy_stats st;
	size_t got = 0;
	ssize_t r;
	int sv[2], i, closed = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return 0;
	if (policy_adopt(ps, sv[1], "fuzz")) {
		close(sv[0]);
		return 0;
	}
	if (size && write(sv[0], data, size) != (ssize_t)size)
		fuzz_fail("socket buffer too small for %zu bytes", size);
	shutdown(sv[0], SHUT_WR);

	/* Serve until the server closes its end (it must: we sent EOF). */
	for (i = 0; i < 200 && !closed; i++) {
		evloop_run_once(loop, 0);
		for (;;) {
			r = read(sv[0], out + got, sizeof(out) - got);
			if (r > 0 && (got += (size_t)r) < sizeof(out))
				continue;
			if (r == 0)
				closed = 1;
			break;
		}
	}
	close(sv[0]);
	if (!closed)
		fuzz_fail("server kept the connection after end of file");
	check_answers(out, got, count_requests(data, size));

	policy_get_stats(ps, &st);
	if (st.open != 0)
		fuzz_fail("%llu connections still open",
			  (unsigned long long)st.open);
	return 0;
}
