/*
 * kern.c - the kernel fast path's loader (see kern.h): the only file that
 * includes the generated skeleton (build/mxwall.skel.h).
 *
 * Lifecycle: kern_load opens the skeleton, sets the read-only
 * configuration (ports, IPv6 masks), points every map at its pin under
 * pin_path so libbpf reuses what is pinned and pins what is new, loads,
 * and maps the pre-filter bitmap into memory. kern_attach creates a BPF
 * link (XDP, or TCX for tc mode) and pins it as link_MODE_IFNAME, so the
 * attachment outlives the process and any process can remove it.
 *
 * Verdict and prefix puts set the pre-filter bits first, then write the
 * map, so the kernel never misses an entry; deletes leave bits set (a
 * stale bit costs one full lookup, never a wrong answer).
 *
 * Must never unpin or detach on its own: kern_close only drops this
 * process's handles.
 */
#include "kern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if MXWALL_LINUX
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "mxwall.skel.h"
#endif

static const char *const counter_names[MX_CNT__MAX] = {
	[MX_CNT_PASS_NOT_SMTP] = "pass_not_smtp",
	[MX_CNT_PASS_FRAGMENT] = "pass_fragment",
	[MX_CNT_PASS_ALLOW_PREFIX] = "pass_allow_prefix",
	[MX_CNT_PASS_ALLOW_VERDICT] = "pass_allow_verdict",
	[MX_CNT_PASS_UNKNOWN] = "pass_unknown",
	[MX_CNT_DROP_VERDICT] = "drop_verdict",
	[MX_CNT_DROP_PREFIX] = "drop_prefix",
	[MX_CNT_WOULD_DROP] = "would_drop",
	[MX_CNT_MALFORMED] = "malformed",
	[MX_CNT_EVENT_POSTED] = "event_posted",
	[MX_CNT_EVENT_LOST] = "event_lost",
	[MX_CNT_EVENT_DEDUP] = "event_dedup",
	[MX_CNT_EXPIRED] = "expired_ignored",
	[MX_CNT_PREFILTER_MISS] = "prefilter_miss",
	[MX_CNT_PASS_ESTABLISHED] = "pass_established",
};

static const char *const reason_names[MX_REASON__MAX] = {
	[MX_REASON_NONE] = "none",
	[MX_REASON_MANUAL] = "manual",
	[MX_REASON_DNSBL] = "dnsbl",
	[MX_REASON_RHSBL] = "rhsbl",
	[MX_REASON_RULE] = "rule",
	[MX_REASON_PREFIX] = "prefix",
	[MX_REASON_ALLOWLIST] = "allowlist",
	[MX_REASON_STATIC] = "static",
	[MX_REASON_SNAPSHOT] = "snapshot",
};

static const char *const mode_names[] = { "auto", "native", "generic", "tc" };

const char *kern_counter_name(int i)
{
	return i >= 0 && i < MX_CNT__MAX ? counter_names[i] : NULL;
}

const char *kern_reason_name(int reason)
{
	if (reason < 0 || reason >= MX_REASON__MAX)
		return "unknown";
	return reason_names[reason];
}

int kern_reason_parse(const char *s)
{
	int i;

	for (i = 0; i < MX_REASON__MAX; i++)
		if (strcmp(s, reason_names[i]) == 0)
			return i;
	return -1;
}

const char *kern_mode_name(enum kern_mode m)
{
	return (unsigned)m < 4 ? mode_names[m] : "?";
}

int kern_mode_parse(const char *s, enum kern_mode *m)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum kern_mode)i;
			return 0;
		}
	return -1;
}

uint64_t kern_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if MXWALL_LINUX

/* The maps, in the order of map_names[]; all are pinned. */
enum {
	M_V4,
	M_V6,
	M_ALLOW4,
	M_ALLOW6,
	M_BLOCK4,
	M_BLOCK6,
	M_PF,
	M_RT,
	M_CNT,
	M_RECENT,
	M_EVENTS,
	M__N
};

static const char *const map_names[M__N] = {
	"verdicts_v4", "verdicts_v6", "allow_v4", "allow_v6", "block_v4",
	"block_v6", "prefilter", "runtime", "counters", "recent", "events",
};

/* Not in Debian 12's headers: the TCX ingress attach type (Linux 6.6). */
#define MX_BPF_TCX_INGRESS 46

/*
 * struct kern - one process's handle on the fast path.
 *   skel        the loaded skeleton, NULL after kern_open_pinned;
 *   fd          map fds (owned here only when opened from pins);
 *   pf          the pre-filter bitmap, mmap'ed (MX_PF_WORDS words);
 *   v6_plen     IPv6 verdict prefix of these maps; pf_v6_plen its
 *               pre-filter granularity, min(48, v6_plen);
 *   rb          the event ring, with the callback of the current consume.
 */
struct kern {
	struct mxwall *skel;
	char pin_path[PATH_MAX - 64];
	int fd[M__N];
	uint64_t *pf;
	unsigned v6_plen;
	unsigned pf_v6_plen;
	int ncpus;
	struct ring_buffer *rb;
	void (*ev_cb)(const struct mx_event *ev, void *arg);
	void *ev_arg;
	int ev_count;
};

/* libbpf_log - libbpf's own messages: warnings shown, the rest with -vv. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char buf[1024];
	size_t n;

	if (level != LIBBPF_WARN && msg_verbose < 2)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (level == LIBBPF_WARN)
		msg_warn("libbpf: %s", buf);
	else
		msg_debug(2, "libbpf: %s", buf);
	return 0;
}

/* pin_file - "PIN_PATH/NAME" into buf. */
static const char *pin_file(const struct kern *k, const char *name,
			    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", k->pin_path, name);
	return buf;
}

