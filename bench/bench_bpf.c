/*
 * bench_bpf.c - what the kernel fast path costs per packet, and what it
 * costs to load, printed (never asserted).
 *
 *   bench_bpf [-q]      (-q: fewer entries and repeats, for a smoke run)
 *
 * and, driven by bench/xdp_veth.sh (each inside the right namespace):
 *   bench_bpf veth-load PIN N          N random IPv4 verdicts into PIN
 *   bench_bpf veth-nft N               the same addresses as nft elements
 *   bench_bpf veth-pass IFACE LINKPIN  an XDP_PASS program on IFACE
 *   bench_bpf veth-gen IFACE POOL SECONDS [PIN]
 *                                      send SYNs from POOL of those
 *                                      addresses out of IFACE (XDP_TX
 *                                      live frames) and report the rate
 *   bench_bpf xdp-filter               xdp-filter's program (already
 *                                      loaded) beside mxwall, 10,000
 *                                      addresses, hits and misses
 *
 * Per-packet figures come from BPF_PROG_TEST_RUN with a large repeat
 * count. Every run gets a random source address: bench/rand.bpf.c writes
 * one into the frame and tail-calls the program under test, and its own
 * cost (measured against an empty target) is subtracted. Compared side by
 * side on the same frames:
 *   mxwall        bpf/mxwall.bpf.c as loaded by lib/kern.c;
 *   no-prefilter  the same with the pre-filter switched off at run time;
 *   plain         bench/plain.bpf.c: one hash lookup on the same map;
 *   xdp-filter    xdp-tools' program, when installed (its maps hold at
 *                 most 10,000 addresses, so it is compared at that size).
 * Needs root; mounts a private bpffs under /tmp and removes it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kern.h"
#include "pktcraft.h"

#define N_VERDICTS (1u << 20)	/* 1,048,576 verdicts per family */
#define N_PREFIXES 100000	/* block prefixes per family */
#define N_XDPFILTER 10000	/* xdp-filter's map size */

/* struct rand_conf - as in bench/rand.bpf.c. */
struct rand_conf {
	uint32_t family;
	uint32_t nkeys;
};

/*
 * struct bench - everything loaded.
 *   rand, plain   the helper objects; rand_frags/rand_plain their entry
 *                 points; next_frags/next_plain their tail-call slots;
 *   conf, keys    the randomizer's settings and address pool;
 *   repeat        BPF_PROG_TEST_RUN repeat count per measurement.
 */
struct bench {
	struct kern *k;
	char pin[128];
	struct bpf_object *rand, *plain;
	int rand_frags, rand_plain, nop_frags, nop_plain;
	int next_frags, next_plain, conf, keys;
	int plain_v4, plain_v6;
	uint32_t repeat;
	uint32_t n_verdicts, n_prefixes;
	struct pkt_frame syn4, ack4, syn6, ack6;
};

/* The private bpffs, for the signal handler to take down. */
static char tmp[] = "/tmp/mxwall-bench-bpf.XXXXXX";
static char mnt[64];

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

/* rnd - xorshift64*: reproducible addresses, no libc state. */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * run_ns - ns per run of the randomizer + target: the best of three
 * test runs (other work on the machine only ever adds time).
 */
static double run_ns(struct bench *b, bool frags, int target, int family,
		     uint32_t nkeys, const struct pkt_frame *f)
{
	struct rand_conf c = { .family = (uint32_t)family, .nkeys = nkeys };
	uint32_t zero = 0;
	double best = 0;
	int i;

	bpf_map_update_elem(b->conf, &zero, &c, BPF_ANY);
	bpf_map_update_elem(frags ? b->next_frags : b->next_plain, &zero,
			    &target, BPF_ANY);
	for (i = 0; i < 3; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->data,
			    .data_size_in = (uint32_t)f->len,
			    .repeat = b->repeat);

		if (bpf_prog_test_run_opts(frags ? b->rand_frags :
						   b->rand_plain,
					   &o) < 0) {
			fprintf(stderr, "bench_bpf: test run: %s\n",
				strerror(errno));
			return -1;
		}
		if (i == 0 || o.duration < best)
			best = o.duration;
	}
	return best;
}

/* set_prefilter - switch the pre-filter at run time (runtime map). */
static void set_prefilter(struct bench *b, bool on)
{
	char path[192];
	struct mx_runtime rt;
	uint32_t zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/runtime", b->pin);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &rt) < 0)
		return;
	if (on)
		rt.flags &= ~MX_RT_NO_PREFILTER;
	else
		rt.flags |= MX_RT_NO_PREFILTER;
	bpf_map_update_elem(fd, &zero, &rt, BPF_ANY);
	close(fd);
}

