/*
 * backend.c - choosing a backend by name, and the wrappers that give
 * every implementation the same behaviour for operations it lacks
 * (see backend.h).
 *
 * Never logs: results and problems go back to the daemon, which logs.
 */
#include "backend.h"
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The implementations built into this binary. */
static const struct backend_ops *const backend_all[] = {
#if MXWALL_LINUX
	&backend_xdp_ops,
	&backend_nft_ops,
#endif
	&backend_pf_ops,
	&backend_none_ops,
};

struct backend *backend_open(const struct mx_config *cfg, char *err,
			     size_t errlen)
{
	const struct backend_ops *ops = NULL;
	struct backend *b = NULL;
	size_t i;

	for (i = 0; i < sizeof(backend_all) / sizeof(backend_all[0]); i++)
		if (strcmp(backend_all[i]->name, cfg->backend) == 0)
			ops = backend_all[i];
	if (!ops) {
		snprintf(err, errlen, "backend %s is not built into this "
			 "program (built without Linux support)", cfg->backend);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b || (ops->size && !(b->priv = calloc(1, ops->size)))) {
		snprintf(err, errlen, "backend %s: out of memory", ops->name);
		goto fail;
	}
	b->ops = ops;
	b->kernel = ops != &backend_none_ops;
	if (ops->open && ops->open(b, cfg) < 0) {
		snprintf(err, errlen, "backend %s: %s", ops->name, b->err);
		goto fail;
	}
	return b;
fail:
	if (b)
		free(b->priv);
	free(b);
	return NULL;
}

void backend_close(struct backend *b)
{
	if (!b)
		return;
	if (b->ops->close)
		b->ops->close(b);
	free(b->priv);
	free(b);
}

const char *backend_name(const struct backend *b)
{
	return b->ops->name;
}

const char *backend_error(const struct backend *b)
{
	return b->err;
}

int backend_seterr(struct backend *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void counts_zero(struct backend_counts *cnt)
{
	memset(cnt, 0, sizeof(*cnt));
}

int backend_add(struct backend *b, const struct backend_item *it, size_t n,
		struct backend_counts *cnt)
{
	counts_zero(cnt);
	if (n == 0 || !b->ops->add)
		return 0;
	return b->ops->add(b, it, n, cnt);
}

int backend_remove(struct backend *b, const struct mx_addr *a, size_t n,
		   struct backend_counts *cnt)
{
	counts_zero(cnt);
	if (n == 0 || !b->ops->remove)
		return 0;
	return b->ops->remove(b, a, n, cnt);
}

int backend_replace(struct backend *b, const struct backend_item *it,
		    size_t n, struct backend_counts *cnt)
{
	counts_zero(cnt);
	if (!b->ops->replace)
		return 0;
	return b->ops->replace(b, it, n, cnt);
}

int backend_expire(struct backend *b, const struct mx_addr *a, size_t n,
		   struct backend_counts *cnt)
{
	counts_zero(cnt);
	if (n == 0 || !b->ops->expire)
		return 0;
	return b->ops->expire(b, a, n, cnt);
}

int backend_list(struct backend *b, backend_list_cb cb, void *arg)
{
	if (!b->ops->list)
		return 0;
	return b->ops->list(b, cb, arg);
}

int backend_observe(struct backend *b, bool observe)
{
	if (!b->ops->observe)
		return 0;
	return b->ops->observe(b, observe);
}

int backend_hits(struct backend *b, const struct mx_addr *a, uint64_t *hits)
{
	*hits = 0;
	if (!b->ops->hits)
		return 0;
	return b->ops->hits(b, a, hits);
}

int backend_event_fd(struct backend *b)
{
	return b->ops->event_fd ? b->ops->event_fd(b) : -1;
}

int backend_events(struct backend *b,
		   void (*cb)(const struct mx_addr *a, void *arg), void *arg)
{
	return b->ops->events ? b->ops->events(b, cb, arg) : 0;
}

const char *backend_counts_text(const struct backend_counts *c, char *buf,
				size_t len)
{
	snprintf(buf, len, "%zu added, %zu deleted, %zu unchanged", c->added,
		 c->deleted, c->unchanged);
	return buf;
}

/* clock_ns - one clock in ns. */
static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t backend_wall_to_boot_ns(uint32_t expires)
{
	uint64_t wall, boot;

	if (expires == 0)
		return 0;
	wall = clock_ns(CLOCK_REALTIME);
	boot = clock_ns(CLOCK_BOOTTIME);
	if ((uint64_t)expires * 1000000000ULL <= wall)
		return boot ? boot : 1; /* already due: expires now */
	return boot + ((uint64_t)expires * 1000000000ULL - wall);
}

uint32_t backend_boot_ns_to_wall(uint64_t ns)
{
	uint64_t wall, boot;

	if (ns == 0)
		return 0;
	wall = clock_ns(CLOCK_REALTIME);
	boot = clock_ns(CLOCK_BOOTTIME);
	if (ns <= boot)
		return (uint32_t)(wall / 1000000000ULL);
	return (uint32_t)((wall + (ns - boot)) / 1000000000ULL);
}
