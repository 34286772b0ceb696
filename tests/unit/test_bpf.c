/*
 * test_bpf.c - the kernel program (bpf/mxwall.bpf.c) through
 * BPF_PROG_TEST_RUN, loaded by lib/kern.c exactly as mxwalld loads it.
 *
 * Frames are crafted in C (lib/pktcraft.c), stored as a pcap file through
 * libpcap and read back from it, so the file shows what was tested
 * (MXWALL_KEEP_PCAP=DIR keeps a copy: tcpdump -r DIR/test_bpf.pcap).
 * Each row of the table states one frame, the action the program must
 * return, the one outcome counter that must move (and maybe one more),
 * and how many events it must post. Separate tests cover truncation at
 * every byte, observe mode, event deduplication, expiry on the real
 * clock, hit counting, the TC entry point and pinned-map reuse.
 *
 * Needs root (BPF, mount): otherwise it says why and exits 77 (skipped).
 * It mounts a private bpffs under a temporary directory and removes it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern.h"
#include "pktcraft.h"

static const uint8_t B = MX_ACT_BLOCK;

/* ALSO(c): a second counter that must move by one with the outcome. */
#define ALSO(c) ((c) + 1)

/*
 * struct row - one frame and what the program must make of it.
 *   action   XDP_PASS or XDP_DROP;
 *   outcome  the MX_CNT_* outcome counter that moves by one (all other
 *            outcome counters must stay);
 *   also     ALSO(MX_CNT_*) for one more counter that moves, or 0;
 *   events   events the ring must receive.
 */
struct row {
	const char *name;
	struct pkt_spec spec;
	int action;
	int outcome;
	int also;
	int events;
	int frame; /* index into frames[], set at start */
};

#define V4 .family = AF_INET
#define V6 .family = AF_INET6
#define SYN .tcp_flags = PKT_SYN
#define ACK .tcp_flags = PKT_ACK

