/*
 * bench_policy.c - requests per second and latency of the policy service.
 *
 * Usage: bench_policy [SECONDS]   (per run, default 2)
 *
 * One client that speaks the Postfix policy protocol (a Postfix 3.7
 * request of about 600 bytes, client addresses and senders varied) sends
 * requests back to back over 1 and over 8 TCP connections on loopback,
 * and measures each request from its first byte out to the end of the
 * answer. Against, in the same run:
 *   mxwall      daemon/policy.c on its event loop, with cached verdicts
 *               (the hook answers at once) and no tables: the protocol;
 *   mxwall+tbl  the same with the seed's sender table
 *               (rules/sender_check; no rule matches, so every request
 *               walks the whole table);
 *   do-nothing  a C server on one epoll loop that answers DUNNO as soon
 *               as it has read an empty line: the floor;
 *   postfwd     Debian's postfwd (postfwd1) with the same sender rules,
 *               when it is installed.
 * Figures are printed, not asserted: requests/s, p50 and p99 in
 * microseconds, and mxwall's share of the floor. Servers are children,
 * ended by PID. Run from the top of the tree (make bench does).
 */
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy.h"
#include "verdict.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NREQ 16          /* distinct requests, sent in turn */
#define MAX_SAMPLES 4000000
#define MAX_CONNS 8

static char requests[NREQ][1024];
static size_t reqlens[NREQ];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* build_requests - what Postfix 3.7 sends at RCPT, varied a little. */
static void build_requests(void)
{
	static const char *senders[] = { "alice@example.com",
					 "news@mail.example.net",
					 "billing@shop.example.org",
					 "" };
	int i;

	for (i = 0; i < NREQ; i++)
		reqlens[i] = (size_t)snprintf(requests[i], sizeof(requests[i]),
			"request=smtpd_access_policy\nprotocol_state=RCPT\n"
			"protocol_name=ESMTP\nclient_address=198.51.100.%d\n"
			"client_name=mail%d.example.com\nclient_port=%d\n"
			"reverse_client_name=mail%d.example.com\n"
			"server_address=192.0.2.25\nserver_port=25\n"
			"helo_name=mail%d.example.com\nsender=%s\n"
			"recipient=user%d@example.org\nrecipient_count=0\n"
			"queue_id=\ninstance=%x.6561f0c4.8e2f1.0\nsize=0\n"
			"etrn_domain=\nstress=\nsasl_method=\nsasl_username=\n"
			"sasl_sender=\nccert_subject=\nccert_issuer=\n"
			"ccert_fingerprint=\nccert_pubkey_fingerprint=\n"
			"encryption_protocol=\nencryption_cipher=\n"
			"encryption_keysize=0\npolicy_context=\n"
			"compatibility_level=3.6\nmail_version=3.7.11\n\n",
			i + 1, i, 40000 + i, i, i, senders[i % 4], i, i + 1);
}

/* free_port - a loopback TCP port nobody uses right now. */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		port = -1;
	else
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int connect_port(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* wait_port - until something accepts on port, at most 10 s. */
static int wait_port(int port)
{
	int i, fd;

	for (i = 0; i < 1000; i++) {
		fd = connect_port(port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(10000);
	}
	return -1;
}

/*
 * The mxwall server: the policy service with a hook that always knows
 * the verdict (allow), as for clients already in the cache.
 */
static void *cached_verdict(void *ctx, const struct mx_addr *a,
			    const char *name, policy_verdict_cb cb, void *arg)
{
	struct verdict *v = ctx;

	v->client = *a;
	cb(v, arg);
	return NULL;
}

static void serve_mxwall(int port, const char *sender_checks)
{
	static const struct policy_hooks hooks = {
		.client_verdict = cached_verdict,
	};
	static struct verdict v = { .action = VERDICT_ALLOW,
				    .reason = MX_REASON_ALLOWLIST };
	char conf[256], err[512];
	struct mx_config *cfg;
	struct evloop *loop;

	snprintf(conf, sizeof(conf),
		 "policy_listen = inet:127.0.0.1:%d\n"
		 "policy_max_connections = 100\n"
		 "sender_checks = %s\n", port, sender_checks);
	cfg = config_load_text("bench.conf", conf, strlen(conf),
			       CONFIG_OPEN_TABLES);
	loop = evloop_create();
	if (!cfg || !loop ||
	    !policy_create(loop, cfg, &hooks, &v, err, sizeof(err)))
		msg_fatal("bench server: %s", cfg ? err : "bad configuration");
	evloop_run(loop);
	_exit(0);
}

/* The floor: read to an empty line, answer DUNNO, nothing else. */
static void serve_floor(int port)
{
	static char bufs[1024][4096];
	static size_t lens[1024];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	int lfd, ep, n, i, fd, one = 1;
	ssize_t r;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 128) < 0)
		_exit(1);
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				fd = accept(lfd, NULL, NULL);
				if (fd < 0 || fd >= 1024)
					continue;
				lens[fd] = 0;
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			r = read(fd, bufs[fd] + lens[fd],
				 sizeof(bufs[fd]) - lens[fd]);
			if (r <= 0) {
				close(fd);
				continue;
			}
			lens[fd] += (size_t)r;
			if (lens[fd] >= 2 &&
			    memcmp(bufs[fd] + lens[fd] - 2, "\n\n", 2) == 0) {
				lens[fd] = 0;
				if (write(fd, "action=DUNNO\n\n", 14) < 0)
					close(fd);
			}
		}
	}
}