/*
 * check_bpffs - pin_path must be a directory on a bpf filesystem; create
 * it if its parent is one. 'ip netns exec' remounts /sys without bpffs,
 * which is the usual reason it is not, so say what to do about that.
 */
static int check_bpffs(const char *path, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct statfs st;
	char *slash;

	if (statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &st) < 0 || st.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen,
			 "pin_path %s: %s is not on a bpf filesystem (after "
			 "'ip netns exec' /sys has none): run 'mount -t bpf "
			 "bpf %s', or set pin_path inside a mounted bpffs",
			 path, parent, parent);
		return -ENOTDIR;
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "pin_path %s: cannot create: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* v6_mask - the network-order mask of plen bits as two 64-bit words. */
static void v6_mask(unsigned plen, uint64_t out[2])
{
	uint8_t b[16] = { 0 };
	unsigned i;

	for (i = 0; i < plen && i < 128; i++)
		b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	memcpy(out, b, 16);
}

/* read_runtime - the pinned runtime settings, if the maps exist. */
static int read_runtime(const char *pin_path, struct mx_runtime *rt)
{
	char path[PATH_MAX];
	uint32_t zero = 0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/runtime", pin_path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	r = bpf_map_lookup_elem(fd, &zero, rt) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* pinned_max_entries - a pinned map's size, or 0 if it is not pinned. */
static uint32_t pinned_max_entries(const char *pin_path, const char *name)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

/* on_event - ring_buffer callback: hand one record to the consumer. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct kern *k = ctx;

	if (size < sizeof(struct mx_event) || !k->ev_cb)
		return 0;
	k->ev_cb(data, k->ev_arg);
	k->ev_count++;
	return 0;
}

/* kern_finish - shared tail of load and open: bitmap, ring, settings. */
static int kern_finish(struct kern *k, char *err, size_t errlen)
{
	struct mx_runtime rt;
	uint32_t zero = 0;

	k->ncpus = libbpf_num_possible_cpus();
	if (bpf_map_lookup_elem(k->fd[M_RT], &zero, &rt) < 0) {
		snprintf(err, errlen, "%s: runtime map: %s", k->pin_path,
			 strerror(errno));
		return -errno;
	}
	k->v6_plen = rt.v6_plen;
	k->pf_v6_plen = rt.pf_v6_plen;
	k->pf = mmap(NULL, MX_PF_WORDS * sizeof(uint64_t),
		     PROT_READ | PROT_WRITE, MAP_SHARED, k->fd[M_PF], 0);
	if (k->pf == MAP_FAILED) {
		k->pf = NULL;
		snprintf(err, errlen, "%s: cannot map the pre-filter: %s",
			 k->pin_path, strerror(errno));
		return -errno;
	}
	k->rb = ring_buffer__new(k->fd[M_EVENTS], on_event, k, NULL);
	if (!k->rb) {
		snprintf(err, errlen, "%s: cannot open the event ring: %s",
			 k->pin_path, strerror(errno));
		return -errno;
	}
	return 0;
}

static struct kern *kern_alloc(const char *pin_path)
{
	struct kern *k = calloc(1, sizeof(*k));
	int i;

	if (!k)
		return NULL;
	snprintf(k->pin_path, sizeof(k->pin_path), "%s",
		 pin_path ? pin_path : KERN_PIN_PATH);
	for (i = 0; i < M__N; i++)
		k->fd[i] = -1;
	return k;
}

/* pow2 - the smallest power of two >= n (the dedup table's size). */
static uint32_t pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

/* set_sizes - map sizes from opts, or from the pins that already exist. */
static void set_sizes(struct kern *k, const struct kern_opts *o)
{
	struct bpf_map *maps[M__N] = {
		k->skel->maps.verdicts_v4, k->skel->maps.verdicts_v6,
		k->skel->maps.allow_v4,	   k->skel->maps.allow_v6,
		k->skel->maps.block_v4,	   k->skel->maps.block_v6,
		k->skel->maps.prefilter,   k->skel->maps.runtime,
		k->skel->maps.counters,	   k->skel->maps.recent,
		k->skel->maps.events,
	};
	uint32_t want[M__N] = { 0 }, got;
	bool explicit[M__N] = { false };
	char path[PATH_MAX];
	int i;

	want[M_V4] = want[M_V6] = o->max_verdicts ? o->max_verdicts : 1u << 20;
	want[M_ALLOW4] = want[M_ALLOW6] = want[M_BLOCK4] = want[M_BLOCK6] =
		o->max_prefixes ? o->max_prefixes : 1u << 17;
	want[M_RECENT] = pow2(o->max_recent ? o->max_recent : 1u << 16);
	want[M_EVENTS] = o->ring_bytes ? o->ring_bytes : 1u << 20;
	explicit[M_V4] = explicit[M_V6] = o->max_verdicts != 0;
	explicit[M_ALLOW4] = explicit[M_ALLOW6] = o->max_prefixes != 0;
	explicit[M_BLOCK4] = explicit[M_BLOCK6] = o->max_prefixes != 0;
	explicit[M_RECENT] = o->max_recent != 0;
	explicit[M_EVENTS] = o->ring_bytes != 0;
	for (i = 0; i < M__N; i++) {
		/* Fixed-size maps (want 0) keep the object's size. */
		got = want[i] ? pinned_max_entries(k->pin_path, map_names[i]) :
				0;
		if (got && explicit[i] && got != want[i])
			msg_warn("%s/%s: pinned with %u entries, configured "
				 "%u: keeping %u until the pins are removed",
				 k->pin_path, map_names[i], got, want[i], got);
		if (got || want[i])
			bpf_map__set_max_entries(maps[i], got ? got : want[i]);
		bpf_map__set_pin_path(maps[i],
				      pin_file(k, map_names[i], path,
					       sizeof(path)));
	}
}

/*
 * set_rodata - ports and IPv6 masks, before load. Ports come from opts,
 * else from the pinned runtime settings rt, which then record them.
 */
static void set_rodata(struct kern *k, const struct kern_opts *o,
		       struct mx_runtime *rt)
{
	struct mxwall__rodata *ro = k->skel->rodata;
	uint64_t pf[2];
	int i;

	if (o->nports > 0) {
		ro->cfg_nports = (uint32_t)(o->nports < KERN_MAX_PORTS ?
						    o->nports :
						    KERN_MAX_PORTS);
		for (i = 0; i < (int)ro->cfg_nports; i++)
			ro->cfg_ports_be[i] = htons(o->ports[i]);
	} else if (rt->nports > 0 && rt->nports <= KERN_MAX_PORTS) {
		/* No ports given (mxwallctl attach): keep the running ones. */
		ro->cfg_nports = rt->nports;
		for (i = 0; i < (int)rt->nports; i++)
			ro->cfg_ports_be[i] = htons(rt->ports[i]);
	}
	rt->nports = ro->cfg_nports;
	for (i = 0; i < (int)ro->cfg_nports; i++)
		rt->ports[i] = ntohs(ro->cfg_ports_be[i]);
	v6_mask(k->v6_plen, (uint64_t *)ro->cfg_v6_mask);
	v6_mask(k->pf_v6_plen, pf);
	ro->cfg_pf_v6_mask = pf[0];
	ro->cfg_recent_mask =
		bpf_map__max_entries(k->skel->maps.recent) - 1;
}

int kern_load(const struct kern_opts *opts, struct kern **kp, char *err,
	      size_t errlen)
{
	struct kern_opts dflt = { 0 };
	const struct kern_opts *o = opts ? opts : &dflt;
	struct mx_runtime rt;
	bool fresh;
	uint32_t zero = 0;
	struct kern *k;
	int r, i;

	*kp = NULL;
	libbpf_set_print(libbpf_log);
	k = kern_alloc(o->pin_path);
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = check_bpffs(k->pin_path, err, errlen);
	if (r < 0)
		goto fail;

	/* Maps already pinned keep their IPv6 prefix: it is in their keys. */
	fresh = read_runtime(k->pin_path, &rt) < 0;
	if (fresh) {
		memset(&rt, 0, sizeof(rt));
		rt.v6_plen = (uint8_t)(o->ipv6_prefix && o->ipv6_prefix <= 128 ?
					       o->ipv6_prefix :
					       64);
		rt.pf_v6_plen = rt.v6_plen < 48 ? rt.v6_plen : 48;
		rt.event_interval_ns = 60ull * 1000000000ull;
		if (o->observe)
			rt.flags |= MX_RT_OBSERVE;
	} else if (o->ipv6_prefix && o->ipv6_prefix != rt.v6_plen) {
		msg_warn("%s: maps were created with ipv6_prefix %u, "
			 "configured %u: keeping %u until the pins are removed",
			 k->pin_path, rt.v6_plen, o->ipv6_prefix, rt.v6_plen);
	}
	k->v6_plen = rt.v6_plen;
	k->pf_v6_plen = rt.pf_v6_plen;

	k->skel = mxwall__open();
	if (!k->skel) {
		r = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		goto fail;
	}
	set_sizes(k, o);
	set_rodata(k, o, &rt);
	r = mxwall__load(k->skel);
	if (r < 0) {
		snprintf(err, errlen,
			 "cannot load the BPF program: %s (if the maps pinned "
			 "under %s come from another version, detach and "
			 "remove them: rm -r %s)",
			 strerror(-r), k->pin_path, k->pin_path);
		goto fail;
	}
	k->fd[M_V4] = bpf_map__fd(k->skel->maps.verdicts_v4);
	k->fd[M_V6] = bpf_map__fd(k->skel->maps.verdicts_v6);
	k->fd[M_ALLOW4] = bpf_map__fd(k->skel->maps.allow_v4);
	k->fd[M_ALLOW6] = bpf_map__fd(k->skel->maps.allow_v6);
	k->fd[M_BLOCK4] = bpf_map__fd(k->skel->maps.block_v4);
	k->fd[M_BLOCK6] = bpf_map__fd(k->skel->maps.block_v6);
	k->fd[M_PF] = bpf_map__fd(k->skel->maps.prefilter);
	k->fd[M_RT] = bpf_map__fd(k->skel->maps.runtime);
	k->fd[M_CNT] = bpf_map__fd(k->skel->maps.counters);
	k->fd[M_RECENT] = bpf_map__fd(k->skel->maps.recent);
	k->fd[M_EVENTS] = bpf_map__fd(k->skel->maps.events);

	/* Settings every load restates; observe is kept unless fresh. */
	if (!fresh && read_runtime(k->pin_path, &rt) < 0)
		fresh = true;
	rt.nports = k->skel->rodata->cfg_nports;
	for (i = 0; i < (int)rt.nports && i < KERN_MAX_PORTS; i++)
		rt.ports[i] = ntohs(k->skel->rodata->cfg_ports_be[i]);
	if (o->event_interval_ms)
		rt.event_interval_ns = o->event_interval_ms * 1000000ull;
	rt.flags &= ~MX_RT_NO_PREFILTER;
	if (o->no_prefilter)
		rt.flags |= MX_RT_NO_PREFILTER;
	if (bpf_map_update_elem(k->fd[M_RT], &zero, &rt, BPF_ANY) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot write runtime settings: %s",
			 k->pin_path, strerror(errno));
		goto fail;
	}
	r = kern_finish(k, err, errlen);
	if (r < 0)
		goto fail;
	*kp = k;
	return 0;
fail:
	for (i = 0; i < M__N; i++)
		k->fd[i] = -1; /* owned by the skeleton */
	kern_close(k);
	return r;
}