static struct row rows[] = {
	/* IPv4 basics and layering. */
	{ "v4 blocked SYN dropped", { V4, .src = "192.0.2.1", SYN }, XDP_DROP,
	  MX_CNT_DROP_VERDICT },
	{ "v4 blocked, established connection passes", { V4,
	  .src = "192.0.2.1", ACK }, XDP_PASS, MX_CNT_PASS_ESTABLISHED },
	{ "v4 one VLAN tag", { V4, .src = "192.0.2.1", SYN, .vlans = 1 },
	  XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 two VLAN tags", { V4, .src = "192.0.2.1", SYN, .vlans = 2 },
	  XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 options, 1 word", { V4, .src = "192.0.2.1", SYN,
	  .ip_opt_words = 1 }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 options, 10 words, 2 tags", { V4, .src = "192.0.2.1", SYN,
	  .ip_opt_words = 10, .vlans = 2 }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 other port passes", { V4, .src = "192.0.2.1", SYN,
	  .dport = 80 }, XDP_PASS, MX_CNT_PASS_NOT_SMTP },
	{ "v4 second protected port", { V4, .src = "192.0.2.1", SYN,
	  .dport = 587 }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 UDP to 25 passes", { V4, .src = "192.0.2.1", .l4 = IPPROTO_UDP },
	  XDP_PASS, MX_CNT_PASS_NOT_SMTP },
	{ "v4 non-first fragment passes", { V4, .src = "192.0.2.1",
	  .frag_off = 8 }, XDP_PASS, MX_CNT_PASS_FRAGMENT },
	{ "v4 first fragment judged", { V4, .src = "192.0.2.1", SYN,
	  .more_frags = true }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 bad version passes", { V4, .src = "192.0.2.1", SYN,
	  .ip_version = 5 }, XDP_PASS, MX_CNT_MALFORMED },

	/* IPv4 lookup order. */
	{ "v4 exact allow", { V4, .src = "192.0.2.2", SYN }, XDP_PASS,
	  MX_CNT_PASS_ALLOW_VERDICT },
	{ "v4 expired block ignored", { V4, .src = "192.0.2.3", ACK },
	  XDP_PASS, MX_CNT_PASS_UNKNOWN, ALSO(MX_CNT_EXPIRED) },
	{ "v4 block prefix", { V4, .src = "198.51.100.9", SYN }, XDP_DROP,
	  MX_CNT_DROP_PREFIX },
	{ "v4 exact allow beats block prefix", { V4, .src = "198.51.100.7",
	  SYN }, XDP_PASS, MX_CNT_PASS_ALLOW_VERDICT },
	{ "v4 exact block inside block prefix", { V4, .src = "198.51.100.8",
	  SYN }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v4 allow prefix beats exact block", { V4, .src = "203.0.113.5",
	  SYN }, XDP_PASS, MX_CNT_PASS_ALLOW_PREFIX },
	{ "v4 allow prefix beats block prefix", { V4, .src = "203.0.113.9",
	  SYN }, XDP_PASS, MX_CNT_PASS_ALLOW_PREFIX },
	{ "v4 block prefix outside the allow one", { V4,
	  .src = "203.0.113.200", SYN }, XDP_DROP, MX_CNT_DROP_PREFIX },
	{ "v4 expired block prefix ignored", { V4, .src = "100.64.7.7", ACK },
	  XDP_PASS, MX_CNT_PASS_UNKNOWN, ALSO(MX_CNT_EXPIRED) },
	{ "v4 /16 block prefix (pre-filter covers 256 /24s)", { V4,
	  .src = "10.20.255.1", SYN }, XDP_DROP, MX_CNT_DROP_PREFIX },
	{ "v4 /16 block prefix, established connection passes", { V4,
	  .src = "10.20.255.1", ACK }, XDP_PASS, MX_CNT_PASS_ESTABLISHED },
	{ "v4 /9 allow prefix", { V4, .src = "10.200.1.1", ACK }, XDP_PASS,
	  MX_CNT_PASS_ALLOW_PREFIX },
	{ "v4 unknown SYN posts an event", { V4, .src = "192.0.2.99", SYN },
	  XDP_PASS, MX_CNT_PASS_UNKNOWN, 0, 1 },
	{ "v4 unknown established: no event", { V4, .src = "192.0.2.98",
	  ACK }, XDP_PASS, MX_CNT_PASS_UNKNOWN },
	{ "v4 unknown SYN+ACK: no event", { V4, .src = "192.0.2.97",
	  .tcp_flags = PKT_SYN | PKT_ACK }, XDP_PASS, MX_CNT_PASS_UNKNOWN },
	{ "v4 unknown /24 decided by the pre-filter", { V4,
	  .src = "100.70.0.1", ACK }, XDP_PASS, MX_CNT_PASS_UNKNOWN,
	  ALSO(MX_CNT_PREFILTER_MISS) },

	/* IPv6. */
	{ "v6 blocked /64", { V6, .src = "2001:db8:1::ffff", SYN }, XDP_DROP,
	  MX_CNT_DROP_VERDICT },
	{ "v6 two VLAN tags", { V6, .src = "2001:db8:1::1", SYN, .vlans = 2 },
	  XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v6 hop-by-hop", { V6, .src = "2001:db8:1::1", SYN,
	  .ext = { IPPROTO_HOPOPTS }, .next = 1 }, XDP_DROP,
	  MX_CNT_DROP_VERDICT },
	{ "v6 routing", { V6, .src = "2001:db8:1::1", SYN,
	  .ext = { IPPROTO_ROUTING }, .next = 1 }, XDP_DROP,
	  MX_CNT_DROP_VERDICT },
	{ "v6 destination options", { V6, .src = "2001:db8:1::1", SYN,
	  .ext = { IPPROTO_DSTOPTS }, .next = 1 }, XDP_DROP,
	  MX_CNT_DROP_VERDICT },
	{ "v6 hop-by-hop, routing, dstopts, AH, first fragment", { V6,
	  .src = "2001:db8:1::1", SYN, .ext = { IPPROTO_HOPOPTS,
	  IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_AH, IPPROTO_FRAGMENT },
	  .next = 5, .more_frags = true }, XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v6 non-first fragment passes", { V6, .src = "2001:db8:1::1",
	  .ext = { IPPROTO_FRAGMENT }, .next = 1, .frag_off = 100 },
	  XDP_PASS, MX_CNT_PASS_FRAGMENT },
	{ "v6 eight dstopts headers still parsed", { V6,
	  .src = "2001:db8:1::1", SYN,
	  .ext = { 60, 60, 60, 60, 60, 60, 60, 60 }, .next = 7 },
	  XDP_DROP, MX_CNT_DROP_VERDICT },
	{ "v6 nine extension headers: gives up, passes", { V6,
	  .src = "2001:db8:1::1", SYN, .ext = { 60, 60, 60, 60, 60, 60, 60,
	  60, 60 }, .next = 9 }, XDP_PASS, MX_CNT_MALFORMED },
	{ "v6 UDP passes", { V6, .src = "2001:db8:1::1", .l4 = IPPROTO_UDP },
	  XDP_PASS, MX_CNT_PASS_NOT_SMTP },
	{ "v6 other port passes", { V6, .src = "2001:db8:1::1", SYN,
	  .dport = 443 }, XDP_PASS, MX_CNT_PASS_NOT_SMTP },
	{ "v6 block prefix", { V6, .src = "2001:db8:2:77::1", SYN },
	  XDP_DROP, MX_CNT_DROP_PREFIX },
	{ "v6 exact allow beats block prefix", { V6,
	  .src = "2001:db8:2:1::99", SYN }, XDP_PASS,
	  MX_CNT_PASS_ALLOW_VERDICT },
	{ "v6 allow prefix", { V6, .src = "2001:db8:3::1", SYN }, XDP_PASS,
	  MX_CNT_PASS_ALLOW_PREFIX },
	{ "v6 /36 block prefix (pre-filter enumerates its /48s)", { V6,
	  .src = "2001:db9:fff:ffff::1", SYN }, XDP_DROP, MX_CNT_DROP_PREFIX },

	{ "v6 unknown SYN posts an event", { V6, .src = "2001:db8:9::1",
	  SYN }, XDP_PASS, MX_CNT_PASS_UNKNOWN, 0, 1 },
	{ "v6 unknown, same /64: deduplicated", { V6, .src = "2001:db8:9::2",
	  SYN }, XDP_PASS, MX_CNT_PASS_UNKNOWN, ALSO(MX_CNT_EVENT_DEDUP) },
	{ "v6 unknown, next /64: new event", { V6, .src = "2001:db8:9:1::1",
	  SYN }, XDP_PASS, MX_CNT_PASS_UNKNOWN, 0, 1 },
	{ "v6 bad version passes", { V6, .src = "2001:db8:1::1", SYN,
	  .ip_version = 4 }, XDP_PASS, MX_CNT_MALFORMED },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static struct kern *k;