/* map_memlock - the kernel memory a pinned map reports (fdinfo). */
static long long map_memlock(const struct bench *b, const char *name)
{
	char path[192], line[256];
	long long v = -1;
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", b->pin, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fp = fopen(path, "r");
	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	if (fp)
		fclose(fp);
	close(fd);
	return v;
}

/* open_helper - load a helper object (bench/NAME.bpf.c) from beside us. */
static struct bpf_object *open_helper(const char *dir, const char *name,
				      struct bench *b)
{
	char path[512];
	struct bpf_object *o;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o = bpf_object__open_file(path, NULL);
	if (!o) {
		fprintf(stderr, "bench_bpf: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (strcmp(name, "rand.bpf.o") == 0) {
		bpf_map__set_max_entries(
			bpf_object__find_map_by_name(o, "keys"), N_VERDICTS);
	} else {
		snprintf(path, sizeof(path), "%s/verdicts_v4", b->pin);
		fd = bpf_obj_get(path);
		bpf_map__reuse_fd(bpf_object__find_map_by_name(o,
							       "verdicts_v4"),
				  fd);
		close(fd);
		snprintf(path, sizeof(path), "%s/verdicts_v6", b->pin);
		fd = bpf_obj_get(path);
		bpf_map__reuse_fd(bpf_object__find_map_by_name(o,
							       "verdicts_v6"),
				  fd);
		close(fd);
	}
	if (bpf_object__load(o) < 0) {
		fprintf(stderr, "bench_bpf: %s: load failed\n", name);
		bpf_object__close(o);
		return NULL;
	}
	return o;
}

static int prog_fd(struct bpf_object *o, const char *name)
{
	return bpf_program__fd(bpf_object__find_program_by_name(o, name));
}

static int map_fd(struct bpf_object *o, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(o, name));
}

/* frame - an untagged SYN or ACK to port 25 (source replaced later). */
static void frame(struct pkt_frame *f, int family, uint8_t flags)
{
	struct pkt_spec s = { .family = family, .tcp_flags = flags,
			      .src = family == AF_INET ? "192.0.2.1" :
							 "2001:db8::1" };

	f->len = pkt_build(&s, f->data, sizeof(f->data));
}

/*
 * random_addrs - the n pseudo-random addresses every mode uses (the same
 * sequence in every process: the generator restarts from its seed).
 */
static void random_addrs(int family, struct mx_addr *a, uint32_t n)
{
	uint32_t i, j;
	uint64_t r;

	for (i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].family = (uint8_t)family;
		a[i].plen = family == AF_INET ? 32 : 128;
		for (j = 0; j < 16; j += 8) {
			r = rnd();
			memcpy(a[i].b + j, &r, 8);
		}
		if (family == AF_INET)
			memset(a[i].b + 4, 0, 12);
		else
			a[i].b[0] = (uint8_t)(0x20 | (a[i].b[0] & 0x1f));
	}
}

/* pool_keys - the first n addresses into the randomizer's pool. */
static void pool_keys(struct bench *b, const struct mx_addr *a, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	struct mx_v6key *v = calloc(n, sizeof(*v));
	uint32_t *k = calloc(n, sizeof(*k)), i, cnt = n;

	if (!v || !k)
		abort();
	for (i = 0; i < n; i++) {
		k[i] = i;
		memcpy(v[i].b, a[i].b, 16);
	}
	if (bpf_map_update_batch(b->keys, k, v, &cnt, &bo) < 0)
		for (i = 0; i < n; i++)
			bpf_map_update_elem(b->keys, &k[i], &v[i], BPF_ANY);
	free(v);
	free(k);
}

/*
 * fill - n random verdicts of one family (batched, timed) into the
 * kernel and the randomizer's key pool; n_prefixes block prefixes.
 */
