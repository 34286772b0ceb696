/*
 * evloop.h - the daemon's single event loop (epoll), its timers and hooks.
 *
 * Everything in mxwalld runs from this loop: the ring buffer, c-ares,
 * the policy and control sockets, signals (through a signalfd), timers.
 * Callbacks must never block; long work is split into steps driven by
 * readiness or timers.
 *
 * Contracts:
 *   - a callback may add or delete any fd or timer, including its own;
 *   - a deleted fd's callback is not called again, even later in the same
 *     round of ready events;
 *   - timers are one-shot; a fired timer is freed by the loop after its
 *     callback returns (do not cancel it from inside its own callback);
 *   - prepare hooks run before each wait; each may shorten the wait (for
 *     c-ares: the value of ares_timeout()).
 */
#ifndef MXWALL_EVLOOP_H
#define MXWALL_EVLOOP_H

#include <stdint.h>

#define EV_READ 0x1u
#define EV_WRITE 0x4u
#define EV_ERROR 0x8u /* reported only: error or hang-up on the fd */

struct evloop;
struct ev_timer;

typedef void (*ev_fd_cb)(int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(void *arg);
/* Returns the longest the loop may wait, in ms; -1 for no limit. */
typedef int (*ev_prepare_cb)(void *arg);

struct evloop *evloop_create(void);
void evloop_free(struct evloop *loop);

/* evloop_add_fd - watch fd for events (EV_READ|EV_WRITE). 0 or -1/errno. */
int evloop_add_fd(struct evloop *loop, int fd, unsigned events, ev_fd_cb cb,
		  void *arg);
int evloop_mod_fd(struct evloop *loop, int fd, unsigned events);
void evloop_del_fd(struct evloop *loop, int fd);

/* evloop_timer - call cb(arg) once, ms milliseconds from now. */
struct ev_timer *evloop_timer(struct evloop *loop, uint64_t ms,
			      ev_timer_cb cb, void *arg);
void evloop_timer_cancel(struct evloop *loop, struct ev_timer *t);

int evloop_add_prepare(struct evloop *loop, ev_prepare_cb cb, void *arg);
void evloop_del_prepare(struct evloop *loop, ev_prepare_cb cb, void *arg);

/* evloop_now_ms - monotonic milliseconds, cached once per loop round. */
uint64_t evloop_now_ms(struct evloop *loop);

/* evloop_run - run until evloop_stop; returns 0, or -1 on epoll failure. */
int evloop_run(struct evloop *loop);

/* evloop_run_once - one wait of at most max_ms plus its callbacks. */
int evloop_run_once(struct evloop *loop, int max_ms);
void evloop_stop(struct evloop *loop);

#endif
