/*
 * cmd_replay.c - mxwallctl replay FILE.pcap: what the kernel program,
 * with the current tables, would do to every packet of a capture.
 *
 * The live program and maps are never touched: a private copy of the
 * program is loaded with fresh maps pinned in a temporary bpffs
 * directory, filled from the pinned maps (verdicts, prefixes, observe
 * mode, IPv6 granularity), and every packet is run through it with
 * BPF_PROG_TEST_RUN. So the live hit counts and counters do not move,
 * and nothing the replay does reaches the daemon. The copy and its
 * directory are removed before the command returns.
 *
 * Ethernet captures are run as they are; Linux cooked (SLL, SLL2) and
 * raw IP captures get an Ethernet header made up for them. Packets are
 * cut to CTL_REPLAY_SNAP bytes, which keeps every header the program
 * reads. Needs root (or CAP_BPF and CAP_SYS_ADMIN).
 */
#include "ctl.h"

#include <stdio.h>

#if MXWALL_LINUX
#include "addr.h"
#include "config.h"
#include "json.h"
#include "kern.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_ether.h>
/* pcap's own struct bpf_insn would clash with libbpf's. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CTL_REPLAY_SNAP 1514
/* Beside pin_path, on the same bpffs (which allows no '.' in names). */
#define CTL_REPLAY_DIR "mxwall-replay-XXXXXX"

/* XDP verdicts (uapi/linux/bpf.h enum xdp_action). */
#define REPLAY_XDP_DROP 1
#define REPLAY_XDP_PASS 2

/*
 * struct hit - one dropped packet's source and why.
 *   addr    source address, masked as the kernel keys it (IPv6 to the
 *           maps' prefix), so distinct counts match what is blocked;
 *   reason  MX_REASON_* of the verdict or prefix that matched;
 *   prefix  a block prefix matched (not an exact verdict);
 *   would   observe mode: counted, not dropped.
 */
struct hit {
	struct mx_addr addr;
	uint8_t reason;
	bool prefix;
	bool would;
};

/*
 * struct replay - one run.
 *   live, copy       the pinned maps and the private copy;
 *   dir              the copy's bpffs directory;
 *   prog             the copy's XDP program fd;
 *   packets          packets read; skipped: not runnable (link type,
 *                    too short, test run failed);
 *   passed           XDP_PASS without a would-drop;
 *   hits, nhits      dropped (or would-drop) packets;
 *   copied           entries copied into the copy;
 *   pfx, npfx        the block prefixes (to name a prefix drop's reason:
 *                    the longest one covering the source);
 *   err              the first error, or "".
 */
struct replay {
	struct kern *live, *copy;
	char dir[PATH_MAX];
	int prog;
	uint64_t packets, skipped, passed;
	struct hit *hits;
	size_t nhits, cap;
	size_t copied;
	struct pfx {
		struct mx_addr p;
		uint8_t reason;
	} *pfx;
	size_t npfx;
	char err[512];
};

/* copy_verdict - one exact verdict from the live maps into the copy. */
static int copy_verdict(const struct mx_addr *a, const struct kern_verdict *v,
			void *arg)
{
	struct replay *rp = arg;
	struct kern_verdict c = *v;

	c.hits = 0;
	if (kern_verdict_put(rp->copy, a, &c) == 0)
		rp->copied++;
	return 0;
}

static int copy_allow(const struct mx_addr *a, const struct kern_verdict *v,
		      void *arg)
{
	struct replay *rp = arg;
	struct kern_verdict c = *v;

	c.hits = 0;
	if (kern_prefix_put(rp->copy, KERN_LIST_ALLOW, a, &c) == 0)
		rp->copied++;
	return 0;
}

static int copy_block(const struct mx_addr *a, const struct kern_verdict *v,
		      void *arg)
{
	struct replay *rp = arg;
	struct kern_verdict c = *v;

	struct pfx *p;

	c.hits = 0;
	if (kern_prefix_put(rp->copy, KERN_LIST_BLOCK, a, &c) == 0)
		rp->copied++;
	p = realloc(rp->pfx, (rp->npfx + 1) * sizeof(*p));
	if (!p)
		return 0;
	rp->pfx = p;
	p[rp->npfx].p = *a;
	p[rp->npfx++].reason = v->reason;
	return 0;
}