static void fill(struct bench *b, int family, uint32_t n, uint32_t nprefix)
{
	struct mx_addr *a = calloc(n, sizeof(*a));
	struct kern_verdict *v = calloc(n, sizeof(*v));
	struct kern_verdict pv = { .action = MX_ACT_BLOCK,
				   .reason = MX_REASON_PREFIX };
	const char *map = family == AF_INET ? "verdicts_v4" : "verdicts_v6";
	long long mem0, mem1;
	double t0, t1;
	size_t done;
	uint32_t i;
	uint64_t r;

	if (!a || !v)
		abort();
	random_addrs(family, a, n);
	for (i = 0; i < n; i++) {
		v[i].action = MX_ACT_BLOCK;
		v[i].reason = MX_REASON_DNSBL;
	}
	pool_keys(b, a, n);
	mem0 = map_memlock(b, map);
	t0 = now_s();
	if (kern_verdict_put_batch(b->k, a, v, n, &done) < 0)
		fprintf(stderr, "bench_bpf: batch stopped after %zu: %s\n",
			done, strerror(errno));
	t1 = now_s();
	mem1 = map_memlock(b, map);
	printf("load %u %s verdicts (batched): %.3f s, %.0f ns each; "
	       "kernel memory %.1f MiB, %.1f bytes each\n",
	       (unsigned)done, family == AF_INET ? "IPv4" : "IPv6/64", t1 - t0,
	       (t1 - t0) * 1e9 / (done ? done : 1),
	       (mem1 - mem0) / 1048576.0,
	       done ? (double)(mem1 - mem0) / done : 0.0);

	t0 = now_s();
	for (i = 0; i < nprefix; i++) {
		struct mx_addr p = { .family = (uint8_t)family };

		r = rnd();
		memcpy(p.b, &r, 8);
		if (family == AF_INET) {
			memset(p.b + 4, 0, 12);
			addr_mask(&p, 20 + (unsigned)(r >> 61) % 5);
		} else {
			p.b[0] = (uint8_t)(0x20 | (p.b[0] & 0x1f));
			addr_mask(&p, 44 + (unsigned)(r >> 60) % 13);
		}
		kern_prefix_put(b->k, KERN_LIST_BLOCK, &p, &pv);
	}
	if (nprefix)
		printf("load %u %s block prefixes (one by one): %.3f s\n",
		       nprefix, family == AF_INET ? "IPv4" : "IPv6",
		       now_s() - t0);
	free(a);
	free(v);
}

/* row - one line of the per-packet table. */
static void row(const char *what, double ns, double base)
{
	printf("  %-46s %7.1f ns  (%.2fx plain)\n", what, ns,
	       base > 0 ? ns / base : 0);
}

/* per_packet - the unknown and blocked cases of one family. */
static void per_packet(struct bench *b, int family, bool loaded)
{
	const struct pkt_frame *syn = family == AF_INET ? &b->syn4 : &b->syn6;
	const struct pkt_frame *ack = family == AF_INET ? &b->ack4 : &b->ack6;
	int mx = kern_prog_fd(b->k, KERN_MODE_NATIVE);
	int plain = family == AF_INET ? b->plain_v4 : b->plain_v6;
	double nop, pmiss, phit, x;
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	char what[96];

	nop = run_ns(b, true, b->nop_frags, family, 0, ack);
	pmiss = run_ns(b, true, plain, family, 0, ack) - nop;
	printf("%s, %s (randomizer %.1f ns subtracted):\n", fam,
	       loaded ? "1M verdicts + 100k block prefixes" : "empty maps",
	       nop);
	snprintf(what, sizeof(what), "plain hash miss");
	row(what, pmiss, pmiss);
	x = run_ns(b, true, mx, family, 0, ack) - nop;
	row("mxwall unknown, established (ACK)", x, pmiss);
	x = run_ns(b, true, mx, family, 0, syn) - nop;
	row("mxwall unknown SYN (dedup + event)", x, pmiss);
	set_prefilter(b, false);
	x = run_ns(b, true, mx, family, 0, ack) - nop;
	row("mxwall unknown ACK, pre-filter off", x, pmiss);
	x = run_ns(b, true, mx, family, 0, syn) - nop;
	row("mxwall unknown SYN, pre-filter off", x, pmiss);
	set_prefilter(b, true);
	if (!loaded)
		return;
	/* Hits pick a key from the pool: a baseline with that read too. */
	nop = run_ns(b, true, b->nop_frags, family, b->n_verdicts, syn);
	phit = run_ns(b, true, plain, family, b->n_verdicts, syn) - nop;
	row("plain hash hit", phit, pmiss);
	set_prefilter(b, false);
	x = run_ns(b, true, mx, family, b->n_verdicts, syn) - nop;
	row("mxwall blocked hit, pre-filter off", x, pmiss);
	set_prefilter(b, true);
	x = run_ns(b, true, mx, family, b->n_verdicts, syn) - nop;
	row("mxwall blocked hit (drop)", x, pmiss);
	printf("  mxwall blocked hit / plain hit: %.2fx\n", x / phit);
}