/*
 * start_postfwd - postfwd1 with the seed's sender rules in its syntax.
 * It reads stdin unless it runs as a daemon, so it is started with -d
 * and found again through its pid file. 0, or -1 when it did not start.
 */
static int start_postfwd(int port, char *dir, size_t dirlen)
{
	static const char rules[] =
		"id=R1; sender=~/ms[1-9]\\.epaper\\.com\\.tw/; "
		"action=DISCARD PC HOME Spam\n"
		"id=R2; sender=~/ecfs[1-9]\\.epaper\\.com\\.tw/; "
		"action=DISCARD PC HOME Spam\n"
		"id=R3; sender=~/tenlong\\.com\\.tw/; action=OK\n"
		"id=R4; sender=~/.*dynamic\\..*/; "
		"action=DISCARD dynamic spam\n";
	char path[256], pidpath[256], portstr[16];
	int status;
	pid_t pid;
	FILE *fp;

	if (access("/usr/sbin/postfwd1", X_OK) < 0)
		return -1;
	snprintf(dir, dirlen, "/tmp/bench_policy.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rules", dir);
	snprintf(pidpath, sizeof(pidpath), "%s/pid", dir);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fputs(rules, fp);
	fclose(fp);
	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl("/usr/sbin/postfwd1", "postfwd1", "-d", "-f", path,
		      "-i", "127.0.0.1", "-p", portstr, "-n", "-P", "-u",
		      "nobody", "-g", "nogroup", "--pidfile", pidpath,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0)
		return -1;
	return 0;
}

/*
 * postfwd_pid - the daemon's PID from its pid file, read once it
 * answers (the file is written again by the daemonized process).
 */
static pid_t postfwd_pid(const char *dir)
{
	char path[256];
	long pid = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pid", dir);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = -1;
	fclose(fp);
	return (pid_t)pid;
}

/*
 * struct worker - one client connection's run.
 *   lat    latencies in ns, n of them (at most cap);
 *   count  requests answered (also those past cap).
 */
struct worker {
	pthread_t th;
	int fd;
	int first;
	uint64_t end_ns;
	uint64_t *lat;
	size_t n, cap;
	uint64_t count;
	int failed;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char buf[512];
	size_t got;
	ssize_t r;
	uint64_t t0;
	int i = w->first;