int kern_open_pinned(const char *pin_path, struct kern **kp, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];
	struct kern *k;
	int i, r;

	*kp = NULL;
	libbpf_set_print(libbpf_log);
	k = kern_alloc(pin_path);
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < M__N; i++) {
		k->fd[i] = bpf_obj_get(pin_file(k, map_names[i], path,
						sizeof(path)));
		if (k->fd[i] < 0) {
			r = -errno;
			if (r == -ENOENT)
				snprintf(err, errlen,
					 "%s: no pinned maps (the program was "
					 "never loaded here: 'mxwallctl attach "
					 "IFACE' or start mxwalld)",
					 path);
			else
				snprintf(err, errlen, "%s: %s", path,
					 strerror(-r));
			goto fail;
		}
	}
	r = kern_finish(k, err, errlen);
	if (r < 0)
		goto fail;
	*kp = k;
	return 0;
fail:
	kern_close(k);
	return r;
}

void kern_close(struct kern *k)
{
	int i;

	if (!k)
		return;
	ring_buffer__free(k->rb);
	if (k->pf)
		munmap(k->pf, MX_PF_WORDS * sizeof(uint64_t));
	if (k->skel) {
		mxwall__destroy(k->skel);
	} else {
		for (i = 0; i < M__N; i++)
			if (k->fd[i] >= 0)
				close(k->fd[i]);
	}
	free(k);
}

