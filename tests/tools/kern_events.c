/*
 * kern_events.c - print the kernel program's unknown-client events from
 * the pinned ring buffer, one line each, for the integration suites and
 * the demo:
 *
 *   kern_events PIN_PATH [SECONDS]
 *
 * prints "UNKNOWN client=[ADDR] port=N ifindex=N" for every event that
 * is waiting, then keeps waiting for SECONDS (default 0) more. Exits 0,
 * or 1 when the pinned maps cannot be opened.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "kern.h"

/* print_event - one event as one line. */
static void print_event(const struct mx_event *ev, void *arg)
{
	struct mx_addr a = { .family = ev->family,
			     .plen = ev->family == AF_INET ? 32 : 128 };
	char buf[ADDR_STRLEN];

	memcpy(a.b, ev->addr, 16);
	printf("UNKNOWN client=[%s] port=%u ifindex=%u\n",
	       addr_format(&a, buf, sizeof(buf)), ev->dport, ev->ifindex);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct pollfd pfd;
	struct kern *k;
	char err[512];
	uint64_t until;
	int secs;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: kern_events PIN_PATH [SECONDS]\n");
		return 1;
	}
	secs = argc == 3 ? atoi(argv[2]) : 0;
	if (kern_open_pinned(argv[1], &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "kern_events: %s\n", err);
		return 1;
	}
	kern_events_consume(k, print_event, NULL);
	until = kern_now_ns() + (uint64_t)secs * 1000000000ull;
	pfd.fd = kern_events_fd(k);
	pfd.events = POLLIN;
	while (kern_now_ns() < until) {
		if (poll(&pfd, 1, 100) > 0)
			kern_events_consume(k, print_event, NULL);
	}
	kern_close(k);
	return 0;
}
