/*
 * bench_eval - throughput and latency of the verdict engine against real
 * DNS servers (driven by bench/eval.sh, which starts rbldnsd and dnsmasq
 * in a namespace and writes the configuration).
 *
 *   bench_eval -c CONF -n COUNT -k INFLIGHT [-b FIRST_ADDR]
 *
 * Evaluates COUNT consecutive IPv4 addresses from FIRST_ADDR (default
 * 10.0.0.1) keeping INFLIGHT evaluations running, then sends COUNT bare
 * A queries through the same resolver at the same concurrency, as the
 * floor. Prints one line per phase:
 *   eval inflight=K n=N addr/s=X p50=Yms p99=Zms cpu=Cus/addr ...
 *   dns  inflight=K n=N q/s=X p50=Yms p99=Zms cpu=Cus/q
 * cpu is this process's own CPU time per item (the evaluator's cost,
 * apart from the servers'): 1e6/C is what one core could do.
 * Figures are printed, never asserted. Log lines are discarded.
 */
#include "config.h"
#include "eval.h"
#include "evloop.h"
#include "log.h"
#include "resolver.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct bench {
	struct evloop *loop;
	struct eval *ev;
	struct resolver *res;
	uint32_t next, first;
	long sent, done, count, inflight;
	double *lat; /* ms per finished item */
	uint64_t blocked, none;
};

/* struct item - one evaluation or query in flight. */
struct item {
	struct bench *b;
	struct timespec t0;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double since_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 +
	       (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void quiet(enum log_sev sev, const char *line)
{
	if (sev >= LOG_SEV_WARN)
		fprintf(stderr, "%s\n", line);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fill_eval(struct bench *b);
static void fill_dns(struct bench *b);

static void on_verdict(const struct verdict *v, void *arg)
{
	struct item *it = arg;
	struct bench *b = it->b;

	b->lat[b->done++] = since_ms(&it->t0);
	if (v->action == VERDICT_BLOCK)
		b->blocked++;
	else if (v->action == VERDICT_NONE)
		b->none++;
	free(it);
	fill_eval(b);
}

static void fill_eval(struct bench *b)
{
	while (b->sent < b->count && b->sent - b->done < b->inflight) {
		struct item *it = malloc(sizeof(*it));
		struct mx_addr a = { .family = AF_INET, .plen = 32 };
		uint32_t n = htonl(b->next++);

		memcpy(a.b, &n, 4);
		it->b = b;
		clock_gettime(CLOCK_MONOTONIC, &it->t0);
		b->sent++;
		if (!eval_request(b->ev, &a, NULL, 0, on_verdict, it)) {
			fprintf(stderr, "bench_eval: out of memory\n");
			exit(1);
		}
	}
}

static void on_answer(void *arg, const struct res_rrset *rr)
{
	struct item *it = arg;
	struct bench *b = it->b;

	b->lat[b->done++] = since_ms(&it->t0);
	free(it);
	fill_dns(b);
}

static void fill_dns(struct bench *b)
{
	char name[64];

	while (b->sent < b->count && b->sent - b->done < b->inflight) {
		struct item *it = malloc(sizeof(*it));
		uint32_t n = b->next++;

		snprintf(name, sizeof(name), "%u.%u.%u.%u.bl1.bench",
			 n & 255, n >> 8 & 255, n >> 16 & 255, n >> 24);
		it->b = b;
		clock_gettime(CLOCK_MONOTONIC, &it->t0);
		b->sent++;
		if (!resolver_query(b->res, name, RES_T_A, 0, on_answer, it)) {
			fprintf(stderr, "bench_eval: query refused\n");
			exit(1);
		}
	}
}

/* cpu_us - user + system CPU time of this process, microseconds. */
static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* run - one phase; prints its line. */
static void run(struct bench *b, const char *what,
		void (*fill)(struct bench *))
{
	double t0, el, c0 = cpu_us();

	b->sent = b->done = 0;
	b->blocked = b->none = 0;
	b->next = b->first;
	t0 = now_ms();
	fill(b);
	while (b->done < b->count)
		evloop_run_once(b->loop, 1000);
	el = now_ms() - t0;
	c0 = cpu_us() - c0;
	qsort(b->lat, (size_t)b->count, sizeof(double), cmp_double);
	printf("%-4s inflight=%ld n=%ld %s=%.0f p50=%.2fms p99=%.2fms "
	       "cpu=%.0fus/%s",
	       what, b->inflight, b->count,
	       strcmp(what, "eval") == 0 ? "addr/s" : "q/s",
	       b->count / (el / 1e3), b->lat[b->count / 2],
	       b->lat[b->count * 99 / 100], c0 / b->count,
	       strcmp(what, "eval") == 0 ? "addr" : "q");
	if (strcmp(what, "eval") == 0) {
		struct eval_stats st;

		eval_get_stats(b->ev, &st);
		printf(" blocked=%llu none=%llu timeouts=%llu",
		       (unsigned long long)b->blocked,
		       (unsigned long long)b->none,
		       (unsigned long long)st.timeouts);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench b = { .count = 10000, .inflight = 100 };
	const char *conf = NULL, *first = "10.0.0.1";
	struct resolver_opts ro = { 0 };
	struct mx_config *cfg;
	struct in_addr in;
	char err[512], servers[256];
	int c;

	log_init("bench_eval", LOG_TO_STDERR);
	log_set_sink(quiet);
	while ((c = getopt(argc, argv, "c:n:k:b:")) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'n': b.count = atol(optarg); break;
		case 'k': b.inflight = atol(optarg); break;
		case 'b': first = optarg; break;
		default:
			fprintf(stderr, "usage: bench_eval -c CONF -n N -k K "
					"[-b ADDR]\n");
			return 1;
		}
	}
	if (inet_pton(AF_INET, first, &in) != 1 || b.count < 1) {
		fprintf(stderr, "bench_eval: bad -b or -n\n");
		return 1;
	}
	b.first = ntohl(in.s_addr);
	cfg = config_load(conf, CONFIG_OPEN_TABLES | CONFIG_FOR_CHECK);
	if (!cfg)
		return 1;
	b.lat = calloc((size_t)b.count, sizeof(double));
	b.loop = evloop_create();
	b.ev = eval_create(b.loop, cfg, err, sizeof(err));
	if (!b.lat || !b.ev) {
		fprintf(stderr, "bench_eval: %s\n", b.ev ? "no memory" : err);
		return 1;
	}
	/* Let the lists pass their first probes. */
	for (c = 0; c < 10; c++)
		evloop_run_once(b.loop, 50);
	run(&b, "eval", fill_eval);

	snprintf(servers, sizeof(servers), "%s",
		 cfg->dns_servers.n ? cfg->dns_servers.v[0] : "");
	ro.servers = servers;
	ro.timeout_ms = (int)cfg->dns_query_timeout * 1000;
	ro.tries = (int)cfg->dns_query_tries;
	ro.max_inflight = (int)cfg->dns_max_inflight;
	ro.rcvbuf = (int)cfg->dns_receive_buffer;
	b.res = resolver_create(b.loop, &ro, err, sizeof(err));
	if (!b.res) {
		fprintf(stderr, "bench_eval: %s\n", err);
		return 1;
	}
	run(&b, "dns", fill_dns);
	resolver_free(b.res);
	eval_free(b.ev);
	evloop_free(b.loop);
	config_free(cfg);
	free(b.lat);
	return 0;
}