/*
 * link_name - the pin name of ifname's link in mode m: "link_MODE_IF".
 * bpffs refuses '.' in names, and interface names (eth0.100) may hold
 * one, so it becomes ':', which no interface name contains.
 */
static void link_name(enum kern_mode m, const char *ifname, char *buf,
		      size_t len)
{
	char *c;

	snprintf(buf, len, "link_%s_%s", mode_names[m], ifname);
	for (c = buf; *c; c++)
		if (*c == '.')
			*c = ':';
}

/* find_link - the pinned link of ifname: its pin file and mode. */
static int find_link(const struct kern *k, const char *ifname, char *path,
		     size_t len, enum kern_mode *mode)
{
	DIR *d = opendir(k->pin_path);
	struct dirent *de;
	char want[IF_NAMESIZE + 16];
	int r = -ENOENT, m;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		for (m = KERN_MODE_NATIVE; m <= KERN_MODE_TC; m++) {
			link_name((enum kern_mode)m, ifname, want,
				  sizeof(want));
			if (strcmp(de->d_name, want) != 0)
				continue;
			snprintf(path, len, "%s/%s", k->pin_path, want);
			*mode = (enum kern_mode)m;
			r = 0;
		}
	}
	closedir(d);
	return r;
}

/* attach_one - create a link in exactly mode m; its fd or -errno. */
static int attach_one(struct kern *k, int ifindex, enum kern_mode m)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd;

	/*
	 * XXX tc mode needs TCX links (Linux 6.6); on older kernels it fails
	 * and auto mode stops at generic XDP. A fallback would attach a
	 * cls_bpf filter through netlink (bpf_tc_attach) at a fixed handle.
	 */
	if (m == KERN_MODE_TC) {
		fd = bpf_link_create(bpf_program__fd(k->skel->progs.mxwall_tc),
				     ifindex,
				     (enum bpf_attach_type)MX_BPF_TCX_INGRESS,
				     NULL);
	} else {
		lo.flags = m == KERN_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
						   XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(bpf_program__fd(k->skel->progs.mxwall_xdp),
				     ifindex, BPF_XDP, &lo);
	}
	return fd < 0 ? -errno : fd;
}

int kern_attach(struct kern *k, const char *ifname, enum kern_mode want,
		enum kern_mode *got, char *err, size_t errlen)
{
	char path[PATH_MAX], name[IF_NAMESIZE + 16];
	enum kern_mode m, old;
	int ifindex, fd, r, prog;

