/*
 * evloop.c - epoll event loop with a binary-heap timer queue (see evloop.h).
 *
 * File descriptors are kept in a table indexed by fd, so lookups on the
 * hot path are one array access. Each watched fd carries a generation
 * number: a callback that deletes another fd bumps it, and ready events
 * already collected for the old registration are skipped.
 */
#include "evloop.h"
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH 64
#define EV_MAX_PREPARE 8

struct ev_fd {
	ev_fd_cb cb;
	void *arg;
	uint32_t gen; /* bumped on every add/del of this fd */
	bool used;
};

struct ev_timer {
	uint64_t when; /* monotonic ms */
	ev_timer_cb cb;
	void *arg;
	size_t slot; /* index in the heap */
};

struct evloop {
	int epfd;
	struct ev_fd *fds;
	size_t nfds; /* size of fds[] */
	struct ev_timer **heap;
	size_t nheap, heapcap;
	struct {
		ev_prepare_cb cb;
		void *arg;
	} prep[EV_MAX_PREPARE];
	int nprep;
	uint64_t now;
	bool stop;
};

static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct evloop *evloop_create(void)
{
	struct evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->now = clock_ms();
	return loop;
}

void evloop_free(struct evloop *loop)
{
	size_t i;

	if (!loop)
		return;
	for (i = 0; i < loop->nheap; i++)
		free(loop->heap[i]);
	free(loop->heap);
	free(loop->fds);
	close(loop->epfd);
	free(loop);
}

static uint32_t ev_to_epoll(unsigned events)
{
	return (events & EV_READ ? EPOLLIN : 0) |
	       (events & EV_WRITE ? EPOLLOUT : 0);
}

int evloop_add_fd(struct evloop *loop, int fd, unsigned events, ev_fd_cb cb,
		  void *arg)
{
	struct epoll_event ev = { .events = ev_to_epoll(events) };

	if (fd < 0)
		return errno = EBADF, -1;
	if ((size_t)fd >= loop->nfds) {
		size_t n = (size_t)fd * 2 + 16;
		struct ev_fd *p = realloc(loop->fds, n * sizeof(*p));

		if (!p)
			return -1;
		memset(p + loop->nfds, 0, (n - loop->nfds) * sizeof(*p));
		loop->fds = p;
		loop->nfds = n;
	}
	ev.data.u64 = (uint64_t)fd | (uint64_t)(loop->fds[fd].gen + 1) << 32;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	loop->fds[fd].gen++;
	loop->fds[fd].cb = cb;
	loop->fds[fd].arg = arg;
	loop->fds[fd].used = true;
	return 0;
}

int evloop_mod_fd(struct evloop *loop, int fd, unsigned events)
{
	struct epoll_event ev = { .events = ev_to_epoll(events) };

	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used)
		return errno = ENOENT, -1;
	ev.data.u64 = (uint64_t)fd | (uint64_t)loop->fds[fd].gen << 32;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void evloop_del_fd(struct evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].used)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd].used = false;
	loop->fds[fd].gen++;
}

/* heap_swap - exchange two heap slots and keep their back-indices. */
static void heap_swap(struct evloop *loop, size_t i, size_t j)
{
	struct ev_timer *t = loop->heap[i];

	loop->heap[i] = loop->heap[j];
	loop->heap[j] = t;
	loop->heap[i]->slot = i;
	loop->heap[j]->slot = j;
}