static char tmpdir[] = "/tmp/mxwall-test-bpf.XXXXXX";
static char bpffs[64], pin[80];
static struct pkt_frame frames[NROWS];

/* Outcome counters: each packet moves exactly one of them. */
static bool is_outcome(int i)
{
	return i <= MX_CNT_MALFORMED || i == MX_CNT_PASS_ESTABLISHED;
}

/* test_run - one frame through the XDP (or TC) program; its verdict. */
static int test_run(enum kern_mode m, const uint8_t *data, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data,
		    .data_size_in = (uint32_t)len, .repeat = 1);
	int r;

	r = bpf_prog_test_run_opts(kern_prog_fd(k, m), &o);
	if (r != 0)
		fail_msg("BPF_PROG_TEST_RUN (%s, %zu bytes): %s",
			 kern_mode_name(m), len, strerror(errno));
	return (int)o.retval;
}

/* The events of the last consume, for checks on their contents. */
static struct mx_event last_ev;
static int n_ev;

static void on_event(const struct mx_event *ev, void *arg)
{
	last_ev = *ev;
	n_ev++;
}

static int drain(void)
{
	n_ev = 0;
	assert_true(kern_events_consume(k, on_event, NULL) >= 0);
	return n_ev;
}

/* check_frame - run data and check the counters and events it moved. */
static void check_frame(const char *name, const uint8_t *data, size_t len,
			int action, int outcome, int also, int events)
{
	uint64_t before[MX_CNT__MAX], after[MX_CNT__MAX];
	int i, got;

	drain();
	assert_int_equal(kern_counters(k, before), 0);
	got = test_run(KERN_MODE_NATIVE, data, len);
	if (got != action)
		fail_msg("%s: action %d, want %d", name, got, action);
	assert_int_equal(kern_counters(k, after), 0);
	for (i = 0; i < MX_CNT__MAX; i++) {
		uint64_t want = 0;

		if (i == outcome || (also && i == also - 1))
			want = 1;
		else if (!is_outcome(i) && i != MX_CNT_EVENT_POSTED &&
			 i != MX_CNT_EVENT_DEDUP)
			continue; /* expired/prefilter only when asked */
		if (i == MX_CNT_EVENT_POSTED)
			want = (uint64_t)events;
		if (after[i] - before[i] != want)
			fail_msg("%s: counter %s moved by %llu, want %llu",
				 name, kern_counter_name(i),
				 (unsigned long long)(after[i] - before[i]),
				 (unsigned long long)want);
	}
	got = drain();
	if (got != events)
		fail_msg("%s: %d events, want %d", name, got, events);
}