static int count_entry(const struct mx_addr *a, const struct kern_verdict *v,
		       void *arg)
{
	(*(uint32_t *)arg)++;
	return 0;
}

/* smtp_ports - the configured protected ports into opts (25 if none). */
static void smtp_ports(struct ctl_ctx *ctx, struct kern_opts *o)
{
	struct mx_config *cfg = NULL;
	int i;

	if (access(ctx->conf_path, R_OK) == 0)
		cfg = config_load(ctx->conf_path, 0);
	if (cfg) {
		for (i = 0; i < cfg->smtp_ports.n && i < KERN_MAX_PORTS; i++)
			o->ports[o->nports++] = cfg->smtp_ports.v[i];
		config_free(cfg);
	}
	if (o->nports == 0)
		o->ports[o->nports++] = 25;
}

/* replay_setup - open the live maps, load and fill the private copy. */
static int replay_setup(struct ctl_ctx *ctx, struct replay *rp)
{
	struct kern_opts o = { 0 };
	uint32_t n = 0, np = 0;
	const char *slash;

	if (kern_open_pinned(ctx->pin_path, &rp->live, rp->err,
			     sizeof(rp->err)) < 0)
		return -1;
	kern_verdict_foreach(rp->live, count_entry, &n);
	kern_prefix_foreach(rp->live, KERN_LIST_ALLOW, count_entry, &np);
	kern_prefix_foreach(rp->live, KERN_LIST_BLOCK, count_entry, &np);

	slash = strrchr(ctx->pin_path, '/');
	snprintf(rp->dir, sizeof(rp->dir), "%.*s/%s",
		 slash ? (int)(slash - ctx->pin_path) : 1,
		 slash ? ctx->pin_path : ".", CTL_REPLAY_DIR);
	if (!mkdtemp(rp->dir)) {
		snprintf(rp->err, sizeof(rp->err), "cannot create %.400s: %s",
			 rp->dir, strerror(errno));
		rp->dir[0] = '\0';
		return -1;
	}
	/* Sized to what is copied: hash maps are allocated up front. */
	o.pin_path = rp->dir;
	o.ipv6_prefix = kern_ipv6_prefix(rp->live);
	o.max_verdicts = n + 1024;
	o.max_prefixes = np + 1024;
	o.max_recent = 1024;
	o.ring_bytes = 4096;
	o.observe = kern_observe(rp->live);
	smtp_ports(ctx, &o);
	if (kern_load(&o, &rp->copy, rp->err, sizeof(rp->err)) < 0)
		return -1;
	rp->prog = kern_prog_fd(rp->copy, KERN_MODE_NATIVE);
	if (rp->prog < 0) {
		snprintf(rp->err, sizeof(rp->err), "the copy has no program");
		return -1;
	}
	kern_verdict_foreach(rp->live, copy_verdict, rp);
	kern_prefix_foreach(rp->live, KERN_LIST_ALLOW, copy_allow, rp);
	kern_prefix_foreach(rp->live, KERN_LIST_BLOCK, copy_block, rp);
	return 0;
}

/* replay_cleanup - close both, remove the copy's pins and directory. */
static void replay_cleanup(struct replay *rp)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	kern_close(rp->copy);
	kern_close(rp->live);
	free(rp->hits);
	free(rp->pfx);
	if (!rp->dir[0])
		return;
	d = opendir(rp->dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", rp->dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(rp->dir);
}

/*
 * frame - make an Ethernet frame of the captured bytes in out; returns
 * its length, or 0 for a link type or packet that cannot be run.
 */
