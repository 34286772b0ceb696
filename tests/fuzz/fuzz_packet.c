/*
 * fuzz_packet.c - libFuzzer target for the kernel program's packet
 * parser (bpf/mxwall.bpf.c): every input is one Ethernet frame, run
 * through the loaded XDP program and the TC program with
 * BPF_PROG_TEST_RUN, loaded by lib/kern.c exactly as mxwalld loads it.
 *
 * The verifier already proves the program memory-safe; what fuzzing
 * checks is its logic on frames nobody wrote by hand:
 *   - each run moves exactly one outcome counter (pass_not_smtp ..
 *     malformed, pass_established), so every frame is accounted for;
 *   - the programs return only pass or drop (TC passes with
 *     TC_ACT_UNSPEC, leaving the decision to any later filter);
 *   - a frame is dropped only if it holds a blocked source address and
 *     a protected port (25), byte for byte somewhere in the frame - a
 *     drop of anything else is a parser error;
 *   - XDP and TC agree on pass or drop.
 * The maps hold a block verdict for 192.0.2.1 and 2001:db8::1 (/64), a
 * block prefix 198.51.100.0/24, an allow prefix 203.0.113.0/24 and an
 * allow verdict for 192.0.2.2.
 *
 * Needs root (BPF, a private bpffs). The bpffs is mounted, used to load
 * and lazily unmounted at once, so nothing is left behind whatever way
 * the process ends.
 *
 * FUZZ_SOURCES: lib/kern.c lib/addr.c lib/log.c
 * FUZZ_LIBS: -lbpf -lelf -lz
 * FUZZ_SKEL: yes
 */
#include "fuzz.h"
#include "kern.h"
#include "log.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct kern *k;

static void quiet(enum log_sev sev, const char *line)
{
	(void)sev;
	(void)line;
}

/* put - one verdict or prefix for the fixture; aborts on failure. */
static void put(const char *text, int list, int action)
{
	struct kern_verdict v = { .action = (uint8_t)action,
				  .reason = MX_REASON_MANUAL };
	struct mx_addr a;
	const char *why;
	int rc;

	if (addr_parse_prefix(text, &a, true, &why))
		fuzz_fail("fixture %s: %s", text, why);
	rc = list < 0 ? kern_verdict_put(k, &a, &v) :
			kern_prefix_put(k, (enum kern_list)list, &a, &v);
	if (rc)
		fuzz_fail("fixture %s: %s", text, strerror(-rc));
}

/* LLVMFuzzerInitialize - load the program into a throw-away bpffs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kern_opts o = { .ports = { 25 }, .nports = 1,
			       .ipv6_prefix = 64, .event_interval_ms = 60000,
			       .max_verdicts = 1024, .max_prefixes = 1024,
			       .max_recent = 1024, .ring_bytes = 1 << 16 };
	char dir[] = "/tmp/mxwall-fuzz.XXXXXX", pins[64], err[512];

	(void)argc;
	(void)argv;
	log_set_sink(quiet);
	if (!mkdtemp(dir))
		fuzz_fail("mkdtemp: %s", strerror(errno));
	if (mount("bpf", dir, "bpf", 0, NULL))
		fuzz_fail("mount bpffs on %s: %s (needs root)", dir,
			  strerror(errno));
	snprintf(pins, sizeof(pins), "%s/mxwall", dir);
	o.pin_path = pins;
	if (kern_load(&o, &k, err, sizeof(err)))
		fuzz_fail("kern_load: %s", err);
	umount2(dir, MNT_DETACH);
	rmdir(dir);

	put("192.0.2.1", -1, MX_ACT_BLOCK);
	put("2001:db8::1", -1, MX_ACT_BLOCK);
	put("192.0.2.2", -1, MX_ACT_ALLOW);
	put("198.51.100.0/24", KERN_LIST_BLOCK, MX_ACT_BLOCK);
	put("203.0.113.0/24", KERN_LIST_ALLOW, MX_ACT_ALLOW);
	return 0;
}

/* NOT_RUN - the kernel's test harness refused the frame (EINVAL). */
#define NOT_RUN (-1000)

/*
 * run - one frame through one program; its return value, or NOT_RUN
 * when BPF_PROG_TEST_RUN itself refuses the frame (for TC it builds an
 * skb and refuses e.g. an IPv4 ethertype with a short IP header): that
 * is the harness, not the program, so such frames are left out.
 */
static int run(enum kern_mode m, const uint8_t *data, size_t size)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data,
		    .data_size_in = (__u32)size, .repeat = 1);

	if (bpf_prog_test_run_opts(kern_prog_fd(k, m), &o) == 0)
		return (int)o.retval;
	if (errno == EINVAL)
		return NOT_RUN;
	fuzz_fail("test run (%s, %zu bytes): %s", kern_mode_name(m),
			  size, strerror(errno));
}

/* outcomes - the sum of the outcome counters. */
static uint64_t outcomes(void)
{
	uint64_t c[MX_CNT__MAX], sum = 0;
	int i;

	if (kern_counters(k, c))
		fuzz_fail("kern_counters failed");
	for (i = MX_CNT_PASS_NOT_SMTP; i <= MX_CNT_MALFORMED; i++)
		sum += c[i];
	sum += c[MX_CNT_PASS_ESTABLISHED];
	return sum;
}

/* may_drop - whether the frame holds a blocked source and port 25. */
static int may_drop(const uint8_t *d, size_t n)
{
	static const uint8_t v4[] = { 192, 0, 2, 1 }, pf[] = { 198, 51, 100 };
	static const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0 };
	static const uint8_t port[] = { 0, 25 };

	if (!memmem(d, n, port, sizeof(port)))
		return 0;
	return memmem(d, n, v4, sizeof(v4)) || memmem(d, n, pf, sizeof(pf)) ||
	       memmem(d, n, v6, sizeof(v6));
}

static void drain(const struct mx_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t before;
	int xdp, tc;

	/* BPF_PROG_TEST_RUN wants at least an Ethernet header. */
	if (size < 14 || size > 1514)
		return 0;

	before = outcomes();
	xdp = run(KERN_MODE_NATIVE, data, size);
	if (xdp == NOT_RUN)
		return 0;
	if (outcomes() != before + 1)
		fuzz_fail("XDP run moved %llu outcome counters",
			  (unsigned long long)(outcomes() - before));
	if (xdp != XDP_PASS && xdp != XDP_DROP)
		fuzz_fail("XDP returned %d", xdp);
	if (xdp == XDP_DROP && !may_drop(data, size))
		fuzz_fail("XDP dropped a frame with no blocked source");

	tc = run(KERN_MODE_TC, data, size);
	if (tc == NOT_RUN)
		goto out;
	/* TC passes with TC_ACT_UNSPEC: the next filter, if any, decides. */
	if (tc != TC_ACT_UNSPEC && tc != TC_ACT_OK && tc != TC_ACT_SHOT)
		fuzz_fail("TC returned %d", tc);
	if ((xdp == XDP_DROP) != (tc == TC_ACT_SHOT))
		fuzz_fail("XDP says %s, TC says %s",
			  xdp == XDP_DROP ? "drop" : "pass",
			  tc == TC_ACT_SHOT ? "drop" : "pass");
out:
	kern_events_consume(k, drain, NULL);
	return 0;
}