	while ((t0 = now_ns()) < w->end_ns) {
		if (write(w->fd, requests[i], reqlens[i]) !=
		    (ssize_t)reqlens[i]) {
			w->failed = 1;
			break;
		}
		got = 0;
		do {
			r = read(w->fd, buf + got, sizeof(buf) - got);
			if (r <= 0) {
				w->failed = 1;
				return NULL;
			}
			got += (size_t)r;
		} while (got < 2 || memcmp(buf + got - 2, "\n\n", 2) != 0);
		if (w->n < w->cap)
			w->lat[w->n++] = now_ns() - t0;
		w->count++;
		i = (i + 1) % NREQ;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * struct result - one run's figures.
 *   rps       requests per second over all connections;
 *   p50, p99  latency percentiles in microseconds.
 */
struct result {
	double rps;
	double p50, p99;
	int ok;
};

/* run_clients - nconns connections for secs seconds against port. */
static struct result run_clients(int port, int nconns, double secs)
{
	static uint64_t lat[MAX_SAMPLES];
	struct worker w[MAX_CONNS];
	struct result res = { 0 };
	uint64_t start, count = 0;
	size_t total = 0, per = MAX_SAMPLES / (size_t)nconns;
	int i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < nconns; i++) {
		w[i].fd = connect_port(port);
		if (w[i].fd < 0)
			goto done;
	}
	start = now_ns();
	for (i = 0; i < nconns; i++) {
		w[i].first = i * 3 % NREQ;
		w[i].end_ns = start + (uint64_t)(secs * 1e9);
		w[i].lat = lat + (size_t)i * per;
		w[i].cap = per;
		pthread_create(&w[i].th, NULL, worker_run, &w[i]);
	}
	for (i = 0; i < nconns; i++) {
		pthread_join(w[i].th, NULL);
		if (w[i].failed)
			goto done;
		count += w[i].count;
		memmove(lat + total, w[i].lat, w[i].n * sizeof(*lat));
		total += w[i].n;
	}
	res.rps = (double)count / ((double)(now_ns() - start) / 1e9);
	qsort(lat, total, sizeof(*lat), cmp_u64);
	if (total > 0) {
		res.p50 = (double)lat[total / 2] / 1000.0;
		res.p99 = (double)lat[total * 99 / 100] / 1000.0;
	}
	res.ok = 1;
done:
	for (i = 0; i < nconns; i++)
		if (w[i].fd > 0)
			close(w[i].fd);
	return res;
}

static void print_row(const char *name, int nconns, const struct result *r)
{
	if (!r->ok)
		printf("%-12s %5d   %12s\n", name, nconns, "failed");
	else
		printf("%-12s %5d   %12.0f %10.1f %10.1f\n", name, nconns,
		       r->rps, r->p50, r->p99);
}

static void stop_child(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	static const int conns[] = { 1, 8 };
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct result mx[2], mt[2], fl[2], pw[2];
	int pmx = free_port(), pmt = free_port(), pfl = free_port();
	int ppw = free_port(), i, up;
	pid_t cmx, cmt, cfl, cpw;
	char pwdir[64] = "";

	signal(SIGPIPE, SIG_IGN);
	build_requests();
	if ((cmx = fork()) == 0)
		serve_mxwall(pmx, "");
	if ((cmt = fork()) == 0)
		serve_mxwall(pmt, "regexp:rules/sender_check");
	if ((cfl = fork()) == 0)
		serve_floor(pfl);
	cpw = start_postfwd(ppw, pwdir, sizeof(pwdir));
	if (wait_port(pmx) < 0 || wait_port(pmt) < 0 || wait_port(pfl) < 0) {
		fprintf(stderr, "bench_policy: a server did not start\n");
		stop_child(cmx);
		stop_child(cmt);
		stop_child(cfl);
		if (cpw == 0 && (cpw = postfwd_pid(pwdir)) > 0)
			kill(cpw, SIGTERM);
		return 1;
	}
	if (cpw == 0) {
		up = wait_port(ppw) == 0;
		cpw = postfwd_pid(pwdir);
		if (!up && cpw > 0) {
			kill(cpw, SIGTERM);
			cpw = -1;
		}
	}

	printf("policy service: %.1f s per run, requests of %zu bytes, "
	       "verdicts cached\n", secs, reqlens[0]);
	printf("%-12s %5s   %12s %10s %10s\n", "server", "conns",
	       "requests/s", "p50 us", "p99 us");
	for (i = 0; i < 2; i++) {
		mx[i] = run_clients(pmx, conns[i], secs);
		print_row("mxwall", conns[i], &mx[i]);
		mt[i] = run_clients(pmt, conns[i], secs);
		print_row("mxwall+tbl", conns[i], &mt[i]);
		fl[i] = run_clients(pfl, conns[i], secs);
		print_row("do-nothing", conns[i], &fl[i]);
		if (cpw > 0) {
			pw[i] = run_clients(ppw, conns[i], secs);
			print_row("postfwd", conns[i], &pw[i]);
		} else {
			printf("%-12s %5d   not installed or did not start: "
			       "skipped\n", "postfwd", conns[i]);
		}
	}
	for (i = 0; i < 2; i++)
		if (mx[i].ok && fl[i].ok)
			printf("mxwall / do-nothing, %d connection%s: %.2f "
			       "(target >= 0.8)\n", conns[i],
			       conns[i] > 1 ? "s" : "", mx[i].rps / fl[i].rps);
	for (i = 0; i < 2; i++)
		if (mt[i].ok && fl[i].ok)
			printf("mxwall+tbl / do-nothing, %d connection%s: "
			       "%.2f\n", conns[i], conns[i] > 1 ? "s" : "",
			       mt[i].rps / fl[i].rps);
	for (i = 0; i < 2 && cpw > 0; i++)
		if (mt[i].ok && pw[i].ok)
			printf("mxwall+tbl / postfwd, %d connection%s: %.1f\n",
			       conns[i], conns[i] > 1 ? "s" : "",
			       mt[i].rps / pw[i].rps);

	stop_child(cmx);
	stop_child(cmt);
	stop_child(cfl);
	/* postfwd is not our child: its server ends its own children. */
	if (cpw > 0)
		kill(cpw, SIGTERM);
	if (*pwdir) {
		char path[128];

		snprintf(path, sizeof(path), "%s/rules", pwdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/pid", pwdir);
		for (i = 0; i < 100 && cpw > 0 && kill(cpw, 0) == 0; i++)
			usleep(20000);
		unlink(path);
		rmdir(pwdir);
	}
	return 0;
}
