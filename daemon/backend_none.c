/*
 * backend_none.c - no kernel table: verdicts live only in the daemon and
 * reach Postfix through the policy service. Every operation is a no-op
 * that reports success, so the daemon needs no special case for it.
 */
#include "backend.h"

const struct backend_ops backend_none_ops = {
	.name = "none",
};