static void heap_up(struct evloop *loop, size_t i)
{
	while (i > 0 && loop->heap[(i - 1) / 2]->when > loop->heap[i]->when) {
		heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct evloop *loop, size_t i)
{
	struct ev_timer **h = loop->heap;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nheap && h[l]->when < h[m]->when)
			m = l;
		if (r < loop->nheap && h[r]->when < h[m]->when)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

/* heap_remove - take slot i out of the heap; the timer is not freed. */
static void heap_remove(struct evloop *loop, size_t i)
{
	loop->nheap--;
	if (i == loop->nheap)
		return;
	heap_swap(loop, i, loop->nheap);
	heap_down(loop, i);
	heap_up(loop, i);
}

struct ev_timer *evloop_timer(struct evloop *loop, uint64_t ms,
			      ev_timer_cb cb, void *arg)
{
	struct ev_timer *t;

	if (loop->nheap == loop->heapcap) {
		size_t n = loop->heapcap ? loop->heapcap * 2 : 64;
		struct ev_timer **h = realloc(loop->heap, n * sizeof(*h));

		if (!h)
			return NULL;
		loop->heap = h;
		loop->heapcap = n;
	}
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	t->when = clock_ms() + ms;
	t->cb = cb;
	t->arg = arg;
	t->slot = loop->nheap;
	loop->heap[loop->nheap++] = t;
	heap_up(loop, t->slot);
	return t;
}

void evloop_timer_cancel(struct evloop *loop, struct ev_timer *t)
{
	if (!t)
		return;
	if (t->slot >= loop->nheap || loop->heap[t->slot] != t)
		msg_panic("evloop_timer_cancel: timer not queued");
	heap_remove(loop, t->slot);
	free(t);
}

int evloop_add_prepare(struct evloop *loop, ev_prepare_cb cb, void *arg)
{
	if (loop->nprep == EV_MAX_PREPARE)
		return errno = ENOSPC, -1;
	loop->prep[loop->nprep].cb = cb;
	loop->prep[loop->nprep].arg = arg;
	loop->nprep++;
	return 0;
}

/* evloop_del_prepare - remove the hook (cb, arg); no-op if absent. */
void evloop_del_prepare(struct evloop *loop, ev_prepare_cb cb, void *arg)
{
	int i;

	for (i = 0; i < loop->nprep; i++) {
		if (loop->prep[i].cb != cb || loop->prep[i].arg != arg)
			continue;
		loop->nprep--;
		memmove(&loop->prep[i], &loop->prep[i + 1],
			(size_t)(loop->nprep - i) * sizeof(loop->prep[0]));
		return;
	}
}

uint64_t evloop_now_ms(struct evloop *loop)
{
	return loop->now;
}

/* run_timers - fire every timer that is due. */
static void run_timers(struct evloop *loop)
{
	while (loop->nheap > 0 && loop->heap[0]->when <= loop->now) {
		struct ev_timer *t = loop->heap[0];

		heap_remove(loop, 0);
		t->cb(t->arg);
		free(t);
	}
}

/* wait_ms - how long the next epoll_wait may last. */
static int wait_ms(struct evloop *loop, int max_ms)
{
	int ms = max_ms, i;

	for (i = 0; i < loop->nprep; i++) {
		int p = loop->prep[i].cb(loop->prep[i].arg);

		if (p >= 0 && (ms < 0 || p < ms))
			ms = p;
	}
	if (loop->nheap > 0) {
		uint64_t when = loop->heap[0]->when, now = clock_ms();
		int t = when <= now ? 0 : (int)(when - now > 86400000 ?
				86400000 : when - now);

		if (ms < 0 || t < ms)
			ms = t;
	}
	return ms;
}

int evloop_run_once(struct evloop *loop, int max_ms)
{
	struct epoll_event evs[EV_BATCH];
	uint32_t gens[EV_BATCH];
	int n, i;

	n = epoll_wait(loop->epfd, evs, EV_BATCH, wait_ms(loop, max_ms));
	if (n < 0 && errno != EINTR)
		return -1;
	loop->now = clock_ms();
	for (i = 0; i < n; i++)
		gens[i] = (uint32_t)(evs[i].data.u64 >> 32);
	for (i = 0; i < n; i++) {
		int fd = (int)(evs[i].data.u64 & 0xffffffffu);
		struct ev_fd *f = &loop->fds[fd];
		unsigned got = 0;

		if (!f->used || f->gen != gens[i])
			continue;
		if (evs[i].events & EPOLLIN)
			got |= EV_READ;
		if (evs[i].events & EPOLLOUT)
			got |= EV_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			got |= EV_ERROR | EV_READ;
		f->cb(fd, got, f->arg);
	}
	run_timers(loop);
	return 0;
}

int evloop_run(struct evloop *loop)
{
	loop->stop = false;
	while (!loop->stop)
		if (evloop_run_once(loop, -1) < 0)
			return -1;
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
}