static size_t frame(int dlt, const uint8_t *p, size_t len, uint8_t *out)
{
	size_t off, proto_at;
	uint16_t proto;

	if (dlt == DLT_EN10MB) {
		if (len < ETH_HLEN)
			return 0;
		len = len < CTL_REPLAY_SNAP ? len : CTL_REPLAY_SNAP;
		memcpy(out, p, len);
		return len;
	}
	if (dlt == DLT_LINUX_SLL)
		off = 16, proto_at = 14;
	else if (dlt == DLT_LINUX_SLL2)
		off = 20, proto_at = 0;
	else if (dlt == DLT_RAW || dlt == 12 || dlt == 14)
		off = 0, proto_at = SIZE_MAX;
	else
		return 0;
	if (len <= off)
		return 0;
	if (proto_at != SIZE_MAX)
		proto = (uint16_t)(p[proto_at] << 8 | p[proto_at + 1]);
	else
		proto = (p[0] >> 4) == 6 ? ETH_P_IPV6 : ETH_P_IP;
	len -= off;
	if (len > CTL_REPLAY_SNAP - ETH_HLEN)
		len = CTL_REPLAY_SNAP - ETH_HLEN;
	memset(out, 0, 12);
	out[0] = 0x02; /* a locally administered destination */
	out[12] = (uint8_t)(proto >> 8);
	out[13] = (uint8_t)proto;
	memcpy(out + ETH_HLEN, p + off, len);
	return len + ETH_HLEN;
}