	if (!k->skel) {
		snprintf(err, errlen, "attach %s: the program is not loaded "
			 "in this process", ifname);
		return -EINVAL;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "attach %s: no such interface",
			 ifname);
		return -ENODEV;
	}

	/* Already attached from this pin path: swap the program in place. */
	if (find_link(k, ifname, path, sizeof(path), &old) == 0) {
		fd = bpf_obj_get(path);
		prog = bpf_program__fd(old == KERN_MODE_TC ?
					       k->skel->progs.mxwall_tc :
					       k->skel->progs.mxwall_xdp);
		r = fd < 0 ? -errno : bpf_link_update(fd, prog, NULL);
		if (fd >= 0)
			close(fd);
		if (r == 0 && (want == KERN_MODE_AUTO || want == old)) {
			*got = old;
			return 0;
		}
		/* A stale link (interface gone) or another mode: start over. */
		r = kern_detach(k, ifname, err, errlen);
		if (r < 0 && r != -ENOENT)
			return r;
	}

	r = -EINVAL;
	for (m = KERN_MODE_NATIVE; m <= KERN_MODE_TC; m++) {
		if (want != KERN_MODE_AUTO && want != m)
			continue;
		fd = attach_one(k, ifindex, m);
		if (fd < 0) {
			r = fd;
			msg_debug(1, "attach %s: %s mode: %s", ifname,
				  mode_names[m], strerror(-fd));
			continue;
		}
		link_name(m, ifname, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", k->pin_path, name);
		if (bpf_obj_pin(fd, path) < 0) {
			r = -errno;
			close(fd);
			snprintf(err, errlen, "attach %s: cannot pin %s: %s",
				 ifname, path, strerror(-r));
			return r;
		}
		close(fd);
		*got = m;
		return 0;
	}
	snprintf(err, errlen, "attach %s: %s mode: %s", ifname,
		 kern_mode_name(want), strerror(-r));
	return r;
}

int kern_detach(struct kern *k, const char *ifname, char *err,
		size_t errlen)
{
	char path[PATH_MAX];
	enum kern_mode m;
	int fd, r, found = 0;

	while (find_link(k, ifname, path, sizeof(path), &m) == 0) {
		found = 1;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			/* A link whose interface is gone is already off. */
			if (bpf_link_detach(fd) < 0 && errno != ENOLINK &&
			    errno != ENOENT)
				msg_warn("detach %s: %s: %s: removing the pin",
					 ifname, path, strerror(errno));
			close(fd);
		}
		if (unlink(path) < 0) {
			r = -errno;
			snprintf(err, errlen, "detach %s: cannot remove %s: %s",
				 ifname, path, strerror(errno));
			return r;
		}
	}
	/*
	 * XXX A program attached without a pinned link (by hand with 'ip link
	 * set xdp', or from another pin path) is not found here; detach could
	 * ask the interface (bpf_xdp_query) and remove mxwall_xdp by name.
	 */
	if (!found) {
		snprintf(err, errlen, "detach %s: not attached from %s",
			 ifname, k->pin_path);
		return -ENOENT;
	}
	return 0;
}

/* pf_fill - set bits [lo, hi] of the bitmap starting at word base. */
static void pf_fill(uint64_t *base, uint64_t lo, uint64_t hi)
{
	uint64_t i;

	for (i = lo; i <= hi; i++) {
		if ((i & 63) == 0 && hi - i >= 63) {
			__atomic_store_n(&base[i >> 6], ~0ull,
					 __ATOMIC_RELAXED);
			i += 63;
			continue;
		}
		__atomic_fetch_or(&base[i >> 6], 1ull << (i & 63),
				  __ATOMIC_RELAXED);
	}
}

/*
 * pf_set - set bit kind (MX_PF_VERDICT or MX_PF_PREFIX) for the indices
 * [first, first + count) of one family.
 */
static void pf_set(struct kern *k, bool v6, uint64_t first, uint64_t count,
		   unsigned kind)
{
	uint64_t last = first + count - 1;

	if (kind == MX_PF_VERDICT)
		pf_fill(k->pf + (v6 ? MX_PF_V6_OFF : MX_PF_V4_OFF), first,
			last);
	else
		pf_fill(k->pf + (v6 ? MX_PF_P6_OFF : MX_PF_P4_OFF),
			first >> MX_PF_PSHIFT, last >> MX_PF_PSHIFT);
}

/* pf_v6_index - the hashed /48 (or shorter) bit of an IPv6 address. */
static uint32_t pf_v6_index(const struct kern *k, const uint8_t *b)
{
	uint64_t hi = 0, mask[2];
	int i;

	v6_mask(k->pf_v6_plen, mask);
	for (i = 0; i < 8; i++)
		hi = hi << 8 | (b[i] & ((uint8_t *)mask)[i]);
	hi >>= 16;
	return (uint32_t)((hi * MX_PF_V6_MULT) >> (64 - MX_PF_BITS));
}

/*
 * pf_cover - set bit kind for every index an address or prefix could be
 * looked up under.
 */
static void pf_cover(struct kern *k, const struct mx_addr *p, unsigned kind)
{
	uint32_t v4;
	struct mx_addr a;
	uint64_t n, i, step;

	if (!k->pf)
		return;
	if (p->family == AF_INET) {
		v4 = (uint32_t)p->b[0] << 16 | (uint32_t)p->b[1] << 8 | p->b[2];
		n = p->plen >= 24 ? 1 : 1ull << (24 - p->plen);
		pf_set(k, false, v4, n, kind);
		return;
	}
	if (p->plen >= k->pf_v6_plen) {
		pf_set(k, true, pf_v6_index(k, p->b), 1, kind);
		return;
	}
	/* Each /48 under a short prefix hashes anywhere: enumerate, or all. */
	if (k->pf_v6_plen - p->plen > 16) {
		pf_set(k, true, 0, 1ull << MX_PF_BITS, kind);
		return;
	}
	n = 1ull << (k->pf_v6_plen - p->plen);
	step = 1ull << (64 - k->pf_v6_plen); /* pf_v6_plen <= 48 */
	a = *p;
	for (i = 0; i < n; i++) {
		uint64_t hi = 0;
		int j;

		/* The i-th sub-prefix of pre-filter granularity. */
		for (j = 0; j < 8; j++)
			hi = hi << 8 | p->b[j];
		hi += i * step;
		for (j = 7; j >= 0; j--) {
			a.b[j] = (uint8_t)hi;
			hi >>= 8;
		}
		pf_set(k, true, pf_v6_index(k, a.b), 1, kind);
	}
}

