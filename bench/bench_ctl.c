/*
 * bench_ctl.c - how fast mxwallctl's side of the control socket is:
 * request encoding and decoding, the JSON writer on verdict-shaped
 * objects (what 'list --json' writes for a million verdicts), and
 * whole calls over a Unix socket to a trivial forked server (small
 * answers, then one large answer). Prints figures; asserts nothing.
 */
#include "ctlproto.h"
#include "json.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* now_s - monotonic seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_codec - encode and parse n block requests. */
static void bench_codec(int n)
{
	char addr[32], buf[CTLPROTO_MAX_REQUEST];
	char *argv[] = { "block", addr, "--ttl", "1h", "--reason",
			 "spam run from a botnet", NULL };
	struct ctlproto_request req;
	const char *why;
	double t0 = now_s(), dt;
	int i, len, bad = 0;

	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "192.0.%d.%d", (i >> 8) & 255,
			 i & 255);
		len = ctlproto_encode_request(6, argv, true, buf, sizeof(buf));
		if (len < 0 || ctlproto_parse_request(buf, (size_t)len - 1,
						      &req, &why) < 0)
			bad++;
	}
	dt = now_s() - t0;
	printf("request encode+parse: %d requests in %.3f s: %.0f per "
	       "second (%d failed)\n", n, dt, n / dt, bad);
}

/* bench_json - n list-style verdict objects in one document. */
static void bench_json(int n)
{
	struct json j;
	char addr[32];
	double t0 = now_s(), dt;
	size_t len;
	int i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "verdicts");
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		json_object_begin(&j, NULL);
		json_string(&j, "address", addr);
		json_string(&j, "action", "block");
		json_string(&j, "origin", "dnsbl");
		json_int(&j, "score", 2);
		json_int(&j, "decided", 1796300000 + i);
		json_int(&j, "expires", 1796303600 + i);
		json_string(&j, "reason", "reason=dnsbl list=zen.example "
					  "reply=127.0.0.4 score=2");
		json_uint(&j, "kernel_hits", (uint64_t)i * 7);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	len = json_done(&j) ? j.len : 0;
	dt = now_s() - t0;
	printf("json writer: %d verdict objects, %.1f MB in %.3f s: %.0f "
	       "objects/s, %.0f MB/s\n", n, len / 1e6, dt, n / dt,
	       len / 1e6 / dt);
	json_free(&j);
}

/* serve - answer `calls` connections with a body of body_len bytes. */
static pid_t serve(const char *path, int calls, size_t body_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char head[CTLPROTO_HEAD_MAX], req[CTLPROTO_MAX_REQUEST], *body;
	int lfd, cfd, i, hlen;
	pid_t pid;

	strcpy(sun.sun_path, path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("bench_ctl: server socket");
		exit(1);
	}
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	body = malloc(body_len + 1);
	memset(body, 'x', body_len);
	hlen = snprintf(head, sizeof(head), "ok %zu\n", body_len);
	for (i = 0; i < calls; i++) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd < 0)
			_exit(1);
		if (read(cfd, req, sizeof(req)) <= 0 ||
		    write(cfd, head, (size_t)hlen) != hlen ||
		    write(cfd, body, body_len) != (ssize_t)body_len)
			_exit(1);
		close(cfd);
	}
	_exit(0);
}

/* bench_calls - calls round trips with body_len-byte answers. */
static void bench_calls(const char *path, int calls, size_t body_len)
{
	char *argv[] = { "status", NULL };
	struct ctlproto_answer ans;
	const char *why;
	double t0, dt;
	pid_t pid = serve(path, calls, body_len);
	int i, failed = 0;

	t0 = now_s();
	for (i = 0; i < calls; i++) {
		if (ctlproto_call(path, 1, argv, false, 10000, &ans, &why) < 0)
			failed++;
		else
			free(ans.body);
	}
	dt = now_s() - t0;
	waitpid(pid, NULL, 0);
	printf("calls over a Unix socket, %zu-byte answers: %d in %.3f s: "
	       "%.0f calls/s, %.1f MB/s (%d failed)\n", body_len, calls, dt,
	       calls / dt, (double)body_len * calls / 1e6 / dt, failed);
}

int main(void)
{
	char dir[] = "/tmp/bench_ctl.XXXXXX", path[64];

	signal(SIGPIPE, SIG_IGN);
	bench_codec(1000000);
	bench_json(1000000);
	if (!mkdtemp(dir)) {
		perror("bench_ctl: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/s", dir);
	bench_calls(path, 5000, 200);
	bench_calls(path, 20, 8u << 20);
	unlink(path);
	rmdir(dir);
	return 0;
}