static void test_row(void **state)
{
	const struct row *r = *state;
	const struct pkt_frame *f = &frames[r->frame];

	check_frame(r->name, f->data, f->len, r->action, r->outcome, r->also,
		    r->events);
}

/* test_event_contents - an event names the client and the port. */
static void test_event_contents(void **state)
{
	struct pkt_spec s = { V4, .src = "192.0.2.123", SYN, .sport = 4711,
			      .dport = 587 };
	uint8_t buf[PKT_MAX_LEN], want[4];
	size_t len = pkt_build(&s, buf, sizeof(buf));

	check_frame("event", buf, len, XDP_PASS, MX_CNT_PASS_UNKNOWN, 0, 0 + 1);
	inet_pton(AF_INET, "192.0.2.123", want);
	assert_int_equal(last_ev.family, AF_INET);
	assert_memory_equal(last_ev.addr, want, 4);
	assert_int_equal(last_ev.dport, 587);
	assert_int_equal(last_ev.sport, 4711);
	assert_true(last_ev.time_ns > 0 && last_ev.time_ns <= kern_now_ns());
	/* The same client again within the interval: counted, not posted. */
	check_frame("event again", buf, len, XDP_PASS, MX_CNT_PASS_UNKNOWN,
		    ALSO(MX_CNT_EVENT_DEDUP), 0);
}

/* truncate_all - every cut of a frame short of its end passes. */
static void truncate_all(struct pkt_spec s)
{
	uint8_t buf[PKT_MAX_LEN];
	size_t full, cut;
	char name[64];

	full = pkt_build(&s, buf, sizeof(buf));
	assert_true(full > 14);
	/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header. */
	for (cut = 14; cut < full; cut++) {
		snprintf(name, sizeof(name), "cut at %zu of %zu", cut, full);
		check_frame(name, buf, cut, XDP_PASS, MX_CNT_MALFORMED, 0, 0);
	}
	check_frame("whole", buf, full, XDP_DROP, MX_CNT_DROP_VERDICT, 0, 0);
}

static void test_truncated_v4(void **state)
{
	truncate_all((struct pkt_spec){ V4, .src = "192.0.2.1", SYN,
					.vlans = 2, .ip_opt_words = 3 });
}

static void test_truncated_v6(void **state)
{
	truncate_all((struct pkt_spec){ V6, .src = "2001:db8:1::1", SYN,
					.vlans = 2, .ext = { IPPROTO_HOPOPTS,
					IPPROTO_ROUTING, IPPROTO_FRAGMENT,
					IPPROTO_AH, IPPROTO_DSTOPTS },
					.next = 5 });
}