/* source - the frame's source address (after up to two VLAN tags). */
static int source(const uint8_t *f, size_t len, struct mx_addr *a)
{
	size_t off = 12;
	uint16_t proto;
	int tags = 0;

	memset(a, 0, sizeof(*a));
	for (;;) {
		if (off + 2 > len)
			return -1;
		proto = (uint16_t)(f[off] << 8 | f[off + 1]);
		off += 2;
		if ((proto != ETH_P_8021Q && proto != ETH_P_8021AD) ||
		    tags++ == 2)
			break;
		off += 2;
	}
	if (proto == ETH_P_IP && off + 20 <= len) {
		a->family = AF_INET;
		a->plen = 32;
		memcpy(a->b, f + off + 12, 4);
		return 0;
	}
	if (proto == ETH_P_IPV6 && off + 40 <= len) {
		a->family = AF_INET6;
		a->plen = 128;
		memcpy(a->b, f + off + 8, 16);
		/* ::ffff:a.b.c.d is the IPv4 client (addr.h). */
		if (!memcmp(a->b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
			memmove(a->b, a->b + 12, 4);
			memset(a->b + 4, 0, 12);
			a->family = AF_INET;
			a->plen = 32;
		}
		return 0;
	}
	return -1;
}

/* add_hit - remember one dropped packet. */
static int add_hit(struct replay *rp, const struct hit *h)
{
	struct hit *p;

	if (rp->nhits == rp->cap) {
		rp->cap = rp->cap ? rp->cap * 2 : 256;
		p = realloc(rp->hits, rp->cap * sizeof(*p));
		if (!p)
			return -1;
		rp->hits = p;
	}
	rp->hits[rp->nhits++] = *h;
	return 0;
}

/*
 * classify - after a run ended in a drop (or a would-drop), why: the
 * counters that moved tell verdict from prefix, the copy's entries
 * tell the reason code.
 */
static void classify(struct replay *rp, const uint64_t *before,
		     const uint64_t *after, const uint8_t *f, size_t len,
		     struct hit *h)
{
	struct kern_verdict v;
	struct mx_addr key;
	size_t i;
	long best;

	memset(h, 0, sizeof(*h));
	h->prefix = after[MX_CNT_DROP_PREFIX] > before[MX_CNT_DROP_PREFIX];
	h->would = after[MX_CNT_WOULD_DROP] > before[MX_CNT_WOULD_DROP];
	if (source(f, len, &h->addr) < 0)
		return;
	key = h->addr;
	if (key.family == AF_INET6)
		addr_mask(&key, kern_ipv6_prefix(rp->copy));
	if (kern_verdict_get(rp->copy, &h->addr, &v) == 0 &&
	    v.action == MX_ACT_BLOCK) {
		h->reason = v.reason;
		h->prefix = false;
	} else {
		/* The longest block prefix covering the source. */
		for (i = 0, best = -1; i < rp->npfx; i++)
			if (rp->pfx[i].p.family == h->addr.family &&
			    addr_in_prefix(&h->addr, &rp->pfx[i].p) &&
			    (best < 0 ||
			     rp->pfx[i].p.plen > rp->pfx[best].p.plen))
				best = (long)i;
		if (best >= 0) {
			h->reason = rp->pfx[best].reason;
			h->prefix = true;
		}
	}
	h->addr = key;
}

/* replay_packets - run every packet of the capture. */
static int replay_packets(struct replay *rp, const char *file)
{
	char perr[PCAP_ERRBUF_SIZE];
	uint64_t before[MX_CNT__MAX], after[MX_CNT__MAX];
	uint8_t buf[CTL_REPLAY_SNAP];
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct hit h;
	pcap_t *pc;
	size_t len;
	int dlt, r;

	pc = pcap_open_offline(file, perr);
	if (!pc) {
		snprintf(rp->err, sizeof(rp->err), "%s", perr);
		return -1;
	}
	dlt = pcap_datalink(pc);
	while ((r = pcap_next_ex(pc, &ph, &data)) == 1) {
		LIBBPF_OPTS(bpf_test_run_opts, topts);

		rp->packets++;
		len = frame(dlt, data, ph->caplen, buf);
		if (len == 0) {
			rp->skipped++;
			continue;
		}
		topts.data_in = buf;
		topts.data_size_in = (uint32_t)len;
		topts.repeat = 1;
		if (kern_counters(rp->copy, before) < 0 ||
		    bpf_prog_test_run_opts(rp->prog, &topts) < 0 ||
		    kern_counters(rp->copy, after) < 0) {
			rp->skipped++;
			continue;
		}
		if (topts.retval == REPLAY_XDP_DROP ||
		    after[MX_CNT_WOULD_DROP] > before[MX_CNT_WOULD_DROP]) {
			classify(rp, before, after, buf, len, &h);
			if (add_hit(rp, &h) < 0) {
				snprintf(rp->err, sizeof(rp->err),
					 "out of memory");
				break;
			}
		} else {
			rp->passed++;
		}
	}
	if (r == -1 && !rp->err[0])
		snprintf(rp->err, sizeof(rp->err), "%s: %s", file,
			 pcap_geterr(pc));
	pcap_close(pc);
	return rp->err[0] ? -1 : 0;
}

/* hit_cmp - by would, reason, prefix, then address: groups together. */
static int hit_cmp(const void *pa, const void *pb)
{
	const struct hit *a = pa, *b = pb;

	if (a->would != b->would)
		return a->would ? 1 : -1;
	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	if (a->prefix != b->prefix)
		return a->prefix ? 1 : -1;
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	return memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
}

/* same_group, same_addr - for counting after the sort. */
static bool same_group(const struct hit *a, const struct hit *b)
{
	return a->would == b->would && a->reason == b->reason &&
	       a->prefix == b->prefix;
}

static bool same_addr(const struct hit *a, const struct hit *b)
{
	return a->addr.family == b->addr.family &&
	       !memcmp(a->addr.b, b->addr.b, sizeof(a->addr.b));
}

/* distinct - distinct addresses among all hits (would or not). */
static size_t distinct(struct replay *rp, bool would)
{
	struct hit *copy;
	size_t i, n = 0, k = 0;

	copy = malloc((rp->nhits + 1) * sizeof(*copy));
	if (!copy)
		return 0;
	for (i = 0; i < rp->nhits; i++)
		if (rp->hits[i].would == would) {
			copy[k] = rp->hits[i];
			copy[k].reason = 0;
			copy[k].prefix = false;
			k++;
		}
	qsort(copy, k, sizeof(*copy), hit_cmp);
	for (i = 0; i < k; i++)
		if (i == 0 || !same_addr(&copy[i], &copy[i - 1]))
			n++;
	free(copy);
	return n;
}

/* replay_print - the figures, as text or JSON. */
static void replay_print(struct ctl_ctx *ctx, struct replay *rp,
			 const char *file)
{
	size_t i, start, addrs, dropped = 0;
	char label[64];
	struct json j;

	qsort(rp->hits, rp->nhits, sizeof(*rp->hits), hit_cmp);
	for (i = 0; i < rp->nhits; i++)
		dropped += !rp->hits[i].would;
	if (ctx->json) {
		json_init(&j);
		json_object_begin(&j, NULL);
		json_string(&j, "file", file);
		json_uint(&j, "packets", rp->packets);
		json_uint(&j, "skipped", rp->skipped);
		json_uint(&j, "passed", rp->passed);
		json_object_begin(&j, "dropped");
		json_uint(&j, "packets", dropped);
		json_uint(&j, "addresses", distinct(rp, false));
		json_object_end(&j);
		json_object_begin(&j, "would_drop");
		json_uint(&j, "packets", rp->nhits - dropped);
		json_uint(&j, "addresses", distinct(rp, true));
		json_object_end(&j);
		json_array_begin(&j, "by_reason");
	} else {
		printf("%s: %" PRIu64 " packets (%" PRIu64 " not runnable), "
		       "tables copied from %s (%zu entries)\n", file,
		       rp->packets, rp->skipped, kern_observe(rp->live) ?
		       "observe mode" : "enforce mode", rp->copied);
		printf("  %-22s %8zu packets from %zu addresses\n", "dropped",
		       dropped, distinct(rp, false));
		printf("  %-22s %8zu packets from %zu addresses\n",
		       "would drop (observe)", rp->nhits - dropped,
		       distinct(rp, true));
		printf("  %-22s %8" PRIu64 " packets\n", "passed", rp->passed);
	}
	for (start = 0; start < rp->nhits; start = i) {
		addrs = 1;
		for (i = start + 1; i < rp->nhits &&
		     same_group(&rp->hits[i], &rp->hits[start]); i++)
			addrs += !same_addr(&rp->hits[i], &rp->hits[i - 1]);
		if (ctx->json) {
			json_object_begin(&j, NULL);
			json_string(&j, "reason",
				    kern_reason_name(rp->hits[start].reason));
			json_string(&j, "by", rp->hits[start].prefix ?
					     "prefix" : "verdict");
			json_bool(&j, "would", rp->hits[start].would);
			json_uint(&j, "packets", i - start);
			json_uint(&j, "addresses", addrs);
			json_object_end(&j);
		} else {
			snprintf(label, sizeof(label), "%s%s by %s",
				 rp->hits[start].would ? "(would) " : "",
				 kern_reason_name(rp->hits[start].reason),
				 rp->hits[start].prefix ? "prefix" :
							  "verdict");
			printf("    %-20s %8zu packets from %zu addresses\n",
			       label, i - start, addrs);
		}
	}
	if (ctx->json) {
		json_array_end(&j);
		json_object_end(&j);
		ctl_print_json(&j);
	}
}

int cmd_replay(struct ctl_ctx *ctx, int argc, char **argv)
{
	struct replay rp;
	int r = CTL_ERROR;

	if (!ctl_args_ok(argc, argv, 1, 1, NULL, NULL))
		return ctl_usage(ctl_find(argv[0]));
	memset(&rp, 0, sizeof(rp));
	ctl_resolve(ctx);
	if (replay_setup(ctx, &rp) < 0 || replay_packets(&rp, argv[1]) < 0) {
		fprintf(stderr, "mxwallctl: replay: %s\n", rp.err);
		goto out;
	}
	replay_print(ctx, &rp, argv[1]);
	r = CTL_OK;
out:
	replay_cleanup(&rp);
	return r;
}

#else /* !MXWALL_LINUX */

int cmd_replay(struct ctl_ctx *ctx, int argc, char **argv)
{
	fprintf(stderr, "mxwallctl: replay: needs the Linux kernel program "
		"(BPF_PROG_TEST_RUN); not built here\n");
	return CTL_ERROR;
}

#endif