/* verdict_key - the hash key of a (v4: 4 bytes, v6: masked 16). */
static int verdict_key(const struct kern *k, const struct mx_addr *a,
		       uint8_t key[16], int *fd_idx)
{
	uint64_t mask[2], w[2];

	if (a->family == AF_INET) {
		memcpy(key, a->b, 4);
		*fd_idx = M_V4;
		return 0;
	}
	if (a->family != AF_INET6)
		return -EAFNOSUPPORT;
	v6_mask(k->v6_plen, mask);
	memcpy(w, a->b, 16);
	w[0] &= mask[0];
	w[1] &= mask[1];
	memcpy(key, w, 16);
	*fd_idx = M_V6;
	return 0;
}

static void to_kernel(const struct kern_verdict *v, struct mx_verdict *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->action = v->action;
	kv->reason = v->reason;
	kv->expires_ns = v->expires_ns;
	kv->hits = (uint32_t)v->hits;
}

static void from_kernel(const struct mx_verdict *kv, struct kern_verdict *v)
{
	v->action = kv->action;
	v->reason = kv->reason;
	v->expires_ns = kv->expires_ns;
	v->hits = kv->hits;
}

/* key_addr - the mx_addr for a verdict key. */
static void key_addr(const struct kern *k, bool v6, const uint8_t *key,
		     struct mx_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->b, key, v6 ? 16 : 4);
	a->plen = (uint8_t)(v6 ? k->v6_plen : 32);
}

int kern_verdict_put(struct kern *k, const struct mx_addr *a,
		     const struct kern_verdict *v)
{
	struct mx_verdict kv;
	struct mx_addr m;
	uint8_t key[16];
	int idx, r;

	r = verdict_key(k, a, key, &idx);
	if (r < 0)
		return r;
	key_addr(k, idx == M_V6, key, &m);
	pf_cover(k, &m, MX_PF_VERDICT);
	to_kernel(v, &kv);
	return bpf_map_update_elem(k->fd[idx], key, &kv, BPF_ANY) < 0 ? -errno :
									0;
}

/* put_chunk - one batched update of n same-family verdicts. */
static int put_chunk(struct kern *k, int idx, const void *keys,
		     const struct mx_verdict *vals, uint32_t n, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
	uint32_t count = n;
	int r;

	r = bpf_map_update_batch(k->fd[idx], keys, vals, &count, &bo);
	*done += count;
	return r < 0 ? -errno : 0;
}

int kern_verdict_put_batch(struct kern *k, const struct mx_addr *a,
			   const struct kern_verdict *v, size_t n,
			   size_t *done)
{
	enum { CHUNK = 4096 };
	uint8_t (*keys)[16] = malloc(CHUNK * 16);
	uint32_t *keys4 = malloc(CHUNK * 4);
	struct mx_verdict *vals = malloc(CHUNK * sizeof(*vals));
	size_t i = 0, j;
	int r = 0, idx, fam;
	struct mx_addr m;
	uint32_t nk;

	*done = 0;
	if (!keys || !keys4 || !vals) {
		r = -ENOMEM;
		goto out;
	}
	/* Runs of one family, at most CHUNK long, one syscall each. */
	while (i < n && r == 0) {
		fam = a[i].family;
		for (nk = 0; i + nk < n && nk < CHUNK; nk++) {
			j = i + nk;
			if (a[j].family != fam)
				break;
			r = verdict_key(k, &a[j], keys[nk], &idx);
			if (r < 0)
				goto out;
			memcpy(&keys4[nk], keys[nk], 4);
			key_addr(k, idx == M_V6, keys[nk], &m);
			pf_cover(k, &m, MX_PF_VERDICT);
			to_kernel(&v[j], &vals[nk]);
		}
		idx = fam == AF_INET ? M_V4 : M_V6;
		r = put_chunk(k, idx,
			      idx == M_V4 ? (void *)keys4 : (void *)keys, vals,
			      nk, done);
		i += nk;
	}
out:
	free(keys);
	free(keys4);
	free(vals);
	return r;
}

int kern_verdict_get(struct kern *k, const struct mx_addr *a,
		     struct kern_verdict *v)
{
	struct mx_verdict kv;
	uint8_t key[16];
	int idx, r;

	r = verdict_key(k, a, key, &idx);
	if (r < 0)
		return r;
	if (bpf_map_lookup_elem(k->fd[idx], key, &kv) < 0)
		return -errno;
	from_kernel(&kv, v);
	return 0;
}

int kern_verdict_del(struct kern *k, const struct mx_addr *a)
{
	uint8_t key[16];
	int idx, r;

	r = verdict_key(k, a, key, &idx);
	if (r < 0)
		return r;
	return bpf_map_delete_elem(k->fd[idx], key) < 0 ? -errno : 0;
}

/* walk - every entry of one map; keys converted by the caller's kind. */
enum walk_kind { WALK_V4, WALK_V6, WALK_LPM4, WALK_LPM6 };