/* test_observe - observe mode passes what it would drop, and counts. */
static void test_observe(void **state)
{
	struct pkt_spec s = { V4, .src = "192.0.2.1", SYN };
	struct pkt_spec p = { V6, .src = "2001:db8:2:77::1", SYN };
	uint8_t buf[PKT_MAX_LEN];
	size_t len = pkt_build(&s, buf, sizeof(buf));

	assert_int_equal(kern_set_observe(k, true), 0);
	assert_true(kern_observe(k));
	check_frame("observe verdict", buf, len, XDP_PASS, MX_CNT_WOULD_DROP,
		    0, 0);
	len = pkt_build(&p, buf, sizeof(buf));
	check_frame("observe prefix", buf, len, XDP_PASS, MX_CNT_WOULD_DROP,
		    0, 0);
	assert_int_equal(kern_set_observe(k, false), 0);
	assert_false(kern_observe(k));
	check_frame("enforce again", buf, len, XDP_DROP, MX_CNT_DROP_PREFIX,
		    0, 0);
}

/* test_expiry_clock - a block lapses on the kernel's own clock. */
static void test_expiry_clock(void **state)
{
	struct pkt_spec s = { V4, .src = "192.0.2.55", ACK };
	struct pkt_spec syn = { V4, .src = "192.0.2.55", SYN };
	struct kern_verdict v = { .action = MX_ACT_BLOCK,
				  .reason = MX_REASON_DNSBL,
				  .expires_ns = kern_now_ns() + 300000000ull };
	uint8_t buf[PKT_MAX_LEN], sbuf[PKT_MAX_LEN];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	size_t slen = pkt_build(&syn, sbuf, sizeof(sbuf));
	struct mx_addr a;

	assert_int_equal(addr_parse("192.0.2.55", &a), 0);
	assert_int_equal(kern_verdict_put(k, &a, &v), 0);
	check_frame("before expiry", sbuf, slen, XDP_DROP, MX_CNT_DROP_VERDICT,
		    0, 0);
	usleep(400000);
	check_frame("after expiry", buf, len, XDP_PASS, MX_CNT_PASS_UNKNOWN,
		    ALSO(MX_CNT_EXPIRED), 0);
}

/* test_hits - matched SYNs move the verdict's hit counter, ACKs not. */
static void test_hits(void **state)
{
	struct pkt_spec syn = { V6, .src = "2001:db8:1::4242", SYN };
	struct pkt_spec ack = { V6, .src = "2001:db8:1::4242", ACK };
	uint8_t buf[PKT_MAX_LEN], buf2[PKT_MAX_LEN];
	size_t len = pkt_build(&syn, buf, sizeof(buf));
	size_t len2 = pkt_build(&ack, buf2, sizeof(buf2));
	struct kern_verdict before, after;
	struct mx_addr a;

	assert_int_equal(addr_parse("2001:db8:1::1", &a), 0);
	assert_int_equal(kern_verdict_get(k, &a, &before), 0);
	assert_int_equal(test_run(KERN_MODE_NATIVE, buf, len), XDP_DROP);
	assert_int_equal(test_run(KERN_MODE_NATIVE, buf, len), XDP_DROP);
	assert_int_equal(test_run(KERN_MODE_NATIVE, buf2, len2), XDP_PASS);
	assert_int_equal(kern_verdict_get(k, &a, &after), 0);
	assert_int_equal(after.hits - before.hits, 2);
	assert_int_equal(after.reason, MX_REASON_DNSBL);
}

/* test_tc - the TC entry point judges the same way. */
static void test_tc(void **state)
{
	struct pkt_spec blocked = { V4, .src = "192.0.2.1", SYN, .vlans = 1 };
	struct pkt_spec unknown = { V6, .src = "2001:db8:7::1", ACK };
	uint8_t buf[PKT_MAX_LEN];
	size_t len;

	len = pkt_build(&blocked, buf, sizeof(buf));
	assert_int_equal(test_run(KERN_MODE_TC, buf, len), TC_ACT_SHOT);
	len = pkt_build(&unknown, buf, sizeof(buf));
	assert_int_equal(test_run(KERN_MODE_TC, buf, len), TC_ACT_UNSPEC);
	/* Cut inside TCP (the skb test run insists on a whole IP header). */
	assert_int_equal(test_run(KERN_MODE_TC, buf, 14 + 40 + 10),
			 TC_ACT_UNSPEC);
}

