/*
 * kern.c - the kernel fast path's loader (see kern.h).
 *
 * Temporary stubs: every operation fails with -ENOSYS until the loader
 * lands; only the name tables and the clock work.
 */
#include "kern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
};

static const char *const reason_names[MX_REASON__MAX] = {
	[MX_REASON_NONE] = "none",	   [MX_REASON_MANUAL] = "manual",
	[MX_REASON_DNSBL] = "dnsbl",	   [MX_REASON_RHSBL] = "rhsbl",
	[MX_REASON_RULE] = "rule",	   [MX_REASON_PREFIX] = "prefix",
	[MX_REASON_ALLOWLIST] = "allowlist", [MX_REASON_STATIC] = "static",
	[MX_REASON_SNAPSHOT] = "snapshot",
};

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

uint64_t kern_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *const mode_names[] = { "auto", "native", "generic",
					  "tc" };

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

int kern_load(const struct kern_opts *opts, struct kern **kp, char *err,
	      size_t errlen)
{
	*kp = NULL;
	snprintf(err, errlen, "kernel loader not built yet");
	return -ENOSYS;
}

int kern_open_pinned(const char *pin_path, struct kern **kp, char *err,
		     size_t errlen)
{
	*kp = NULL;
	snprintf(err, errlen, "kernel loader not built yet");
	return -ENOSYS;
}

void kern_close(struct kern *k)
{
}

int kern_attach(struct kern *k, const char *ifname, enum kern_mode want,
		enum kern_mode *got, char *err, size_t errlen)
{
	snprintf(err, errlen, "kernel loader not built yet");
	return -ENOSYS;
}

int kern_detach(struct kern *k, const char *ifname, char *err,
		size_t errlen)
{
	snprintf(err, errlen, "kernel loader not built yet");
	return -ENOSYS;
}

int kern_verdict_put(struct kern *k, const struct mx_addr *a,
		     const struct kern_verdict *v)
{
	return -ENOSYS;
}

int kern_verdict_put_batch(struct kern *k, const struct mx_addr *a,
			   const struct kern_verdict *v, size_t n,
			   size_t *done)
{
	*done = 0;
	return -ENOSYS;
}

int kern_verdict_get(struct kern *k, const struct mx_addr *a,
		     struct kern_verdict *v)
{
	return -ENOSYS;
}

int kern_verdict_del(struct kern *k, const struct mx_addr *a)
{
	return -ENOSYS;
}

int kern_verdict_foreach(struct kern *k, kern_entry_cb cb, void *arg)
{
	return -ENOSYS;
}

int kern_prefix_put(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, const struct kern_verdict *v)
{
	return -ENOSYS;
}

int kern_prefix_get(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix, struct kern_verdict *v)
{
	return -ENOSYS;
}

int kern_prefix_del(struct kern *k, enum kern_list list,
		    const struct mx_addr *prefix)
{
	return -ENOSYS;
}

int kern_prefix_foreach(struct kern *k, enum kern_list list,
			kern_entry_cb cb, void *arg)
{
	return -ENOSYS;
}

unsigned kern_ipv6_prefix(const struct kern *k)
{
	return 64;
}

int kern_set_observe(struct kern *k, bool observe)
{
	return -ENOSYS;
}

bool kern_observe(struct kern *k)
{
	return false;
}

int kern_counters(struct kern *k, uint64_t out[MX_CNT__MAX])
{
	memset(out, 0, sizeof(uint64_t) * MX_CNT__MAX);
	return -ENOSYS;
}

int kern_events_fd(struct kern *k)
{
	return -ENOSYS;
}

int kern_events_consume(struct kern *k,
			void (*cb)(const struct mx_event *ev, void *arg),
			void *arg)
{
	return -ENOSYS;
}
