/*
 * breaker.c - the circuit breaker (see breaker.h).
 */
#include "breaker.h"

#include <stdio.h>
#include <string.h>

void breaker_init(struct breaker *b, const struct breaker_cfg *cfg,
		  uint64_t now_ms)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	b->start_ms = now_ms;
	b->baseline = -1;
}

void breaker_configure(struct breaker *b, const struct breaker_cfg *cfg)
{
	b->cfg = *cfg;
	if (!cfg->enabled)
		b->tripped = false;
}

/* trip_share - the blocked share (0..1) at which the breaker trips. */
static double trip_share(const struct breaker *b)
{
	double t = b->cfg.share_pct / 100.0, rel;

	if (b->baseline > 0) {
		rel = b->baseline * b->cfg.factor;
		if (rel > 0.95)
			rel = 0.95;
		if (rel > t)
			t = rel;
	}
	return t;
}

/* usual - the baseline as a percentage, for the explanation. */
static int usual(const struct breaker *b)
{
	return b->baseline < 0 ? 0 : (int)(b->baseline * 100 + 0.5);
}

/* check - trip or recover on the current window's counts. */
static int check(struct breaker *b, bool window_closed)
{
	double share, t = trip_share(b);

	if (!b->cfg.enabled || b->total == 0)
		return BREAKER_SAME;
	share = (double)b->blocked / b->total;
	if (!b->tripped && b->total >= b->cfg.min_clients && share >= t) {
		b->tripped = true;
		snprintf(b->why, sizeof(b->why),
			 "blocked %u of %u new clients in %us (usual %d%%, "
			 "trips at %d%%)", b->blocked, b->total,
			 b->cfg.window_s, usual(b), (int)(t * 100 + 0.5));
		return BREAKER_TRIPPED;
	}
	if (b->tripped && share < t &&
	    (window_closed || b->total >= b->cfg.min_clients)) {
		b->tripped = false;
		snprintf(b->why, sizeof(b->why),
			 "blocked %u of %u new clients in %us, under %d%%",
			 b->blocked, b->total, b->cfg.window_s,
			 (int)(t * 100 + 0.5));
		return BREAKER_RECOVERED;
	}
	return BREAKER_SAME;
}

/* breaker_tick - close the windows that ended; feed the baseline. */
int breaker_tick(struct breaker *b, uint64_t now_ms)
{
	uint64_t len = (uint64_t)(b->cfg.window_s ? b->cfg.window_s : 1) *
		       1000;
	int change = BREAKER_SAME;
	double share;

	if (now_ms < b->start_ms + len)
		return BREAKER_SAME;
	if (b->tripped)
		change = check(b, true);
	if (!b->tripped && b->total >= b->cfg.min_clients &&
	    change != BREAKER_RECOVERED) {
		share = (double)b->blocked / b->total;
		b->baseline = b->baseline < 0 ? share
					      : 0.7 * b->baseline + 0.3 * share;
	}
	b->total = b->blocked = 0;
	b->start_ms += (now_ms - b->start_ms) / len * len;
	return change;
}

int breaker_count(struct breaker *b, bool blocked, uint64_t now_ms)
{
	int change = breaker_tick(b, now_ms), now;

	b->total++;
	if (blocked)
		b->blocked++;
	now = check(b, false);
	return now != BREAKER_SAME ? now : change;
}