/* test_reuse - a second load reuses the pinned maps and their verdicts. */
static void test_reuse(void **state)
{
	struct kern_opts o = { .pin_path = pin, .ipv6_prefix = 56 };
	struct kern *k2, *k3;
	struct kern_verdict v;
	struct mx_addr a;
	char err[256];

	struct pkt_spec p587 = { V4, .src = "192.0.2.1", SYN, .dport = 587 };
	uint8_t buf[PKT_MAX_LEN];
	size_t len = pkt_build(&p587, buf, sizeof(buf));
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = buf,
		    .data_size_in = (uint32_t)len, .repeat = 1);

	assert_int_equal(kern_load(&o, &k2, err, sizeof(err)), 0);
	/* The maps keep the prefix they were made with (64, not 56). */
	assert_int_equal(kern_ipv6_prefix(k2), 64);
	/* No ports given: the new program protects the running ones. */
	assert_int_equal(bpf_prog_test_run_opts(kern_prog_fd(k2,
							     KERN_MODE_NATIVE),
						&t), 0);
	assert_int_equal(t.retval, XDP_DROP);
	assert_int_equal(addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(kern_verdict_get(k2, &a, &v), 0);
	assert_int_equal(v.action, MX_ACT_BLOCK);
	kern_close(k2);
	assert_int_equal(kern_open_pinned(pin, &k3, err, sizeof(err)), 0);
	assert_int_equal(kern_verdict_get(k3, &a, &v), 0);
	assert_int_equal(addr_parse("192.0.2.222", &a), 0);
	assert_int_equal(kern_verdict_get(k3, &a, &v), -ENOENT);
	kern_close(k3);
}

/* count_in - count entries inside 10.50.0.0/16; with arg2, delete them. */
struct many {
	int n;
	bool del;
};

static int count_in(const struct mx_addr *a, const struct kern_verdict *v,
		    void *arg)
{
	struct many *m = arg;

	if (a->family != AF_INET || a->b[0] != 10 || a->b[1] != 50)
		return 0;
	m->n++;
	if (m->del && kern_verdict_del(k, a) < 0)
		return -1;
	return 0;
}

/*
 * test_foreach_many - a walk spanning several batches sees every entry
 * once, also when its callback deletes what it is shown.
 */
static void test_foreach_many(void **state)
{
	enum { N = 9000 };
	static struct mx_addr a[N];
	static struct kern_verdict v[N];
	struct many m = { 0 };
	size_t done, i;

	for (i = 0; i < N; i++) {
		a[i].family = AF_INET;
		a[i].plen = 32;
		a[i].b[0] = 10;
		a[i].b[1] = 50;
		a[i].b[2] = (uint8_t)(i >> 8);
		a[i].b[3] = (uint8_t)i;
		v[i].action = MX_ACT_BLOCK;
		v[i].reason = MX_REASON_RULE;
	}
	assert_int_equal(kern_verdict_put_batch(k, a, v, N, &done), 0);
	assert_int_equal(done, N);
	assert_int_equal(kern_verdict_foreach(k, count_in, &m), 0);
	assert_int_equal(m.n, N);
	m = (struct many){ .del = true };
	assert_int_equal(kern_verdict_foreach(k, count_in, &m), 0);
	assert_int_equal(m.n, N);
	m = (struct many){ 0 };
	assert_int_equal(kern_verdict_foreach(k, count_in, &m), 0);
	assert_int_equal(m.n, 0);
}

/* test_prefix_get - exactly the stored prefix, not a longer match. */
static void test_prefix_get(void **state)
{
	static const struct {
		const char *prefix;
		enum kern_list list;
		int want;
	} cases[] = {
		{ "198.51.100.0/24", KERN_LIST_BLOCK, 0 },
		{ "198.51.100.0/25", KERN_LIST_BLOCK, -ENOENT },
		{ "198.51.0.0/16", KERN_LIST_BLOCK, -ENOENT },
		{ "198.51.100.0/24", KERN_LIST_ALLOW, -ENOENT },
		{ "203.0.113.0/28", KERN_LIST_ALLOW, 0 },
		{ "203.0.113.0/24", KERN_LIST_BLOCK, 0 },
		{ "100.64.7.0/24", KERN_LIST_BLOCK, 0 },
		{ "10.20.0.0/16", KERN_LIST_BLOCK, 0 },
		{ "10.20.0.0/17", KERN_LIST_BLOCK, -ENOENT },
		{ "2001:db8:2::/48", KERN_LIST_BLOCK, 0 },
		{ "2001:db8:2::/56", KERN_LIST_BLOCK, -ENOENT },
		{ "2001:db9::/36", KERN_LIST_BLOCK, 0 },
		{ "2001:db8:3::/48", KERN_LIST_ALLOW, 0 },
	};
	struct kern_verdict v;
	struct mx_addr a;
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_parse_prefix(cases[i].prefix, &a, true,
						   &why), 0);
		r = kern_prefix_get(k, cases[i].list, &a, &v);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].prefix, r,
				 cases[i].want);
	}
}

