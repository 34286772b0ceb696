/*
 * access.c - access(5) actions (see access.h).
 *
 * XXX This is a compiling stub: every result parses as DUNNO.
 */
#include "access.h"

#include <string.h>

int access_parse(const char *result, struct access_action *act)
{
	memset(act, 0, sizeof(*act));
	act->kind = ACCESS_DUNNO;
	return 0;
}

const char *access_kind_name(enum access_kind kind)
{
	return "DUNNO";
}

int access_check(struct table_list *tl, const char *const keys[], int nkeys,
		 struct access_result *res)
{
	return 0;
}