static int walk(struct kern *k, int idx, enum walk_kind kind,
		kern_entry_cb cb, void *arg)
{
	uint8_t key[20], next[20];
	struct mx_verdict kv;
	struct kern_verdict v;
	struct mx_addr a;
	void *prev = NULL;
	int r;

	while (bpf_map_get_next_key(k->fd[idx], prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(k->fd[idx], key, &kv) < 0)
			continue; /* deleted meanwhile */
		from_kernel(&kv, &v);
		memset(&a, 0, sizeof(a));
		switch (kind) {
		case WALK_V4:
		case WALK_V6:
			key_addr(k, kind == WALK_V6, key, &a);
			break;
		case WALK_LPM4:
		case WALK_LPM6:
			a.family = kind == WALK_LPM4 ? AF_INET : AF_INET6;
			memcpy(&a.b, key + 4, kind == WALK_LPM4 ? 4 : 16);
			memcpy(&r, key, 4);
			a.plen = (uint8_t)r;
			break;
		}
		r = cb(&a, &v, arg);
		if (r)
			return r;
	}
	return 0;
}

/*
 * walk_hash - every entry of a verdict hash, read in batches (one
 * syscall per few thousand entries rather than two per entry, and a cb
 * that deletes what it is shown does not restart the walk). Falls back
 * to walk() where the kernel has no batch lookup.
 */
static int walk_hash(struct kern *k, int idx, kern_entry_cb cb, void *arg)
{
	enum { CHUNK = 4096 };
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	size_t ksz = idx == M_V4 ? 4 : 16;
	uint8_t *keys = malloc(CHUNK * ksz);
	struct mx_verdict *vals = malloc(CHUNK * sizeof(*vals));
	uint64_t token_in = 0, token_out = 0;
	void *in = NULL;
	struct kern_verdict v;
	struct mx_addr a;
	uint32_t count, i;
	int r = 0, e;

	if (!keys || !vals) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = CHUNK;
		e = bpf_map_lookup_batch(k->fd[idx], in, &token_out, keys,
					 vals, &count, &bo) < 0 ? errno : 0;
		if (e && e != ENOENT) {
			if (in == NULL && (e == EINVAL || e == ENOTSUP))
				r = walk(k, idx,
					 idx == M_V4 ? WALK_V4 : WALK_V6,
					 cb, arg);
			else
				r = -e;
			goto out;
		}
		for (i = 0; i < count && r == 0; i++) {
			key_addr(k, idx == M_V6, keys + i * ksz, &a);
			from_kernel(&vals[i], &v);
			r = cb(&a, &v, arg);
		}
		if (r || e == ENOENT)
			goto out;
		token_in = token_out;
		in = &token_in;
	}
out:
	free(keys);
	free(vals);
	return r;
}

int kern_verdict_foreach(struct kern *k, kern_entry_cb cb, void *arg)
{
	int r = walk_hash(k, M_V4, cb, arg);

	return r ? r : walk_hash(k, M_V6, cb, arg);
}

/* prefix_key - LPM key and map index for a prefix in list. */
static int prefix_key(enum kern_list list, const struct mx_addr *p,
		      uint8_t key[20], int *idx)
{
	uint32_t plen = p->plen;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(key, 0, 20);
	memcpy(key, &plen, 4);
	memcpy(key + 4, p->b, p->family == AF_INET ? 4 : 16);
	if (p->family == AF_INET)
		*idx = list == KERN_LIST_ALLOW ? M_ALLOW4 : M_BLOCK4;
	else
		*idx = list == KERN_LIST_ALLOW ? M_ALLOW6 : M_BLOCK6;
	return 0;
}

int kern_prefix_put(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, const struct kern_verdict *v)
{
	struct mx_verdict kv;
	struct mx_addr p = *prefix;
	uint8_t key[20];
	int idx, r;

	addr_mask(&p, p.plen);
	r = prefix_key(list, &p, key, &idx);
	if (r < 0)
		return r;
	pf_cover(k, &p, MX_PF_PREFIX);
	to_kernel(v, &kv);
	return bpf_map_update_elem(k->fd[idx], key, &kv, BPF_ANY) < 0 ? -errno :
									0;
}

int kern_prefix_get(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, struct kern_verdict *v)
{
	struct mx_verdict kv;
	struct mx_addr p = *prefix;
	uint8_t key[20], first[20] = { 0 }, next[20] = { 0 };
	int idx, r;

	addr_mask(&p, p.plen);
	r = prefix_key(list, &p, key, &idx);
	if (r < 0)
		return r;
	/*
	 * A lookup finds the longest match up to this length, which is this
	 * prefix only if it exists. The trie tells: the key after an absent
	 * key is the first key of all; after a present one it is a later one
	 * (or none).
	 */
	if (bpf_map_lookup_elem(k->fd[idx], key, &kv) < 0)
		return -errno;
	if (bpf_map_get_next_key(k->fd[idx], NULL, first) < 0)
		return -ENOENT;
	if (bpf_map_get_next_key(k->fd[idx], key, next) == 0 &&
	    memcmp(next, first, sizeof(next)) == 0)
		return -ENOENT;
	from_kernel(&kv, v);
	return 0;
}

int kern_prefix_del(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix)
{
	struct mx_addr p = *prefix;
	uint8_t key[20];
	int idx, r;

	addr_mask(&p, p.plen);
	r = prefix_key(list, &p, key, &idx);
	if (r < 0)
		return r;
	return bpf_map_delete_elem(k->fd[idx], key) < 0 ? -errno : 0;
}

int kern_prefix_foreach(struct kern *k, enum kern_list list,
			kern_entry_cb cb, void *arg)
{
	int r;

	r = walk(k, list == KERN_LIST_ALLOW ? M_ALLOW4 : M_BLOCK4, WALK_LPM4,
		 cb, arg);
	if (r)
		return r;
	return walk(k, list == KERN_LIST_ALLOW ? M_ALLOW6 : M_BLOCK6,
		    WALK_LPM6, cb, arg);
}