/* find_prog - the fd of a loaded program whose name starts with prefix. */
static int find_prog(const char *prefix, struct bpf_prog_info *info)
{
	uint32_t id = 0, len;
	int fd;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(info, 0, sizeof(*info));
		len = sizeof(*info);
		if (bpf_obj_get_info_by_fd(fd, info, &len) == 0 &&
		    strncmp(info->name, prefix, strlen(prefix)) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/* find_map - the fd of a loaded map by exact name. */
static int find_map(const char *name)
{
	struct bpf_map_info info;
	uint32_t id = 0, len;
	int fd;

	while (bpf_map_get_next_id(id, &id) == 0) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strcmp(info.name, name) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * xdp_filter - xdp-tools' filter (loaded by bench/xdp_veth.sh) beside
 * mxwall with the same 10,000 IPv4 addresses: a hit and a miss each.
 */
static int xdp_filter(struct bench *b)
{
	struct bpf_prog_info info;
	struct mx_addr *a = calloc(N_XDPFILTER, sizeof(*a));
	struct kern_verdict v = { .action = MX_ACT_BLOCK };
	int ncpu = libbpf_num_possible_cpus(), fprog, fmap, mx, i, cpu;
	uint64_t *flags = calloc((size_t)ncpu, sizeof(uint64_t));
	double nop, nopk, fhit, fmiss, mhit, mmiss;

	fprog = find_prog("xdpfilt_", &info);
	fmap = find_map("filter_ipv4");
	if (fprog < 0 || fmap < 0 || !a || !flags) {
		printf("xdp-filter: not loaded: skipped\n");
		return 0;
	}
	random_addrs(AF_INET, a, N_XDPFILTER);
	for (cpu = 0; cpu < ncpu; cpu++)
		flags[cpu] = 1; /* xdp-filter's MAP_FLAG_SRC */
	for (i = 0; i < N_XDPFILTER; i++)
		bpf_map_update_elem(fmap, a[i].b, flags, BPF_ANY);
	for (i = 0; i < N_XDPFILTER; i++)
		kern_verdict_put(b->k, &a[i], &v);
	pool_keys(b, a, N_XDPFILTER);
	mx = kern_prog_fd(b->k, KERN_MODE_NATIVE);

	nop = run_ns(b, false, b->nop_plain, AF_INET, 0, &b->syn4);
	nopk = run_ns(b, false, b->nop_plain, AF_INET, N_XDPFILTER, &b->syn4);
	fmiss = run_ns(b, false, fprog, AF_INET, 0, &b->syn4) - nop;
	fhit = run_ns(b, false, fprog, AF_INET, N_XDPFILTER, &b->syn4) - nopk;
	nop = run_ns(b, true, b->nop_frags, AF_INET, 0, &b->syn4);
	nopk = run_ns(b, true, b->nop_frags, AF_INET, N_XDPFILTER, &b->syn4);
	mmiss = run_ns(b, true, mx, AF_INET, 0, &b->ack4) - nop;
	mhit = run_ns(b, true, mx, AF_INET, N_XDPFILTER, &b->syn4) - nopk;
	printf("IPv4, %d addresses (xdp-filter's map size), ns per packet:\n",
	       N_XDPFILTER);
	printf("  %-30s %7.1f ns hit %7.1f ns miss\n", "xdp-filter",
	       fhit, fmiss);
	printf("  %-30s %7.1f ns hit %7.1f ns miss\n", "mxwall", mhit,
	       mmiss);
	printf("  mxwall / xdp-filter: hit %.2fx, miss %.2fx\n", mhit / fhit,
	       mmiss / fmiss);
	close(fprog);
	close(fmap);
	free(a);
	free(flags);
	return 0;
}

/* veth_load - N random IPv4 verdicts into the maps pinned at pin. */
static int veth_load(const char *pin, uint32_t n)
{
	struct mx_addr *a = calloc(n, sizeof(*a));
	struct kern_verdict *v = calloc(n, sizeof(*v));
	struct kern *k;
	char err[512];
	size_t done;
	double t0;
	uint32_t i;

	if (!a || !v || kern_open_pinned(pin, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_bpf: veth-load: %s\n", err);
		return 1;
	}
	random_addrs(AF_INET, a, n);
	for (i = 0; i < n; i++) {
		v[i].action = MX_ACT_BLOCK;
		v[i].reason = MX_REASON_DNSBL;
	}
	t0 = now_s();
	kern_verdict_put_batch(k, a, v, n, &done);
	printf("mxwall: %zu verdicts loaded in %.2f s\n", done, now_s() - t0);
	kern_close(k);
	free(a);
	free(v);
	return done == n ? 0 : 1;
}

/* veth_nft - the same addresses as an nft script adding set elements. */
static int veth_nft(uint32_t n)
{
	struct mx_addr *a = calloc(n, sizeof(*a));
	char buf[ADDR_STRLEN];
	uint32_t i;

	if (!a)
		return 1;
	random_addrs(AF_INET, a, n);
	for (i = 0; i < n; i++) {
		if (i % 10000 == 0)
			printf("%sadd element netdev mxbench blocked { ",
			       i ? " }\n" : "");
		else
			printf(", ");
		printf("%s", addr_format(&a[i], buf, sizeof(buf)));
	}
	printf(" }\n");
	free(a);
	return 0;
}

/* veth_pass - attach nop_frags natively to ifname, link pinned at path. */
static int veth_pass(struct bench *b, const char *ifname, const char *path)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(b->nop_frags, (int)if_nametoindex(ifname),
				 BPF_XDP, &lo);

	if (fd < 0 || bpf_obj_pin(fd, path) < 0) {
		fprintf(stderr, "bench_bpf: veth-pass %s: %s\n", ifname,
			strerror(errno));
		return 1;
	}
	return 0;
}

/* drops - mxwall's dropped packets so far (0 without pins). */
static uint64_t drops(struct kern *k)
{
	uint64_t c[MX_CNT__MAX];

	if (!k || kern_counters(k, c) < 0)
		return 0;
	return c[MX_CNT_DROP_VERDICT] + c[MX_CNT_DROP_PREFIX];
}

/*
 * veth_gen - SYNs from a pool of the random addresses out of ifname for
 * secs seconds (live frames: each run's XDP_TX transmits), then the send
 * rate and, with pin, the rate mxwall dropped at the other end.
 */
static int veth_gen(struct bench *b, const char *ifname, uint32_t pool,
		    double secs, const char *pin)
{
	struct xdp_md ctx = { .ingress_ifindex = if_nametoindex(ifname) };
	struct rand_conf c = { .family = AF_INET, .nkeys = pool };
	struct mx_addr *a = calloc(pool, sizeof(*a));
	struct kern *k = NULL;
	uint64_t sent = 0, d0, d1;
	uint32_t zero = 0;
	char err[512];
	double t0, t;
	int gen = prog_fd(b->rand, "gen_tx");

	if (!a || !ctx.ingress_ifindex)
		return 1;
	ctx.data_end = (uint32_t)b->syn4.len; /* the test run insists */
	if (pin && kern_open_pinned(pin, &k, err, sizeof(err)) < 0)
		fprintf(stderr, "bench_bpf: %s\n", err);
	random_addrs(AF_INET, a, pool);
	pool_keys(b, a, pool);
	bpf_map_update_elem(b->conf, &zero, &c, BPF_ANY);
	d0 = drops(k);
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b->syn4.data,
			    .data_size_in = (uint32_t)b->syn4.len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = 1u << 18, .batch_size = 64,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (bpf_prog_test_run_opts(gen, &o) < 0) {
			fprintf(stderr, "bench_bpf: live frames on %s: %s\n",
				ifname, strerror(errno));
			return 1;
		}
		sent += o.repeat;
		t = now_s() - t0;
	} while (t < secs);
	d1 = drops(k);
	printf("sent %.2f M packets/s from %u sources", sent / t / 1e6, pool);
	if (k)
		printf("; mxwall dropped %.2f M packets/s",
		       (d1 - d0) / t / 1e6);
	printf(" (%.1f s)\n", t);
	kern_close(k);
	free(a);
	return 0;
}

static int setup(struct bench *b, const char *dir)
{
	struct kern_opts o = { .max_verdicts = b->n_verdicts + 16,
			       .max_prefixes = 1u << 17,
			       .event_interval_ms = 60000 };
	char path[64], err[512];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/bpf", tmp);
	if (mkdir(path, 0700) < 0 || mount("bpf", path, "bpf", 0, NULL) < 0) {
		fprintf(stderr, "bench_bpf: mount bpffs at %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	snprintf(mnt, sizeof(mnt), "%s", path);
	snprintf(b->pin, sizeof(b->pin), "%s/mx", path);
	o.pin_path = b->pin;
	if (kern_load(&o, &b->k, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_bpf: %s\n", err);
		return -1;
	}
	b->rand = open_helper(dir, "rand.bpf.o", b);
	b->plain = open_helper(dir, "plain.bpf.o", b);
	if (!b->rand || !b->plain)
		return -1;
	b->rand_frags = prog_fd(b->rand, "rand_frags");
	b->rand_plain = prog_fd(b->rand, "rand_plain");
	b->nop_frags = prog_fd(b->rand, "nop_frags");
	b->nop_plain = prog_fd(b->rand, "nop_plain");
	b->next_frags = map_fd(b->rand, "next_frags");
	b->next_plain = map_fd(b->rand, "next_plain");
	b->conf = map_fd(b->rand, "conf");
	b->keys = map_fd(b->rand, "keys");
	b->plain_v4 = prog_fd(b->plain, "plain_v4");
	b->plain_v6 = prog_fd(b->plain, "plain_v6");
	frame(&b->syn4, AF_INET, PKT_SYN);
	frame(&b->ack4, AF_INET, PKT_ACK);
	frame(&b->syn6, AF_INET6, PKT_SYN);
	frame(&b->ack6, AF_INET6, PKT_ACK);
	return 0;
}

/* mode - the veth and xdp-filter helpers (see the top of this file). */
static int mode(struct bench *b, int argc, char **argv)
{
	const char *m = argv[1];

	if (strcmp(m, "veth-load") == 0 && argc == 4)
		return veth_load(argv[2], (uint32_t)atol(argv[3]));
	if (strcmp(m, "veth-nft") == 0 && argc == 3)
		return veth_nft((uint32_t)atol(argv[2]));
	if (strcmp(m, "veth-pass") == 0 && argc == 4)
		return veth_pass(b, argv[2], argv[3]);
	if (strcmp(m, "veth-gen") == 0 && (argc == 5 || argc == 6))
		return veth_gen(b, argv[2], (uint32_t)atol(argv[3]),
				atof(argv[4]), argc == 6 ? argv[5] : NULL);
	if (strcmp(m, "xdp-filter") == 0 && argc == 2)
		return xdp_filter(b);
	fprintf(stderr, "bench_bpf: unknown mode or arguments: %s\n", m);
	return 1;
}

/* on_signal - interrupted: unmount and remove the bpffs, then go. */
static void on_signal(int sig)
{
	if (mnt[0]) {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
		rmdir(tmp);
	}
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	struct bench b = { .repeat = 500000, .n_verdicts = N_VERDICTS,
			   .n_prefixes = N_PREFIXES };
	char path[64];
	char *self = strdup(argv[0]), *dir = dirname(self);
	bool helper = argc > 1 && argv[1][0] != '-';
	int r = 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		b.repeat = 20000;
		b.n_verdicts = 1u << 14;
		b.n_prefixes = 1000;
	}
	if (geteuid() != 0) {
		printf("bench_bpf: skipped: needs root\n");
		return 0;
	}
	if (helper && (strcmp(argv[1], "veth-load") == 0 ||
		       strcmp(argv[1], "veth-nft") == 0)) {
		r = mode(&b, argc, argv);
		goto out_free;
	}
	if (helper)
		b.n_verdicts = N_XDPFILTER + 16;
	if (setup(&b, dir) < 0)
		goto out;
	if (helper) {
		b.repeat = 500000;
		r = mode(&b, argc, argv);
		goto out;
	}
	printf("== kernel program, ns per packet, %u runs, random sources\n",
	       b.repeat);
	per_packet(&b, AF_INET, false);
	per_packet(&b, AF_INET6, false);
	fill(&b, AF_INET, b.n_verdicts, b.n_prefixes);
	per_packet(&b, AF_INET, true);
	fill(&b, AF_INET6, b.n_verdicts, b.n_prefixes);
	per_packet(&b, AF_INET6, true);
	r = 0;
out:
	kern_close(b.k);
	if (b.rand)
		bpf_object__close(b.rand);
	if (b.plain)
		bpf_object__close(b.plain);
	snprintf(path, sizeof(path), "%s/bpf", tmp);
	umount2(path, MNT_DETACH);
	rmdir(path);
	rmdir(tmp);
out_free:
	free(self);
	return r;
}
