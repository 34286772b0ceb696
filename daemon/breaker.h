/*
 * breaker.h - the circuit breaker: when the share of new clients being
 * blocked jumps far above its usual level (a list that starts listing
 * the world between two health checks, a broken rule table), switch new
 * verdicts to observe mode and say why; switch back when it settles.
 *
 * Time is cut into windows of window_s seconds. The share of blocked new
 * clients of each complete window that was not tripped feeds a slowly
 * moving baseline. The breaker trips as soon as the current window holds
 * at least min_clients verdicts and its blocked share is at least
 * share_pct percent and at least factor times the baseline (capped at
 * 95 %, so a server that blocks most clients anyway can still trip on a
 * list that blocks all of them). It recovers when a window (the current
 * one with min_clients verdicts, or a complete one with any) stays under
 * that trip level.
 *
 * Pure state and arithmetic: never blocks, never allocates, no clock of
 * its own (the caller passes monotonic milliseconds).
 */
#ifndef MXWALL_BREAKER_H
#define MXWALL_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * struct breaker_cfg - thresholds (circuit_breaker_* parameters).
 *   enabled      false: never trips;
 *   window_s     seconds per window;
 *   min_clients  verdicts a window needs before it can trip;
 *   share_pct    lowest blocked share that trips, percent;
 *   factor       how many times the baseline share trips.
 */
struct breaker_cfg {
	bool enabled;
	unsigned window_s;
	unsigned min_clients;
	unsigned share_pct;
	unsigned factor;
};

/*
 * struct breaker - state.
 *   start_ms          when the current window began (monotonic ms);
 *   total, blocked    verdicts in the current window;
 *   baseline          usual blocked share, 0..1 (-1: none yet);
 *   tripped           verdicts are held in observe mode;
 *   why               the last change's explanation, for logs.
 */
struct breaker {
	struct breaker_cfg cfg;
	uint64_t start_ms;
	unsigned total, blocked;
	double baseline;
	bool tripped;
	char why[160];
};

/* Returned by breaker_count/breaker_tick. */
enum { BREAKER_SAME = 0, BREAKER_TRIPPED = 1, BREAKER_RECOVERED = -1 };

void breaker_init(struct breaker *b, const struct breaker_cfg *cfg,
		  uint64_t now_ms);

/* breaker_configure - new thresholds; the state is kept. */
void breaker_configure(struct breaker *b, const struct breaker_cfg *cfg);

/*
 * breaker_count - one new verdict (blocked or not) at now_ms. Returns
 * BREAKER_TRIPPED or BREAKER_RECOVERED when the state changed (b->why
 * says why), else BREAKER_SAME.
 */
int breaker_count(struct breaker *b, bool blocked, uint64_t now_ms);

/* breaker_tick - close windows that ended by now_ms; same returns. */
int breaker_tick(struct breaker *b, uint64_t now_ms);

#endif