/* test_foreach - every stored verdict and prefix comes back. */
static int count_cb(const struct mx_addr *a, const struct kern_verdict *v,
		    void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_foreach(void **state)
{
	int nv = 0, na = 0, nb = 0;

	assert_int_equal(kern_verdict_foreach(k, count_cb, &nv), 0);
	assert_int_equal(kern_prefix_foreach(k, KERN_LIST_ALLOW, count_cb,
					     &na), 0);
	assert_int_equal(kern_prefix_foreach(k, KERN_LIST_BLOCK, count_cb,
					     &nb), 0);
	assert_true(nv >= 8);
	assert_int_equal(na, 3);
	assert_int_equal(nb, 6);
}

static int put(const char *s, uint8_t action, int64_t ttl_ms);

/*
 * test_wide_prefix - an IPv6 prefix too short to enumerate its /48s sets
 * every IPv6 prefix bit of the pre-filter (runs last: it does so for
 * good) and is still found.
 */
static void test_wide_prefix(void **state)
{
	struct pkt_spec s = { V6, .src = "2001:dcf:1::1", ACK };
	struct pkt_spec syn = { V6, .src = "2001:dcf:1::1", SYN };
	uint8_t buf[PKT_MAX_LEN], sbuf[PKT_MAX_LEN];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	size_t slen = pkt_build(&syn, sbuf, sizeof(sbuf));

	check_frame("before", buf, len, XDP_PASS, MX_CNT_PASS_UNKNOWN,
		    ALSO(MX_CNT_PREFILTER_MISS), 0);
	assert_int_equal(put("2001:dc0::/26", B, 0), 0);
	check_frame("after", sbuf, slen, XDP_DROP, MX_CNT_DROP_PREFIX, 0, 0);
}

/* put - one fixture entry (prefixes when plen is short); 0 or -1. */
static int put(const char *s, uint8_t action, int64_t ttl_ms)
{
	struct kern_verdict v = { .action = action,
				  .reason = MX_REASON_DNSBL };
	struct mx_addr a;
	const char *why;
	int r;

	if (addr_parse_prefix(s, &a, true, &why) < 0) {
		fprintf(stderr, "fixture %s: %s\n", s, why);
		return -1;
	}
	if (ttl_ms < 0)
		v.expires_ns = kern_now_ns() - 1000;
	else if (ttl_ms > 0)
		v.expires_ns = kern_now_ns() + (uint64_t)ttl_ms * 1000000ull;
	if (a.plen == 32 || a.plen == 128)
		r = kern_verdict_put(k, &a, &v);
	else
		r = kern_prefix_put(k, action == MX_ACT_BLOCK ?
					       KERN_LIST_BLOCK :
					       KERN_LIST_ALLOW,
				    &a, &v);
	if (r < 0) {
		fprintf(stderr, "fixture %s: %s\n", s, strerror(-r));
		return -1;
	}
	return 0;
}

/*
 * The fixture every row runs against: ttl_ms > 0 expires then, 0 never,
 * -1 has already expired.
 */
static const struct {
	const char *entry;
	uint8_t action;
	int64_t ttl_ms;
} fixture[] = {
	{ "192.0.2.1", MX_ACT_BLOCK, 3600000 },
	{ "192.0.2.2", MX_ACT_ALLOW, 3600000 },
	{ "192.0.2.3", MX_ACT_BLOCK, -1 },
	{ "198.51.100.0/24", MX_ACT_BLOCK, 0 },
	{ "198.51.100.7", MX_ACT_ALLOW, 0 },
	{ "198.51.100.8", MX_ACT_BLOCK, 0 },
	{ "203.0.113.0/24", MX_ACT_BLOCK, 0 },
	{ "203.0.113.0/28", MX_ACT_ALLOW, 0 },
	{ "203.0.113.5", MX_ACT_BLOCK, 0 },
	{ "100.64.7.0/24", MX_ACT_BLOCK, -1 },
	{ "2001:db8:1::1", MX_ACT_BLOCK, 3600000 },
	{ "2001:db8:2::/48", MX_ACT_BLOCK, 0 },
	{ "2001:db8:2:1::", MX_ACT_ALLOW, 0 },
	{ "2001:db8:3::/48", MX_ACT_ALLOW, 0 },
	{ "10.20.0.0/16", MX_ACT_BLOCK, 0 },
	{ "10.128.0.0/9", MX_ACT_ALLOW, 0 },
	{ "2001:db9::/36", MX_ACT_BLOCK, 0 },
};

static int setup(void **state)
{
	struct kern_opts o = { .pin_path = pin, .ports = { 25, 587 },
			       .nports = 2, .max_verdicts = 16384,
			       .max_prefixes = 1024 };
	char err[512], path[128];
	const char *keep = getenv("MXWALL_KEEP_PCAP");
	size_t i;
	int n;

	if (kern_load(&o, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "kern_load: %s\n", err);
		return -1;
	}
	for (i = 0; i < sizeof(fixture) / sizeof(fixture[0]); i++)
		if (put(fixture[i].entry, fixture[i].action,
			fixture[i].ttl_ms) < 0)
			return -1;

	for (i = 0; i < NROWS; i++) {
		frames[i].len = pkt_build(&rows[i].spec, frames[i].data,
					  sizeof(frames[i].data));
		if (!frames[i].len) {
			fprintf(stderr, "row \"%s\": bad spec\n", rows[i].name);
			return -1;
		}
		rows[i].frame = (int)i;
	}
	snprintf(path, sizeof(path), "%s/test_bpf.pcap", keep ? keep : tmpdir);
	if (pkt_pcap_write(path, frames, (int)NROWS, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	memset(frames, 0, sizeof(frames));
	n = pkt_pcap_read(path, frames, (int)NROWS, err, sizeof(err));
	if (n != (int)NROWS) {
		fprintf(stderr, "%s: read %d frames of %zu: %s\n", path, n,
			NROWS, n < 0 ? err : "short");
		return -1;
	}
	if (!keep)
		unlink(path);
	return 0;
}

static int teardown(void **state)
{
	kern_close(k);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest extra[] = {
		cmocka_unit_test(test_event_contents),
		cmocka_unit_test(test_truncated_v4),
		cmocka_unit_test(test_truncated_v6),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_expiry_clock),
		cmocka_unit_test(test_hits),
		cmocka_unit_test(test_tc),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_prefix_get),
		cmocka_unit_test(test_foreach_many),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_wide_prefix),
	};
	struct CMUnitTest tests[NROWS + sizeof(extra) / sizeof(extra[0])];
	size_t i, n = 0;
	int r;

	if (geteuid() != 0) {
		printf("skipped: needs root (BPF_PROG_TEST_RUN, bpffs)\n");
		return 77;
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(bpffs, sizeof(bpffs), "%s/bpf", tmpdir);
	snprintf(pin, sizeof(pin), "%s/mx", bpffs);
	if (mkdir(bpffs, 0700) < 0 || mount("bpf", bpffs, "bpf", 0, NULL) < 0) {
		printf("skipped: cannot mount a bpf filesystem at %s: %s\n",
		       bpffs, strerror(errno));
		rmdir(bpffs);
		rmdir(tmpdir);
		return 77;
	}
	for (i = 0; i < NROWS; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test(test_row);
		tests[n].name = rows[i].name;
		tests[n].initial_state = &rows[i];
		n++;
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		tests[n++] = extra[i];
	r = _cmocka_run_group_tests("bpf", tests, n, setup, teardown);

	umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	rmdir(tmpdir);
	return r;
}