unsigned kern_ipv6_prefix(const struct kern *k)
{
	return k->v6_plen;
}

int kern_set_observe(struct kern *k, bool observe)
{
	struct mx_runtime rt;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(k->fd[M_RT], &zero, &rt) < 0)
		return -errno;
	if (observe)
		rt.flags |= MX_RT_OBSERVE;
	else
		rt.flags &= ~MX_RT_OBSERVE;
	return bpf_map_update_elem(k->fd[M_RT], &zero, &rt, BPF_ANY) < 0 ?
		       -errno :
		       0;
}

bool kern_observe(struct kern *k)
{
	struct mx_runtime rt;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(k->fd[M_RT], &zero, &rt) < 0)
		return false;
	return (rt.flags & MX_RT_OBSERVE) != 0;
}

int kern_counters(struct kern *k, uint64_t out[MX_CNT__MAX])
{
	struct mx_counters *per;
	uint32_t zero = 0;
	int cpu, i, r = 0;

	memset(out, 0, sizeof(uint64_t) * MX_CNT__MAX);
	per = calloc((size_t)k->ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(k->fd[M_CNT], &zero, per) < 0) {
		r = -errno;
		goto out;
	}
	for (cpu = 0; cpu < k->ncpus; cpu++)
		for (i = 0; i < MX_CNT__MAX; i++)
			out[i] += per[cpu].c[i];
out:
	free(per);
	return r;
}

int kern_prog_fd(struct kern *k, enum kern_mode m)
{
	if (!k->skel)
		return -EBADF;
	return bpf_program__fd(m == KERN_MODE_TC ? k->skel->progs.mxwall_tc :
						   k->skel->progs.mxwall_xdp);
}

int kern_events_fd(struct kern *k)
{
	return k->rb ? ring_buffer__epoll_fd(k->rb) : -EBADF;
}

int kern_events_consume(struct kern *k,
			void (*cb)(const struct mx_event *ev, void *arg),
			void *arg)
{
	int r;

	if (!k->rb)
		return -EBADF;
	k->ev_cb = cb;
	k->ev_arg = arg;
	k->ev_count = 0;
	r = ring_buffer__consume(k->rb);
	k->ev_cb = NULL;
	return r < 0 ? r : k->ev_count;
}

#else /* !MXWALL_LINUX: the portable build has no kernel fast path */

int kern_load(const struct kern_opts *opts, struct kern **kp, char *err,
	      size_t errlen)
{
	*kp = NULL;
	snprintf(err, errlen, "the xdp backend needs Linux");
	return -ENOTSUP;
}

int kern_open_pinned(const char *pin_path, struct kern **kp, char *err,
		     size_t errlen)
{
	*kp = NULL;
	snprintf(err, errlen, "the xdp backend needs Linux");
	return -ENOTSUP;
}

void kern_close(struct kern *k)
{
}

int kern_attach(struct kern *k, const char *ifname, enum kern_mode want,
		enum kern_mode *got, char *err, size_t errlen)
{
	snprintf(err, errlen, "the xdp backend needs Linux");
	return -ENOTSUP;
}

int kern_detach(struct kern *k, const char *ifname, char *err,
		size_t errlen)
{
	snprintf(err, errlen, "the xdp backend needs Linux");
	return -ENOTSUP;
}

int kern_verdict_put(struct kern *k, const struct mx_addr *a,
		     const struct kern_verdict *v)
{
	return -ENOTSUP;
}

int kern_verdict_put_batch(struct kern *k, const struct mx_addr *a,
			   const struct kern_verdict *v, size_t n,
			   size_t *done)
{
	*done = 0;
	return -ENOTSUP;
}

int kern_verdict_get(struct kern *k, const struct mx_addr *a,
		     struct kern_verdict *v)
{
	return -ENOTSUP;
}

int kern_verdict_del(struct kern *k, const struct mx_addr *a)
{
	return -ENOTSUP;
}

int kern_verdict_foreach(struct kern *k, kern_entry_cb cb, void *arg)
{
	return -ENOTSUP;
}

int kern_prefix_put(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, const struct kern_verdict *v)
{
	return -ENOTSUP;
}

int kern_prefix_get(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, struct kern_verdict *v)
{
	return -ENOTSUP;
}

int kern_prefix_del(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix)
{
	return -ENOTSUP;
}

int kern_prefix_foreach(struct kern *k, enum kern_list list,
			kern_entry_cb cb, void *arg)
{
	return -ENOTSUP;
}

unsigned kern_ipv6_prefix(const struct kern *k)
{
	return 64;
}

int kern_set_observe(struct kern *k, bool observe)
{
	return -ENOTSUP;
}

bool kern_observe(struct kern *k)
{
	return false;
}

int kern_counters(struct kern *k, uint64_t out[MX_CNT__MAX])
{
	memset(out, 0, sizeof(uint64_t) * MX_CNT__MAX);
	return -ENOTSUP;
}

int kern_prog_fd(struct kern *k, enum kern_mode m)
{
	return -ENOTSUP;
}

int kern_events_fd(struct kern *k)
{
	return -ENOTSUP;
}

int kern_events_consume(struct kern *k,
			void (*cb)(const struct mx_event *ev, void *arg),
			void *arg)
{
	return -ENOTSUP;
}

#endif
